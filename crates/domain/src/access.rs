//! Who may do what: the single authorization policy every request goes through.
//!
//! Vendor staff act on every organization as their role allows; partner and customer users act
//! only within their own organization. Another organization's data is reported as not found, so
//! its existence does not leak.

use crate::audit::AuditEntity;
use crate::organization::Role;
use crate::taxonomy::coded_enum;

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

coded_enum! {
    /// Something an actor wants to do. The label says it in a sentence, for
    /// `docs/permissions.md`.
    Action {
        ListPartners = ("list_partners", "List and search partners"),
        ReadPartner = ("read_partner", "Read a partner"),
        CreatePartner = ("create_partner", "Create a partner"),
        UpdatePartner = ("update_partner", "Change a partner"),
        DeletePartner = ("delete_partner", "Delete a partner"),
        ImportPartners = ("import_partners", "Import partners from CSV"),
        ExportPartners = ("export_partners", "Export partners as CSV"),
        /// The vendor's own assessment of a partner (scores and notes).
        ReadScorecard = ("read_scorecard", "Read the vendor's scorecard of a partner"),
        /// Documents with the `internal` audience.
        ReadInternalDocuments = ("read_internal_documents", "Read internal documents"),
        ManageDocuments = ("manage_documents", "Add and remove shared documents"),
        ReadOrganizations = ("read_organizations", "Read organizations"),
        ManageOrganizations = ("manage_organizations", "Create organizations"),
        ManageUsers = ("manage_users", "Manage users and their tokens"),
        /// The vendor's staff, offered as partner managers, step owners and leads.
        ListStaff = ("list_staff", "See the vendor's staff (to choose a manager, an owner, a lead)"),
        ManageOwnTokens = ("manage_own_tokens", "Issue and revoke one's own API tokens"),
        /// The history of one entity.
        ReadEntityAudit = ("read_entity_audit", "Read one record's history"),
        /// The whole audit log.
        ReadFullAudit = ("read_full_audit", "Read and verify the whole audit log"),
        /// Sign-ins, sign-outs and refused sign-ins.
        ReadSecurityLog = ("read_security_log", "Read the security log"),
        /// Webhook subscriptions (their URLs and signing secrets).
        ManageWebhooks = ("manage_webhooks", "Manage webhook subscriptions"),
        /// The outbox: deliveries waiting, failed or dead, to retry or discard.
        ManageOutbox = ("manage_outbox", "See, retry and discard deliveries"),
        /// Inbound alliance requests: the triage list and each request.
        ReadInboundRequests = ("read_inbound_requests", "Read inbound alliance requests"),
        /// Log a request received elsewhere (email, an event, a colleague).
        LogInboundRequest = ("log_inbound_request", "Log a request received elsewhere"),
        /// Take the lead on a new request.
        ClaimInboundRequest = ("claim_inbound_request", "Take the lead on a new request"),
        /// What the lead does: hand over, record next steps and notes, accept, decline.
        LeadInboundRequest = ("lead_inbound_request", "Hand over, record next steps, accept or decline a request"),
        /// Hide a new request as spam.
        MarkInboundSpam = ("mark_inbound_spam", "Mark a new request as spam"),
        ReadDeliveryModels = ("read_delivery_models", "Read the delivery models"),
        EditDeliveryModels = ("edit_delivery_models", "Edit the delivery models"),
    }
}

/// How far a role's right to an action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Not at all.
    No,
    /// Records of the actor's own organization (the actor's own, for tokens); another
    /// organization's record is reported as not found.
    Own,
    /// Records the actor leads; one nobody leads yet must be claimed first.
    Lead,
    /// Every record.
    All,
}

impl Reach {
    /// How `docs/permissions.md` writes it.
    pub fn label(self) -> &'static str {
        match self {
            Reach::No => "—",
            Reach::Own => "own",
            Reach::Lead => "as lead",
            Reach::All => "all",
        }
    }
}

use Reach::{All, Lead, No, Own};

/// The policy: what each role may do, and how far. Columns in [`Role::ALL`]'s order: admin,
/// alliances, support, finance, partner, customer. Every action has exactly one row.
#[rustfmt::skip]
pub const PERMISSIONS: &[(Action, [Reach; 6])] = &[
    //                               admin alliances support finance partner customer
    (Action::ListPartners,          [All, All,  All, All, Own, No]),
    (Action::ReadPartner,           [All, All,  All, All, Own, No]),
    (Action::CreatePartner,         [All, All,  No,  No,  No,  No]),
    (Action::UpdatePartner,         [All, All,  No,  No,  No,  No]),
    (Action::DeletePartner,         [All, All,  No,  No,  No,  No]),
    (Action::ImportPartners,        [All, All,  No,  No,  No,  No]),
    (Action::ExportPartners,        [All, All,  All, All, No,  No]),
    (Action::ReadScorecard,         [All, All,  All, All, No,  No]),
    (Action::ReadInternalDocuments, [All, All,  All, All, No,  No]),
    (Action::ManageDocuments,       [All, All,  No,  No,  No,  No]),
    (Action::ReadOrganizations,     [All, All,  All, All, Own, Own]),
    // Support registers the customer organizations whose tickets it works.
    (Action::ManageOrganizations,   [All, All,  All, No,  No,  No]),
    (Action::ManageUsers,           [All, No,   No,  No,  No,  No]),
    (Action::ListStaff,             [All, All,  All, All, No,  No]),
    (Action::ManageOwnTokens,       [Own, Own,  Own, Own, Own, Own]),
    (Action::ReadEntityAudit,       [All, All,  All, All, No,  No]),
    (Action::ReadFullAudit,         [All, No,   No,  No,  No,  No]),
    (Action::ReadSecurityLog,       [All, No,   No,  No,  No,  No]),
    (Action::ManageWebhooks,        [All, No,   No,  No,  No,  No]),
    (Action::ManageOutbox,          [All, No,   No,  No,  No,  No]),
    (Action::ReadInboundRequests,   [All, All,  All, All, No,  No]),
    (Action::LogInboundRequest,     [All, All,  All, All, No,  No]),
    (Action::ClaimInboundRequest,   [All, All,  No,  No,  No,  No]),
    (Action::LeadInboundRequest,    [All, Lead, No,  No,  No,  No]),
    (Action::MarkInboundSpam,       [All, All,  No,  No,  No,  No]),
    (Action::ReadDeliveryModels,    [All, All,  All, All, All, All]),
    (Action::EditDeliveryModels,    [All, No,   No,  No,  No,  No]),
];

/// How far `role`'s right to `action` reaches, from [`PERMISSIONS`].
pub fn reach(role: Role, action: Action) -> Reach {
    let Some(column) = Role::ALL.iter().position(|r| *r == role) else {
        return No;
    };
    PERMISSIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map_or(No, |(_, row)| row[column])
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

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role may never do this.
    #[error("your role is not allowed to do this")]
    Forbidden,
    /// The target lies outside the actor's organization: reported as absent.
    #[error("not found")]
    NotFound,
    /// The action is the lead's, and nobody leads the record yet.
    #[error("nobody leads this yet: claim it first")]
    Unclaimed,
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
        reach(self.role, action) != No
    }

    /// May this actor read the history of one entity (of `org`, when it belongs to one)? Only
    /// with the right to read the entity itself: a history holds the entity's fields.
    pub fn authorize_history(&self, entity: AuditEntity, org: Option<i64>) -> Result<(), Denied> {
        self.authorize(Action::ReadEntityAudit, None)?;
        self.authorize(history_read_action(entity), org)
    }

    /// The check by resource: the role's reach for the action (from [`PERMISSIONS`]) against
    /// the relations the resource states.
    pub fn authorize_on(&self, action: Action, resource: &Resource) -> Result<(), Denied> {
        match *resource {
            Resource::Global => self.authorize(action, None),
            Resource::Org(org) => self.authorize(action, Some(org)),
            Resource::Led { lead } => match reach(self.role, action) {
                No => Err(Denied::Forbidden),
                Own | All => Ok(()),
                Lead => match lead {
                    Some(l) if l == self.user_id => Ok(()),
                    Some(_) => Err(Denied::Forbidden),
                    None => Err(Denied::Unclaimed),
                },
            },
        }
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
        assert_eq!(
            other.authorize_on(Action::LeadInboundRequest, &Resource::Led { lead: None }),
            Err(Denied::Unclaimed),
            "nobody leads it: claim it first"
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
    fn every_action_has_exactly_one_row_in_the_policy() {
        for action in Action::ALL {
            let rows = PERMISSIONS.iter().filter(|(a, _)| a == action).count();
            assert_eq!(rows, 1, "{action:?} has {rows} rows in PERMISSIONS");
        }
        assert_eq!(PERMISSIONS.len(), Action::ALL.len());
        assert_eq!(Role::ALL.len(), 6, "one column per role");
        // Only vendor staff reach every organization's records.
        for (action, row) in PERMISSIONS {
            for (role, r) in Role::ALL.iter().zip(row) {
                if !role.is_staff() {
                    assert_ne!(*r, Reach::Lead, "{action:?}: {role:?} leads nothing");
                    if *action != Action::ReadDeliveryModels {
                        assert_ne!(*r, Reach::All, "{action:?}: {role:?} is one organization's");
                    }
                }
            }
        }
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
