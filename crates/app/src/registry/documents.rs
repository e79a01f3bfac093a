//! A partner's shared documents: the list (internal ones only for staff who may read them),
//! registering one (the handbook's conventions checked as warnings), removing one.

use partnerhub_domain::access::Action;
use partnerhub_domain::documents::{DocumentInput, SharedDocument};
use partnerhub_store::{DocumentRecord, PartnerRecord};

use crate::error::AppError;
use crate::{App, Caller};

impl App {
    /// The partner and the documents the caller may see.
    pub async fn documents(
        &self,
        caller: &Caller,
        partner_id: i64,
    ) -> Result<(PartnerRecord, Vec<DocumentRecord>), AppError> {
        let partner = self.partner(caller, partner_id).await?;
        let internal = caller.may(Action::ReadInternalDocuments);
        let docs = self
            .store()
            .documents(caller.scope(), partner_id, internal)
            .await?;
        Ok((partner, docs))
    }

    /// Registers a document of a partner.
    pub async fn add_document(
        &self,
        caller: &Caller,
        partner_id: i64,
        input: &DocumentInput<'_>,
    ) -> Result<(PartnerRecord, DocumentRecord), AppError> {
        caller.authorize(Action::ManageDocuments, Some(partner_id))?;
        let partner = self.store().partner(caller.scope(), partner_id).await?;
        let doc = SharedDocument::parse(input)?;
        let rec = self
            .store()
            .add_document(&caller.who(), partner_id, &doc)
            .await?;
        Ok((partner, rec))
    }

    /// Removes a document from the registry.
    pub async fn remove_document(
        &self,
        caller: &Caller,
        partner_id: i64,
        doc_id: i64,
    ) -> Result<(), AppError> {
        caller.authorize(Action::ManageDocuments, Some(partner_id))?;
        self.store().partner(caller.scope(), partner_id).await?;
        Ok(self
            .store()
            .delete_document(&caller.who(), partner_id, doc_id)
            .await?)
    }
}
