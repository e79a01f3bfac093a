//! What each route of the HTTP interface does in the policy's terms: which action it performs
//! and on what kind of record. With the domain's [`PERMISSIONS`] table it is rendered into
//! `docs/permissions.md`, and the route × role × organization matrix test checks every route of
//! the router against it (a route missing here fails that test).

use partnerhub_domain::access::{Action, PERMISSIONS};
use partnerhub_domain::organization::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, whatever the role.
    SignedIn,
    /// Whoever the policy lets perform this action on the route's record.
    Act(Action),
}

/// The kind of record a route acts on, which decides whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// No record in particular (a list, a creation, a report).
    Nothing,
    /// A partner, owned by its organization.
    Partner,
    /// A shared document, owned by its partner's organization.
    Document,
    /// An organization, owned by itself.
    Organization,
    /// A user, owned by its organization.
    User,
    /// An API token, owned by its user.
    Token,
    /// An inbound alliance request (the vendor's; it may have a lead).
    InboundRequest,
    /// A next step of an inbound request.
    NextStep,
    /// A webhook subscription.
    Webhook,
    /// A delivery in the outbox.
    Delivery,
    /// A delivery model of the taxonomy.
    DeliveryModel,
}

impl Target {
    /// Whether the record belongs to one organization, so that another organization's is
    /// "not found" to a user who sees only their own.
    pub fn is_owned(self) -> bool {
        matches!(
            self,
            Target::Partner
                | Target::Document
                | Target::Organization
                | Target::User
                | Target::Token
        )
    }

    fn label(self) -> &'static str {
        match self {
            Target::Nothing => "",
            Target::Partner => "a partner",
            Target::Document => "a document",
            Target::Organization => "an organization",
            Target::User => "a user",
            Target::Token => "a token",
            Target::InboundRequest => "an inbound request",
            Target::NextStep => "a next step",
            Target::Webhook => "a webhook",
            Target::Delivery => "a delivery",
            Target::DeliveryModel => "a delivery model",
        }
    }
}

/// One route: method, path as the router spells it, who may call it, what it acts on.
#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub target: Target,
}

const fn rule(
    method: &'static str,
    path: &'static str,
    access: Access,
    target: Target,
) -> RouteRule {
    RouteRule {
        method,
        path,
        access,
        target,
    }
}

use Access::{Act, Public, SignedIn};
use Action as A;
use Target as T;

/// Every route of the JSON API and the operations endpoints.
#[rustfmt::skip]
pub const ROUTES: &[RouteRule] = &[
    rule("GET", "/healthz", Public, T::Nothing),
    rule("GET", "/readyz", Public, T::Nothing),
    rule("GET", "/metrics", Public, T::Nothing),
    rule("GET", "/api/openapi.json", Public, T::Nothing),
    rule("GET", "/api/v1/me", SignedIn, T::Nothing),
    rule("GET", "/api/v1/partners", Act(A::ListPartners), T::Nothing),
    rule("POST", "/api/v1/partners", Act(A::CreatePartner), T::Nothing),
    rule("GET", "/api/v1/partners/export.csv", Act(A::ExportPartners), T::Nothing),
    rule("POST", "/api/v1/partners/import", Act(A::ImportPartners), T::Nothing),
    rule("GET", "/api/v1/partners/{id}", Act(A::ReadPartner), T::Partner),
    rule("PATCH", "/api/v1/partners/{id}", Act(A::UpdatePartner), T::Partner),
    rule("DELETE", "/api/v1/partners/{id}", Act(A::DeletePartner), T::Partner),
    rule("GET", "/api/v1/partners/{id}/documents", Act(A::ReadPartner), T::Partner),
    rule("POST", "/api/v1/partners/{id}/documents", Act(A::ManageDocuments), T::Partner),
    rule("DELETE", "/api/v1/partners/{id}/documents/{doc_id}", Act(A::ManageDocuments), T::Document),
    rule("GET", "/api/v1/organizations", Act(A::ReadOrganizations), T::Nothing),
    rule("POST", "/api/v1/organizations", Act(A::ManageOrganizations), T::Nothing),
    rule("GET", "/api/v1/organizations/{id}", Act(A::ReadOrganizations), T::Organization),
    rule("GET", "/api/v1/users", Act(A::ManageUsers), T::Nothing),
    rule("POST", "/api/v1/users", Act(A::ManageUsers), T::Nothing),
    rule("GET", "/api/v1/users/{id}", Act(A::ManageUsers), T::User),
    rule("POST", "/api/v1/users/{id}/deactivate", Act(A::ManageUsers), T::User),
    rule("POST", "/api/v1/users/{id}/activate", Act(A::ManageUsers), T::User),
    rule("POST", "/api/v1/users/{id}/move", Act(A::ManageUsers), T::User),
    rule("GET", "/api/v1/tokens", Act(A::ManageOwnTokens), T::Nothing),
    rule("POST", "/api/v1/tokens", Act(A::ManageOwnTokens), T::Nothing),
    rule("DELETE", "/api/v1/tokens/{id}", Act(A::ManageOwnTokens), T::Token),
    rule("GET", "/api/v1/audit", Act(A::ReadFullAudit), T::Nothing),
    rule("GET", "/api/v1/audit/verify", Act(A::ReadFullAudit), T::Nothing),
    rule("GET", "/api/v1/security-events", Act(A::ReadSecurityLog), T::Nothing),
    rule("GET", "/api/v1/delivery-models", Act(A::ReadDeliveryModels), T::Nothing),
    rule("POST", "/api/v1/delivery-models", Act(A::EditDeliveryModels), T::Nothing),
    rule("PUT", "/api/v1/delivery-models/{id}", Act(A::EditDeliveryModels), T::DeliveryModel),
    rule("GET", "/api/v1/inbound-requests", Act(A::ReadInboundRequests), T::Nothing),
    // The public intake; staff logging a request received elsewhere add `received_via`.
    rule("POST", "/api/v1/inbound-requests", Public, T::Nothing),
    rule("GET", "/api/v1/inbound-requests/{id}", Act(A::ReadInboundRequests), T::InboundRequest),
    rule("PATCH", "/api/v1/inbound-requests/{id}", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("GET", "/api/v1/inbound-requests/{id}/deliveries", Act(A::ReadInboundRequests), T::InboundRequest),
    rule("POST", "/api/v1/inbound-requests/{id}/claim", Act(A::ClaimInboundRequest), T::InboundRequest),
    rule("POST", "/api/v1/inbound-requests/{id}/handover", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/api/v1/inbound-requests/{id}/next-steps", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("PATCH", "/api/v1/inbound-requests/{id}/next-steps/{step_id}", Act(A::LeadInboundRequest), T::NextStep),
    rule("POST", "/api/v1/inbound-requests/{id}/accept", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/api/v1/inbound-requests/{id}/decline", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/api/v1/inbound-requests/{id}/spam", Act(A::MarkInboundSpam), T::InboundRequest),
    rule("GET", "/api/v1/webhooks", Act(A::ManageWebhooks), T::Nothing),
    rule("POST", "/api/v1/webhooks", Act(A::ManageWebhooks), T::Nothing),
    rule("DELETE", "/api/v1/webhooks/{id}", Act(A::ManageWebhooks), T::Webhook),
    rule("POST", "/api/v1/webhooks/{id}/test", Act(A::ManageWebhooks), T::Webhook),
    rule("GET", "/api/v1/webhooks/{id}/deliveries", Act(A::ManageWebhooks), T::Webhook),
    rule("GET", "/api/v1/outbox", Act(A::ManageOutbox), T::Nothing),
    rule("POST", "/api/v1/outbox/{id}/retry", Act(A::ManageOutbox), T::Delivery),
    rule("POST", "/api/v1/outbox/{id}/discard", Act(A::ManageOutbox), T::Delivery),
];

/// Every page of the web UI (and its form posts), under the same policy as the API.
#[rustfmt::skip]
pub const PAGES: &[RouteRule] = &[
    rule("GET", "/", Public, T::Nothing),
    rule("GET", "/static/{file}", Public, T::Nothing),
    rule("GET", "/login", Public, T::Nothing),
    rule("POST", "/login", Public, T::Nothing),
    rule("POST", "/logout", SignedIn, T::Nothing),
    rule("GET", "/partner-with-us", Public, T::Nothing),
    rule("POST", "/partner-with-us", Public, T::Nothing),
    rule("GET", "/inbound", Act(A::ReadInboundRequests), T::Nothing),
    rule("POST", "/inbound", Act(A::LogInboundRequest), T::Nothing),
    rule("GET", "/inbound/new", Act(A::LogInboundRequest), T::Nothing),
    rule("GET", "/inbound/{id}", Act(A::ReadInboundRequests), T::InboundRequest),
    rule("POST", "/inbound/{id}/claim", Act(A::ClaimInboundRequest), T::InboundRequest),
    rule("POST", "/inbound/{id}/handover", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/inbound/{id}/steps", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/inbound/{id}/steps/{step_id}/done", Act(A::LeadInboundRequest), T::NextStep),
    rule("POST", "/inbound/{id}/notes", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/inbound/{id}/accept", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/inbound/{id}/decline", Act(A::LeadInboundRequest), T::InboundRequest),
    rule("POST", "/inbound/{id}/spam", Act(A::MarkInboundSpam), T::InboundRequest),
    rule("GET", "/partners", Act(A::ListPartners), T::Nothing),
    rule("POST", "/partners", Act(A::CreatePartner), T::Nothing),
    rule("GET", "/partners/new", Act(A::CreatePartner), T::Nothing),
    rule("GET", "/partners/import", Act(A::ImportPartners), T::Nothing),
    rule("POST", "/partners/import", Act(A::ImportPartners), T::Nothing),
    rule("GET", "/partners/{id}", Act(A::ReadPartner), T::Partner),
    rule("POST", "/partners/{id}", Act(A::UpdatePartner), T::Partner),
    rule("GET", "/partners/{id}/edit", Act(A::UpdatePartner), T::Partner),
    rule("POST", "/partners/{id}/delete", Act(A::DeletePartner), T::Partner),
    rule("POST", "/partners/{id}/documents", Act(A::ManageDocuments), T::Partner),
    rule("POST", "/partners/{id}/documents/{doc_id}/delete", Act(A::ManageDocuments), T::Document),
    rule("GET", "/delivery-models", Act(A::ReadDeliveryModels), T::Nothing),
    rule("GET", "/delivery-models/{id}/edit", Act(A::EditDeliveryModels), T::DeliveryModel),
    rule("POST", "/delivery-models/{id}/edit", Act(A::EditDeliveryModels), T::DeliveryModel),
    rule("GET", "/tokens", Act(A::ManageOwnTokens), T::Nothing),
    rule("POST", "/tokens", Act(A::ManageOwnTokens), T::Nothing),
    rule("POST", "/tokens/{id}/revoke", Act(A::ManageOwnTokens), T::Token),
    rule("GET", "/admin/users", Act(A::ManageUsers), T::Nothing),
    rule("POST", "/admin/users", Act(A::ManageUsers), T::Nothing),
    rule("GET", "/admin/users/{id}", Act(A::ManageUsers), T::User),
    rule("POST", "/admin/users/{id}/deactivate", Act(A::ManageUsers), T::User),
    rule("POST", "/admin/users/{id}/activate", Act(A::ManageUsers), T::User),
    rule("POST", "/admin/users/{id}/move", Act(A::ManageUsers), T::User),
    rule("GET", "/admin/audit", Act(A::ReadFullAudit), T::Nothing),
    rule("GET", "/admin/security", Act(A::ReadSecurityLog), T::Nothing),
    rule("GET", "/admin/outbox", Act(A::ManageOutbox), T::Nothing),
    rule("POST", "/admin/outbox/{id}/retry", Act(A::ManageOutbox), T::Delivery),
    rule("POST", "/admin/outbox/{id}/discard", Act(A::ManageOutbox), T::Delivery),
    rule("GET", "/admin/webhooks", Act(A::ManageWebhooks), T::Nothing),
    rule("POST", "/admin/webhooks", Act(A::ManageWebhooks), T::Nothing),
    rule("GET", "/admin/webhooks/{id}", Act(A::ManageWebhooks), T::Webhook),
    rule("POST", "/admin/webhooks/{id}/test", Act(A::ManageWebhooks), T::Webhook),
    rule("POST", "/admin/webhooks/{id}/delete", Act(A::ManageWebhooks), T::Webhook),
];

/// The rule of an API route, if the table has one.
pub fn rule_for(method: &str, path: &str) -> Option<&'static RouteRule> {
    find(ROUTES, method, path)
}

/// The rule of a page, if the table has one.
pub fn page_rule_for(method: &str, path: &str) -> Option<&'static RouteRule> {
    find(PAGES, method, path)
}

fn find(table: &'static [RouteRule], method: &str, path: &str) -> Option<&'static RouteRule> {
    table
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
}

/// `docs/permissions.md`: the policy (role × action) and the routes (route → action).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Permissions\n\n\
         Generated from the policy (`crates/domain/src/access.rs`, `PERMISSIONS`) and the route \
         table (`crates/web/src/permissions.rs`, `ROUTES`) by the web crate's tests, which fail \
         when this file is stale. Do not edit by hand.\n\n\
         ## What each role may do\n\n\
         *all*: every record; *own*: records of the user's own organization, or for tokens the \
         user's own (another organization's are answered \"not found\"); *as lead*: \
         records the user leads (one nobody leads must be claimed first); *—*: never.\n\n",
    );
    out.push_str("| Action |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.code()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for (action, row) in PERMISSIONS {
        out.push_str(&format!("| {} (`{}`) |", action.label(), action.code()));
        for reach in row {
            out.push_str(&format!(" {} |", reach.label()));
        }
        out.push('\n');
    }
    out.push_str("\n## What each API route does\n\n");
    routes_table(&mut out, ROUTES);
    out.push_str(
        "\n## What each page does\n\n\
         Pages call the same operations as the API, under the same policy; a visitor who is not \
         signed in is sent to the sign-in page.\n\n",
    );
    routes_table(&mut out, PAGES);
    out
}

fn routes_table(out: &mut String, table: &[RouteRule]) {
    out.push_str("| Method | Path | Who | On |\n|---|---|---|---|\n");
    for r in table {
        let who = match r.access {
            Access::Public => "anyone".to_string(),
            Access::SignedIn => "any signed-in user".to_string(),
            Access::Act(a) => format!("`{}`", a.code()),
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            r.method,
            r.path,
            who,
            r.target.label()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_listed_once() {
        for r in ROUTES.iter().chain(PAGES) {
            let table = if ROUTES.iter().any(|o| std::ptr::eq(o, r)) {
                ROUTES
            } else {
                PAGES
            };
            let n = table
                .iter()
                .filter(|o| o.method == r.method && o.path == r.path)
                .count();
            assert_eq!(n, 1, "{} {} is listed {n} times", r.method, r.path);
        }
        assert!(rule_for("get", "/api/v1/partners/{id}").is_some());
        let doc = render_markdown();
        assert!(doc.contains("| Hand over, record next steps, accept or decline a request (`lead_inbound_request`) | all | as lead |"), "{doc}");
    }
}
