//! Login sessions and API tokens. Their secrets are stored only as hashes; using them is
//! bookkeeping (a session row, a token's last use, a user's last sign-in), not an audited change.

use time::OffsetDateTime;

use crate::audit::{self, Who};
use crate::db::{exec_tx, on_pool, on_tx, Store};
use crate::error::StoreError;
use crate::users::User;

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
    /// Stores a new session and notes the user's sign-in.
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
        exec_tx!(
            &mut tx,
            sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
                .bind(crate::now())
                .bind(user_id)
        )?;
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

    /// Ends a session; returns whose it was, if it existed.
    pub async fn delete_session(&self, token_hash: &str) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin().await?;
        let user: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id",
        )
        .bind(token_hash)
        .fetch_optional(&mut *c)
        .await)?;
        tx.commit().await?;
        Ok(user)
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
