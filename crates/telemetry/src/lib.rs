//! Alliances KPIs from product telemetry: hosting platforms, active installations, SMAU and
//! downloads, computed from raw ping and download-log files.

pub mod address;
pub mod classify;
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

pub use classify::{Classification, Classifier, Evidence, Signals};
pub use downloads::{download_report, DownloadReport, SplitBy};
pub use input::{BadLines, InputError};
pub use pings::{ping_report, PingOptions, PingReport};
pub use ranges::RangesError;
pub use report::{Format, Table};
pub use stages::StageMap;
