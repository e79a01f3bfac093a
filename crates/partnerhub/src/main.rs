//! The `partnerhub` binary: command line, configuration, startup and shutdown.
//!
//! A thin entry point: every capability lives in a library crate.

mod config;
mod demo;
mod keys;
mod kpi;
mod outbox;
mod serve;
mod users;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{GlobalArgs, Settings};

/// Partnerhub: the partner-program operations system.
#[derive(Debug, Parser)]
#[command(name = "partnerhub", version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web UI and JSON API (and, unless --no-worker, the background jobs).
    Serve(serve::ServeArgs),
    /// Run background jobs only: deliveries, reminders.
    Worker(serve::WorkerArgs),
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: users::TokenCommand,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        command: users::AuditCommand,
    },
    /// Deliveries pending, failed or dead: list, retry, discard.
    Outbox {
        #[command(subcommand)]
        command: outbox::OutboxCommand,
    },
    /// Alliances KPIs from telemetry files (pings, download logs).
    Kpi(kpi::KpiArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Kpi(args) => kpi::run(args),
        other => run_with_store(&cli.global, other),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Commands that work on the database run on a Tokio runtime.
fn run_with_store(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(global)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match command {
            Command::Serve(args) => serve::run(&settings, args).await,
            Command::Worker(args) => serve::worker(&settings, args).await,
            Command::User { command } => users::user(&settings, command).await,
            Command::Token { command } => users::token(&settings, command).await,
            Command::Audit { command } => users::audit(&settings, command).await,
            Command::Outbox { command } => outbox::outbox(&settings, command).await,
            Command::Kpi(_) => unreachable_kpi(),
        }
    })
}

fn unreachable_kpi() -> anyhow::Result<ExitCode> {
    anyhow::bail!("kpi commands do not use the database")
}
