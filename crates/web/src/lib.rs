//! HTTP for Partnerhub: the JSON API with its OpenAPI document, the server-rendered web UI,
//! authentication, and health and metrics endpoints.
//!
//! The only crate that knows HTTP. Handlers parse requests into domain types, ask
//! [`auth::Session::authorize`] (the one authorization choke point) and call the store.

pub mod api;
pub mod auth;
pub mod cache;
pub mod config;
pub mod error;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod state;
pub mod views;

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

pub use config::WebConfig;
pub use state::AppState;

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let api = api::router();
    Router::new()
        .merge(health::router())
        .merge(api)
        .merge(views::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            state.config().max_body_bytes,
        ))
        .with_state(state)
}

/// Serves on an already-bound listener until `shutdown` resolves; in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Headers every response carries: no sniffing, no framing, a strict content policy.
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::header::{self, HeaderValue};
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ));
    res
}
