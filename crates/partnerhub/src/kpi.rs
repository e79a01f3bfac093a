//! `partnerhub kpi`: the alliances KPIs computed from telemetry files on the command line.
//!
//! A thin clap layer over `partnerhub-telemetry`; all logic lives in that crate.

use std::process::ExitCode;

/// Arguments of `partnerhub kpi`.
#[derive(Debug, clap::Args)]
pub struct KpiArgs {
    #[command(subcommand)]
    pub command: KpiCommand,
}

/// The `kpi` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KpiCommand {}

/// Runs a `kpi` subcommand.
pub fn run(args: KpiArgs) -> anyhow::Result<ExitCode> {
    match args.command {}
}
