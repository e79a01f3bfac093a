//! The admin pages of the outbox: a webhook subscription created from its form (the secret
//! shown once, never again), a test event through the "send test event" button to a real
//! receiver, the delivery log, a dead delivery retried from the outbox page; nobody else opens
//! them.

use partnerhub_app::clock::ManualClock;
use reqwest::Method;
use secrecy::SecretString;

use crate::app::{Account, TestApp};
use crate::sinks::{Answer, HttpSink};
use crate::workflow::{config, Flow};

on_both_databases!(admins_run_webhooks_and_the_outbox_from_their_pages);

/// A signed-in browser of one account: its session cookie and form token.
struct Browser<'a> {
    flow: &'a Flow,
    cookie: String,
    csrf: String,
    http: reqwest::Client,
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    html: String,
}

impl<'a> Browser<'a> {
    async fn open(app: &TestApp, flow: &'a Flow, who: &Account) -> Self {
        let (secret, csrf) = app.open_session(who, 3600).await;
        Self {
            flow,
            cookie: format!("partnerhub_session={secret}"),
            csrf,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn go(&self, method: Method, path: &str, form: &[(&str, &str)]) -> Page {
        let mut req = self
            .http
            .request(method.clone(), self.flow.server.url(path))
            .header("cookie", &self.cookie);
        if method == Method::POST {
            let mut fields = vec![("csrf_token", self.csrf.as_str())];
            fields.extend_from_slice(form);
            req = req.form(&fields);
        }
        let res = req.send().await.unwrap();
        Page {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            html: res.text().await.unwrap(),
        }
    }
}

fn between<'t>(html: &'t str, start: &str, end: &str) -> &'t str {
    let from = html.find(start).map(|i| i + start.len()).unwrap_or(0);
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

async fn admins_run_webhooks_and_the_outbox_from_their_pages(app: &TestApp) {
    let clock = ManualClock::starting_now();
    let sink = HttpSink::start().await;
    let flow = Flow::start(app, config(&clock, None, None, &["127.0.0.1"])).await;
    let admin = Browser::open(app, &flow, &app.admin).await;
    let url = sink.url("/partnerhub-events");

    // A URL inside the network is refused on the form, naming it; nothing is created.
    let page = admin
        .go(
            Method::POST,
            "/admin/webhooks",
            &[
                ("name", "Metadata"),
                ("url", "http://169.254.169.254/latest"),
                ("events", "webhook.test"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("url"), "{}", page.html);
    let none = flow
        .call(
            Method::GET,
            "/api/v1/webhooks",
            Some(&app.admin.token),
            None,
        )
        .await;
    assert_eq!(
        none.body["items"].as_array().map_or(0, Vec::len)
            + none.body.as_array().map_or(0, Vec::len),
        0,
        "{}",
        none.text
    );

    // Created from the form: the secret shows this once, on a page no cache keeps.
    let page = admin
        .go(
            Method::POST,
            "/admin/webhooks",
            &[
                ("name", "CRM sync"),
                ("url", &url),
                ("events", "webhook.test"),
                ("events", "inbound_request.created"),
            ],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.html);
    assert_eq!(page.headers["cache-control"], "no-store");
    let secret = between(&page.html, "id=\"webhook-secret\">", "<").to_string();
    assert!(secret.len() >= 32, "{secret:?}");
    let list = admin.go(Method::GET, "/admin/webhooks", &[]).await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("CRM sync"));
    assert!(
        !list.html.contains(&secret),
        "the secret is shown only once"
    );
    assert!(
        !list.html.contains("/partnerhub-events"),
        "the URL is a secret too: only its hint shows"
    );
    let id = between(&list.html, "href=\"/admin/webhooks/", "\"").to_string();

    // "Send test event": signed, delivered, in the delivery log.
    let sent = admin
        .go(Method::POST, &format!("/admin/webhooks/{id}/test"), &[])
        .await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    assert_eq!(flow.run_jobs().await, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-partnerhub-event"), "webhook.test");
    let signature =
        partnerhub_outbound::webhook::signature(&SecretString::from(secret.clone()), &got[0].body);
    assert_eq!(got[0].header("x-partnerhub-signature"), signature);
    let log = admin
        .go(Method::GET, &format!("/admin/webhooks/{id}"), &[])
        .await;
    assert!(log.html.contains(">done<"), "{}", log.html);

    // A delivery the receiver refuses for good is dead; the outbox page retries it.
    sink.answer(Answer::Status(410, None));
    admin
        .go(Method::POST, &format!("/admin/webhooks/{id}/test"), &[])
        .await;
    flow.run_jobs().await;
    let outbox = admin.go(Method::GET, "/admin/outbox?state=dead", &[]).await;
    assert_eq!(outbox.status, 200);
    assert!(
        outbox.html.contains(">dead<") && outbox.html.contains("410"),
        "{}",
        outbox.html
    );
    let delivery = between(&outbox.html, "action=\"/admin/outbox/", "/retry").to_string();
    sink.answer(Answer::Ok);
    let retried = admin
        .go(
            Method::POST,
            &format!("/admin/outbox/{delivery}/retry"),
            &[],
        )
        .await;
    assert_eq!(retried.status, 303);
    assert_eq!(flow.run_jobs().await, 1);
    assert_eq!(sink.received().len(), 3);
    let outbox = admin.go(Method::GET, "/admin/outbox", &[]).await;
    assert!(
        outbox.html.contains("id=\"outbox-empty\""),
        "{}",
        outbox.html
    );

    // Nobody but admins opens them, nor acts through them.
    for who in [&app.alliances, &app.support, &app.aws_user] {
        let b = Browser::open(app, &flow, who).await;
        for path in [
            "/admin/outbox",
            "/admin/webhooks",
            &format!("/admin/webhooks/{id}"),
        ] {
            assert_eq!(b.go(Method::GET, path, &[]).await.status, 403, "{path}");
        }
        let r = b
            .go(Method::POST, &format!("/admin/webhooks/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, 403);
        let r = b
            .go(
                Method::POST,
                &format!("/admin/outbox/{delivery}/discard"),
                &[],
            )
            .await;
        assert_eq!(r.status, 403);
    }
    let deleted = admin
        .go(Method::POST, &format!("/admin/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, 303);
    flow.stop().await;
}
