//! Partners: the list, one partner, creation, a change guarded by the version the client saw
//! (or the snapshot it was made from), deletion, the CSV export, and the staff to manage them.

use partnerhub_domain::access::Action;
use partnerhub_domain::partner::PartnerDraft;
use partnerhub_domain::{partner_csv, FieldError, FieldErrors};
use partnerhub_store::{PartnerFilter, PartnerPage, PartnerRecord, User};

use crate::error::AppError;
use crate::{App, Caller};

impl App {
    /// Partners matching `filter` within the caller's organizations (platform partners first).
    pub async fn partners(
        &self,
        caller: &Caller,
        filter: &PartnerFilter,
    ) -> Result<PartnerPage, AppError> {
        caller.authorize(Action::ListPartners, None)?;
        Ok(self.store().partners(caller.scope(), filter).await?)
    }

    /// One partner; another organization's is "not found".
    pub async fn partner(&self, caller: &Caller, id: i64) -> Result<PartnerRecord, AppError> {
        caller.authorize(Action::ReadPartner, Some(id))?;
        Ok(self.store().partner(caller.scope(), id).await?)
    }

    /// Creates a partner organization with the profile `parse` reads from the input, once
    /// the caller is known to be allowed (nobody else learns what the input lacks).
    pub async fn create_partner(
        &self,
        caller: &Caller,
        parse: impl FnOnce() -> Result<PartnerDraft, FieldErrors>,
    ) -> Result<PartnerRecord, AppError> {
        caller.authorize(Action::CreatePartner, None)?;
        let draft = parse()?;
        Ok(self.store().create_partner(&caller.who(), &draft).await?)
    }

    /// Changes a partner: `edit` makes the new profile from the stored one (a patch applies to
    /// it, a form replaces it). The write is based on `version`, the version the client saw;
    /// without one, on the snapshot `edit` was given, so a concurrent change is never lost.
    pub async fn update_partner(
        &self,
        caller: &Caller,
        id: i64,
        version: Option<i64>,
        edit: impl FnOnce(&PartnerRecord) -> Result<PartnerDraft, FieldErrors>,
    ) -> Result<PartnerRecord, AppError> {
        caller.authorize(Action::UpdatePartner, Some(id))?;
        let current = self.store().partner(caller.scope(), id).await?;
        let draft = edit(&current)?;
        let version = version.or(Some(current.version));
        Ok(self
            .store()
            .update_partner(&caller.who(), id, &draft, version)
            .await?)
    }

    /// Deletes a partner organization (refused while users belong to it).
    pub async fn delete_partner(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        caller.authorize(Action::DeletePartner, Some(id))?;
        self.store().partner(caller.scope(), id).await?;
        Ok(self.store().delete_partner(&caller.who(), id).await?)
    }

    /// Every partner matching `filter` as CSV; a match larger than an export holds is refused,
    /// asking to narrow the filters.
    pub async fn export_partners(
        &self,
        caller: &Caller,
        filter: &PartnerFilter,
    ) -> Result<String, AppError> {
        const PAGE: i64 = 200;
        caller.authorize(Action::ExportPartners, None)?;
        let mut filter = filter.clone();
        filter.per_page = PAGE;
        let weights = &self.config().weights;
        let mut out = String::new();
        partner_csv::write_record(&mut out, partner_csv::EXPORT_COLUMNS);
        for page in 1.. {
            filter.page = page;
            let got = self.store().partners(caller.scope(), &filter).await?;
            if got.total > partner_csv::MAX_EXPORT_ROWS {
                return Err(FieldError::new(
                    "filter",
                    "too_large",
                    format!(
                        "{} partners match, more than an export holds ({}): narrow the filters",
                        got.total,
                        partner_csv::MAX_EXPORT_ROWS
                    ),
                )
                .into());
            }
            for p in &got.items {
                let total = p.draft.scorecard.total(weights);
                let row = partner_csv::export_row(
                    p.id,
                    &p.draft,
                    p.manager.as_ref().map(|m| m.email.as_str()),
                    total.percent,
                );
                partner_csv::write_record(&mut out, &row);
            }
            if got.items.len() < PAGE as usize {
                break;
            }
        }
        Ok(out)
    }

    /// The vendor's active staff, whom forms offer as partner managers, step owners and leads.
    pub async fn staff(&self, caller: &Caller) -> Result<Vec<User>, AppError> {
        caller.authorize(Action::ListStaff, None)?;
        Ok(self.store().staff_users().await?)
    }
}
