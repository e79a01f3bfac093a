//! The web crate's integration tests, in one binary: the JSON API against the real server on
//! SQLite and PostgreSQL, isolation between organizations, the audit log, the OpenAPI document
//! and a browser walk through the UI.
//!
//! PostgreSQL tests need `PARTNERHUB_TEST_POSTGRES_URL` and the browser test needs `chromedriver`
//! and `chromium`; without them they say `SKIPPED` on stderr, and fail when `CI=true`.

#![allow(clippy::unwrap_used)]

/// Declares each listed `async fn(&TestApp)` as two tests: `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::app::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::app::TestApp::postgres().await else {
                        return;
                    };
                    super::$name(&app).await;
                    app.finish().await;
                }
            )+
        }
    };
}

mod app;
mod audit;
mod browser;
mod cache;
mod edges;
mod foundation;
mod health;
mod isolation;
mod jobs;
mod login;
mod openapi;
mod outbound;
mod outbox_pages;
mod partners;
mod permissions;
mod sinks;
mod validation;
mod workflow;
