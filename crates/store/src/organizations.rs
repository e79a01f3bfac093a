//! Organizations (vendor, partners, customers) and their email domains.

use partnerhub_domain::access::Scope;
use partnerhub_domain::organization::{EmailDomain, OrgKind, OrgName};
use partnerhub_domain::text::identity_key;
use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store, Tx};
use crate::error::StoreError;

/// A stored organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub domains: Vec<String>,
    pub created_at: OffsetDateTime,
}

/// A new organization, validated.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub kind: OrgKind,
    pub name: OrgName,
    pub domains: Vec<EmailDomain>,
}

type Row = (i64, String, String, OffsetDateTime);

impl Organization {
    pub(crate) fn audit_json(&self) -> String {
        serde_json::json!({
            "id": self.id, "kind": self.kind.code(), "name": self.name, "domains": self.domains,
        })
        .to_string()
    }
}

fn from_row(r: Row, domains: Vec<String>) -> Result<Organization, StoreError> {
    let kind = OrgKind::parse("kind", &r.1).map_err(|e| StoreError::Corrupt(e.message))?;
    Ok(Organization {
        id: r.0,
        kind,
        name: r.2,
        domains,
        created_at: r.3,
    })
}

/// Inserts an organization and its domains; names and domains are unique (case-insensitive).
pub(crate) async fn insert(tx: &mut Tx, org: &NewOrganization) -> Result<i64, StoreError> {
    let now = crate::now();
    let name = org.name.as_str();
    let key = org.name.key();
    let inserted: Result<i64, sqlx::Error> = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO organizations (kind, name, name_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(org.kind.code())
    .bind(name)
    .bind(&key)
    .bind(now)
    .fetch_one(&mut *c)
    .await);
    let id = match inserted {
        Ok(id) => id,
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::conflict(
                "name",
                format!("an organization named {name:?} already exists"),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    set_domains(tx, id, &org.domains).await?;
    Ok(id)
}

/// Replaces an organization's domains.
pub(crate) async fn set_domains(
    tx: &mut Tx,
    org_id: i64,
    domains: &[EmailDomain],
) -> Result<(), StoreError> {
    exec_tx!(
        tx,
        sqlx::query("DELETE FROM organization_domains WHERE org_id = $1").bind(org_id)
    )?;
    for d in domains {
        let r = exec_tx!(
            tx,
            sqlx::query("INSERT INTO organization_domains (domain, org_id) VALUES ($1, $2)")
                .bind(d.as_str())
                .bind(org_id)
        );
        match r {
            Ok(_) => {}
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(StoreError::conflict(
                    "domains",
                    format!(
                        "the domain {} already belongs to another organization",
                        d.as_str()
                    ),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Renames an organization.
pub(crate) async fn rename(tx: &mut Tx, org_id: i64, name: &OrgName) -> Result<(), StoreError> {
    let r = exec_tx!(
        tx,
        sqlx::query(
            "UPDATE organizations SET name = $1, name_key = $2, updated_at = $3 WHERE id = $4"
        )
        .bind(name.as_str())
        .bind(name.key())
        .bind(crate::now())
        .bind(org_id)
    );
    match r {
        Ok(_) => Ok(()),
        Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::conflict(
            "name",
            format!("an organization named {:?} already exists", name.as_str()),
        )),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn get_in_tx(tx: &mut Tx, id: i64) -> Result<Organization, StoreError> {
    let row: Option<Row> = on_tx!(tx, c => sqlx::query_as("SELECT id, kind, name, created_at FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await)?;
    let row = row.ok_or(StoreError::NotFound)?;
    let domains: Vec<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT domain FROM organization_domains WHERE org_id = $1 ORDER BY domain")
        .bind(id)
        .fetch_all(&mut *c)
        .await)?;
    from_row(row, domains)
}

impl Store {
    /// Creates an organization (audited).
    pub async fn create_organization(
        &self,
        who: &Who,
        org: &NewOrganization,
    ) -> Result<Organization, StoreError> {
        let mut tx = self.begin().await?;
        let id = insert(&mut tx, org).await?;
        let created = get_in_tx(&mut tx, id).await?;
        audit::record(
            &mut tx,
            who,
            "organization.create",
            "organization",
            &id.to_string(),
            Some(id),
            None,
            Some(created.audit_json()),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The vendor organization's id, once first start created it.
    pub async fn vendor_id(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            on_pool!(self, p => sqlx::query_scalar("SELECT id FROM organizations WHERE kind = 'vendor'").fetch_optional(p).await)?,
        )
    }

    /// The vendor organization's id, creating it with `name` on first start.
    pub async fn ensure_vendor(&self, name: &OrgName) -> Result<i64, StoreError> {
        if let Some(id) = self.vendor_id().await? {
            return Ok(id);
        }
        let org = NewOrganization {
            kind: OrgKind::Vendor,
            name: name.clone(),
            domains: Vec::new(),
        };
        Ok(self
            .create_organization(&Who::system("system"), &org)
            .await?
            .id)
    }

    /// One organization within `scope`.
    pub async fn organization(&self, scope: Scope, id: i64) -> Result<Organization, StoreError> {
        if !scope.admits(id) {
            return Err(StoreError::NotFound);
        }
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT id, kind, name, created_at FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        let domains: Vec<String> = on_pool!(self, p => sqlx::query_scalar("SELECT domain FROM organization_domains WHERE org_id = $1 ORDER BY domain")
            .bind(id)
            .fetch_all(p)
            .await)?;
        from_row(row, domains)
    }

    /// Organizations within `scope`, optionally of one kind, by name.
    pub async fn organizations(
        &self,
        scope: Scope,
        kind: Option<OrgKind>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Organization>, i64), StoreError> {
        let own = match scope {
            Scope::All => None,
            Scope::Org(id) => Some(id),
        };
        let kind = kind.map(|k| k.code());
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, kind, name, created_at FROM organizations WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR kind = $2) \
             ORDER BY name_key LIMIT $3 OFFSET $4",
        )
        .bind(own)
        .bind(kind)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?;
        let total: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM organizations WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR kind = $2)",
        )
        .bind(own)
        .bind(kind)
        .fetch_one(p)
        .await)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let domains = self.domains_of(&ids).await?;
        let orgs = rows
            .into_iter()
            .map(|r| {
                let d = domains
                    .iter()
                    .filter(|(o, _)| *o == r.0)
                    .map(|(_, d)| d.clone())
                    .collect();
                from_row(r, d)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((orgs, total))
    }

    /// An organization by name, compared as uniqueness compares names (canonical form,
    /// case-folded).
    pub async fn organization_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Organization>, StoreError> {
        let id: Option<i64> = on_pool!(self, p => sqlx::query_scalar("SELECT id FROM organizations WHERE name_key = $1")
            .bind(identity_key(name))
            .fetch_optional(p)
            .await)?;
        match id {
            Some(id) => self.organization(Scope::All, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// Recomputes every organization's name key with the domain's rule (run by
    /// [`Store::migrate`], so keys written under an older rule follow the current one). Two
    /// names that the rule now makes one are reported, naming both.
    pub(crate) async fn rekey_names(&self) -> Result<(), StoreError> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, name_key FROM organizations ORDER BY id",
        )
        .fetch_all(p)
        .await)?;
        let stale: Vec<(i64, String, String)> = rows
            .into_iter()
            .filter_map(|(id, name, key)| {
                let wanted = identity_key(&name);
                (wanted != key).then_some((id, name, wanted))
            })
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (id, name, key) in &stale {
            let r = exec_tx!(
                &mut tx,
                sqlx::query("UPDATE organizations SET name_key = $1 WHERE id = $2")
                    .bind(key)
                    .bind(*id)
            );
            match r {
                Ok(_) => {}
                Err(e) if StoreError::is_unique_violation(&e) => {
                    let other: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
                        "SELECT name FROM organizations WHERE name_key = $1",
                    )
                    .bind(key)
                    .fetch_optional(&mut *c)
                    .await)?;
                    return Err(StoreError::Corrupt(format!(
                        "organizations {name:?} (id {id}) and {:?} now have the same name; rename one",
                        other.unwrap_or_default()
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await
    }

    /// `(org_id, domain)` pairs of the given organizations.
    pub(crate) async fn domains_of(
        &self,
        org_ids: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = id_list(org_ids);
        let sql = format!("SELECT org_id, domain FROM organization_domains WHERE org_id IN ({list}) ORDER BY domain");
        Ok(on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?)
    }
}

/// A comma-separated list of ids for an `IN (…)` clause. Ids are integers, never client text,
/// so formatting them into SQL cannot inject anything.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
