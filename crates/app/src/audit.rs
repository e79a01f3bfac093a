//! Reading the audit log (one entity's history, or the whole log), verifying its chain, and
//! reading the security log. Reading a history takes the right to read the entity it is of.

use partnerhub_domain::access::Action;
use partnerhub_domain::audit::AuditEntity;
use partnerhub_store::{AuditFilter, AuditRecord, ChainReport, SecurityFilter, SecurityRecord};

use crate::error::AppError;
use crate::{App, Caller};

/// Which rows of the whole log to read.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The organization an entity's history belongs to, where its id says: a partner is its
/// organization.
fn org_of(entity: AuditEntity, entity_id: &str) -> Option<i64> {
    match entity {
        AuditEntity::Partner | AuditEntity::Organization => entity_id.parse().ok(),
        _ => None,
    }
}

impl App {
    /// One entity's history, newest first: for those who may read the entity itself.
    pub async fn history(
        &self,
        caller: &Caller,
        entity: AuditEntity,
        entity_id: &str,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, AppError> {
        if let Caller::User { actor, .. } = caller {
            actor.authorize_history(entity, org_of(entity, entity_id))?;
        }
        Ok(self
            .store()
            .audit_list(&AuditFilter {
                entity_type: Some(entity.code().to_string()),
                entity_id: Some(entity_id.to_string()),
                org_id: None,
                before_id,
                limit,
            })
            .await?)
    }

    /// Rows of the whole log (admins); naming one entity reads its history, with the rights
    /// that takes.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        query: &LogQuery,
    ) -> Result<Vec<AuditRecord>, AppError> {
        if let (Some(entity), Some(id)) = (query.entity, query.entity_id.as_deref()) {
            return self
                .history(caller, entity, id, query.before_id, query.limit)
                .await;
        }
        caller.authorize(Action::ReadFullAudit, None)?;
        Ok(self
            .store()
            .audit_list(&AuditFilter {
                entity_type: query.entity.map(|e| e.code().to_string()),
                entity_id: query.entity_id.clone(),
                org_id: None,
                before_id: query.before_id,
                limit: query.limit,
            })
            .await?)
    }

    /// Verifies the whole chain (admins).
    pub async fn verify_audit(&self, caller: &Caller) -> Result<ChainReport, AppError> {
        caller.authorize(Action::ReadFullAudit, None)?;
        Ok(self.store().audit_verify().await?)
    }

    /// Sign-ins, sign-outs and refused sign-ins, newest first (admins).
    pub async fn security_events(
        &self,
        caller: &Caller,
        filter: &SecurityFilter,
    ) -> Result<Vec<SecurityRecord>, AppError> {
        caller.authorize(Action::ReadSecurityLog, None)?;
        Ok(self.store().security_events(filter).await?)
    }
}
