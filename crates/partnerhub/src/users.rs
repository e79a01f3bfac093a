//! `partnerhub user add`, `partnerhub token issue` and `partnerhub audit verify`: the commands
//! scripts and first start need.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context};
use partnerhub_domain::organization::{person_name, EmailAddress, Role};
use partnerhub_store::{NewUser, Who};

use crate::config::Settings;
use crate::serve::open_store;

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user account.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin | alliances | support | finance | partner | customer
        #[arg(long)]
        role: String,
        /// The organization's name (staff roles default to the vendor).
        #[arg(long)]
        org: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a user and print it (it is shown only this once).
    Issue {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Verify the audit log's hash chain; names the first broken row.
    Verify,
}

pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        email,
        name,
        role,
        org,
        password_stdin,
    } = command;
    let email = EmailAddress::parse("--email", &email).map_err(|e| anyhow::anyhow!(e.message))?;
    let name = person_name("--name", &name).map_err(|e| anyhow::anyhow!(e.message))?;
    let role = Role::parse("--role", &role).map_err(|e| anyhow::anyhow!(e.message))?;
    let password_hash = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']);
        partnerhub_domain::credentials::check_password("password", password)
            .map_err(|e| anyhow::anyhow!(e.message))?;
        Some(
            partnerhub_web::auth::hash_password(password)
                .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?,
        )
    } else {
        None
    };
    let store = open_store(settings).await?;
    let org_id = match org {
        Some(org_name) => match store.organization_by_name(&org_name).await? {
            Some(o) => o.id,
            None => bail!("--org: no organization named {org_name:?}"),
        },
        None if role.is_staff() => {
            let vendor = partnerhub_domain::organization::OrgName::parse(
                "vendor_name",
                &settings.vendor_name,
            )
            .map_err(|e| anyhow::anyhow!(e.message))?;
            store.ensure_vendor(&vendor).await?
        }
        None => bail!("--org is required for a {} user", role.code()),
    };
    let user = store
        .create_user(
            &Who::system("cli"),
            &NewUser {
                email,
                name,
                role,
                org_id,
                password_hash,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "created user {} ({}, {}) with id {}",
        user.email,
        user.role.code(),
        user.org_name,
        user.id
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Issue { email, label } = command;
    let label = partnerhub_domain::credentials::token_label("--label", &label)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let store = open_store(settings).await?;
    let Some((user, _)) = store.user_credentials(&email).await? else {
        bail!("--email: no user with email {email:?}")
    };
    if !user.active {
        bail!("--email: {} is deactivated", user.email);
    }
    let token = partnerhub_web::auth::new_api_token();
    store
        .create_token(
            &Who::system("cli"),
            user.id,
            &label,
            &partnerhub_web::auth::secret_hash(&token),
            None,
        )
        .await?;
    println!("{token}");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = command;
    let store = open_store(settings).await?;
    let result = store.audit_verify().await?;
    store.close().await;
    match result {
        Ok(n) => {
            println!("audit chain verified: {n} rows");
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            println!("audit chain broken at row {}: {broken}", broken.row_id());
            Ok(ExitCode::FAILURE)
        }
    }
}
