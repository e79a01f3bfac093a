//! Fuzzes the `sources.toml` manifest reader (sources and rules).
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run manifest`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub_telemetry::ranges::Manifest;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Manifest::parse(text, std::path::Path::new("sources.toml"));
    }
});
