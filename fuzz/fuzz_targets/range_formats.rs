//! Fuzzes every native range format: the first byte picks the format, the rest is the file.
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run range_formats`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub_telemetry::prefix_table::PrefixTable;
use partnerhub_telemetry::ranges::{parse_ranges, RangeFormat};

const FORMATS: [RangeFormat; 6] = [
    RangeFormat::AwsJson,
    RangeFormat::GcpJson,
    RangeFormat::AzureServiceTags,
    RangeFormat::OracleJson,
    RangeFormat::GeofeedCsv,
    RangeFormat::CidrList,
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if let Ok(prefixes) = parse_ranges(FORMATS[usize::from(which) % FORMATS.len()], &text) {
        // Whatever parses must also build a table and answer lookups.
        let table = PrefixTable::build(prefixes.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        for p in &prefixes {
            let _ = table.lookup_v4(p.network as u32);
        }
    }
});
