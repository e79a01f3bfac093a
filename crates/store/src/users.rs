//! Users, their login sessions and their API tokens. Secrets are stored only as hashes.

use partnerhub_domain::organization::{EmailAddress, OrgKind, Role};
use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store};
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

/// A login session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Who a live API token signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIdentity {
    pub user: User,
    pub token_id: i64,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<OffsetDateTime>,
}

/// An API token's metadata (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

type UserRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    bool,
    OffsetDateTime,
);

const USER_COLUMNS: &str =
    "u.id, u.email, u.name, u.role, u.org_id, o.name, u.active, u.created_at FROM users u JOIN organizations o ON o.id = u.org_id";

fn user_from(r: UserRow) -> Result<User, StoreError> {
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
    })
}

fn user_json(u: &User) -> String {
    serde_json::json!({"id": u.id, "email": u.email, "name": u.name, "role": u.role.code(), "org_id": u.org_id, "active": u.active})
        .to_string()
}

type TokenRow = (
    i64,
    i64,
    String,
    OffsetDateTime,
    Option<i64>,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
);

fn token_from(r: TokenRow) -> ApiTokenRecord {
    ApiTokenRecord {
        id: r.0,
        user_id: r.1,
        label: r.2,
        created_at: r.3,
        expires_at: r.4,
        last_used_at: r.5,
        revoked_at: r.6,
    }
}

impl Store {
    /// Creates a user in an organization of the kind its role requires (audited).
    pub async fn create_user(&self, who: &Who, new: &NewUser) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        let org = match get_in_tx(&mut tx, new.org_id).await {
            Err(StoreError::NotFound) => {
                return Err(StoreError::conflict(
                    "org",
                    format!("organization {} does not exist", new.org_id),
                ))
            }
            other => other?,
        };
        let wanted: OrgKind = new.role.org_kind();
        if org.kind != wanted {
            return Err(StoreError::conflict(
                "org",
                format!(
                    "a {} user belongs to a {} organization; {} is a {}",
                    new.role.code(),
                    wanted.code(),
                    org.name,
                    org.kind.code()
                ),
            ));
        }
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
            org_name: org.name,
            active: true,
            created_at: now,
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

    /// A user and their password hash, by email, for signing in.
    pub async fn user_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(User, Option<String>)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} WHERE u.email = $1");
        let row: Option<UserRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(email.trim().to_lowercase()).fetch_optional(p).await)?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from(row)?;
        let hash: Option<String> = on_pool!(self, p => sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(p)
            .await)?;
        Ok(Some((user, hash)))
    }

    /// Users, by email, optionally of one organization.
    pub async fn users(
        &self,
        org_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<User>, i64), StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} WHERE ($1 IS NULL OR u.org_id = $1) ORDER BY u.email LIMIT $2 OFFSET $3");
        let rows: Vec<UserRow> = on_pool!(self, p => sqlx::query_as(&sql).bind(org_id).bind(limit).bind(offset).fetch_all(p).await)?;
        let total: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE ($1 IS NULL OR org_id = $1)")
            .bind(org_id)
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

    /// Activates or deactivates a user; deactivation ends sessions (audited).
    pub async fn set_user_active(
        &self,
        who: &Who,
        user_id: i64,
        active: bool,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin().await?;
        // The "before" is read in the transaction that changes it, the row locked.
        tx.lock(
            "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE",
            user_id,
        )
        .await?;
        let sql = format!("SELECT {USER_COLUMNS} WHERE u.id = $1");
        let row: Option<UserRow> =
            on_tx!(&mut tx, c => sqlx::query_as(&sql).bind(user_id).fetch_optional(&mut *c).await)?;
        let before = user_from(row.ok_or(StoreError::NotFound)?)?;
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
                .bind(active)
                .bind(crate::now())
                .bind(user_id)
        )?;
        if !active {
            exec_tx!(
                &mut tx,
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id)
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
        audit::record(
            &mut tx,
            who,
            action,
            "user",
            &user_id.to_string(),
            Some(before.org_id),
            Some(user_json(&before)),
            Some(user_json(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Stores a new session.
    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        exec_tx!(&mut tx, sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(crate::now())
            .bind(expires_at))?;
        // Housekeeping: expired sessions go on every sign-in.
        let now = crate::now().unix_timestamp();
        exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now)
        )?;
        tx.commit().await
    }

    /// The active user of a live session.
    pub async fn session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<(i64, String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(p)
        .await)?;
        let Some((user_id, csrf_token, expires_at)) = row else {
            return Ok(None);
        };
        let user = self.user(user_id).await?;
        Ok(user.active.then_some(SessionRecord {
            user,
            csrf_token,
            expires_at,
        }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        exec_tx!(
            &mut tx,
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash)
        )?;
        tx.commit().await
    }

    /// Records a new API token for `user_id` (audited without the secret).
    pub async fn create_token(
        &self,
        who: &Who,
        user_id: i64,
        label: &str,
        token_hash: &str,
        expires_at: Option<i64>,
    ) -> Result<ApiTokenRecord, StoreError> {
        let user = self.user(user_id).await?;
        let mut tx = self.begin().await?;
        let now = crate::now();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, label, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(label)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *c)
        .await)?;
        let after = serde_json::json!({"id": id, "user_id": user_id, "label": label, "expires_at": expires_at}).to_string();
        audit::record(
            &mut tx,
            who,
            "token.issue",
            "api_token",
            &id.to_string(),
            Some(user.org_id),
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(ApiTokenRecord {
            id,
            user_id,
            label: label.to_string(),
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    /// The active user behind a live, unrevoked token, and when the token was last used.
    /// A read only: [`Store::touch_token`] records use.
    pub async fn token_identity(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<TokenIdentity>, StoreError> {
        let row: Option<(i64, i64, Option<i64>, Option<OffsetDateTime>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(p)
        .await)?;
        let Some((token_id, user_id, expires_at, last_used_at)) = row else {
            return Ok(None);
        };
        if expires_at.is_some_and(|e| e <= now.unix_timestamp()) {
            return Ok(None);
        }
        let user = self.user(user_id).await?;
        if !user.active {
            return Ok(None);
        }
        Ok(Some(TokenIdentity {
            user,
            token_id,
            expires_at,
            last_used_at,
        }))
    }

    /// Records that a token was used at `now`.
    pub async fn touch_token(&self, token_id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token_id)
        )?;
        tx.commit().await
    }

    /// A user's tokens, newest first.
    pub async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let rows: Vec<TokenRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, label, created_at, expires_at, last_used_at, revoked_at FROM api_tokens \
             WHERE ($1 IS NULL OR user_id = $1) ORDER BY id DESC LIMIT 500",
        )
        .bind(user_id)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(token_from).collect())
    }

    /// Revokes a token; `owner` limits it to that user's tokens (audited).
    pub async fn revoke_token(
        &self,
        who: &Who,
        owner: Option<i64>,
        token_id: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let n = exec_tx!(&mut tx, sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND ($3 IS NULL OR user_id = $3) AND revoked_at IS NULL",
        )
        .bind(crate::now())
        .bind(token_id)
        .bind(owner))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            who,
            "token.revoke",
            "api_token",
            &token_id.to_string(),
            None,
            None,
            None,
        )
        .await?;
        tx.commit().await
    }
}
