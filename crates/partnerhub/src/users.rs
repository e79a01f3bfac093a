//! `partnerhub user …`, `partnerhub token issue` and `partnerhub audit …`: the commands scripts
//! and first start need. Each calls the same operation the API and the pages call, as the
//! system (whoever runs the command holds the database and its key).

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context};
use partnerhub_app::accounts::users::NewUserInput;
use partnerhub_app::{App, AppError, Caller};
use partnerhub_domain::organization::{person_name, EmailAddress, Role};
use partnerhub_store::Store;

use crate::config::Settings;
use crate::keys;
use crate::serve::{open_store, open_unkeyed};

/// The command line's caller in the audit log.
const CLI: Caller = Caller::System("cli");

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
    /// Show a user: role, organization, whether active, last sign-in.
    Show {
        #[arg(long)]
        email: String,
    },
    /// Deactivate a user: its sessions end and its API tokens are revoked.
    Deactivate {
        #[arg(long)]
        email: String,
    },
    /// Reactivate a deactivated user (its revoked tokens stay revoked).
    Activate {
        #[arg(long)]
        email: String,
    },
    /// Move a partner or customer user to another organization of its kind.
    Move {
        #[arg(long)]
        email: String,
        /// The organization's name.
        #[arg(long)]
        org: String,
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
    /// Verify the audit log's chain; names the first broken row. Exits 0 when it verifies, 1
    /// when it is broken, 2 when only links could be checked (the audit key is missing).
    Verify,
    /// Key a chain from before keying now, even though it is broken, recording the break (a
    /// server refuses to start on such a chain until this is run).
    Rekey {
        /// Key the chain although it does not verify.
        #[arg(long)]
        accept_break: bool,
    },
}

/// An operation's refusal in a command's words, naming the flag where a field is at fault.
fn refused(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => anyhow::anyhow!("{errs}"),
        AppError::Conflict(f) => anyhow::anyhow!("{}", f.message),
        AppError::NotFound => anyhow::anyhow!("not found"),
        other => anyhow::anyhow!("{other}"),
    }
}

async fn app(settings: &Settings) -> anyhow::Result<App> {
    let opened = open_store(settings).await?;
    let public_url = settings.public_url_or("http://127.0.0.1:8080");
    Ok(opened.app(settings, public_url))
}

/// The user with `email`, or an error naming `--email`.
async fn user_id(app: &App, email: &str) -> anyhow::Result<i64> {
    match app.user_by_email(&CLI, email).await {
        Ok(u) => Ok(u.id),
        Err(AppError::NotFound) => bail!("--email: no user with email {email:?}"),
        Err(e) => Err(refused(e)),
    }
}

/// An organization's id by name, or an error naming `--org`.
async fn org_id(store: &Store, name: &str) -> anyhow::Result<i64> {
    match store.organization_by_name(name).await? {
        Some(o) => Ok(o.id),
        None => bail!("--org: no organization named {name:?}"),
    }
}

pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            org,
            password_stdin,
        } => {
            // The flags are checked before the database opens, naming the flag.
            let flag = |e: partnerhub_domain::FieldError| anyhow::anyhow!(e.message);
            let email = EmailAddress::parse("--email", email.trim()).map_err(flag)?;
            let name = person_name("--name", &name).map_err(flag)?;
            let role = Role::parse("--role", &role).map_err(flag)?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let password = line.trim_end_matches(['\r', '\n']).to_string();
                partnerhub_domain::credentials::check_password("password", &password)
                    .map_err(flag)?;
                Some(password)
            } else {
                None
            };
            if org.is_none() && !role.is_staff() {
                bail!("--org is required for a {} user", role.code());
            }
            let app = app(settings).await?;
            let org_id = match &org {
                Some(name) => Some(org_id(app.store(), name).await?),
                None => None,
            };
            let input = NewUserInput {
                email: email.into_string(),
                name,
                role: role.code().to_string(),
                org_id,
                password,
            };
            let user = app.create_user(&CLI, &input).await.map_err(refused)?;
            println!(
                "created user {} ({}, {}) with id {}",
                user.email,
                user.role.code(),
                user.org_name,
                user.id
            );
            app.store().close().await;
        }
        UserCommand::Show { email } => {
            let app = app(settings).await?;
            let id = user_id(&app, &email).await?;
            let u = app.user(&CLI, id).await.map_err(refused)?;
            let when = |t: Option<time::OffsetDateTime>| {
                t.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| "never".into())
            };
            println!("email:         {}", u.email);
            println!("name:          {}", u.name);
            println!("role:          {}", u.role.code());
            println!("organization:  {} (id {})", u.org_name, u.org_id);
            println!("active:        {}", u.active);
            println!("last sign-in:  {}", when(u.last_login_at));
            app.store().close().await;
        }
        UserCommand::Deactivate { email } => {
            let app = app(settings).await?;
            let id = user_id(&app, &email).await?;
            let user = app
                .set_user_active(&CLI, id, false)
                .await
                .map_err(refused)?;
            println!(
                "deactivated {}: its sessions ended and its API tokens were revoked",
                user.email
            );
            app.store().close().await;
        }
        UserCommand::Activate { email } => {
            let app = app(settings).await?;
            let id = user_id(&app, &email).await?;
            let user = app.set_user_active(&CLI, id, true).await.map_err(refused)?;
            println!("reactivated {}", user.email);
            app.store().close().await;
        }
        UserCommand::Move { email, org } => {
            let app = app(settings).await?;
            let id = user_id(&app, &email).await?;
            let to = org_id(app.store(), &org).await?;
            let user = app.move_user(&CLI, id, to).await.map_err(|e| match e {
                AppError::Conflict(f) => anyhow::anyhow!("--org: {}", f.message),
                other => refused(other),
            })?;
            println!("moved {} to {}", user.email, user.org_name);
            app.store().close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Issue { email, label } = command;
    partnerhub_domain::credentials::token_label("--label", &label)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let app = app(settings).await?;
    let id = user_id(&app, &email).await?;
    let issued = app
        .issue_token(&CLI, id, &label, None)
        .await
        .map_err(|e| match e {
            AppError::Conflict(f) => anyhow::anyhow!("--email: {}", f.message),
            other => refused(other),
        })?;
    println!("{}", issued.secret);
    app.store().close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
            // Verifying needs no key to run: without it, the links are checked and the output
            // says that the content was not.
            let store = open_unkeyed(settings).await?;
            let store = match keys::load_audit_key(settings)? {
                Some(key) => store.with_chain_key(key),
                None => store,
            };
            let report = store
                .audit_verify()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.close().await;
            if !report.content_checked {
                eprintln!(
                    "warning: the audit key is missing ({:?}): only the links between rows were \
                     checked, not their content",
                    settings.audit_key
                );
            }
            match report.broken {
                Some(broken) => {
                    println!("audit chain broken at row {}: {broken}", broken.row_id());
                    Ok(ExitCode::FAILURE)
                }
                None if report.content_checked => {
                    println!("audit chain verified: {} rows", report.rows);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    println!(
                        "audit chain links verified: {} rows (content not checked)",
                        report.rows
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
        AuditCommand::Rekey { accept_break } => {
            let store = open_unkeyed(settings).await?;
            let key = keys::audit_key(settings, &store).await?;
            let store = store.with_chain_key(key);
            let start = store
                .prepare_chain(accept_break)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.close().await;
            println!("{start:?}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
