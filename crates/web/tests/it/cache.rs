//! The read cache never serves what a change made stale: not in the instance that made the
//! change, and not in another app instance over the same database.

use serde_json::{json, Value};

use crate::app::TestApp;

on_both_databases!(
    a_change_is_seen_at_once_by_this_instance_and_by_another,
    a_revoked_token_is_refused_at_once_by_another_instance,
);

/// A second app instance over the same database, with its own cache.
struct OtherInstance {
    base: String,
    http: reqwest::Client,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

impl OtherInstance {
    async fn start(app: &TestApp) -> Self {
        let state = crate::app::app_state(&app.store, crate::app::test_config());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(partnerhub_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Self {
            base,
            http: reqwest::Client::new(),
            shutdown,
        }
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

async fn a_change_is_seen_at_once_by_this_instance_and_by_another(app: &TestApp) {
    let other = OtherInstance::start(app).await;
    let list = "/api/v1/partners?per_page=200";
    let token = &app.alliances.token;
    // Warm both caches, twice each.
    for _ in 0..2 {
        app.get(list, token).await.expect(200);
        assert_eq!(other.get(list, token).await.0, 200);
    }
    let id = app
        .create_partner(&json!({"name": "Shippable", "category": "integrated"}))
        .await;
    assert!(app
        .get(list, token)
        .await
        .names()
        .contains(&"Shippable".to_string()));
    let (_, body) = other.get(list, token).await;
    assert!(
        names(&body).contains(&"Shippable".to_string()),
        "the other instance serves a stale list"
    );

    app.patch(
        &format!("/api/v1/partners/{id}"),
        token,
        &json!({"name": "Shippable CI"}),
    )
    .await
    .expect(200);
    let (_, body) = other.get(list, token).await;
    assert!(
        names(&body).contains(&"Shippable CI".to_string()),
        "the other instance missed a rename"
    );
    assert!(!names(&body).contains(&"Shippable".to_string()));
    let _ = other.shutdown.send(());
}

async fn a_revoked_token_is_refused_at_once_by_another_instance(app: &TestApp) {
    let other = OtherInstance::start(app).await;
    let issued = app
        .post(
            "/api/v1/tokens",
            &app.alliances.token,
            &json!({"label": "short-lived"}),
        )
        .await;
    issued.expect(201);
    let secret = issued.body["token"].as_str().unwrap().to_string();
    let token_id = issued.body["id"].as_i64().unwrap();
    for _ in 0..2 {
        assert_eq!(other.get("/api/v1/partners", &secret).await.0, 200);
    }
    app.delete(&format!("/api/v1/tokens/{token_id}"), &app.alliances.token)
        .await
        .expect(204);
    assert_eq!(
        other.get("/api/v1/partners", &secret).await.0,
        401,
        "a revoked token still works elsewhere"
    );
    assert_eq!(app.get("/api/v1/partners", &secret).await.status, 401);
    let _ = other.shutdown.send(());
}
