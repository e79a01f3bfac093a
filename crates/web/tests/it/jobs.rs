//! Background jobs over both databases: the hourly reminder of unclaimed requests and overdue
//! next steps (once a day each), leases that run out and pass the job to another worker, a
//! shutdown that lets a running job finish or gives its lease back, and job bookkeeping that
//! never moves the read caches' change marker.

use std::time::Duration;

use partnerhub_app::clock::{Clock, ManualClock};
use partnerhub_app::jobs::{Worker, WorkerConfig};
use partnerhub_app::{App, AppConfig};
use partnerhub_store::{JobState, NewJob};
use reqwest::Method;
use serde_json::json;

use crate::app::TestApp;
use crate::sinks::HttpSink;
use crate::workflow::{config, deliveries, request_body, Flow};

on_both_databases!(
    the_reminder_names_unclaimed_requests_and_overdue_steps_once_a_day,
    a_lease_that_runs_out_passes_the_job_on_and_bookkeeping_is_no_change,
    shutdown_lets_a_running_job_finish_or_gives_its_lease_back,
    a_delivery_an_admin_retries_counts_its_age_from_the_retry,
);

/// `YYYY-MM-DD` of `ms` since the epoch, `days` later.
fn day(ms: i64, days: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap() + time::Duration::days(days);
    t.date().to_string()
}

fn reminders(sink: &HttpSink) -> Vec<String> {
    sink.received()
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap_or_default().to_string())
        .filter(|t| t.starts_with("Reminder:"))
        .collect()
}

async fn the_reminder_names_unclaimed_requests_and_overdue_steps_once_a_day(app: &TestApp) {
    let clock = ManualClock::starting_now();
    let sink = HttpSink::start().await;
    let flow = Flow::start(
        app,
        config(&clock, Some(sink.url("/hook")), None, &["127.0.0.1"]),
    )
    .await;
    flow.call(
        Method::POST,
        "/api/v1/inbound-requests",
        None,
        Some(&request_body("Waiting Co")),
    )
    .await
    .expect(201);
    let late = flow
        .call(
            Method::POST,
            "/api/v1/inbound-requests",
            None,
            Some(&request_body("Late Co")),
        )
        .await;
    let id = late.body["id"].as_i64().unwrap();
    let t = app.alliances.token.as_str();
    flow.call(
        Method::POST,
        &format!("/api/v1/inbound-requests/{id}/claim"),
        Some(t),
        None,
    )
    .await
    .expect(200);
    let step = json!({"text": "Send the deck", "due_on": day(clock.now_ms(), -1)});
    flow.call(
        Method::POST,
        &format!("/api/v1/inbound-requests/{id}/next-steps"),
        Some(t),
        Some(&step),
    )
    .await
    .expect(201);

    // Now: the step is overdue; nothing has waited 48 hours yet.
    flow.run_jobs().await;
    let got = reminders(&sink);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("*Late Co*") && got[0].contains("Send the deck"),
        "{got:?}"
    );

    // Two days on: the unclaimed one is reminded of, and the overdue one again.
    clock.advance(49 * 3_600_000);
    flow.run_jobs().await;
    let got = reminders(&sink);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got.iter()
            .any(|r| r.contains("*Waiting Co*") && r.contains("more than 48 hours")),
        "{got:?}"
    );

    // An hour later the reminder runs again, but each request is reminded of once a day.
    clock.advance(3_600_000);
    flow.run_jobs().await;
    assert_eq!(reminders(&sink).len(), 3);
    flow.stop().await;
}

async fn a_lease_that_runs_out_passes_the_job_on_and_bookkeeping_is_no_change(app: &TestApp) {
    let store = &app.store;
    let marker = store.change_marker().await.unwrap();
    let job = NewJob {
        kind: "test.lease".into(),
        payload: "{}".into(),
        run_at: 1_000,
        ..Default::default()
    };
    let id = store.enqueue(&job, 1_000).await.unwrap().unwrap();
    let first = store.claim_jobs("w1", 2_000, 60_000, 10).await.unwrap();
    assert_eq!(first.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
    assert!(
        store
            .claim_jobs("w2", 30_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let second = store.claim_jobs("w2", 62_001, 60_000, 10).await.unwrap();
    assert_eq!(
        second.iter().map(|j| j.id).collect::<Vec<_>>(),
        [id],
        "the lease ran out"
    );
    assert_eq!(second[0].attempts, 2);
    assert!(
        !store.finish_job(id, "w1", 63_000, None).await.unwrap(),
        "w1 no longer holds it"
    );
    assert!(store
        .finish_job(id, "w2", 63_000, Some("ok"))
        .await
        .unwrap());
    assert_eq!(store.job(id).await.unwrap().state, JobState::Done);
    assert_eq!(
        store.change_marker().await.unwrap(),
        marker,
        "job bookkeeping is not a change"
    );
}

async fn shutdown_lets_a_running_job_finish_or_gives_its_lease_back(app: &TestApp) {
    for (sleep_ms, grace_ms, finished) in [(300, 5_000, true), (30_000, 200, false)] {
        let kind: &'static str = if finished { "test.quick" } else { "test.stuck" };
        let mut worker = Worker::new(
            App::new(app.store.clone(), AppConfig::default()),
            WorkerConfig {
                poll: Duration::from_millis(20),
                grace: Duration::from_millis(grace_ms),
                ..Default::default()
            },
        );
        worker.handle(kind, move |_app, _job| async move {
            tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
            Ok(Some("slept".to_string()))
        });
        let now = partnerhub_app::clock::SystemClock.now_ms();
        let job = NewJob {
            kind: kind.into(),
            payload: "{}".into(),
            run_at: now,
            ..Default::default()
        };
        let id = app.store.enqueue(&job, now).await.unwrap().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        // Readiness, not timing: wait until the job runs, then ask the worker to stop.
        for _ in 0..500 {
            if app.store.job(id).await.unwrap().state == JobState::Running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(app.store.job(id).await.unwrap().state, JobState::Running);
        stop.send(()).unwrap();
        running.await.unwrap();
        let after = app.store.job(id).await.unwrap();
        if finished {
            assert_eq!(
                after.state,
                JobState::Done,
                "a job running at shutdown finishes"
            );
            assert_eq!(after.result.as_deref(), Some("slept"));
        } else {
            assert_eq!(
                after.state,
                JobState::Pending,
                "a job that outlives the grace is given back"
            );
            assert_eq!(after.attempts, 0, "its attempt does not count");
        }
    }
}

async fn a_delivery_an_admin_retries_counts_its_age_from_the_retry(app: &TestApp) {
    let clock = ManualClock::starting_now();
    let mut sink = HttpSink::down().await;
    let flow = Flow::start(
        app,
        config(&clock, Some(sink.url("/hook")), None, &["127.0.0.1"]),
    )
    .await;
    flow.call(
        Method::POST,
        "/api/v1/inbound-requests",
        None,
        Some(&request_body("Patient Co")),
    )
    .await
    .expect(201);
    flow.run_jobs().await;
    let id = deliveries(app).await.remove(0).id;
    // Four days of a channel that does not answer: too old, given up.
    clock.advance(4 * 24 * 3_600_000);
    flow.run_jobs().await;
    let job = app.store.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Dead, "{job:?}");
    let path = format!("/api/v1/outbox/{}/retry", job.id);
    flow.call(Method::POST, &path, Some(&app.admin.token), None)
        .await
        .expect(200);
    // Still down: the retried delivery fails, and waits again instead of dying at once.
    flow.run_jobs().await;
    let job = app.store.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Pending, "{job:?}");
    assert!(job.attempts >= 3, "{job:?}");
    sink.up().await;
    clock.advance(3_600_000);
    flow.run_jobs().await;
    assert_eq!(app.store.job(id).await.unwrap().state, JobState::Done);
    let news = sink
        .received()
        .iter()
        .filter(|r| {
            r.json()["text"]
                .as_str()
                .unwrap_or_default()
                .contains("wants a")
        })
        .count();
    assert_eq!(news, 1);
    flow.stop().await;
}
