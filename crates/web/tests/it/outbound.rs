//! The outbound channels against real servers on 127.0.0.1: a GitLab issue from its project's
//! issue template, its link kept and shown on the record that asked; and the guard that keeps
//! chat and webhook URLs out of internal networks, when saved and when delivered, redirects
//! included.

use partnerhub_app::clock::{Clock, ManualClock};
use partnerhub_app::jobs::{Worker, WorkerConfig};
use partnerhub_app::App;
use partnerhub_outbound::gitlab::GitLabConfig;
use partnerhub_outbound::Message;
use partnerhub_store::{JobFilter, JobState, NewJob};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::app::TestApp;
use crate::sinks::{Answer, HttpSink};
use crate::workflow::{config, deliveries, request_body, Flow};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gitlab_issue_is_created_with_its_template_and_its_link_kept() {
    let app = TestApp::sqlite().await;
    let gitlab = HttpSink::start().await;
    // One answer serves both calls: the template's `content`, and the created issue's fields.
    gitlab.answer(Answer::Json(
        201,
        json!({"name": "MDF request", "content": "## Campaign\n", "id": 9001, "iid": 42, "project_id": 7,
               "web_url": "https://gitlab.example/alliances/mdf/-/issues/42", "state": "opened"}),
    ));
    let clock = ManualClock::starting_now();
    let mut config = config(&clock, None, None, &["127.0.0.1"]);
    config.outbox.gitlab = Some(GitLabConfig {
        url: gitlab.url(""),
        token: SecretString::from("glpat-test-token"),
    });
    let worker = Worker::new(App::new(app.store.clone(), config), WorkerConfig::default());
    let message = Message::GitlabIssue {
        project: "alliances/mdf".into(),
        title: "MDF: AWS re:Invent".into(),
        description: "Budget: USD 10,000".into(),
        labels: vec!["MDF".into(), "AWS".into()],
        template: Some("MDF request".into()),
    };
    // The record that asked: its page shows the issue's link.
    let mut logged = request_body("Issue Asker");
    logged["received_via"] = json!("email");
    let record = app
        .post("/api/v1/inbound-requests", &app.admin.token, &logged)
        .await;
    let record_id = record.body["id"].as_i64().unwrap();
    let job: NewJob = partnerhub_app::outbox::delivery(
        &message,
        &partnerhub_app::outbox::Subject {
            kind: "inbound_request",
            id: record_id.to_string(),
        },
        clock.now_ms(),
    );
    app.store.enqueue(&job, clock.now_ms()).await.unwrap();
    worker.run_due().await.unwrap();
    let got = gitlab.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].method, "GET");
    assert_eq!(
        got[0].path,
        "/api/v4/projects/alliances%2Fmdf/templates/issues/MDF%20request"
    );
    assert_eq!(got[0].header("private-token"), "glpat-test-token");
    assert_eq!(got[1].method, "POST");
    assert_eq!(got[1].path, "/api/v4/projects/alliances%2Fmdf/issues");
    assert_eq!(got[1].header("private-token"), "glpat-test-token");
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&got[1].body)
        .into_owned()
        .collect();
    assert_eq!(form["title"], "MDF: AWS re:Invent");
    assert_eq!(form["labels"], "MDF,AWS");
    assert!(
        form["description"].starts_with("## Campaign\n"),
        "{:?}",
        form["description"]
    );
    assert!(
        form["description"].contains("Budget: USD 10,000"),
        "{:?}",
        form["description"]
    );
    let done = app
        .store
        .jobs(&JobFilter {
            deliveries: true,
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    assert_eq!(done.state, JobState::Done);
    let issue: Value = serde_json::from_str(done.result.as_deref().unwrap()).unwrap();
    assert_eq!(issue["iid"], 42);
    assert_eq!(
        issue["web_url"],
        "https://gitlab.example/alliances/mdf/-/issues/42"
    );
    let (session, _) = app.open_session(&app.alliances, 3600).await;
    let page = app
        .send(
            app.request(Method::GET, &format!("/inbound/{record_id}"))
                .header("cookie", format!("partnerhub_session={session}")),
        )
        .await;
    page.expect(200);
    assert!(
        page.text
            .contains("href=\"https://gitlab.example/alliances/mdf/-/issues/42\""),
        "the issue's link is not on the record's page"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_requests_never_reach_internal_addresses_unless_allowed() {
    let app = TestApp::sqlite().await;
    let sink = HttpSink::start().await;
    let clock = ManualClock::starting_now();
    // Saving: internal addresses and names resolving inside are refused.
    let strict = Flow::start(&app, config(&clock, None, None, &[])).await;
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
        "http://[::1]:8080/hook",
        &sink.url("/hook").replace("127.0.0.1", "localhost"),
    ] {
        let r = strict
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(&app.admin.token),
                Some(&json!({"name": "Hook", "url": url, "events": ["webhook.test"]})),
            )
            .await;
        let err = r.expect_error(422, Some("url"));
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("internal address"),
            "{url}: {}",
            r.text
        );
    }
    // Allowed by name, saved; delivered by a worker that does not allow it: refused then too.
    let allowing = Flow::start(&app, config(&clock, None, None, &["127.0.0.1"])).await;
    let r = allowing
        .call(Method::POST, "/api/v1/webhooks", Some(&app.admin.token), Some(&json!({"name": "Hook", "url": sink.url("/hook"), "events": ["webhook.test", "inbound_request.created"]})))
        .await;
    r.expect(201);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    assert_eq!(r.body["url"].as_str().unwrap(), format!("set (…hook)"));
    let hook = r.body["id"].as_i64().unwrap();
    strict
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/test"),
            Some(&app.admin.token),
            None,
        )
        .await
        .expect(202);
    strict.run_jobs().await;
    assert!(sink.received().is_empty());
    let job = deliveries(&app).await.remove(0);
    assert_eq!(job.state, JobState::Dead);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("internal address"),
        "{:?}",
        job.last_error
    );
    // Allowed: signed, with the event and the delivery id.
    allowing
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/test"),
            Some(&app.admin.token),
            None,
        )
        .await
        .expect(202);
    allowing.run_jobs().await;
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-partnerhub-event"), "webhook.test");
    assert!(got[0].header("x-partnerhub-delivery").starts_with("dlv_"));
    let expected =
        partnerhub_outbound::webhook::signature(&SecretString::from(secret), &got[0].body);
    assert_eq!(got[0].header("x-partnerhub-signature"), expected);
    // A redirect to an internal address is not followed.
    sink.answer(Answer::Redirect("http://10.0.0.1/steal".into()));
    allowing
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/test"),
            Some(&app.admin.token),
            None,
        )
        .await
        .expect(202);
    allowing.run_jobs().await;
    let job = deliveries(&app).await.remove(0);
    assert_ne!(job.state, JobState::Done);
    assert!(
        job.last_error.as_deref().unwrap().contains("10.0.0.1"),
        "{:?}",
        job.last_error
    );
    // The webhook's URL and secret are sealed in the database.
    let stored = app.scalar("SELECT COUNT(*) FROM webhooks WHERE url_sealed LIKE '%127.0.0.1%' OR secret_sealed LIKE '%whsec%'").await;
    assert_eq!(stored, 0);
    strict.stop().await;
    allowing.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_channel_that_resolves_inside_is_refused_when_delivered() {
    let app = TestApp::sqlite().await;
    let sink = HttpSink::start().await;
    let clock = ManualClock::starting_now();
    let inside = sink.url("/hook").replace("127.0.0.1", "localhost");
    let flow = Flow::start(&app, config(&clock, Some(inside), None, &[])).await;
    flow.call(
        Method::POST,
        "/api/v1/inbound-requests",
        None,
        Some(&request_body("Inside Job Ltd")),
    )
    .await
    .expect(201);
    flow.run_jobs().await;
    assert!(sink.received().is_empty(), "the channel was reached");
    let job = deliveries(&app).await.remove(0);
    assert_eq!(job.channel.as_deref(), Some("chat"));
    assert_eq!(job.state, JobState::Dead);
    let error = job.last_error.unwrap_or_default();
    assert!(error.contains("internal address"), "{error}");
    flow.stop().await;
    app.finish().await;
}
