//! HTTP for Partnerhub: the JSON API with its OpenAPI document, the server-rendered web UI,
//! authentication, and health and metrics endpoints.
//!
//! The only crate that knows HTTP. Handlers turn requests into the input of an operation of
//! `partnerhub-app`, call it with the [`auth::Session`]'s caller, and render the result; the
//! store is read directly only to authenticate a request, for the read cache's marker and for
//! the readiness probe.

pub mod api;
pub mod auth;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod health;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod permissions;
pub mod state;
pub mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

pub use config::WebConfig;
pub use state::AppState;

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for open connections to finish their requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The whole application's routes, with the layers every request passes (outermost last).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(api::router())
        .merge(views::router())
        .route_layer(axum::middleware::from_fn(input::plain_text))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            state.config().max_body_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(input::error_shape))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            input::limits,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Serves on an already-bound listener until `shutdown` resolves; in-flight requests finish.
///
/// The HTTP server's own limits sit above the configured ones (a 64 KiB header buffer, 28
/// more header lines than allowed), so that [`input::limits`] answers an oversized request in
/// the API's shape; a slow client gets [`HEADER_READ_TIMEOUT`] to send its headers.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max_headers = state.config().max_headers + 28;
    let app = router(state);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(64 * 1024)
        .max_headers(max_headers)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on accepting.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                app.clone().oneshot(req)
            });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period were dropped");
    }
    Ok(())
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
