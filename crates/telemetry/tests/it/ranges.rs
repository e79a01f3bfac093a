//! Range files in every native format, the manifest's rules in order, and explanations.

use std::net::IpAddr;

use partnerhub_telemetry::ranges::{parse_ranges, RangeFormat};
use partnerhub_telemetry::{Classifier, Evidence, Signals};

use crate::fixture;

fn prefixes(format: RangeFormat, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture(&format!("ranges/{file}"))).unwrap();
    parse_ranges(format, &text)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn ip(s: &str) -> IpAddr {
    partnerhub_telemetry::address::parse_address(s).unwrap()
}

fn operator_ranges() -> Classifier {
    Classifier::from_dir(&fixture("ranges")).unwrap()
}

#[test]
fn aws_ip_ranges_json_lists_every_prefix_of_both_families() {
    assert_eq!(
        prefixes(RangeFormat::AwsJson, "ip-ranges.json"),
        [
            "3.5.140.0/22",
            "3.5.140.0/22",
            "52.94.0.0/16",
            "52.94.76.0/22",
            "2600:1f18::/33"
        ]
    );
}

#[test]
fn aws_files_before_network_border_group_and_with_crlf_are_read() {
    assert_eq!(
        prefixes(RangeFormat::AwsJson, "ip-ranges-2017.json"),
        ["13.32.0.0/15"]
    );
}

#[test]
fn google_cloud_json_with_a_byte_order_mark_is_read() {
    assert_eq!(
        prefixes(RangeFormat::GcpJson, "cloud.json"),
        ["34.80.0.0/15", "34.80.10.0/24", "2600:1900:4000::/44"]
    );
    assert_eq!(
        prefixes(RangeFormat::GcpJson, "goog.json"),
        ["8.8.4.0/24", "8.8.8.0/24", "2001:4860::/32"]
    );
}

#[test]
fn azure_service_tags_contribute_every_tag() {
    assert_eq!(
        prefixes(
            RangeFormat::AzureServiceTags,
            "ServiceTags_Public_20260818.json"
        ),
        [
            "4.156.0.0/15",
            "20.42.0.0/17",
            "2603:1030:210::/48",
            "13.107.246.0/24"
        ]
    );
}

#[test]
fn oracle_public_ip_ranges_are_read_by_region() {
    assert_eq!(
        prefixes(RangeFormat::OracleJson, "public_ip_ranges.json"),
        ["129.146.12.0/24", "129.146.0.0/21"]
    );
}

#[test]
fn geofeeds_skip_comments_and_read_the_first_column() {
    assert_eq!(
        prefixes(RangeFormat::GeofeedCsv, "digitalocean.csv"),
        ["5.101.96.0/21", "24.144.64.0/22", "2a03:b0c0:0:108::/64"]
    );
    assert_eq!(
        prefixes(RangeFormat::GeofeedCsv, "linode.csv"),
        ["23.92.16.0/24", "2a01:7e00::/32", "20.42.5.0/24"]
    );
}

#[test]
fn plain_cidr_lists_allow_bom_crlf_and_comments() {
    assert_eq!(
        prefixes(RangeFormat::CidrList, "ibm.txt"),
        ["169.44.0.0/14", "169.44.8.0/24", "2607:f0d0::/32"]
    );
}

#[test]
fn overlapping_prefixes_resolve_to_the_longest_match() {
    let c = operator_ranges();
    // Linode's 20.42.5.0/24 lies inside Azure's 20.42.0.0/17.
    assert_eq!(c.classify_ip(ip("20.42.5.9")).platform, "Linode");
    assert_eq!(c.classify_ip(ip("20.42.6.1")).platform, "Azure");
    let inner = c.classify_ip(ip("34.80.10.7"));
    assert_eq!(
        inner.evidence,
        Evidence::Prefix {
            prefix: "34.80.10.0/24".parse_prefix(),
            source: "cloud.json"
        }
    );
}

trait ParsePrefix {
    fn parse_prefix(&self) -> partnerhub_telemetry::address::Prefix;
}

impl ParsePrefix for &str {
    fn parse_prefix(&self) -> partnerhub_telemetry::address::Prefix {
        partnerhub_telemetry::address::Prefix::parse(self).unwrap()
    }
}

#[test]
fn ipv6_and_ipv4_mapped_addresses_are_classified() {
    let c = operator_ranges();
    assert_eq!(c.classify_ip(ip("2600:1f18:4000::1")).platform, "AWS");
    assert_eq!(
        c.classify_ip(ip("2a01:7e00::f03c:93ff:fe11:2233")).platform,
        "Linode"
    );
    assert_eq!(c.classify_ip(ip("::ffff:129.146.12.40")).platform, "Oracle");
    assert_eq!(
        c.classify_ip(ip("::ffff:129.146.12.40"))
            .evidence
            .to_string(),
        "prefix 129.146.12.0/24 (public_ip_ranges.json)"
    );
}

#[test]
fn nothing_matching_is_unknown_with_no_evidence() {
    let c = operator_ranges();
    let u = c.classify_ip(ip("192.0.2.1"));
    assert_eq!(
        (u.platform, u.evidence.to_string()),
        ("Unknown", "-".to_owned())
    );
}

#[test]
fn openshift_outranks_the_iaas_range_it_runs_on() {
    let c = operator_ranges();
    let k = c.classify(&Signals {
        ip: Some(ip("52.94.76.10")),
        hostname: Some("gitlab.apps.prod.ab12.p1.openshiftapps.com"),
        ..Signals::default()
    });
    assert_eq!(k.platform, "Red Hat");
    assert_eq!(k.evidence.to_string(), "rule 1 (openshiftapps.com)");
}

#[test]
fn installation_type_rules_match_exactly() {
    let c = operator_ranges();
    let k = c.classify(&Signals {
        ip: Some(ip("52.94.76.10")),
        installation_type: Some("gitlab-development-kit"),
        ..Signals::default()
    });
    assert_eq!(
        (k.platform, k.evidence.to_string()),
        ("Development", "rule 2 (gitlab-development-kit)".to_owned())
    );
}

#[test]
fn host_names_and_database_flavors_decide_when_the_address_does_not() {
    let c = operator_ranges();
    let by_host = c.classify(&Signals {
        ip: Some(ip("192.0.2.1")),
        hostname: Some("ip-10-0-0-1.ec2-3-5-140-2.COMPUTE.amazonaws.com"),
        ..Signals::default()
    });
    assert_eq!(
        (by_host.platform, by_host.evidence.to_string()),
        ("AWS", "rule 4 (compute.amazonaws.com)".to_owned())
    );
    let by_flavor = c.classify(&Signals {
        database_flavor: Some("Cloud SQL for PostgreSQL"),
        ..Signals::default()
    });
    assert_eq!(by_flavor.platform, "GCP");
    // The address is a stronger signal than the flavor behind it.
    let both = c.classify(&Signals {
        ip: Some(ip("4.156.1.1")),
        database_flavor: Some("Cloud SQL for PostgreSQL"),
        ..Signals::default()
    });
    assert_eq!(both.platform, "Azure");
}

#[test]
fn the_bundled_snapshot_knows_every_provider() {
    let c = Classifier::bundled().unwrap();
    assert!(c.prefix_count() > 50_000);
    for (addr, platform) in [
        ("3.5.140.2", "AWS"),
        ("20.42.0.1", "Azure"),
        ("8.8.8.8", "GCP"),
        ("150.136.1.1", "Oracle"),
        ("5.101.96.1", "DigitalOcean"),
        ("23.92.16.1", "Linode"),
        ("2600:1f18::1", "AWS"),
        ("192.0.2.1", "Unknown"),
    ] {
        assert_eq!(c.classify_ip(ip(addr)).platform, platform, "{addr}");
    }
    let openshift = c.classify(&Signals {
        ip: Some(ip("3.5.140.2")),
        hostname: Some("gitlab.apps.x.openshiftapps.com"),
        ..Signals::default()
    });
    assert_eq!(openshift.platform, "Red Hat");
}

#[test]
fn a_manifest_with_mistakes_is_refused_with_the_reason() {
    use partnerhub_telemetry::ranges::Manifest;
    let p = std::path::Path::new("sources.toml");
    for (text, why) in [
        (
            "[[source]]\nplatform = \"AWS\"\nformat = \"json\"\npath = \"x\"\n",
            "unknown variant",
        ),
        ("[[rule]]\nplatform = \"AWS\"\n", "no condition"),
        (
            "[[rule]]\nplatform = \"AWS\"\nhostname_suffix = \"a\"\ninstallation_type = \"b\"\n",
            "more than one condition",
        ),
        (
            "[[rule]]\nplatform = \"Total\"\nhostname_suffix = \"a\"\n",
            "reserved",
        ),
        (
            "[[rule]]\nplatform = \"AWS\"\nip_ranges = true\n",
            "takes its platform",
        ),
    ] {
        let err = Manifest::parse(text, p).unwrap_err().to_string();
        assert!(err.contains(why), "{err}");
    }
}

#[test]
fn a_bad_prefix_in_a_source_names_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("ranges-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("sources.toml"),
        "[[source]]\nplatform = \"X\"\nformat = \"cidr-list\"\npath = \"x.txt\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("x.txt"), "10.0.0.0/8\n10.0.0.0/99\n").unwrap();
    let err = Classifier::from_dir(&dir).unwrap_err().to_string();
    assert_eq!(
        err,
        "x.txt (cidr-list): line 2: \"10.0.0.0/99\" is not a CIDR prefix"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
