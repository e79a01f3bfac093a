//! Download KPIs on real-shaped access-log lines, combined format and JSON.

use partnerhub_telemetry::{download_report, Format, SplitBy};

use crate::fixture;

#[test]
fn downloads_by_method_and_month() {
    let (r, bad) =
        download_report(&[fixture("access.log"), fixture("access.jsonl")], None).unwrap();
    let expected = std::fs::read_to_string(fixture("expected-downloads.csv")).unwrap();
    assert_eq!(r.table().render(Format::Csv), expected);
    let named: Vec<(String, u64)> = bad
        .named()
        .map(|(p, l, _)| (p.file_name().unwrap().to_string_lossy().into_owned(), l))
        .collect();
    assert_eq!(
        named,
        [
            ("access.log".to_owned(), 25),
            ("access.jsonl".to_owned(), 5)
        ]
    );
}

#[test]
fn rows_split_by_edition_version_and_os() {
    let files = [fixture("access.log")];
    let (r, _) = download_report(&files, Some(SplitBy::Os)).unwrap();
    let csv = r.table().render(Format::Csv);
    assert!(csv.starts_with("month,method,os,downloads\n"));
    assert!(csv.contains("2026-10,omnibus,ubuntu/jammy,2\n"), "{csv}");
    assert!(csv.contains("2026-10,omnibus,el/9,1\n"), "{csv}");
    assert!(csv.contains("2026-10,omnibus,debian/bookworm,1\n"), "{csv}");
    assert!(csv.contains("2026-10,helm_chart,-,1\n"), "{csv}");

    let (r, _) = download_report(&files, Some(SplitBy::Edition)).unwrap();
    let csv = r.table().render(Format::Csv);
    assert!(csv.contains("2026-10,omnibus,ce,2\n"), "{csv}");
    assert!(csv.contains("2026-10,omnibus,ee,3\n"), "{csv}");
    assert!(csv.contains("2026-10,source,ce,1\n"), "{csv}");

    let (r, _) = download_report(&files, Some(SplitBy::Version)).unwrap();
    let csv = r.table().render(Format::Csv);
    assert!(csv.contains("2026-10,omnibus,16.5.1,4\n"), "{csv}");
    assert!(csv.contains("2026-10,helm_chart,chart-7.9.0,1\n"), "{csv}");
    assert!(csv.contains("2026-10,docker_image,16.5.1,1\n"), "{csv}");
}

#[test]
fn json_output_is_an_array_of_rows() {
    let (r, _) = download_report(&[fixture("access.jsonl")], None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.table().render(Format::Json)).unwrap();
    assert_eq!(v[0]["method"], "docker_image");
    assert_eq!(v[0]["downloads"], 1);
}

#[test]
fn generated_logs_are_deterministic_and_parse_cleanly() {
    use partnerhub_telemetry::generate::{generate_downloads, DownloadGeneration};
    let spec = DownloadGeneration {
        lines: 5000,
        month: "2026-10".parse().unwrap(),
        seed: 3,
    };
    let a = std::env::temp_dir().join(format!("telemetry-it-{}-gen.log", std::process::id()));
    assert_eq!(generate_downloads(&spec, &a).unwrap(), 5000);
    let first = std::fs::read(&a).unwrap();
    generate_downloads(&spec, &a).unwrap();
    assert_eq!(first, std::fs::read(&a).unwrap());
    let (r, bad) = download_report(std::slice::from_ref(&a), None).unwrap();
    assert!(bad.is_empty());
    let methods: Vec<&str> = r.rows.iter().map(|row| row.method.name()).collect();
    assert_eq!(methods, ["docker_image", "helm_chart", "omnibus", "source"]);
    std::fs::remove_file(a).unwrap();
}
