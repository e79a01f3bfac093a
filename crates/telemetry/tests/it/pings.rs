//! Ping KPIs on real-shaped payloads of several GitLab versions, plain and compressed.

use std::io::Write;
use std::path::PathBuf;

use partnerhub_telemetry::pings::monthly_installations;
use partnerhub_telemetry::{ping_report, Classifier, Format, PingOptions, StageMap};

use crate::fixture;

fn report(files: &[PathBuf], options: &PingOptions) -> (String, partnerhub_telemetry::BadLines) {
    let classifier = Classifier::from_dir(&fixture("ranges")).unwrap();
    let (r, bad) = ping_report(files, &classifier, options).unwrap();
    (r.table().render(Format::Csv), bad)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("telemetry-it-{}-{name}", std::process::id()))
}

#[test]
fn active_installations_and_smau_per_platform_and_month() {
    let (csv, _) = report(&[fixture("pings.ndjson")], &PingOptions::default());
    let expected = std::fs::read_to_string(fixture("expected-pings.csv")).unwrap();
    assert_eq!(csv, expected);
}

#[test]
fn malformed_lines_are_skipped_and_named_with_file_and_line() {
    let (_, bad) = report(&[fixture("pings.ndjson")], &PingOptions::default());
    assert_eq!(bad.count, 2);
    let named: Vec<(u64, &str)> = bad.named().map(|(_, line, why)| (line, why)).collect();
    assert_eq!(
        named,
        [
            (6, "unterminated object or array"),
            (8, "payload has no uuid")
        ]
    );
    assert!(bad.to_string().starts_with(&format!(
        "{}:6: malformed line skipped",
        fixture("pings.ndjson").display()
    )));
}

#[test]
fn the_last_ping_of_the_month_in_utc_decides() {
    let (all, _) = monthly_installations(&[fixture("pings.ndjson")], &StageMap::default()).unwrap();
    let acme_october = all
        .iter()
        .find(|i| i.hostname == "gitlab.acme.com" && i.month.to_string() == "2026-10")
        .unwrap();
    // Sent 2026-11-01T00:30+01:00, which is still October in UTC.
    assert_eq!(acme_october.version.as_deref(), Some("16.5.1-ee"));
    assert_eq!(acme_october.stages[0], 12);
}

#[test]
fn one_uuid_on_two_hosts_is_two_installations() {
    let (all, _) = monthly_installations(&[fixture("pings.ndjson")], &StageMap::default()).unwrap();
    let hosts: Vec<&str> = all
        .iter()
        .filter(|i| i.uuid.starts_with("a1e5d0f4") && i.month.to_string() == "2026-10")
        .map(|i| i.hostname.as_str())
        .collect();
    assert_eq!(hosts, ["gitlab.acme.com", "gitlab.acme.io"]);
}

#[test]
fn development_kits_count_only_when_asked() {
    let options = PingOptions {
        include_development: true,
        ..PingOptions::default()
    };
    let (csv, _) = report(&[fixture("pings.ndjson")], &options);
    assert!(csv.contains("2026-10,Development,1,1,1,"), "{csv}");
    assert!(csv.contains("2026-10,Total,6,172,"), "{csv}");
}

#[test]
fn rows_split_by_installation_type() {
    let options = PingOptions {
        by_installation_type: true,
        ..PingOptions::default()
    };
    let (csv, _) = report(&[fixture("pings.ndjson")], &options);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with(
        "month,platform,installation_type,active_installations,smau_total,smau_manage"
    ));
    assert!(
        lines.contains(&"2026-10,GCP,omnibus-gitlab,1,11,0,0,11,0,0,0,0,0,0"),
        "{csv}"
    );
    assert!(
        lines.contains(&"2026-10,GCP,source,1,8,0,0,0,8,0,0,0,0,0"),
        "{csv}"
    );
    assert!(
        lines.contains(&"2026-10,Total,gitlab-helm-chart,1,100,60,40,0,0,0,0,0,0,0"),
        "{csv}"
    );
}

#[test]
fn gzip_and_zstd_files_are_recognised_by_content() {
    let plain = std::fs::read(fixture("pings.ndjson")).unwrap();
    let gz = temp("pings.data");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&plain).unwrap();
    enc.finish().unwrap();
    let zst = temp("pings.zst.data");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    let expected = std::fs::read_to_string(fixture("expected-pings.csv")).unwrap();
    for f in [&gz, &zst] {
        let (csv, bad) = report(std::slice::from_ref(f), &PingOptions::default());
        assert_eq!(csv, expected);
        assert_eq!(bad.count, 2);
    }
    std::fs::remove_file(gz).unwrap();
    std::fs::remove_file(zst).unwrap();
}

#[test]
fn a_custom_stage_mapping_names_the_columns() {
    let stages = StageMap::parse_toml(
        "[[stage]]\nname = \"plan\"\nmetrics = [\"redis_hll_counters.issues_edit.issues_edit_total_unique_counts_monthly\", \"usage_activity_by_stage_monthly.manage.events\"]\n",
    )
    .unwrap();
    let options = PingOptions {
        stages,
        ..PingOptions::default()
    };
    let (csv, _) = report(&[fixture("pings.ndjson")], &options);
    assert_eq!(
        csv.lines().next(),
        Some("month,platform,active_installations,smau_total,smau_plan")
    );
    assert!(csv.contains("2026-10,Red Hat,1,50,50"), "{csv}");
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let missing = fixture("no-such-file.ndjson");
    let classifier = Classifier::from_dir(&fixture("ranges")).unwrap();
    let err = ping_report(&[missing], &classifier, &PingOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no-such-file.ndjson"));
}

#[test]
fn generated_pings_are_deterministic_and_parse_cleanly() {
    use partnerhub_telemetry::generate::{generate_pings, PingGeneration};
    let classifier = Classifier::bundled().unwrap();
    let spec = PingGeneration {
        installations: 40,
        from: "2026-01".parse().unwrap(),
        to: "2026-03".parse().unwrap(),
        seed: 7,
    };
    let (a, b) = (temp("gen-a.ndjson"), temp("gen-b.ndjson"));
    let n = generate_pings(&spec, &classifier, &a).unwrap();
    generate_pings(&spec, &classifier, &b).unwrap();
    assert!(n > 100);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let (r, bad) = ping_report(
        std::slice::from_ref(&a),
        &classifier,
        &PingOptions::default(),
    )
    .unwrap();
    assert!(bad.is_empty());
    assert!(r.rows.iter().any(|row| row.platform == "Unknown"));
    assert!(r.rows.iter().any(|row| row.platform == "AWS"));
    // Every line is valid JSON as well, not only to the scanner.
    for line in std::fs::read_to_string(&a).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    std::fs::remove_file(a).unwrap();
    std::fs::remove_file(b).unwrap();
}

#[test]
fn line_numbers_stay_exact_across_chunks_of_a_large_file() {
    let path = temp("large.ndjson");
    let pad = "x".repeat(900);
    let mut text = String::new();
    for n in 1..=12_000u32 {
        if n == 5_000 || n == 11_999 {
            text.push_str("{\"received_at\":\"2026-10-04T12:00:00Z\"\n");
        } else {
            text.push_str(&format!(
                "{{\"source_ip\":\"203.0.113.{}\",\"received_at\":\"2026-10-04T12:00:00Z\",\"payload\":{{\"uuid\":\"u{n}\",\"pad\":\"{pad}\"}}}}\n",
                n % 250
            ));
        }
    }
    std::fs::write(&path, text).unwrap();
    let classifier = Classifier::bundled().unwrap();
    let (r, bad) = ping_report(
        std::slice::from_ref(&path),
        &classifier,
        &PingOptions::default(),
    )
    .unwrap();
    let lines: Vec<u64> = bad.named().map(|(_, l, _)| l).collect();
    assert_eq!(lines, [5_000, 11_999]);
    assert_eq!(
        r.rows
            .iter()
            .find(|row| row.platform == "Total")
            .unwrap()
            .active_installations,
        11_998
    );
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_bad_line_is_named_whatever_was_read_before_it() {
    // Line 2 is an earlier ping of the installation line 1 already kept: still malformed.
    let path = temp("order.ndjson");
    std::fs::write(
        &path,
        concat!(
            r#"{"source_ip":"203.0.113.7","received_at":"2026-10-20T12:00:00Z","payload":{"uuid":"u","hostname":"h"}}"#,
            "\n",
            r#"{"source_ip":"not-an-ip","received_at":"2026-10-04T12:00:00Z","payload":{"uuid":"u","hostname":"h"}}"#,
            "\n",
            r#"{"source_ip":"203.0.113.8","received_at":"2026-10-03T12:00:00Z","payload":{"uuid":"u\ud800","hostname":"h"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let (_, bad) = report(std::slice::from_ref(&path), &PingOptions::default());
    let named: Vec<(u64, &str)> = bad.named().map(|(_, line, why)| (line, why)).collect();
    assert_eq!(
        named,
        [
            (2, "source_ip is not an IP address"),
            (3, "uuid is not valid text")
        ]
    );
    std::fs::remove_file(path).unwrap();
}

#[cfg(unix)]
#[test]
fn a_pipe_is_read_as_a_stream() {
    // `kpi pings <(zcat pings.gz)` hands over a pipe, which cannot be read at a position.
    let fifo = temp("pings.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let text = std::fs::read(fixture("pings.ndjson")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let (from_pipe, bad_pipe) = report(std::slice::from_ref(&fifo), &PingOptions::default());
    writer.join().unwrap();
    let (from_file, bad_file) = report(&[fixture("pings.ndjson")], &PingOptions::default());
    assert_eq!(from_pipe, from_file);
    let named = |bad: &partnerhub_telemetry::BadLines| -> Vec<(u64, &'static str)> {
        bad.named().map(|(_, line, why)| (line, why)).collect()
    };
    assert_eq!(bad_pipe.count, 2);
    assert_eq!(named(&bad_pipe), named(&bad_file));
    std::fs::remove_file(fifo).unwrap();
}
