//! `partnerhub outbox list` and `partnerhub outbox retry|discard`: the deliveries admins watch,
//! from the command line, through the same operations as the admin page and the API.

use std::process::ExitCode;

use partnerhub_app::Caller;
use partnerhub_store::JobRecord;

use crate::config::Settings;
use crate::serve::open_store;

/// The command line's caller in the audit log.
const CLI: Caller = Caller::System("cli");

#[derive(Debug, clap::Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, newest first, with their attempts and last error.
    List {
        /// pending | failed | dead (all three when absent).
        #[arg(long, value_parser = ["pending", "failed", "dead"])]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Put a failed or dead delivery back in line now.
    Retry { id: i64 },
    /// Drop a delivery that has not succeeded.
    Discard { id: i64 },
}

pub async fn outbox(settings: &Settings, command: OutboxCommand) -> anyhow::Result<ExitCode> {
    let opened = open_store(settings).await?;
    let app = opened.app(settings, settings.public_url_or("http://localhost"));
    let result = match command {
        OutboxCommand::List { state, limit } => {
            let states: Vec<&str> = match state.as_deref() {
                Some(s) => vec![s],
                // Pending includes the failed ones (pending, tried before).
                None => vec!["pending", "dead"],
            };
            let mut jobs = Vec::new();
            for s in states {
                jobs.extend(app.outbox(&CLI, Some(s), limit.clamp(1, 1000)).await?);
            }
            jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
            jobs.truncate(limit.clamp(1, 1000) as usize);
            if jobs.is_empty() {
                println!("no deliveries");
            }
            for j in &jobs {
                println!("{}", line(j));
            }
            Ok(ExitCode::SUCCESS)
        }
        OutboxCommand::Retry { id } => app.retry_delivery(&CLI, id).await.map(|j| {
            println!("delivery {} is back in line: {}", j.id, line(&j));
            ExitCode::SUCCESS
        }),
        OutboxCommand::Discard { id } => app.discard_delivery(&CLI, id).await.map(|j| {
            println!("delivery {} discarded", j.id);
            ExitCode::SUCCESS
        }),
    };
    opened.store.close().await;
    result.map_err(|e| anyhow::anyhow!("{e}"))
}

/// One delivery on one line: id, state, channel, what it is about, attempts, last error.
fn line(j: &JobRecord) -> String {
    let state = if j.is_failing() {
        "failed"
    } else {
        j.state.code()
    };
    let subject = match (&j.subject_type, &j.subject_id) {
        (Some(t), Some(i)) => format!("{t} {i}"),
        _ => "-".into(),
    };
    format!(
        "{:>6}  {:<8} {:<12} {:<22} attempts {:<3} {}",
        j.id,
        state,
        j.channel.as_deref().unwrap_or("-"),
        subject,
        j.attempts,
        j.last_error.as_deref().unwrap_or("")
    )
}
