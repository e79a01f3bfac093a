//! The `partnerhub` binary: command line, configuration, startup and background workers.
//!
//! A thin entry point: every capability lives in a library crate.

mod kpi;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Partnerhub: the partner-program operations system.
#[derive(Debug, Parser)]
#[command(name = "partnerhub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Alliances KPIs from telemetry files (pings, download logs).
    Kpi(kpi::KpiArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Kpi(args) => kpi::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
