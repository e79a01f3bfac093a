//! The OpenAPI 3.1 document of every route: generated from the handlers' annotations, then
//! completed by [`rules`] with what the domain accepts (lengths, patterns, codes) and the error
//! statuses every route can answer, so the document states the contract the server enforces.

mod rules;

use std::sync::OnceLock;

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::error::{ErrorBody, ErrorDetail, FieldErrorBody};
use crate::health;

#[derive(OpenApi)]
#[openapi(
    info(title = "Partnerhub API", description = "The partner-program operations system: partner registry, organizations, users, tokens, audit log."),
    paths(
        health::healthz, health::readyz, health::metrics,
        api::users::me, api::users::list, api::users::create, api::users::get,
        api::users::deactivate, api::users::activate, api::users::move_user,
        api::users::list_tokens, api::users::issue_token, api::users::revoke_token,
        api::partners::list, api::partners::create, api::partners::get, api::partners::update, api::partners::remove,
        api::partners::export_csv, api::partners::import_csv,
        api::documents::list, api::documents::create, api::documents::remove,
        api::organizations::list, api::organizations::get, api::organizations::create,
        api::audit::list, api::audit::verify, api::audit::security_events,
        api::inbound::create, api::inbound::list, api::inbound::get, api::inbound::update,
        api::inbound::claim, api::inbound::handover, api::inbound::add_step, api::inbound::update_step,
        api::inbound::accept, api::inbound::decline, api::inbound::spam, api::inbound::deliveries,
        api::outbox::list, api::outbox::create, api::outbox::remove, api::outbox::test,
        api::outbox::deliveries, api::outbox::outbox, api::outbox::retry, api::outbox::discard,
        api::delivery::list, api::delivery::create, api::delivery::replace,
        document,
    ),
    components(schemas(ErrorBody, ErrorDetail, FieldErrorBody)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The completed document, built once.
pub fn document_json() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        rules::complete(&mut doc);
        doc
    })
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", responses((status = 200, description = "The OpenAPI 3.1 document")))]
pub async fn document() -> Json<serde_json::Value> {
    Json(document_json().clone())
}
