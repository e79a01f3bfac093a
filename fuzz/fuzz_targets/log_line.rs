//! Fuzzes access-log line parsing and request classification, combined format and JSON.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run log_line`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub_telemetry::download_path::classify_path;
use partnerhub_telemetry::downloads::parse_combined;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse_combined(data) {
        if let Ok(target) = std::str::from_utf8(r.target) {
            let _ = classify_path(target);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = classify_path(text);
    }
    let _ = partnerhub_telemetry::downloads::parse_line(data);
});
