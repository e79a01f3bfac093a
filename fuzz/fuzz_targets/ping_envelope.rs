//! Fuzzes the ping envelope scanner: any bytes must scan to fields or an error, never a panic.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run ping_envelope` (from the repository root).
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub_telemetry::ping::{Ping, PingSchema};
use partnerhub_telemetry::StageMap;

fuzz_target!(|data: &[u8]| {
    let schema = PingSchema::new(&StageMap::default());
    let mut ping = Ping::default();
    let _ = ping.scan(data, &schema);
});
