//! API tokens: each user issues, lists and revokes their own; the command line issues them for
//! anyone. The secret is shown once, at issue; only its hash is stored.

use partnerhub_domain::access::Action;
use partnerhub_domain::credentials;
use partnerhub_store::ApiTokenRecord;

use crate::error::AppError;
use crate::secrets::{new_api_token, secret_hash};
use crate::{App, Caller};

/// A token just issued: its record and the secret, which is never shown again.
pub struct IssuedToken {
    pub record: ApiTokenRecord,
    pub secret: String,
}

impl App {
    /// Issues a token for `user_id`: a user for itself, the system for anyone.
    pub async fn issue_token(
        &self,
        caller: &Caller,
        user_id: i64,
        label: &str,
        expires_in_days: Option<i64>,
    ) -> Result<IssuedToken, AppError> {
        caller.authorize(Action::ManageOwnTokens, None)?;
        if caller.user_id().is_some_and(|own| own != user_id) {
            return Err(AppError::NotFound);
        }
        let mut errs = partnerhub_domain::FieldErrors::default();
        let label = errs.take(credentials::token_label("label", label));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let expires_at = match expires_in_days {
            Some(d) => errs
                .take(credentials::token_expiry("expires_in_days", d, now))
                .map(Some),
            None => Some(None),
        };
        let (Some(label), Some(expires_at)) = (label, expires_at) else {
            return Err(errs.into());
        };
        let user = self.store().user(user_id).await?;
        if !user.active {
            return Err(AppError::Conflict(partnerhub_domain::FieldError::new(
                "email",
                "conflict",
                format!("{} is deactivated", user.email),
            )));
        }
        let secret = new_api_token();
        let record = self
            .store()
            .create_token(
                &caller.who(),
                user_id,
                &label,
                &secret_hash(&secret),
                expires_at,
            )
            .await?;
        Ok(IssuedToken { record, secret })
    }

    /// The caller's own tokens, newest first.
    pub async fn own_tokens(&self, caller: &Caller) -> Result<Vec<ApiTokenRecord>, AppError> {
        caller.authorize(Action::ManageOwnTokens, None)?;
        let user = caller.user_id().ok_or(AppError::NotFound)?;
        Ok(self.store().tokens(Some(user)).await?)
    }

    /// Revokes one of the caller's own tokens; anyone else's is not found.
    pub async fn revoke_own_token(&self, caller: &Caller, token_id: i64) -> Result<(), AppError> {
        caller.authorize(Action::ManageOwnTokens, None)?;
        let user = caller.user_id().ok_or(AppError::NotFound)?;
        Ok(self
            .store()
            .revoke_token(&caller.who(), Some(user), token_id)
            .await?)
    }
}
