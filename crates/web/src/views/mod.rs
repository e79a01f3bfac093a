//! The server-rendered web UI: sign-in, the partner registry, delivery models, API tokens,
//! users, the audit log and the security log, as HTML pages that work without JavaScript.
//!
//! Every page handler takes an [`auth::Session`](crate::auth::Session) and asks
//! `authorize` before touching data; every form handler takes [`forms::Posted`], which checks
//! the session's CSRF token.

mod admin;
mod delivery;
mod documents;
mod forms;
mod inbound;
pub mod intake;
mod layout;
mod login;
mod partner_form;
mod partner_page;
mod partners;
mod tokens;

use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

pub use layout::ViewError;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/partners") }))
        .route("/static/{file}", get(layout::stylesheet))
        .route("/login", get(login::form).post(login::submit))
        .route("/partner-with-us", get(intake::form).post(intake::submit))
        .route("/inbound", get(inbound::list).post(inbound::log))
        .route("/inbound/new", get(inbound::new))
        .route("/inbound/{id}", get(inbound::show))
        .route("/inbound/{id}/claim", post(inbound::claim))
        .route("/inbound/{id}/handover", post(inbound::handover))
        .route("/inbound/{id}/steps", post(inbound::add_step))
        .route(
            "/inbound/{id}/steps/{step_id}/done",
            post(inbound::toggle_step),
        )
        .route("/inbound/{id}/notes", post(inbound::notes))
        .route("/inbound/{id}/accept", post(inbound::accept))
        .route("/inbound/{id}/decline", post(inbound::decline))
        .route("/inbound/{id}/spam", post(inbound::spam))
        .route("/logout", post(login::logout))
        .route("/partners", get(partners::list).post(partner_form::create))
        .route("/partners/new", get(partner_form::new))
        .route(
            "/partners/import",
            get(partners::import_page).post(partners::import),
        )
        .route(
            "/partners/{id}",
            get(partner_page::show).post(partner_form::update),
        )
        .route("/partners/{id}/edit", get(partner_form::edit))
        .route("/partners/{id}/delete", post(partner_page::delete))
        .route("/partners/{id}/documents", post(documents::add))
        .route(
            "/partners/{id}/documents/{doc_id}/delete",
            post(documents::delete),
        )
        .route("/delivery-models", get(delivery::table))
        .route(
            "/delivery-models/{id}/edit",
            get(delivery::edit).post(delivery::save),
        )
        .route("/tokens", get(tokens::list).post(tokens::issue))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route(
            "/admin/users",
            get(admin::users::list).post(admin::users::create),
        )
        .route("/admin/users/{id}", get(admin::users::show))
        .route(
            "/admin/users/{id}/deactivate",
            post(admin::users::deactivate),
        )
        .route("/admin/users/{id}/activate", post(admin::users::activate))
        .route("/admin/users/{id}/move", post(admin::users::move_user))
        .route("/admin/audit", get(admin::logs::audit))
        .route("/admin/security", get(admin::logs::security))
        .route("/admin/outbox", get(admin::outbound::outbox))
        .route("/admin/outbox/{id}/retry", post(admin::outbound::retry))
        .route("/admin/outbox/{id}/discard", post(admin::outbound::discard))
        .route(
            "/admin/webhooks",
            get(admin::outbound::webhooks).post(admin::outbound::create_webhook),
        )
        .route("/admin/webhooks/{id}", get(admin::outbound::webhook))
        .route(
            "/admin/webhooks/{id}/test",
            post(admin::outbound::test_webhook),
        )
        .route(
            "/admin/webhooks/{id}/delete",
            post(admin::outbound::delete_webhook),
        )
        .fallback(layout::not_found)
}
