//! The events Partnerhub tells the outside world about: what a webhook subscription subscribes
//! to, and what each delivery carries as `X-Partnerhub-Event`.

use crate::taxonomy::coded_enum;

coded_enum! {
    /// One kind of event.
    Event {
        InboundRequestCreated = ("inbound_request.created", "An inbound alliance request arrived"),
        InboundRequestClaimed = ("inbound_request.claimed", "Someone took the lead on a request"),
        InboundRequestAccepted = ("inbound_request.accepted", "A request was accepted: a new partner"),
        InboundRequestDeclined = ("inbound_request.declined", "A request was declined"),
        WebhookTest = ("webhook.test", "A test event an admin sent"),
    }
}
