//! The workflow platform through inbound alliance requests: the outbox delivering to a real
//! chat sink (also after it was down, never twice once done), the first claim winning among
//! twenty, email over a real SMTP exchange, and the intake's refusals.

use std::sync::Arc;

use partnerhub_app::clock::{Clock, ManualClock};
use partnerhub_app::jobs::{Worker, WorkerConfig};
use partnerhub_app::outbox::OutboxConfig;
use partnerhub_app::secrets::Sealer;
use partnerhub_app::{App, AppConfig};
use partnerhub_outbound::email::{SmtpConfig, SmtpTls};
use partnerhub_outbound::OutboundPolicy;
use partnerhub_store::{JobFilter, JobState};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::app::{chain_key, test_config, Instance, Reply, TestApp};
use crate::sinks::{Answer, HttpSink, SmtpSink};

on_both_databases!(
    a_new_request_reaches_the_alliances_channel_once_even_after_the_channel_was_down,
    twenty_concurrent_claims_leave_one_lead,
    a_request_goes_from_intake_through_next_steps_to_a_partner,
    bad_intake_input_is_refused_naming_the_field_and_queues_nothing,
    a_decision_made_on_a_stale_reading_is_refused_at_its_write,
);

/// The operations' settings of these tests: a clock the test moves, the outbox configured.
pub fn config(
    clock: &Arc<ManualClock>,
    chat: Option<String>,
    smtp: Option<u16>,
    allow: &[&str],
) -> AppConfig {
    let mut outbox = OutboxConfig {
        policy: OutboundPolicy::new(allow.iter().map(|s| s.to_string()).collect()),
        message_id_host: "partners.test".into(),
        ..Default::default()
    };
    if let Some(url) = chat {
        outbox
            .chat
            .insert("alliances".into(), SecretString::from(url));
    }
    outbox.smtp = smtp.map(|port| SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Partnerhub <partners@gitlab.test>".into(),
    });
    AppConfig {
        clock: clock.clone(),
        outbox,
        sealer: Some(Sealer::new(chain_key().derive("sealed secrets"))),
        public_url: "https://partners.test".into(),
        ..Default::default()
    }
}

/// A server and a worker over the test app's database, with `config`.
pub struct Flow {
    pub server: Instance,
    worker: Worker,
    store: partnerhub_store::Store,
    http: reqwest::Client,
}

impl Flow {
    pub async fn start(app: &TestApp, config: AppConfig) -> Self {
        let server = Instance::start(&app.store, config.clone(), test_config()).await;
        let worker = Worker::new(App::new(app.store.clone(), config), WorkerConfig::default());
        Self {
            server,
            worker,
            store: app.store.clone(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.server.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        crate::app::send(req).await
    }

    /// Runs every due job; returns how many delivery attempts were made (scheduled jobs such
    /// as the hourly reminder run too, but are not counted).
    pub async fn run_jobs(&self) -> usize {
        let attempts = |jobs: Vec<partnerhub_store::JobRecord>| {
            jobs.iter().map(|j| j.attempts as usize).sum::<usize>()
        };
        let filter = JobFilter {
            deliveries: true,
            limit: 1000,
            ..Default::default()
        };
        let before = attempts(self.store.jobs(&filter).await.unwrap());
        self.worker.run_due().await.unwrap();
        attempts(self.store.jobs(&filter).await.unwrap()) - before
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

pub fn request_body(company: &str) -> Value {
    json!({
        "company": company,
        "website": "https://acme.example",
        "contact_name": "Ada Lovelace",
        "contact_email": "ada@acme.example",
        "interest": "technology",
        "integration": "A CI plugin that comments on merge requests",
        "benefits": "Reviews in half the time",
        "relationship": "A listed integration and a joint webinar",
        "document_url": "https://docs.example.com/d/acme",
    })
}

pub async fn deliveries(app: &TestApp) -> Vec<partnerhub_store::JobRecord> {
    app.store
        .jobs(&JobFilter {
            deliveries: true,
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn a_new_request_reaches_the_alliances_channel_once_even_after_the_channel_was_down(
    app: &TestApp,
) {
    let clock = ManualClock::starting_now();
    let mut sink = HttpSink::down().await;
    let flow = Flow::start(
        app,
        config(&clock, Some(sink.url("/hook")), None, &["127.0.0.1"]),
    )
    .await;
    let r = flow
        .call(
            Method::POST,
            "/api/v1/inbound-requests",
            None,
            Some(&request_body("Acme DevTools")),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["state"], "new");
    assert_eq!(r.body["received_via"], "web_form");

    // The channel refuses connections: the delivery fails and waits.
    assert_eq!(flow.run_jobs().await, 1);
    let job = deliveries(app).await.remove(0);
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.attempts, 1);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("did not answer"),
        "{:?}",
        job.last_error
    );
    assert!(job.run_at > clock.now_ms(), "retried later, not at once");
    assert_eq!(flow.run_jobs().await, 0, "not before its time");

    // Back up, and later: delivered, once.
    sink.up().await;
    clock.advance(10 * 60 * 1000);
    assert_eq!(flow.run_jobs().await, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains("*Acme DevTools* wants a technology partnership"),
        "{body}"
    );
    let link = format!("https://partners.test/inbound/{id}");
    assert!(
        body["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains(&link),
        "{body}"
    );
    let delivery_id = got[0].header("x-partnerhub-delivery");
    assert!(delivery_id.starts_with("dlv_"));
    let job = deliveries(app).await.remove(0);
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.delivery_id.as_deref(), Some(delivery_id.as_str()));
    clock.advance(24 * 3600 * 1000);
    flow.run_jobs().await;
    assert_eq!(
        sink.received().len(),
        1,
        "a delivery recorded as done is not sent again"
    );

    // 429 waits as the channel asks; other 4xx are permanent.
    sink.answer(Answer::Status(429, Some("120")));
    flow.call(
        Method::POST,
        "/api/v1/inbound-requests",
        None,
        Some(&request_body("Slow Co")),
    )
    .await
    .expect(201);
    flow.run_jobs().await;
    let job = deliveries(app).await.remove(0);
    assert_eq!(job.state, JobState::Pending);
    assert!(
        job.run_at >= clock.now_ms() + 120_000,
        "Retry-After honoured"
    );
    sink.answer(Answer::Status(404, None));
    clock.advance(200_000);
    flow.run_jobs().await;
    let job = deliveries(app).await.remove(0);
    assert_eq!(job.state, JobState::Dead, "channel_not_found is permanent");
    // The request page lists its deliveries, and admins can put a dead one back.
    let r = flow
        .call(
            Method::GET,
            &format!("/api/v1/inbound-requests/{id}/deliveries"),
            Some(&app.alliances.token),
            None,
        )
        .await;
    assert_eq!(r.body[0]["state"], "done");
    sink.answer(Answer::Ok);
    let dead = flow
        .call(
            Method::GET,
            "/api/v1/outbox?state=dead",
            Some(&app.admin.token),
            None,
        )
        .await;
    let dead_id = dead.body[0]["id"].as_i64().unwrap();
    flow.call(
        Method::POST,
        &format!("/api/v1/outbox/{dead_id}/retry"),
        Some(&app.alliances.token),
        None,
    )
    .await
    .expect(403);
    flow.call(
        Method::POST,
        &format!("/api/v1/outbox/{dead_id}/retry"),
        Some(&app.admin.token),
        None,
    )
    .await
    .expect(200);
    flow.run_jobs().await;
    assert!(sink.received().last().unwrap().json()["text"]
        .as_str()
        .unwrap()
        .contains("Slow Co"));
    // The metrics count the outbox from the table, whichever process delivered.
    let metrics = flow.call(Method::GET, "/metrics", None, None).await.text;
    for line in [
        "partnerhub_outbox_deliveries{channel=\"chat\",state=\"done\"} 2",
        "partnerhub_outbox_depth{state=\"dead\"} 0",
        "partnerhub_outbox_depth{state=\"pending\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} not in\n{metrics}");
    }
    flow.stop().await;
}

async fn twenty_concurrent_claims_leave_one_lead(app: &TestApp) {
    let clock = ManualClock::starting_now();
    let flow = Flow::start(app, config(&clock, None, None, &[])).await;
    let r = flow
        .call(
            Method::POST,
            "/api/v1/inbound-requests",
            None,
            Some(&request_body("Contested Inc")),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let mut tokens = vec![app.alliances.token.clone(), app.admin.token.clone()];
    for i in 0..18 {
        let u = app
            .post(
                "/api/v1/users",
                &app.admin.token,
                &json!({"email": format!("ally{i}@gitlab.com"), "name": format!("Ally {i}"), "role": "alliances"}),
            )
            .await;
        u.expect(201);
        let id = u.body["id"].as_i64().unwrap();
        let token = partnerhub_app::secrets::new_api_token();
        app.store
            .create_token(
                &partnerhub_store::Who::system("test"),
                id,
                "t",
                &partnerhub_app::secrets::secret_hash(&token),
                None,
            )
            .await
            .unwrap();
        tokens.push(token);
    }
    let path = format!("/api/v1/inbound-requests/{id}/claim");
    let claims = tokens
        .iter()
        .map(|t| flow.call(Method::POST, &path, Some(t), None));
    let replies = futures_join(claims).await;
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    let lost: Vec<&Reply> = replies.iter().filter(|r| r.status == 409).collect();
    assert_eq!(
        (won.len(), lost.len()),
        (1, 19),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let lead = won[0].body["lead"]["name"].as_str().unwrap().to_string();
    for r in lost {
        assert_eq!(r.body["error"]["code"], "already_claimed", "{}", r.text);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(&lead),
            "{}",
            r.text
        );
    }
    flow.stop().await;
}

/// Runs the futures at once and waits for all.
async fn futures_join<F: std::future::Future<Output = Reply>>(
    futures: impl Iterator<Item = F>,
) -> Vec<Reply> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = handles.into_iter().map(Box::pin).collect();
    // Poll all together: a join over the boxed futures.
    let results = std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out.len() <= i {
                out.push(None);
            }
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => out[i] = Some(r),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(std::mem::take(&mut out))
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

async fn a_request_goes_from_intake_through_next_steps_to_a_partner(app: &TestApp) {
    let clock = ManualClock::starting_now();
    let smtp = SmtpSink::start().await;
    let sink = HttpSink::start().await;
    let flow = Flow::start(
        app,
        config(
            &clock,
            Some(sink.url("/hook")),
            Some(smtp.port),
            &["127.0.0.1"],
        ),
    )
    .await;
    let r = flow
        .call(
            Method::POST,
            "/api/v1/inbound-requests",
            None,
            Some(&request_body("Pipeline Labs")),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let t = app.alliances.token.as_str();
    let path = |tail: &str| format!("/api/v1/inbound-requests/{id}{tail}");
    // Nobody but the lead (or an admin) records steps; partners and customers see nothing.
    flow.call(
        Method::POST,
        &path("/next-steps"),
        Some(t),
        Some(&json!({"text": "Call"})),
    )
    .await
    .expect(409);
    for outsider in [&app.aws_user, &app.customer] {
        flow.call(Method::GET, &path(""), Some(&outsider.token), None)
            .await
            .expect(403);
        flow.call(
            Method::GET,
            "/api/v1/inbound-requests",
            Some(&outsider.token),
            None,
        )
        .await
        .expect(403);
    }
    flow.call(Method::POST, &path("/claim"), Some(t), None)
        .await
        .expect(200);
    flow.call(
        Method::POST,
        &path("/next-steps"),
        Some(&app.support.token),
        Some(&json!({"text": "Call"})),
    )
    .await
    .expect(403);
    let r = flow
        .call(Method::POST, &path("/next-steps"), Some(t), Some(&json!({"text": "Technical call", "owner_id": app.alliances.id, "due_on": "2026-12-01"})))
        .await;
    r.expect(201);
    assert_eq!(r.body["state"], "in_discussion");
    let step = r.body["next_steps"][0]["id"].as_i64().unwrap();
    flow.call(
        Method::POST,
        &path("/next-steps"),
        Some(t),
        Some(&json!({"text": "x", "due_on": "2026-02-30"})),
    )
    .await
    .expect(422);
    let r = flow
        .call(
            Method::PATCH,
            &format!("/api/v1/inbound-requests/{id}/next-steps/{step}"),
            Some(t),
            Some(&json!({"done": true})),
        )
        .await;
    assert_eq!(r.body["next_steps"][0]["done"], true);
    flow.call(
        Method::PATCH,
        &path(""),
        Some(t),
        Some(&json!({"notes": "Strong fit."})),
    )
    .await
    .expect(200);
    // Accepted: a prospect partner with the contact and the document, linked back.
    let r = flow
        .call(
            Method::POST,
            &path("/accept"),
            Some(t),
            Some(&json!({"category": "integrated", "integration_direction": "inbound"})),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["name"], "Pipeline Labs");
    assert_eq!(r.body["status"], "prospect");
    assert_eq!(r.body["contacts"][0]["email"], "ada@acme.example");
    assert_eq!(r.body["domains"][0], "acme.example");
    let partner = r.body["id"].as_i64().unwrap();
    let docs = app
        .get(&format!("/api/v1/partners/{partner}/documents"), t)
        .await;
    assert_eq!(docs.body[0]["url"], "https://docs.example.com/d/acme");
    assert!(
        docs.body[0]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "folder_convention"),
        "{}",
        docs.text
    );
    let r = flow.call(Method::GET, &path(""), Some(t), None).await;
    assert_eq!(r.body["state"], "accepted");
    assert_eq!(r.body["partner_id"], partner);
    flow.call(
        Method::POST,
        &path("/decline"),
        Some(t),
        Some(&json!({"reason": "late"})),
    )
    .await
    .expect(409);
    let history = app
        .get(
            &format!("/api/v1/audit?entity_type=inbound_request&entity_id={id}"),
            &app.admin.token,
        )
        .await;
    let actions: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "inbound_request.accept",
            "inbound_request.update",
            "inbound_request.step_update",
            "inbound_request.step",
            "inbound_request.claim",
            "inbound_request.create"
        ]
    );

    // A declined one emails its reason, through a real SMTP exchange.
    let r = flow
        .call(
            Method::POST,
            "/api/v1/inbound-requests",
            None,
            Some(&request_body("Maybe Later Ltd")),
        )
        .await;
    let other = r.body["id"].as_i64().unwrap();
    flow.call(
        Method::POST,
        &format!("/api/v1/inbound-requests/{other}/decline"),
        Some(t),
        Some(&json!({"reason": "We already have a partner for this.", "notify": true})),
    )
    .await
    .expect(200);
    flow.run_jobs().await;
    let mails = smtp.mails();
    assert_eq!(
        mails.len(),
        3,
        "two confirmations and one decline: {mails:?}"
    );
    let decline = mails
        .iter()
        .find(|m| m.data.contains("already have a partner"))
        .expect("the decline");
    assert_eq!(decline.from, "partners@gitlab.test");
    assert_eq!(decline.to, ["ada@acme.example"]);
    assert!(
        decline
            .data
            .contains("Subject: Your partnership request (GitLab)"),
        "{}",
        decline.data
    );
    assert!(decline.data.contains("multipart/alternative"));
    assert!(decline.data.contains("text/plain") && decline.data.contains("text/html"));
    assert!(
        decline.data.contains("Message-ID: <dlv_"),
        "{}",
        decline.data
    );
    let confirm = mails
        .iter()
        .find(|m| {
            m.data
                .contains("Subject: We received your partnership request")
        })
        .expect("a confirmation");
    assert!(confirm.data.contains("Pipeline Labs") || confirm.data.contains("Maybe Later Ltd"));
    // The channel heard of both requests, the claim and the acceptance.
    let texts: Vec<String> = sink
        .received()
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts
        .iter()
        .any(|t| t.contains("takes the lead on the request of *Pipeline Labs*")));
    flow.stop().await;
}

async fn bad_intake_input_is_refused_naming_the_field_and_queues_nothing(app: &TestApp) {
    let clock = ManualClock::starting_now();
    let flow = Flow::start(
        app,
        config(
            &clock,
            Some("http://127.0.0.1:9/hook".into()),
            None,
            &["127.0.0.1"],
        ),
    )
    .await;
    let before = (
        app.scalar("SELECT COUNT(*) FROM inbound_requests").await,
        app.scalar("SELECT COUNT(*) FROM jobs").await,
    );
    for (field, value) in [
        ("company", json!("")),
        ("contact_email", json!("not an email")),
        ("interest", json!("friendship")),
        ("integration", json!("   ")),
        ("document_url", json!("ftp://x")),
        ("company", json!("Acme\u{202e}")),
    ] {
        let mut body = request_body("Acme");
        body[field] = value;
        let r = flow
            .call(Method::POST, "/api/v1/inbound-requests", None, Some(&body))
            .await;
        r.expect_error(422, Some(field));
    }
    let mut body = request_body("Acme");
    body["received_via"] = json!("email");
    flow.call(Method::POST, "/api/v1/inbound-requests", None, Some(&body))
        .await
        .expect_error(422, Some("received_via"));
    let mut body = request_body("Acme");
    body["extra"] = json!("x");
    flow.call(Method::POST, "/api/v1/inbound-requests", None, Some(&body))
        .await
        .expect_error(400, Some("extra"));
    let after = (
        app.scalar("SELECT COUNT(*) FROM inbound_requests").await,
        app.scalar("SELECT COUNT(*) FROM jobs").await,
    );
    assert_eq!(after, before, "nothing stored, nothing queued");
    // Ten an hour from one address; the eleventh waits.
    let mut statuses = Vec::new();
    for i in 0..2 {
        let r = flow
            .call(
                Method::POST,
                "/api/v1/inbound-requests",
                None,
                Some(&request_body(&format!("Ok {i}"))),
            )
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [201, 201]);
    let mut last = 0;
    for i in 0..20 {
        let r = flow
            .call(
                Method::POST,
                "/api/v1/inbound-requests",
                None,
                Some(&request_body(&format!("Flood {i}"))),
            )
            .await;
        last = r.status.as_u16();
        if last == 429 {
            assert_eq!(r.body["error"]["code"], "rate_limited");
            break;
        }
    }
    assert_eq!(last, 429);
    // Staff logging a request received elsewhere are not limited, and must say how it came.
    let mut logged = request_body("Met At KubeCon");
    logged["received_via"] = json!("event");
    let r = flow
        .call(
            Method::POST,
            "/api/v1/inbound-requests",
            Some(&app.support.token),
            Some(&logged),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["received_via"], "event");
    flow.stop().await;
}

/// The write checks, in its own transaction, the state and lead a decision was made on: a
/// hand-over (or a claim, or a concurrent change) between reading and writing is a 409.
async fn a_decision_made_on_a_stale_reading_is_refused_at_its_write(app: &TestApp) {
    let mut body = request_body("Stale Ltd");
    body["received_via"] = json!("email");
    let id = app
        .post("/api/v1/inbound-requests", &app.admin.token, &body)
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/inbound-requests/{id}/claim"),
        &app.alliances.token,
        &json!({}),
    )
    .await
    .expect(200);
    let seen = partnerhub_store::Seen::of(&app.store.inbound(id).await.unwrap());
    // Meanwhile the admin hands the lead over.
    app.post(
        &format!("/api/v1/inbound-requests/{id}/handover"),
        &app.admin.token,
        &json!({"lead_id": app.admin.id}),
    )
    .await
    .expect(200);
    let who = partnerhub_store::Who::system("test");
    let err = app
        .store
        .decline_inbound(&who, id, seen, "late", &[], 0)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, partnerhub_store::StoreError::Conflict(f) if f.message.contains("changed meanwhile")),
        "{err:?}"
    );
    let seen = partnerhub_store::Seen::version_of(&app.store.inbound(id).await.unwrap());
    app.patch(
        &format!("/api/v1/inbound-requests/{id}"),
        &app.admin.token,
        &json!({"notes": "first"}),
    )
    .await
    .expect(200);
    let draft = app.store.inbound(id).await.unwrap().draft;
    let err = app
        .store
        .update_inbound(&who, id, seen, &draft, Some("second"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, partnerhub_store::StoreError::Conflict(_)),
        "a concurrent change is not lost"
    );
    assert_eq!(
        app.store.inbound(id).await.unwrap().notes.as_deref(),
        Some("first")
    );
    // The old lead's next steps, after the hand-over, are refused by the policy.
    app.post(
        &format!("/api/v1/inbound-requests/{id}/next-steps"),
        &app.alliances.token,
        &json!({"text": "Call"}),
    )
    .await
    .expect(403);
    // A closed request's answers no longer change.
    app.post(
        &format!("/api/v1/inbound-requests/{id}/decline"),
        &app.admin.token,
        &json!({"reason": "No fit"}),
    )
    .await
    .expect(200);
    let r = app
        .patch(
            &format!("/api/v1/inbound-requests/{id}"),
            &app.admin.token,
            &json!({"notes": "after"}),
        )
        .await;
    r.expect_error(409, Some("state"));
}
