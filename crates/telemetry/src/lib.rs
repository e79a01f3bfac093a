//! Alliances KPIs from product telemetry: hosting platforms, active installations, SMAU and
//! downloads, computed from raw ping and download-log files.
//!
//! The engine stands alone: no web server, no database. Its parts follow the handbook's KPIs:
//!
//! - [`Classifier`]: the hosting platform of an installation, from the providers' published
//!   ranges (read in their native formats, declared in a `sources.toml` manifest, see
//!   [`ranges`]) and ordered non-IP rules; every answer carries its [`Evidence`].
//! - [`ping_report`]: active installations and SMAU per platform and calendar month from files of
//!   ping envelopes; the last ping of each installation's month decides.
//! - [`download_report`]: downloads by distribution method per month from access logs.
//! - [`generate`]: deterministic, realistic test data for both.
//!
//! ```
//! use std::io::Write;
//! use partnerhub_telemetry::{ping_report, Classifier, Format, PingOptions};
//!
//! let classifier = Classifier::bundled()?;
//! let aws = classifier.classify_ip("3.5.140.2".parse()?);
//! assert_eq!(aws.platform, "AWS");
//! assert_eq!(aws.evidence.to_string(), "prefix 3.5.140.0/22 (amazon/ipv4.txt)");
//!
//! let path = std::env::temp_dir().join(format!("doc-pings-{}.ndjson", std::process::id()));
//! let mut file = std::fs::File::create(&path)?;
//! writeln!(file, r#"{{"source_ip":"3.5.140.2","received_at":"2026-10-04T12:00:00Z","payload":{{"uuid":"u-1","hostname":"gitlab.example.com","installation_type":"omnibus-gitlab","usage_activity_by_stage_monthly":{{"create":{{"action_monthly_active_users_project_repo":42}}}}}}}}"#)?;
//! drop(file);
//!
//! let (report, skipped) = ping_report(&[path.clone()], &classifier, &PingOptions::default())?;
//! assert!(skipped.is_empty());
//! let csv = report.table().render(Format::Csv);
//! assert!(csv.contains("2026-10,AWS,1,42,0,0,42,"));
//! assert!(csv.contains("2026-10,Total,1,42,"));
//! # std::fs::remove_file(path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Fuzzing: `fuzz/` at the repository root is a cargo-fuzz project with one target per parser
//! (`ping_envelope`, `log_line`, `range_formats`, `manifest`). With cargo-fuzz installed
//! (`cargo install cargo-fuzz`) and a stable toolchain, run from the repository root:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run -O ping_envelope -- -max_total_time=60`.

pub mod address;
pub mod classify;
mod compact;
pub mod download_path;
pub mod downloads;
pub mod generate;
pub mod input;
pub mod json_scan;
pub mod month;
pub mod ping;
pub mod pings;
pub mod prefix_table;
pub mod progress;
pub mod ranges;
pub mod report;
pub mod stages;
pub mod structural;

pub use classify::{Classification, Classifier, Evidence, Signals};
pub use downloads::{download_report, DownloadReport, SplitBy};
pub use input::{BadLines, InputError};
pub use pings::{ping_report, PingOptions, PingReport};
pub use ranges::RangesError;
pub use report::{Format, Table};
pub use stages::StageMap;
