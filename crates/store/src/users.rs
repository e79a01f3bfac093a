//! User accounts: creating, listing, (de)activating and moving them between organizations.
//! Passwords are stored only as hashes; sessions and tokens are in `sessions.rs`.

use partnerhub_domain::organization::{email_lookup_key, EmailAddress, OrgKind, Role};
use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store, Tx};
use crate::error::StoreError;
use crate::organizations::get_in_tx;

/// A stored user (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub org_id: i64,
    pub org_name: String,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub last_login_at: Option<OffsetDateTime>,
}

/// A new user, validated.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub org_id: i64,
    /// An Argon2 PHC string, or `None` for an account that signs in with tokens only.
    pub password_hash: Option<String>,
}

/// Which users to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub org_id: Option<i64>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Substring of the email address or the name (case-insensitive).
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) type UserRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    bool,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.role, u.org_id, o.name, u.active, u.created_at, u.last_login_at \
    FROM users u JOIN organizations o ON o.id = u.org_id";

pub(crate) fn user_from(r: UserRow) -> Result<User, StoreError> {
    let role = Role::parse("role", &r.3).map_err(|e| StoreError::Corrupt(e.message))?;
    Ok(User {
        id: r.0,
        email: r.1,
        name: r.2,
        role,
        org_id: r.4,
        org_name: r.5,
        active: r.6,
        created_at: r.7,
        last_login_at: r.8,
    })
}

fn user_json(u: &User) -> String {
    serde_json::json!({"id": u.id, "email": u.email, "name": u.name, "role": u.role.code(), "org_id": u.org_id, "active": u.active})
        .to_string()
}

/// Refuses an organization that a user of `role` cannot belong to.
fn check_kind(role: Role, org_id: i64, kind: OrgKind, org_name: &str) -> Result<(), StoreError> {
    let wanted = role.org_kind();
    if kind == wanted {
        return Ok(());
    }
    Err(StoreError::conflict(
        "org_id",
        format!(
            "a {} user belongs to a {} organization; {org_name} (id {org_id}) is a {}",
            role.code(),
            wanted.code(),
            kind.code()
        ),
    ))
}

/// The organization a user is to belong to, as the transaction sees it.
async fn target_org(tx: &mut Tx, role: Role, org_id: i64) -> Result<String, StoreError> {
    let org = match get_in_tx(tx, org_id).await {
        Err(StoreError::NotFound) => {
            return Err(StoreError::conflict(
                "org_id",
                format!("organization {org_id} does not exist"),
            ))
        }
        other => other?,
    };
    check_kind(role, org_id, org.kind, &org.name)?;
    Ok(org.name)
}

/// One user as the transaction sees it, its row locked (PostgreSQL) so the audited "before"
/// stays true until the change.
async fn user_in(tx: &mut Tx, user_id: i64) -> Result<User, StoreError> {
    tx.lock(
        "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE",
        user_id,
    )
    .await?;
    let sql = format!("SELECT {USER_COLUMNS} WHERE u.id = $1");
    let row: Option<UserRow> =
        on_tx!(tx, c => sqlx::query_as(&sql).bind(user_id).fetch_optional(&mut *c).await)?;
    user_from(row.ok_or(StoreError::NotFound)?)
}

impl Store {
    /// Creates a user in an organization of the kind its role requires (audited).
    pub async fn create_user(&self, who: &Who, new: &NewUser) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        let org_name = target_org(&mut tx, new.role, new.org_id).await?;
        let now = crate::now();
        let inserted: Result<i64, sqlx::Error> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO users (email, name, role, org_id, password_hash, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6) RETURNING id",
        )
        .bind(new.email.as_str())
        .bind(&new.name)
        .bind(new.role.code())
        .bind(new.org_id)
        .bind(&new.password_hash)
        .bind(now)
        .fetch_one(&mut *c)
        .await);
        let id = match inserted {
            Ok(id) => id,
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(StoreError::conflict(
                    "email",
                    format!("a user with email {} already exists", new.email.as_str()),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        let user = User {
            id,
            email: new.email.as_str().to_string(),
            name: new.name.clone(),
            role: new.role,
            org_id: new.org_id,
            org_name,
            active: true,
            created_at: now,
            last_login_at: None,
        };
        audit::record(
            &mut tx,
            who,
            "user.create",
            "user",
            &id.to_string(),
            Some(new.org_id),
            None,
            Some(user_json(&user)),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, id: i64) -> Result<User, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} WHERE u.id = $1");
        let row: Option<UserRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        user_from(row.ok_or(StoreError::NotFound)?)
    }

    /// A user by email address, compared as addresses are stored (canonical, lowercase).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} WHERE u.email = $1");
        let row: Option<UserRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(email_lookup_key(email)).fetch_optional(p).await)?;
        row.map(user_from).transpose()
    }

    /// A user and their password hash, by email, for signing in.
    pub async fn user_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(None);
        };
        let hash: Option<String> = on_pool!(self, p => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(p)
            .await)?;
        Ok(Some((user, hash)))
    }

    /// Users matching `filter`, by email, and how many match in all.
    pub async fn users(&self, filter: &UserFilter) -> Result<(Vec<User>, i64), StoreError> {
        const WHERE: &str = "WHERE ($1 IS NULL OR u.org_id = $1) AND ($2 IS NULL OR u.role = $2) \
            AND ($3 IS NULL OR u.active = $3) AND ($4 IS NULL OR LOWER(u.email) LIKE $4 ESCAPE '\\' OR LOWER(u.name) LIKE $4 ESCAPE '\\')";
        let q = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| {
                let mut p = String::from("%");
                for ch in q.to_lowercase().chars() {
                    if matches!(ch, '%' | '_' | '\\') {
                        p.push('\\');
                    }
                    p.push(ch);
                }
                p.push('%');
                p
            });
        let role = filter.role.map(Role::code);
        let sql = format!("SELECT {USER_COLUMNS} {WHERE} ORDER BY u.email LIMIT $5 OFFSET $6");
        let rows: Vec<UserRow> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(filter.org_id)
            .bind(role)
            .bind(filter.active)
            .bind(&q)
            .bind(filter.limit.clamp(1, 500))
            .bind(filter.offset.max(0))
            .fetch_all(p)
            .await)?;
        let count = format!("SELECT COUNT(*) FROM users u {WHERE}");
        let total: i64 = on_pool!(self, p => sqlx::query_scalar(&count)
            .bind(filter.org_id)
            .bind(role)
            .bind(filter.active)
            .bind(&q)
            .fetch_one(p)
            .await)?;
        Ok((
            rows.into_iter().map(user_from).collect::<Result<_, _>>()?,
            total,
        ))
    }

    /// Vendor staff who can manage partners (for partner-manager choices).
    pub async fn staff_users(&self) -> Result<Vec<User>, StoreError> {
        let sql =
            format!("SELECT {USER_COLUMNS} WHERE o.kind = 'vendor' AND u.active ORDER BY u.name");
        let rows: Vec<UserRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?;
        rows.into_iter().map(user_from).collect()
    }

    /// Sets a user's password hash (audited without the hash).
    pub async fn set_password(
        &self,
        who: &Who,
        user_id: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let n = exec_tx!(
            &mut tx,
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(crate::now())
                .bind(user_id)
        )?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            who,
            "user.password",
            "user",
            &user_id.to_string(),
            None,
            None,
            None,
        )
        .await?;
        // A new password ends every session.
        exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
        )?;
        tx.commit().await
    }

    /// Activates or deactivates a user (audited). Deactivation ends the user's sessions and
    /// revokes its API tokens, so reactivating does not revive them.
    pub async fn set_user_active(
        &self,
        who: &Who,
        user_id: i64,
        active: bool,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        let before = user_in(&mut tx, user_id).await?;
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
                .bind(active)
                .bind(crate::now())
                .bind(user_id)
        )?;
        let mut revoked = 0;
        if !active {
            exec_tx!(
                &mut tx,
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
            )?;
            revoked = exec_tx!(
                &mut tx,
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
                )
                .bind(crate::now())
                .bind(user_id)
            )?;
        }
        let after = User {
            active,
            ..before.clone()
        };
        let action = if active {
            "user.activate"
        } else {
            "user.deactivate"
        };
        let mut after_json: serde_json::Value =
            serde_json::from_str(&user_json(&after)).unwrap_or_default();
        if !active {
            after_json["tokens_revoked"] = revoked.into();
        }
        audit::record(
            &mut tx,
            who,
            action,
            "user",
            &user_id.to_string(),
            Some(before.org_id),
            Some(user_json(&before)),
            Some(after_json.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Moves a partner or customer user to another organization of its kind (audited). Its
    /// sessions end: what it may see changes with its organization.
    pub async fn move_user(
        &self,
        who: &Who,
        user_id: i64,
        org_id: i64,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        let before = user_in(&mut tx, user_id).await?;
        if before.org_id == org_id {
            return Err(StoreError::conflict(
                "org_id",
                format!("{} already belongs to {}", before.email, before.org_name),
            ));
        }
        let org_name = target_org(&mut tx, before.role, org_id).await?;
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE users SET org_id = $1, updated_at = $2 WHERE id = $3")
                .bind(org_id)
                .bind(crate::now())
                .bind(user_id)
        )?;
        exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
        )?;
        let after = User {
            org_id,
            org_name,
            ..before.clone()
        };
        audit::record(
            &mut tx,
            who,
            "user.move",
            "user",
            &user_id.to_string(),
            Some(org_id),
            Some(user_json(&before)),
            Some(user_json(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
