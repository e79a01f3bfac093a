//! User accounts: creating them, reading them, deactivating and reactivating them, moving
//! them to another organization of their kind. Admins only (and the command line).

use partnerhub_domain::access::Action;
use partnerhub_domain::organization::{person_name, EmailAddress, Role};
use partnerhub_domain::{credentials, FieldError, FieldErrors};
use partnerhub_store::{NewUser, User, UserFilter};

use crate::error::AppError;
use crate::{App, Caller};

/// A new account as a client describes it.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    /// The organization; staff roles default to the vendor.
    pub org_id: Option<i64>,
    /// Omitted or empty: an account that signs in with API tokens only.
    pub password: Option<String>,
}

impl NewUserInput {
    /// Checks every field (reporting all that are wrong) and returns the account without its
    /// password hash, and the password to hash.
    pub fn parse(&self, vendor_org: i64) -> Result<(NewUser, Option<String>), FieldErrors> {
        let mut errs = FieldErrors::default();
        let email = errs.take(EmailAddress::parse("email", &self.email));
        let name = errs.take(person_name("name", &self.name));
        let role = errs.take(Role::parse("role", &self.role));
        // An empty password is a password too short, not none: omit it for a token-only account.
        let password = self.password.as_deref();
        if let Some(pw) = password {
            errs.take(credentials::check_password("password", pw));
        }
        let org_id = match (self.org_id, role) {
            (Some(id), _) => Some(id),
            (None, Some(r)) if r.is_staff() => Some(vendor_org),
            (None, Some(_)) => errs.take(Err(FieldError::new(
                "org_id",
                "required",
                "partner and customer users need their organization",
            ))),
            (None, None) => None,
        };
        match (email, name, role, org_id) {
            (Some(email), Some(name), Some(role), Some(org_id)) if errs.is_empty() => Ok((
                NewUser {
                    email,
                    name,
                    role,
                    org_id,
                    password_hash: None,
                },
                password.map(str::to_string),
            )),
            _ => Err(errs),
        }
    }
}

impl App {
    async fn vendor_org(&self) -> Result<i64, AppError> {
        self.store()
            .vendor_id()
            .await?
            .ok_or_else(|| AppError::Internal("the vendor organization does not exist".into()))
    }

    /// Creates an account; its password (if any) must pass the password rules.
    pub async fn create_user(
        &self,
        caller: &Caller,
        input: &NewUserInput,
    ) -> Result<User, AppError> {
        caller.authorize(Action::ManageUsers, None)?;
        let (mut new, password) = input.parse(self.vendor_org().await?)?;
        if let Some(pw) = password {
            new.password_hash = Some(self.passwords().hash(pw).await?);
        }
        Ok(self.store().create_user(&caller.who(), &new).await?)
    }

    /// One account.
    pub async fn user(&self, caller: &Caller, id: i64) -> Result<User, AppError> {
        self.managed_user(caller, id).await
    }

    /// The account `id`, with the policy's decision on it: another organization's account is
    /// "not found" to a user who sees only their own.
    async fn managed_user(&self, caller: &Caller, id: i64) -> Result<User, AppError> {
        let user = self.store().user(id).await?;
        caller.authorize(Action::ManageUsers, Some(user.org_id))?;
        Ok(user)
    }

    /// An account by email address.
    pub async fn user_by_email(&self, caller: &Caller, email: &str) -> Result<User, AppError> {
        caller.authorize(Action::ManageUsers, None)?;
        self.store()
            .user_by_email(email)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Accounts matching `filter` and how many match in all.
    pub async fn users(
        &self,
        caller: &Caller,
        filter: &UserFilter,
    ) -> Result<(Vec<User>, i64), AppError> {
        caller.authorize(Action::ManageUsers, None)?;
        Ok(self.store().users(filter).await?)
    }

    /// Deactivates (ending its sessions and revoking its tokens) or reactivates an account.
    /// Nobody deactivates their own account: the last admin could lock everyone out.
    pub async fn set_user_active(
        &self,
        caller: &Caller,
        id: i64,
        active: bool,
    ) -> Result<User, AppError> {
        self.managed_user(caller, id).await?;
        if !active && caller.user_id() == Some(id) {
            return Err(AppError::Conflict(FieldError::new(
                "id",
                "conflict",
                "you cannot deactivate your own account; ask another administrator",
            )));
        }
        Ok(self
            .store()
            .set_user_active(&caller.who(), id, active)
            .await?)
    }

    /// Moves a partner or customer user to another organization of its kind; staff belong to
    /// the vendor and cannot move.
    pub async fn move_user(&self, caller: &Caller, id: i64, org_id: i64) -> Result<User, AppError> {
        self.managed_user(caller, id).await?;
        Ok(self.store().move_user(&caller.who(), id, org_id).await?)
    }

    /// Sets a new password (the caller's own, or anyone's for admins); every session ends.
    pub async fn set_password(
        &self,
        caller: &Caller,
        id: i64,
        password: &str,
    ) -> Result<(), AppError> {
        if caller.user_id() != Some(id) {
            caller.authorize(Action::ManageUsers, None)?;
        }
        credentials::check_password("password", password)?;
        let hash = self.passwords().hash(password.to_string()).await?;
        Ok(self.store().set_password(&caller.who(), id, &hash).await?)
    }
}
