//! Properties: no parser panics on any input, and the prefix table agrees with a linear scan.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use partnerhub_telemetry::address::Prefix;
use partnerhub_telemetry::downloads::parse_combined;
use partnerhub_telemetry::ping::{Ping, PingSchema};
use partnerhub_telemetry::prefix_table::PrefixTable;
use partnerhub_telemetry::ranges::{parse_ranges, RangeFormat};
use partnerhub_telemetry::structural::{skip_container, skip_reference};
use partnerhub_telemetry::StageMap;
use proptest::prelude::*;

const FORMATS: [RangeFormat; 6] = [
    RangeFormat::AwsJson,
    RangeFormat::GcpJson,
    RangeFormat::AzureServiceTags,
    RangeFormat::OracleJson,
    RangeFormat::GeofeedCsv,
    RangeFormat::CidrList,
];

/// Envelope-like text: fragments of real pings shuffled, so the scanner meets near-valid JSON.
fn envelope_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\"payload\"",
        "\"received_at\"",
        "\"2026-10-04T12:00:00Z\"",
        "\"uuid\"",
        "\"u\"",
        "\"usage_activity_by_stage_monthly\"",
        "\"manage\"",
        "\"events\"",
        "-1",
        "12",
        "null",
        "true",
        "\"database\"",
        "\"flavor\"",
        " ",
        "1e999",
        "\"source_ip\"",
        "\"::ffff:1.2.3.4\"",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

/// JSON objects and arrays whose strings are full of brackets, quotes and backslashes.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        "[{}\\[\\]\"\\\\a ]{0,12}".prop_map(Value::String),
        any::<i32>().prop_map(Value::from),
        Just(Value::Null),
    ];
    let tree = leaf.prop_recursive(5, 120, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(("[{}\\]\"a]{0,6}", inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    });
    prop_oneof![
        prop::collection::vec(tree.clone(), 0..6).prop_map(serde_json::Value::Array),
        prop::collection::vec(("[a-z\\[]{0,6}", tree), 0..6)
            .prop_map(|fields| serde_json::Value::Object(fields.into_iter().collect())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_ping_scanner_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let schema = PingSchema::new(&StageMap::default());
        let mut ping = Ping::default();
        let _ = ping.scan(&bytes, &schema);
    }

    #[test]
    fn the_ping_scanner_never_panics_on_near_json(text in envelope_like()) {
        let schema = PingSchema::new(&StageMap::default());
        let mut ping = Ping::default();
        let _ = ping.scan(text.as_bytes(), &schema);
    }

    #[test]
    fn the_block_skip_matches_the_byte_by_byte_skip(
        text in prop::collection::vec(
            prop::sample::select(b"{}[]\"\\ax:,".to_vec()), 0..400),
        start in 0usize..2,
    ) {
        // Dense structural bytes: strings, escapes and brackets cross the 64-byte blocks.
        let mut buf = b"{[".to_vec();
        buf.extend_from_slice(&text);
        prop_assert_eq!(skip_container(&buf, start), skip_reference(&buf, start));
    }

    #[test]
    fn the_block_skip_ends_serialised_json_exactly(value in json_value(), padding in 0usize..70) {
        let text = format!("{}{value}  ,", " ".repeat(padding));
        prop_assert_eq!(skip_container(text.as_bytes(), padding), Some(text.len() - 3));
    }

    #[test]
    fn log_line_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_combined(&bytes);
    }

    #[test]
    fn range_formats_never_panic(text in ".{0,300}", which in 0usize..6) {
        let _ = parse_ranges(FORMATS[which], &text);
    }

    #[test]
    fn prefix_text_never_panics(text in "[0-9a-f:./]{0,45}") {
        let _ = Prefix::parse(&text);
    }

    #[test]
    fn the_prefix_table_is_the_longest_match(
        v4 in prop::collection::vec((any::<u32>(), 0u8..=32), 1..60),
        v6 in prop::collection::vec((any::<u128>(), 0u8..=128), 1..30),
        probes in prop::collection::vec(any::<u32>(), 1..60),
    ) {
        // Concentrate prefixes so that they nest and overlap.
        let mut prefixes: Vec<Prefix> = v4
            .iter()
            .map(|&(a, l)| Prefix::parse(&format!("{}/{l}", Ipv4Addr::from(a & 0xff0f_ffff))).unwrap())
            .collect();
        prefixes.extend(v6.iter().map(|&(a, l)| {
            Prefix::parse(&format!("{}/{l}", Ipv6Addr::from(a & !(0xffu128 << 112)))).unwrap()
        }));
        let table = PrefixTable::build(prefixes.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        let mut ips: Vec<IpAddr> = probes.iter().map(|&a| IpAddr::V4(Ipv4Addr::from(a & 0xff0f_ffff))).collect();
        ips.extend(prefixes.iter().map(|p| match p.family {
            partnerhub_telemetry::address::Family::V4 => IpAddr::V4(Ipv4Addr::from(p.network as u32)),
            partnerhub_telemetry::address::Family::V6 => IpAddr::V6(Ipv6Addr::from(p.last())),
        }));
        for ip in ips {
            let expected = prefixes
                .iter()
                .enumerate()
                .filter(|(_, p)| p.contains(ip))
                .max_by_key(|(i, p)| (p.len, std::cmp::Reverse(*i)))
                .map(|(i, _)| i as u32);
            // Identical prefixes: the table keeps the first, as does the scan above.
            prop_assert_eq!(table.lookup(ip), expected, "{}", ip);
        }
    }
}
