//! Liveness, readiness and metrics, and the headers every response carries.

use reqwest::Method;

use crate::app::TestApp;

on_both_databases!(health_readiness_and_metrics_answer_without_credentials);

async fn health_readiness_and_metrics_answer_without_credentials(app: &TestApp) {
    let r = app.send(app.request(Method::GET, "/healthz")).await;
    r.expect(200);
    assert_eq!(r.text, "ok");
    let r = app.send(app.request(Method::GET, "/readyz")).await;
    r.expect(200);
    assert_eq!(r.text, "ready");

    app.get(
        &format!("/api/v1/partners/{}", app.orgs.aws),
        &app.alliances.token,
    )
    .await
    .expect(200);
    let r = app.send(app.request(Method::GET, "/metrics")).await;
    r.expect(200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert!(
        r.text.contains(
            "partnerhub_http_requests_total{method=\"GET\",route=\"/api/v1/partners/{id}\",status=\"200\"} 1"
        ),
        "requests are counted by route pattern, not raw path: {}",
        r.text
    );
    assert!(!r
        .text
        .contains(&format!("/api/v1/partners/{}\"", app.orgs.aws)));

    for path in ["/healthz", "/api/v1/partners", "/api/openapi.json"] {
        let r = app.send(app.request(Method::GET, path)).await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["x-frame-options"], "DENY", "{path}");
        assert!(r.headers.contains_key("content-security-policy"), "{path}");
    }
}
