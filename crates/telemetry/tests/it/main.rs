//! Integration tests of the telemetry engine, one binary: range formats and rules, ping KPIs,
//! download KPIs, and properties (parsers never panic, the prefix table agrees with a scan).

// Fixtures are known-good: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod downloads;
mod pings;
mod properties;
mod ranges;

use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
