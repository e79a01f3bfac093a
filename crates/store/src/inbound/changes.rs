//! The changes of a request after it arrives: claim, hand-over, next steps, answers and notes,
//! accept, decline, spam. Each is audited, writes its deliveries in its transaction, and checks
//! there what the decision was made on ([`Seen`]).

use partnerhub_domain::documents::SharedDocument;
use partnerhub_domain::inbound::{InboundDraft, RequestState, StepDraft};
use partnerhub_domain::partner::PartnerDraft;

use super::{
    check_lead, check_staff, finish, request_in, transition, InboundRecord, Seen, StepPatch,
};
use crate::audit::Who;
use crate::db::{exec_tx, Store};
use crate::error::StoreError;
use crate::jobs::NewJob;

impl Store {
    /// Makes `lead_id` the lead of a new request: the first claim wins; a later one is a
    /// conflict naming the lead (audited with its deliveries).
    pub async fn claim_inbound(
        &self,
        who: &Who,
        id: i64,
        lead_id: i64,
        jobs: &[NewJob],
        now_ms: i64,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        if let Some(lead) = &before.lead {
            return Err(StoreError::Conflict(partnerhub_domain::FieldError::new(
                "lead",
                "already_claimed",
                format!("{} already leads this request", lead.name),
            )));
        }
        check_lead(&mut tx, "lead_id", lead_id).await?;
        let n = exec_tx!(
            &mut tx,
            sqlx::query(
                "UPDATE inbound_requests SET state = 'claimed', lead_id = $1, updated_at = $2 \
                 WHERE id = $3 AND state = 'new' AND lead_id IS NULL"
            )
            .bind(lead_id)
            .bind(crate::now())
            .bind(id)
        )?;
        if n == 0 {
            return Err(StoreError::conflict(
                "state",
                format!(
                    "a request that is {} cannot be claimed",
                    before.state.code()
                ),
            ));
        }
        let after = finish(
            &mut tx,
            who,
            "inbound_request.claim",
            id,
            Some(&before),
            jobs,
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Hands the lead to another vendor user (audited).
    pub async fn hand_over_inbound(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
        lead_id: i64,
        jobs: &[NewJob],
        now_ms: i64,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        check_lead(&mut tx, "lead_id", lead_id).await?;
        let n = exec_tx!(
            &mut tx,
            sqlx::query(
                "UPDATE inbound_requests SET lead_id = $1, updated_at = $2 WHERE id = $3 AND state = $4"
            )
            .bind(lead_id)
            .bind(crate::now())
            .bind(id)
            .bind(seen.state.code())
        )?;
        if n == 0 {
            return Err(StoreError::conflict(
                "state",
                "the request changed meanwhile; reload it and try again",
            ));
        }
        let after = finish(
            &mut tx,
            who,
            "inbound_request.hand_over",
            id,
            Some(&before),
            jobs,
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Adds a next step, moving the request from `from` to `to` (audited).
    pub async fn add_inbound_step(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
        to: RequestState,
        step: &StepDraft,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        if before.steps.len() >= partnerhub_domain::inbound::MAX_STEPS {
            return Err(StoreError::conflict(
                "text",
                format!(
                    "a request holds at most {} next steps",
                    partnerhub_domain::inbound::MAX_STEPS
                ),
            ));
        }
        if let Some(owner) = step.owner_id {
            check_staff(&mut tx, "owner_id", owner).await?;
        }
        transition(&mut tx, id, seen.state, to).await?;
        let now = crate::now();
        exec_tx!(&mut tx, sqlx::query(
            "INSERT INTO inbound_steps (request_id, text, owner_id, due_on, done, created_at, updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $5)",
        )
        .bind(id)
        .bind(&step.text)
        .bind(step.owner_id)
        .bind(&step.due_on)
        .bind(now))?;
        let after = finish(
            &mut tx,
            who,
            "inbound_request.step",
            id,
            Some(&before),
            &[],
            0,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a next step of an open request (audited).
    pub async fn update_inbound_step(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
        step_id: i64,
        patch: &StepPatch,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        let current = before
            .steps
            .iter()
            .find(|s| s.id == step_id)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        if !before.state.is_open() {
            return Err(StoreError::conflict(
                "state",
                format!(
                    "the request is {}: its steps no longer change",
                    before.state.code()
                ),
            ));
        }
        let owner = match patch.owner_id {
            Some(o) => o,
            None => current.owner.as_ref().map(|o| o.id),
        };
        if let Some(o) = owner.filter(|_| patch.owner_id.is_some()) {
            check_staff(&mut tx, "owner_id", o).await?;
        }
        exec_tx!(&mut tx, sqlx::query(
            "UPDATE inbound_steps SET text = $1, owner_id = $2, due_on = $3, done = $4, updated_at = $5 WHERE id = $6 AND request_id = $7",
        )
        .bind(patch.text.clone().unwrap_or(current.text))
        .bind(owner)
        .bind(patch.due_on.clone().unwrap_or(current.due_on))
        .bind(patch.done.unwrap_or(current.done))
        .bind(crate::now())
        .bind(step_id)
        .bind(id))?;
        let after = finish(
            &mut tx,
            who,
            "inbound_request.step_update",
            id,
            Some(&before),
            &[],
            0,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces a request's answers and notes (audited).
    pub async fn update_inbound(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
        draft: &InboundDraft,
        notes: Option<&str>,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        if !before.state.is_open() {
            return Err(StoreError::conflict(
                "state",
                format!(
                    "the request is {}: its answers and notes no longer change",
                    before.state.code()
                ),
            ));
        }
        exec_tx!(&mut tx, sqlx::query(
            "UPDATE inbound_requests SET company = $1, website = $2, contact_name = $3, contact_email = $4, interest = $5, integration = $6, \
             benefits = $7, relationship = $8, document_url = $9, received_via = $10, notes = $11, updated_at = $12 WHERE id = $13",
        )
        .bind(draft.company.as_str())
        .bind(&draft.website)
        .bind(&draft.contact_name)
        .bind(draft.contact_email.as_str())
        .bind(draft.interest.code())
        .bind(&draft.integration)
        .bind(&draft.benefits)
        .bind(&draft.relationship)
        .bind(&draft.document_url)
        .bind(draft.received_via.code())
        .bind(notes)
        .bind(crate::now())
        .bind(id))?;
        let after = finish(
            &mut tx,
            who,
            "inbound_request.update",
            id,
            Some(&before),
            &[],
            0,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Accepts a request: creates the partner (and its document, when one is given) and links
    /// it back, all in one transaction (each audited).
    #[allow(clippy::too_many_arguments)] // the request, the partner and document it becomes, its deliveries
    pub async fn accept_inbound(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
        partner: &PartnerDraft,
        document: Option<&SharedDocument>,
        jobs: &[NewJob],
        now_ms: i64,
    ) -> Result<(InboundRecord, i64), StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        transition(&mut tx, id, seen.state, RequestState::Accepted).await?;
        let partner_id =
            crate::partners::insert_audited(&mut tx, who, partner, "partner.create").await?;
        if let Some(doc) = document {
            crate::documents::insert_audited(&mut tx, who, partner_id, doc).await?;
        }
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE inbound_requests SET partner_id = $1 WHERE id = $2")
                .bind(partner_id)
                .bind(id)
        )?;
        let after = finish(
            &mut tx,
            who,
            "inbound_request.accept",
            id,
            Some(&before),
            jobs,
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok((after, partner_id))
    }

    /// Declines a request with a reason (audited).
    #[allow(clippy::too_many_arguments)] // the request, its outcome and its deliveries
    pub async fn decline_inbound(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
        reason: &str,
        jobs: &[NewJob],
        now_ms: i64,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        transition(&mut tx, id, seen.state, RequestState::Declined).await?;
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE inbound_requests SET decline_reason = $1 WHERE id = $2")
                .bind(reason)
                .bind(id)
        )?;
        let after = finish(
            &mut tx,
            who,
            "inbound_request.decline",
            id,
            Some(&before),
            jobs,
            now_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Marks a new request as spam (audited).
    pub async fn spam_inbound(
        &self,
        who: &Who,
        id: i64,
        seen: Seen,
    ) -> Result<InboundRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = request_in(&mut tx, id).await?;
        seen.check(&before)?;
        transition(&mut tx, id, RequestState::New, RequestState::Spam).await?;
        let after = finish(
            &mut tx,
            who,
            "inbound_request.spam",
            id,
            Some(&before),
            &[],
            0,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
