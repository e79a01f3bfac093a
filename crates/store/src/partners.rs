//! The partner registry: profiles on partner organizations, with contacts and scorecards.

use partnerhub_domain::access::Scope;
use partnerhub_domain::organization::OrgKind;
use partnerhub_domain::partner::{ContactInput, PartnerDraft, PartnerInput, ScoreInput};
use partnerhub_domain::taxonomy::{Category, Family, PartnerStatus, Track};
use partnerhub_domain::text::identity_key;
use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store, Tx};
use crate::error::StoreError;
use crate::organizations::{self, id_list, NewOrganization};

/// The vendor user managing a partnership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRef {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// A stored partner: its organization id, its profile and bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRecord {
    pub id: i64,
    pub draft: PartnerDraft,
    pub manager: Option<ManagerRef>,
    /// Increases on every change, for optimistic concurrency.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// List filters; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct PartnerFilter {
    pub family: Option<Family>,
    pub category: Option<Category>,
    pub track: Option<Track>,
    pub status: Option<PartnerStatus>,
    /// Case-insensitive substring of the name or a domain.
    pub q: Option<String>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// One page of partners and the count of all that match.
#[derive(Debug, Clone)]
pub struct PartnerPage {
    pub items: Vec<PartnerRecord>,
    pub total: i64,
}

type Row = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
    OffsetDateTime,
    OffsetDateTime,
    Option<String>,
    Option<String>,
);

const SELECT: &str = "SELECT p.org_id, o.name, p.category, p.integration_direction, p.track, p.status, \
    p.partner_manager_id, p.website, p.description, p.version, p.created_at, p.updated_at, u.name, u.email \
    FROM partners p JOIN organizations o ON o.id = p.org_id LEFT JOIN users u ON u.id = p.partner_manager_id";

/// The filter's WHERE clause; parameters $1..$6.
const WHERE: &str = "WHERE ($1 IS NULL OR p.org_id = $1) AND ($2 IS NULL OR p.family = $2) \
    AND ($3 IS NULL OR p.category = $3) AND ($4 IS NULL OR p.track = $4) AND ($5 IS NULL OR p.status = $5) \
    AND ($6 IS NULL OR o.name_key LIKE $6 ESCAPE '\\' OR EXISTS (SELECT 1 FROM organization_domains d \
    WHERE d.org_id = o.id AND d.domain LIKE $6 ESCAPE '\\'))";

/// A contact row: partner id, name, email, title, phone.
type ContactRow = (i64, String, String, Option<String>, Option<String>);

/// Rows of the child tables of a page of partners.
struct Children {
    domains: Vec<(i64, String)>,
    contacts: Vec<ContactRow>,
    scores: Vec<(i64, String, i64, Option<String>)>,
}

fn assemble(r: Row, children: &Children) -> Result<PartnerRecord, StoreError> {
    let id = r.0;
    let input = PartnerInput {
        name: Some(r.1),
        domains: Some(
            children
                .domains
                .iter()
                .filter(|d| d.0 == id)
                .map(|d| d.1.clone())
                .collect(),
        ),
        family: None,
        category: Some(r.2),
        integration_direction: r.3,
        track: Some(r.4),
        status: Some(r.5),
        partner_manager_id: Some(r.6),
        website: r.7,
        description: r.8,
        contacts: Some(
            children
                .contacts
                .iter()
                .filter(|c| c.0 == id)
                .map(|c| ContactInput {
                    name: c.1.clone(),
                    email: c.2.clone(),
                    title: c.3.clone(),
                    phone: c.4.clone(),
                })
                .collect(),
        ),
        scorecard: Some(
            children
                .scores
                .iter()
                .filter(|s| s.0 == id)
                .map(|s| ScoreInput {
                    criterion: s.1.clone(),
                    score: s.2,
                    note: s.3.clone(),
                })
                .collect(),
        ),
    };
    let draft = PartnerDraft::parse(&input)
        .map_err(|e| StoreError::Corrupt(format!("partner {id}: {e}")))?;
    let manager = match (r.6, r.12, r.13) {
        (Some(mid), Some(name), Some(email)) => Some(ManagerRef {
            id: mid,
            name,
            email,
        }),
        _ => None,
    };
    Ok(PartnerRecord {
        id,
        draft,
        manager,
        version: r.9,
        created_at: r.10,
        updated_at: r.11,
    })
}

/// The JSON an audit row records for a partner.
fn audit_json(id: i64, d: &PartnerDraft) -> String {
    serde_json::json!({
        "id": id,
        "name": d.name.as_str(),
        "domains": d.domains.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "family": d.family().code(),
        "category": d.classification.category.code(),
        "integration_direction": d.classification.direction.map(|x| x.code()),
        "track": d.track.code(),
        "status": d.status.code(),
        "partner_manager_id": d.partner_manager_id,
        "website": d.website,
        "description": d.description,
        "contacts": d.contacts.iter().map(|c| serde_json::json!({"name": c.name, "email": c.email.as_str(), "title": c.title, "phone": c.phone})).collect::<Vec<_>>(),
        "scorecard": d.scorecard.scores().iter().map(|s| serde_json::json!({"criterion": s.criterion.code(), "score": s.score, "note": s.note})).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Binds a profile's columns as `$1`..`$9` (family, category, integration_direction, track,
/// status, priority, partner_manager_id, website, description), the order both the insert and
/// the update statement use.
macro_rules! bind_profile {
    ($query:expr, $draft:expr) => {
        $query
            .bind($draft.family().code())
            .bind($draft.classification.category.code())
            .bind($draft.classification.direction.map(|d| d.code()))
            .bind($draft.track.code())
            .bind($draft.status.code())
            .bind(i64::from($draft.priority()))
            .bind($draft.partner_manager_id)
            .bind(&$draft.website)
            .bind(&$draft.description)
    };
}

/// Escapes `%`, `_` and `\` so a search term matches literally; the term is compared as names
/// are (canonical, case-folded: see `organizations.name_key`). Domains are ASCII and lowercase,
/// which the folded term matches too.
fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for ch in identity_key(q).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

async fn check_manager(tx: &mut Tx, manager_id: Option<i64>) -> Result<(), StoreError> {
    let Some(id) = manager_id else { return Ok(()) };
    let kind: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT o.kind FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id = $1 AND u.active",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await)?;
    if kind.as_deref() != Some(OrgKind::Vendor.code()) {
        return Err(StoreError::conflict(
            "partner_manager_id",
            format!("user {id} is not an active vendor user"),
        ));
    }
    Ok(())
}

async fn write_children(tx: &mut Tx, id: i64, d: &PartnerDraft) -> Result<(), StoreError> {
    exec_tx!(
        tx,
        sqlx::query("DELETE FROM partner_contacts WHERE org_id = $1").bind(id)
    )?;
    exec_tx!(
        tx,
        sqlx::query("DELETE FROM partner_scores WHERE org_id = $1").bind(id)
    )?;
    for (pos, contact) in d.contacts.iter().enumerate() {
        exec_tx!(tx, sqlx::query(
            "INSERT INTO partner_contacts (org_id, position, name, email, title, phone) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(pos as i64)
        .bind(&contact.name)
        .bind(contact.email.as_str())
        .bind(&contact.title)
        .bind(&contact.phone))?;
    }
    for s in d.scorecard.scores() {
        exec_tx!(tx, sqlx::query("INSERT INTO partner_scores (org_id, criterion, score, note) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(s.criterion.code())
            .bind(i64::from(s.score))
            .bind(&s.note))?;
    }
    Ok(())
}

/// The queries of a partner's child rows: domains, contacts, scores, for the ids in `list`.
fn children_sql(list: &str) -> [String; 3] {
    [
        format!("SELECT org_id, domain FROM organization_domains WHERE org_id IN ({list}) ORDER BY domain"),
        format!("SELECT org_id, name, email, title, phone FROM partner_contacts WHERE org_id IN ({list}) ORDER BY org_id, position"),
        format!("SELECT org_id, criterion, score, note FROM partner_scores WHERE org_id IN ({list})"),
    ]
}

/// Locks a partner's profile against other changes for the rest of a transaction (PostgreSQL;
/// see [`Tx::lock`]). `NO KEY UPDATE` leaves rows that merely refer to it (documents, a
/// manager's assignment) free to be written meanwhile.
const LOCK_PARTNER: &str = "SELECT 1 FROM partners WHERE org_id = $1 FOR NO KEY UPDATE";
/// Locks a partner's organization before deleting it: no user can join it meanwhile, so the
/// count of its users stays true until the delete.
const LOCK_PARTNER_ORG: &str = "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE";

/// One partner as the transaction sees it, after `lock_sql` locked it: the "before" of an
/// audited change is read where the change is made, so no concurrent change can slip in
/// between.
async fn partner_in(
    tx: &mut Tx,
    id: i64,
    lock_sql: &'static str,
) -> Result<PartnerRecord, StoreError> {
    tx.lock(lock_sql, id).await?;
    let sql = format!("{SELECT} WHERE p.org_id = $1");
    let row: Option<Row> =
        on_tx!(&mut *tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *c).await)?;
    let row = row.ok_or(StoreError::NotFound)?;
    let [domains, contacts, scores] = children_sql(&id.to_string());
    let children = Children {
        domains: on_tx!(&mut *tx, c => sqlx::query_as(&domains).fetch_all(&mut *c).await)?,
        contacts: on_tx!(&mut *tx, c => sqlx::query_as(&contacts).fetch_all(&mut *c).await)?,
        scores: on_tx!(&mut *tx, c => sqlx::query_as(&scores).fetch_all(&mut *c).await)?,
    };
    assemble(row, &children)
}

impl Store {
    /// Loads the child rows of the given partners in three queries.
    async fn children(&self, ids: &[i64]) -> Result<Children, StoreError> {
        if ids.is_empty() {
            return Ok(Children {
                domains: Vec::new(),
                contacts: Vec::new(),
                scores: Vec::new(),
            });
        }
        let [domains, contacts, scores] = children_sql(&id_list(ids));
        Ok(Children {
            domains: on_pool!(self, p => sqlx::query_as(&domains).fetch_all(p).await)?,
            contacts: on_pool!(self, p => sqlx::query_as(&contacts).fetch_all(p).await)?,
            scores: on_pool!(self, p => sqlx::query_as(&scores).fetch_all(p).await)?,
        })
    }

    /// Partners within `scope` matching `filter`, platform partners first, then by name.
    pub async fn partners(
        &self,
        scope: Scope,
        filter: &PartnerFilter,
    ) -> Result<PartnerPage, StoreError> {
        let own = match scope {
            Scope::All => None,
            Scope::Org(id) => Some(id),
        };
        let per_page = filter.per_page.clamp(1, 200);
        let offset = (filter.page.max(1) - 1).saturating_mul(per_page);
        let q = filter
            .q
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(like_pattern);
        let sql = format!("{SELECT} {WHERE} ORDER BY p.priority, o.name_key LIMIT $7 OFFSET $8");
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(own)
            .bind(filter.family.map(Family::code))
            .bind(filter.category.map(Category::code))
            .bind(filter.track.map(Track::code))
            .bind(filter.status.map(PartnerStatus::code))
            .bind(&q)
            .bind(per_page)
            .bind(offset)
            .fetch_all(p)
            .await)?;
        let count_sql = format!(
            "SELECT COUNT(*) FROM partners p JOIN organizations o ON o.id = p.org_id {WHERE}"
        );
        let total: i64 = on_pool!(self, p => sqlx::query_scalar(&count_sql)
            .bind(own)
            .bind(filter.family.map(Family::code))
            .bind(filter.category.map(Category::code))
            .bind(filter.track.map(Track::code))
            .bind(filter.status.map(PartnerStatus::code))
            .bind(&q)
            .fetch_one(p)
            .await)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let children = self.children(&ids).await?;
        let items = rows
            .into_iter()
            .map(|r| assemble(r, &children))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PartnerPage { items, total })
    }

    /// One partner within `scope`.
    pub async fn partner(&self, scope: Scope, id: i64) -> Result<PartnerRecord, StoreError> {
        if !scope.admits(id) {
            return Err(StoreError::NotFound);
        }
        let sql = format!("{SELECT} WHERE p.org_id = $1");
        let row: Option<Row> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        let children = self.children(&[id]).await?;
        assemble(row, &children)
    }

    /// Creates a partner organization with its profile (audited).
    pub async fn create_partner(
        &self,
        who: &Who,
        draft: &PartnerDraft,
    ) -> Result<PartnerRecord, StoreError> {
        let mut tx = self.begin().await?;
        let id = insert_audited(&mut tx, who, draft, "partner.create").await?;
        tx.commit().await?;
        self.partner(Scope::All, id).await
    }

    /// Creates many partners in one transaction: all or none (audited one by one).
    pub async fn import_partners(
        &self,
        who: &Who,
        drafts: &[(usize, PartnerDraft)],
    ) -> Result<Vec<i64>, (usize, StoreError)> {
        let mut tx = self.begin().await.map_err(|e| (0, e))?;
        let mut ids = Vec::with_capacity(drafts.len());
        for (line, draft) in drafts {
            let id = insert_audited(&mut tx, who, draft, "partner.import")
                .await
                .map_err(|e| (*line, e))?;
            ids.push(id);
        }
        tx.commit().await.map_err(|e| (0, e))?;
        Ok(ids)
    }

    /// Replaces a partner's profile. With `expected_version`, a concurrent change is a conflict
    /// instead of being overwritten (audited with before and after).
    pub async fn update_partner(
        &self,
        who: &Who,
        id: i64,
        draft: &PartnerDraft,
        expected_version: Option<i64>,
    ) -> Result<PartnerRecord, StoreError> {
        let mut tx = self.begin().await?;
        let before = partner_in(&mut tx, id, LOCK_PARTNER).await?;
        check_manager(&mut tx, draft.partner_manager_id).await?;
        organizations::rename(&mut tx, id, &draft.name).await?;
        organizations::set_domains(&mut tx, id, &draft.domains).await?;
        let n = exec_tx!(&mut tx, bind_profile!(sqlx::query(
            "UPDATE partners SET family = $1, category = $2, integration_direction = $3, track = $4, status = $5, priority = $6, \
             partner_manager_id = $7, website = $8, description = $9, version = version + 1, updated_at = $10 \
             WHERE org_id = $11 AND ($12 IS NULL OR version = $12)",
        ), draft)
        .bind(crate::now())
        .bind(id)
        .bind(expected_version))?;
        if n == 0 {
            return Err(StoreError::conflict(
                "version",
                "the partner was changed by someone else; reload and try again",
            ));
        }
        write_children(&mut tx, id, draft).await?;
        audit::record(
            &mut tx,
            who,
            "partner.update",
            "partner",
            &id.to_string(),
            Some(id),
            Some(audit_json(id, &before.draft)),
            Some(audit_json(id, draft)),
        )
        .await?;
        tx.commit().await?;
        self.partner(Scope::All, id).await
    }

    /// Deletes a partner organization and everything it holds, unless users still belong to it
    /// (audited with the last state).
    pub async fn delete_partner(&self, who: &Who, id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let before = partner_in(&mut tx, id, LOCK_PARTNER_ORG).await?;
        let users: i64 = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1").bind(id).fetch_one(&mut *c).await)?;
        if users > 0 {
            return Err(StoreError::conflict(
                "id",
                format!(
                    "{users} user(s) still belong to this partner; deactivate or move them first"
                ),
            ));
        }
        exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM organizations WHERE id = $1").bind(id)
        )?;
        audit::record(
            &mut tx,
            who,
            "partner.delete",
            "partner",
            &id.to_string(),
            Some(id),
            Some(audit_json(id, &before.draft)),
            None,
        )
        .await?;
        tx.commit().await
    }
}

/// Inserts a partner within `tx` and records `action` in the audit log; returns its id.
pub(crate) async fn insert_audited(
    tx: &mut Tx,
    who: &Who,
    draft: &PartnerDraft,
    action: &str,
) -> Result<i64, StoreError> {
    let id = insert_partner(tx, draft).await?;
    audit::record(
        tx,
        who,
        action,
        "partner",
        &id.to_string(),
        Some(id),
        None,
        Some(audit_json(id, draft)),
    )
    .await?;
    Ok(id)
}

async fn insert_partner(tx: &mut Tx, draft: &PartnerDraft) -> Result<i64, StoreError> {
    check_manager(tx, draft.partner_manager_id).await?;
    let org = NewOrganization {
        kind: OrgKind::Partner,
        name: draft.name.clone(),
        domains: draft.domains.clone(),
    };
    let id = organizations::insert(tx, &org).await?;
    let now = crate::now();
    exec_tx!(tx, bind_profile!(sqlx::query(
        "INSERT INTO partners (family, category, integration_direction, track, status, priority, partner_manager_id, website, description, org_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)",
    ), draft)
    .bind(id)
    .bind(now))?;
    write_children(tx, id, draft).await?;
    Ok(id)
}
