//! Who may do what: the single authorization policy every request goes through.
//!
//! Vendor staff act on every organization as their role allows; partner and customer users act
//! only within their own organization. Another organization's data is reported as not found, so
//! its existence does not leak.

use crate::audit::AuditEntity;
use crate::organization::Role;

/// The authenticated person behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    pub org_id: i64,
}

/// Which organizations' data a query may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every organization (vendor staff).
    All,
    /// Only this organization.
    Org(i64),
}

impl Scope {
    /// Whether data of `org_id` lies within the scope.
    pub fn admits(self, org_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Org(own) => own == org_id,
        }
    }
}

/// Something an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ListPartners,
    ReadPartner,
    CreatePartner,
    UpdatePartner,
    DeletePartner,
    ImportPartners,
    ExportPartners,
    /// The vendor's own assessment of a partner (scores and notes).
    ReadScorecard,
    /// Documents with the `internal` audience.
    ReadInternalDocuments,
    ManageDocuments,
    ReadOrganizations,
    ManageOrganizations,
    ManageUsers,
    ManageOwnTokens,
    /// The history of one entity.
    ReadEntityAudit,
    /// The whole audit log.
    ReadFullAudit,
    /// Sign-ins, sign-outs and refused sign-ins.
    ReadSecurityLog,
    /// Webhook subscriptions (their URLs and signing secrets).
    ManageWebhooks,
    /// The outbox: deliveries waiting, failed or dead, to retry or discard.
    ManageOutbox,
    /// Inbound alliance requests: the triage list and each request.
    ReadInboundRequests,
    /// Log a request received elsewhere (email, an event, a colleague).
    LogInboundRequest,
    /// Take the lead on a new request.
    ClaimInboundRequest,
    /// What the lead does: hand over, record next steps and notes, accept, decline. The
    /// request's lead, or an admin.
    LeadInboundRequest,
    /// Hide a new request as spam.
    MarkInboundSpam,
    ReadDeliveryModels,
    EditDeliveryModels,
}

/// What an action is done to, with the relations the policy decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Nothing in particular (a list, a creation).
    Global,
    /// Data owned by one organization.
    Org(i64),
    /// A record someone leads (an inbound request): its lead, if any.
    Led { lead: Option<i64> },
}

/// Actions only the record's lead (or an admin) may take, whatever else the role allows.
fn needs_lead(action: Action) -> bool {
    matches!(action, Action::LeadInboundRequest)
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role may never do this.
    #[error("your role is not allowed to do this")]
    Forbidden,
    /// The target lies outside the actor's organization: reported as absent.
    #[error("not found")]
    NotFound,
}

impl Actor {
    /// The organizations this actor may see.
    pub fn scope(&self) -> Scope {
        if self.role.is_staff() {
            Scope::All
        } else {
            Scope::Org(self.org_id)
        }
    }

    /// Whether the role may ever perform `action`, whatever the target.
    pub fn may(&self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            ListPartners | ReadPartner => {
                matches!(self.role, Admin | Alliances | Support | Finance | Partner)
            }
            CreatePartner | UpdatePartner | DeletePartner | ImportPartners | ManageDocuments => {
                matches!(self.role, Admin | Alliances)
            }
            // Support registers the customer organizations whose tickets it works.
            ManageOrganizations => matches!(self.role, Admin | Alliances | Support),
            ExportPartners | ReadInternalDocuments | ReadEntityAudit | ReadScorecard => {
                self.role.is_staff()
            }
            ReadOrganizations | ManageOwnTokens | ReadDeliveryModels => true,
            ReadInboundRequests | LogInboundRequest => self.role.is_staff(),
            ClaimInboundRequest | LeadInboundRequest | MarkInboundSpam => {
                matches!(self.role, Admin | Alliances)
            }
            ManageUsers | ReadFullAudit | ReadSecurityLog | ManageWebhooks | ManageOutbox
            | EditDeliveryModels => self.role == Admin,
        }
    }

    /// May this actor read the history of one entity (of `org`, when it belongs to one)? Only
    /// with the right to read the entity itself: a history holds the entity's fields.
    pub fn authorize_history(&self, entity: AuditEntity, org: Option<i64>) -> Result<(), Denied> {
        self.authorize(Action::ReadEntityAudit, None)?;
        self.authorize(history_read_action(entity), org)
    }

    /// The check by resource: the role's right, the organization's scope, and the relation
    /// the action needs (being the lead).
    pub fn authorize_on(&self, action: Action, resource: &Resource) -> Result<(), Denied> {
        let org = match resource {
            Resource::Org(o) => Some(*o),
            _ => None,
        };
        self.authorize(action, org)?;
        if let Resource::Led { lead } = resource {
            if needs_lead(action) && self.role != Role::Admin && *lead != Some(self.user_id) {
                return Err(Denied::Forbidden);
            }
        }
        Ok(())
    }

    /// The one check: may this actor perform `action` on data of `target_org` (None when the
    /// action has no single organization, such as listing)?
    pub fn authorize(&self, action: Action, target_org: Option<i64>) -> Result<(), Denied> {
        if let Some(org) = target_org {
            if !self.scope().admits(org) {
                return Err(Denied::NotFound);
            }
        }
        if self.may(action) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }
}

/// The right to read an entity of this kind, which reading its history requires too.
pub fn history_read_action(entity: AuditEntity) -> Action {
    match entity {
        AuditEntity::Partner => Action::ReadPartner,
        // A document's history may be of an internal one.
        AuditEntity::Document => Action::ReadInternalDocuments,
        AuditEntity::Organization => Action::ReadOrganizations,
        AuditEntity::User | AuditEntity::ApiToken => Action::ManageUsers,
        AuditEntity::DeliveryModel => Action::ReadDeliveryModels,
        AuditEntity::AuditLog => Action::ReadFullAudit,
        AuditEntity::Webhook => Action::ManageWebhooks,
        AuditEntity::InboundRequest => Action::ReadInboundRequests,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org_id: i64) -> Actor {
        Actor {
            user_id: 1,
            role,
            org_id,
        }
    }

    #[test]
    fn a_partner_user_sees_only_its_own_organization() {
        let p = actor(Role::Partner, 7);
        assert_eq!(p.scope(), Scope::Org(7));
        assert_eq!(p.authorize(Action::ReadPartner, Some(7)), Ok(()));
        assert_eq!(
            p.authorize(Action::ReadPartner, Some(8)),
            Err(Denied::NotFound)
        );
        assert_eq!(
            p.authorize(Action::UpdatePartner, Some(7)),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            p.authorize(Action::UpdatePartner, Some(8)),
            Err(Denied::NotFound)
        );
        assert_eq!(
            p.authorize(Action::ReadFullAudit, None),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            p.authorize(Action::ReadInternalDocuments, Some(7)),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn staff_act_on_every_organization_as_their_role_allows() {
        let a = actor(Role::Alliances, 1);
        assert_eq!(a.authorize(Action::UpdatePartner, Some(99)), Ok(()));
        assert_eq!(
            a.authorize(Action::ManageUsers, None),
            Err(Denied::Forbidden)
        );
        let s = actor(Role::Support, 1);
        assert_eq!(s.authorize(Action::ReadPartner, Some(99)), Ok(()));
        assert_eq!(
            s.authorize(Action::DeletePartner, Some(99)),
            Err(Denied::Forbidden)
        );
        let admin = actor(Role::Admin, 1);
        assert!(admin.may(Action::ReadFullAudit) && admin.may(Action::EditDeliveryModels));
    }

    #[test]
    fn an_entitys_history_needs_the_right_to_read_the_entity() {
        use AuditEntity::*;
        for role in Role::ALL {
            let a = actor(*role, 1);
            for entity in AuditEntity::ALL {
                let expected = match (role, entity) {
                    (Role::Admin, _) => true,
                    (Role::Partner | Role::Customer, _) => false,
                    (_, User | ApiToken | AuditLog | Webhook) => false,
                    _ => true,
                };
                assert_eq!(
                    a.authorize_history(*entity, None).is_ok(),
                    expected,
                    "{role:?} reading a {entity:?}'s history"
                );
            }
        }
    }

    #[test]
    fn only_the_lead_or_an_admin_leads_a_request() {
        let lead = actor(Role::Alliances, 1);
        let other = Actor {
            user_id: 2,
            ..actor(Role::Alliances, 1)
        };
        let led = Resource::Led { lead: Some(1) };
        assert_eq!(lead.authorize_on(Action::LeadInboundRequest, &led), Ok(()));
        assert_eq!(
            other.authorize_on(Action::LeadInboundRequest, &led),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            other.authorize_on(Action::ReadInboundRequests, &led),
            Ok(())
        );
        assert_eq!(
            actor(Role::Admin, 1).authorize_on(Action::LeadInboundRequest, &led),
            Ok(())
        );
        let support = actor(Role::Support, 1);
        assert_eq!(
            support.authorize_on(Action::LogInboundRequest, &Resource::Global),
            Ok(())
        );
        assert_eq!(
            support.authorize_on(Action::ClaimInboundRequest, &Resource::Led { lead: None }),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            actor(Role::Partner, 5).authorize_on(Action::ReadInboundRequests, &Resource::Global),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn customers_never_read_the_partner_registry() {
        let c = actor(Role::Customer, 5);
        assert_eq!(
            c.authorize(Action::ListPartners, None),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            c.authorize(Action::ReadPartner, Some(5)),
            Err(Denied::Forbidden)
        );
        assert_eq!(c.authorize(Action::ReadOrganizations, Some(5)), Ok(()));
        assert_eq!(
            c.authorize(Action::ReadOrganizations, Some(6)),
            Err(Denied::NotFound)
        );
    }
}
