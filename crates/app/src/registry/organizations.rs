//! Organizations: the list and one (a partner or customer user sees only its own), creating a
//! customer organization, and finding one by name as uniqueness compares names.

use partnerhub_domain::access::Action;
use partnerhub_domain::organization::{parse_domains, OrgKind, OrgName};
use partnerhub_domain::{FieldError, FieldErrors};
use partnerhub_store::{NewOrganization, Organization};

use crate::error::AppError;
use crate::{App, Caller};

/// A customer organization as a client describes it.
#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    pub name: String,
    pub kind: String,
    pub domains: Vec<String>,
}

impl App {
    /// Organizations (of `kind`, when given), a page of them and how many match.
    pub async fn organizations(
        &self,
        caller: &Caller,
        kind: Option<OrgKind>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Organization>, i64), AppError> {
        caller.authorize(Action::ReadOrganizations, None)?;
        Ok(self
            .store()
            .organizations(caller.scope(), kind, limit, offset)
            .await?)
    }

    /// One organization; another's is "not found" to a user who sees only their own.
    pub async fn organization(&self, caller: &Caller, id: i64) -> Result<Organization, AppError> {
        caller.authorize(Action::ReadOrganizations, Some(id))?;
        Ok(self.store().organization(caller.scope(), id).await?)
    }

    /// The organization named `name` (compared as uniqueness compares names), if any.
    pub async fn organization_named(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Option<Organization>, AppError> {
        caller.authorize(Action::ReadOrganizations, None)?;
        let found = self.store().organization_by_name(name).await?;
        Ok(found.filter(|o| caller.scope().admits(o.id)))
    }

    /// Creates a customer organization; partners are created with their profile.
    pub async fn create_organization(
        &self,
        caller: &Caller,
        input: &OrganizationInput,
    ) -> Result<Organization, AppError> {
        caller.authorize(Action::ManageOrganizations, None)?;
        let mut errs = FieldErrors::default();
        let name = errs.take(OrgName::parse("name", &input.name));
        let kind = errs.take(OrgKind::parse("kind", &input.kind));
        let domains = errs.take(parse_domains("domains", &input.domains));
        if kind.is_some_and(|k| k != OrgKind::Customer) {
            errs.push(FieldError::new(
                "kind",
                "invalid",
                "only customer organizations are created here; partners through /api/v1/partners",
            ));
        }
        let (Some(name), Some(kind), Some(domains)) = (name, kind, domains) else {
            return Err(errs.into());
        };
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let new = NewOrganization {
            kind,
            name,
            domains,
        };
        Ok(self
            .store()
            .create_organization(&caller.who(), &new)
            .await?)
    }
}
