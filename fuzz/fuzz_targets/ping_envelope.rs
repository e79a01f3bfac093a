//! Fuzzes the ping envelope scanner: any bytes must scan to fields or an error, never a panic;
//! and the 64-byte-block container skip must end where the byte-at-a-time definition does.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run ping_envelope` (from the repository root).
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub_telemetry::ping::{Ping, PingSchema};
use partnerhub_telemetry::structural::{skip_container, skip_reference};
use partnerhub_telemetry::StageMap;

fuzz_target!(|data: &[u8]| {
    let schema = PingSchema::new(&StageMap::default());
    let mut ping = Ping::default();
    let _ = ping.scan(data, &schema);
    let brackets = data.iter().enumerate().filter(|(_, &c)| c == b'{' || c == b'[');
    for (start, _) in brackets.take(4) {
        assert_eq!(skip_container(data, start), skip_reference(data, start));
    }
});
