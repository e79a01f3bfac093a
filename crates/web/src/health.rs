//! Liveness, readiness and Prometheus metrics endpoints.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "The process is up")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "Ready"), (status = 503, description = "The database does not answer")))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = state.metrics().render();
    out.push_str(&outbox_metrics(&state).await);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// The outbox: its depth and every channel's deliveries by state, read from the jobs table (so
/// they hold whichever process delivers), and this process's attempts by channel and result.
async fn outbox_metrics(state: &AppState) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let app = state.app();
    out.push_str("# HELP partnerhub_outbox_depth Deliveries not yet sent, by state.\n");
    out.push_str("# TYPE partnerhub_outbox_depth gauge\n");
    let mut depth: std::collections::BTreeMap<String, i64> =
        ["pending", "failed", "running", "dead"]
            .iter()
            .map(|s| (s.to_string(), 0))
            .collect();
    match app.outbox_depth().await {
        Ok(rows) => depth.extend(rows),
        Err(e) => tracing::warn!(error = %e, "reading the outbox depth"),
    }
    for (s, n) in depth {
        let _ = writeln!(out, "partnerhub_outbox_depth{{state=\"{s}\"}} {n}");
    }
    out.push_str("# HELP partnerhub_outbox_deliveries Deliveries by channel and state.\n");
    out.push_str("# TYPE partnerhub_outbox_deliveries gauge\n");
    match app.deliveries_by_channel().await {
        Ok(rows) => {
            for (c, s, n) in rows {
                let _ = writeln!(
                    out,
                    "partnerhub_outbox_deliveries{{channel=\"{c}\",state=\"{s}\"}} {n}"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading the deliveries by channel"),
    }
    out.push_str("# HELP partnerhub_outbox_attempts_total Delivery attempts made by this process, by channel and result.\n");
    out.push_str("# TYPE partnerhub_outbox_attempts_total counter\n");
    for (c, r, n) in state.app().delivery_stats().snapshot() {
        let _ = writeln!(
            out,
            "partnerhub_outbox_attempts_total{{channel=\"{c}\",result=\"{r}\"}} {n}"
        );
    }
    out
}
