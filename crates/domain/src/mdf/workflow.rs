//! The MDF application's states and who moves it between them: the handbook's three steps
//! (the issue with the campaign's details, the cloud partner's approval, the production team
//! lead's credit acknowledgement) and what follows (the campaign, its results, the credits, the
//! close), as one transition table. Each row says from which state an action leads where, which
//! parties may take it, and whether it needs a written reason.

use crate::field::FieldError;
use crate::organization::Role;
use crate::taxonomy::coded_enum;

coded_enum! {
    /// Where an application is.
    MdfState {
        Draft = ("draft", "Draft"),
        Submitted = ("submitted", "Waiting for the cloud partner"),
        Returned = ("returned", "Returned for changes"),
        PartnerApproved = ("partner_approved", "Approved by the partner"),
        PartnerDeclined = ("partner_declined", "Declined by the partner"),
        CreditAcknowledged = ("credit_acknowledged", "Credit acknowledged"),
        CreditRefused = ("credit_refused", "Credit refused"),
        InProgress = ("in_progress", "Campaign running"),
        ResultsRecorded = ("results_recorded", "Results recorded"),
        Credited = ("credited", "Fully credited"),
        Closed = ("closed", "Closed"),
        Canceled = ("canceled", "Canceled"),
    }
}

coded_enum! {
    /// What can be done to an application.
    MdfAction {
        Submit = ("submit", "submit"),
        Approve = ("approve", "approve"),
        Decline = ("decline", "decline"),
        Return = ("return", "return for changes"),
        AcknowledgeCredit = ("acknowledge_credit", "acknowledge the credit"),
        RefuseCredit = ("refuse_credit", "refuse the credit"),
        Start = ("start", "start the campaign"),
        RecordResults = ("record_results", "record the results"),
        RecordCredit = ("record_credit", "record a credit received"),
        CompleteCredit = ("complete_credit", "record the last credit due"),
        Close = ("close", "close"),
        CloseShort = ("close_short", "close short of the acknowledged credit"),
        Cancel = ("cancel", "cancel"),
    }
}

coded_enum! {
    /// How an actor stands to an application.
    Party {
        /// The alliances member who owns it.
        Owner = ("owner", "its owner"),
        /// Any alliances member (recording the partner's answer, with its evidence).
        Alliances = ("alliances", "an alliances member"),
        /// A user of the cloud partner it is addressed to.
        Partner = ("partner", "the cloud partner"),
        /// The production team lead (role `finance`), whose account receives the credits.
        ProductionLead = ("production_lead", "the production team lead"),
        /// An administrator.
        Admin = ("admin", "an administrator"),
        /// The product itself (a scheduled job).
        System = ("system", "the system"),
    }
}

use MdfAction as A;
use MdfState as S;
use Party as P;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub from: MdfState,
    pub action: MdfAction,
    pub to: MdfState,
    pub who: &'static [Party],
    pub needs_reason: bool,
}

const fn t(
    from: MdfState,
    action: MdfAction,
    to: MdfState,
    who: &'static [Party],
    needs_reason: bool,
) -> Transition {
    Transition {
        from,
        action,
        to,
        who,
        needs_reason,
    }
}

const OWNER: &[Party] = &[P::Owner, P::Admin];
const PARTNER_SIDE: &[Party] = &[P::Partner, P::Alliances, P::Admin];
const LEAD: &[Party] = &[P::ProductionLead];
const RUNNER: &[Party] = &[P::Owner, P::Admin, P::System];

/// The transition table: the only place an application's state changes are decided.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    t(S::Draft,              A::Submit,            S::Submitted,          OWNER,        false),
    t(S::Returned,           A::Submit,            S::Submitted,          OWNER,        false),
    t(S::Submitted,          A::Approve,           S::PartnerApproved,    PARTNER_SIDE, false),
    t(S::Submitted,          A::Decline,           S::PartnerDeclined,    PARTNER_SIDE, true),
    t(S::Submitted,          A::Return,            S::Returned,           PARTNER_SIDE, true),
    t(S::PartnerApproved,    A::AcknowledgeCredit, S::CreditAcknowledged, LEAD,         false),
    t(S::PartnerApproved,    A::RefuseCredit,      S::CreditRefused,      LEAD,         true),
    t(S::CreditAcknowledged, A::Start,             S::InProgress,         RUNNER,       false),
    t(S::InProgress,         A::RecordResults,     S::ResultsRecorded,    OWNER,        false),
    t(S::ResultsRecorded,    A::RecordCredit,      S::ResultsRecorded,    OWNER,        false),
    t(S::ResultsRecorded,    A::CompleteCredit,    S::Credited,           OWNER,        false),
    t(S::ResultsRecorded,    A::CloseShort,        S::Closed,             OWNER,        true),
    t(S::Credited,           A::Close,             S::Closed,             RUNNER,       false),
    t(S::Draft,              A::Cancel,            S::Canceled,           OWNER,        true),
    t(S::Submitted,          A::Cancel,            S::Canceled,           OWNER,        true),
    t(S::Returned,           A::Cancel,            S::Canceled,           OWNER,        true),
    t(S::PartnerApproved,    A::Cancel,            S::Canceled,           OWNER,        true),
    t(S::CreditAcknowledged, A::Cancel,            S::Canceled,           OWNER,        true),
];

/// The parties an actor is to one application: by role, and by its relations (owning it,
/// belonging to the partner it is addressed to).
pub fn parties(role: Role, is_owner: bool, of_addressed_partner: bool) -> Vec<Party> {
    let mut out = Vec::new();
    if is_owner && matches!(role, Role::Alliances | Role::Admin) {
        out.push(P::Owner);
    }
    match role {
        Role::Admin => out.push(P::Admin),
        Role::Alliances => out.push(P::Alliances),
        Role::Finance => out.push(P::ProductionLead),
        Role::Partner if of_addressed_partner => out.push(P::Partner),
        _ => {}
    }
    out
}

/// Whom the application waits for in a state, if anyone.
pub fn next_actor(state: MdfState) -> Option<Party> {
    match state {
        S::Draft | S::Returned | S::InProgress | S::ResultsRecorded | S::Credited => Some(P::Owner),
        S::Submitted => Some(P::Partner),
        S::PartnerApproved => Some(P::ProductionLead),
        S::CreditAcknowledged => Some(P::System),
        S::PartnerDeclined | S::CreditRefused | S::Closed | S::Canceled => None,
    }
}

/// Whether the partner's answer is recorded on its behalf (by an alliances member or an admin,
/// not a user of the partner), which then needs its evidence: who at the partner, when, and a
/// reference.
pub fn needs_evidence(action: MdfAction, parties: &[Party]) -> bool {
    matches!(action, A::Approve | A::Decline | A::Return) && !parties.contains(&P::Partner)
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The action cannot be taken in this state (a 409).
    State(FieldError),
    /// None of the actor's parties may take it (a 403).
    Party(FieldError),
    /// The action needs a reason and none was given (a 422).
    Reason(FieldError),
}

/// Decides one transition: the state it leads to, or why not.
pub fn decide(
    state: MdfState,
    action: MdfAction,
    parties: &[Party],
    reason: Option<&str>,
) -> Result<MdfState, Refusal> {
    let row = TRANSITIONS
        .iter()
        .find(|t| t.from == state && t.action == action)
        .ok_or_else(|| {
            let from: Vec<&str> = TRANSITIONS
                .iter()
                .filter(|t| t.action == action)
                .map(|t| t.from.code())
                .collect();
            Refusal::State(FieldError::new(
                "state",
                "invalid_state",
                format!(
                    "an application that is {} cannot {}: only one that is {}",
                    state.code(),
                    action.label(),
                    from.join(" or ")
                ),
            ))
        })?;
    if !row.who.iter().any(|p| parties.contains(p)) {
        let who: Vec<&str> = row.who.iter().map(|p| p.label()).collect();
        return Err(Refusal::Party(FieldError::new(
            "action",
            "forbidden",
            format!(
                "only {} may {} an application that is {}",
                who.join(" or "),
                action.label(),
                state.code()
            ),
        )));
    }
    if row.needs_reason && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(Refusal::Reason(FieldError::new(
            "reason",
            "required",
            format!("a reason is required to {}", action.label()),
        )));
    }
    Ok(row.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (state, action, party) triple against the table, written out independently.
    #[test]
    fn every_state_action_and_party_is_decided_by_the_table() {
        let allowed = |s: MdfState, a: MdfAction| -> Option<(MdfState, &'static [Party], bool)> {
            use MdfAction::*;
            use MdfState::*;
            let owner: &'static [Party] = &[P::Owner, P::Admin];
            Some(match (s, a) {
                (Draft | Returned, Submit) => (Submitted, owner, false),
                (Submitted, Approve) => (
                    PartnerApproved,
                    &[P::Partner, P::Alliances, P::Admin],
                    false,
                ),
                (Submitted, Decline) => {
                    (PartnerDeclined, &[P::Partner, P::Alliances, P::Admin], true)
                }
                (Submitted, Return) => (Returned, &[P::Partner, P::Alliances, P::Admin], true),
                (PartnerApproved, AcknowledgeCredit) => {
                    (CreditAcknowledged, &[P::ProductionLead], false)
                }
                (PartnerApproved, RefuseCredit) => (CreditRefused, &[P::ProductionLead], true),
                (CreditAcknowledged, Start) => {
                    (InProgress, &[P::Owner, P::Admin, P::System], false)
                }
                (InProgress, RecordResults) => (ResultsRecorded, owner, false),
                (ResultsRecorded, RecordCredit) => (ResultsRecorded, owner, false),
                (ResultsRecorded, CompleteCredit) => (Credited, owner, false),
                (ResultsRecorded, CloseShort) => (Closed, owner, true),
                (Credited, Close) => (Closed, &[P::Owner, P::Admin, P::System], false),
                (Draft | Submitted | Returned | PartnerApproved | CreditAcknowledged, Cancel) => {
                    (Canceled, owner, true)
                }
                _ => return None,
            })
        };
        let mut triples = 0;
        for &state in MdfState::ALL {
            for &action in MdfAction::ALL {
                for &party in Party::ALL {
                    triples += 1;
                    let with_reason = decide(state, action, &[party], Some("because"));
                    let without = decide(state, action, &[party], None);
                    match allowed(state, action) {
                        None => {
                            let Err(Refusal::State(e)) = with_reason else {
                                panic!("{state:?} {action:?} by {party:?}: {with_reason:?}");
                            };
                            assert!(
                                e.message.contains(state.code())
                                    && e.message.contains(action.label()),
                                "{}",
                                e.message
                            );
                        }
                        Some((to, who, _)) if !who.contains(&party) => {
                            assert!(
                                matches!(with_reason, Err(Refusal::Party(_))),
                                "{state:?} {action:?} by {party:?}"
                            );
                            let _ = to;
                        }
                        Some((to, _, needs_reason)) => {
                            assert_eq!(with_reason, Ok(to), "{state:?} {action:?} by {party:?}");
                            if needs_reason {
                                assert!(
                                    matches!(without, Err(Refusal::Reason(_))),
                                    "{state:?} {action:?} needs a reason"
                                );
                                assert!(matches!(
                                    decide(state, action, &[party], Some("  ")),
                                    Err(Refusal::Reason(_))
                                ));
                            } else {
                                assert_eq!(without, Ok(to));
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(
            triples,
            MdfState::ALL.len() * MdfAction::ALL.len() * Party::ALL.len()
        );
        // No two rows for one (state, action).
        for a in TRANSITIONS {
            let n = TRANSITIONS
                .iter()
                .filter(|b| b.from == a.from && b.action == a.action)
                .count();
            assert_eq!(n, 1, "{:?} {:?}", a.from, a.action);
        }
    }

    #[test]
    fn an_actor_is_a_party_by_role_and_by_relation() {
        assert_eq!(
            parties(Role::Alliances, true, false),
            [P::Owner, P::Alliances]
        );
        assert_eq!(parties(Role::Alliances, false, false), [P::Alliances]);
        assert_eq!(parties(Role::Partner, false, true), [P::Partner]);
        assert!(
            parties(Role::Partner, false, false).is_empty(),
            "another partner is no party"
        );
        assert_eq!(parties(Role::Finance, false, false), [P::ProductionLead]);
        assert!(parties(Role::Support, false, false).is_empty());
        assert!(parties(Role::Customer, true, true).is_empty());
        // A partner user approves, another partner's user does not.
        let other = parties(Role::Partner, false, false);
        assert!(matches!(
            decide(S::Submitted, A::Approve, &other, None),
            Err(Refusal::Party(_))
        ));
        assert_eq!(
            decide(
                S::Submitted,
                A::Approve,
                &parties(Role::Partner, false, true),
                None
            ),
            Ok(S::PartnerApproved)
        );
    }

    #[test]
    fn an_answer_recorded_for_the_partner_needs_its_evidence() {
        assert!(needs_evidence(A::Approve, &[P::Alliances]));
        assert!(needs_evidence(A::Return, &[P::Owner, P::Alliances]));
        assert!(!needs_evidence(A::Approve, &[P::Partner]));
        assert!(!needs_evidence(A::AcknowledgeCredit, &[P::ProductionLead]));
    }

    #[test]
    fn every_open_state_says_who_acts_next() {
        for &s in MdfState::ALL {
            let open = TRANSITIONS
                .iter()
                .any(|t| t.from == s && t.action != A::Cancel);
            assert_eq!(next_actor(s).is_some(), open, "{s:?}");
        }
        assert_eq!(next_actor(S::Submitted), Some(P::Partner));
        assert_eq!(next_actor(S::PartnerApproved), Some(P::ProductionLead));
    }
}
