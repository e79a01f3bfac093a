//! Ping envelopes of a population of installations: a realistic platform mix with addresses
//! drawn from the ranges, weekly pings, installations appearing and churning, versions ageing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::payload::{hex, write_payload, PayloadFacts};
use super::{rng_for, GenerateError, Output};
use crate::address::{Family, Prefix};
use crate::classify::Classifier;
use crate::month::{civil_from_days, Month};
use crate::progress::Progress;

/// What to generate.
#[derive(Debug, Clone)]
pub struct PingGeneration {
    pub installations: u64,
    pub from: Month,
    pub to: Month,
    pub seed: u64,
}

/// Where an installation runs, as the generator plans it (the classifier decides what it sees).
#[derive(Debug, Clone, Copy)]
enum Plan {
    Ranges(&'static str),
    OpenShift,
    Ibm,
    /// Residential or office address, no cloud signal.
    Premises,
    /// Behind a NAT, but on a managed database.
    ManagedDatabase(&'static str),
}

const PLANS: &[(Plan, u32)] = &[
    (Plan::Ranges("AWS"), 28),
    (Plan::Ranges("Azure"), 12),
    (Plan::Ranges("GCP"), 11),
    (Plan::Ranges("DigitalOcean"), 6),
    (Plan::Ranges("Linode"), 3),
    (Plan::Ranges("Oracle"), 2),
    (Plan::OpenShift, 4),
    (Plan::Ibm, 2),
    (Plan::Premises, 28),
    (Plan::ManagedDatabase("PostgreSQL on Amazon RDS"), 3),
    (Plan::ManagedDatabase("Cloud SQL for PostgreSQL"), 1),
];

const TYPES: &[(&str, u32)] = &[
    ("omnibus-gitlab", 70),
    ("gitlab-helm-chart", 17),
    ("gitlab-omnibus-helm-chart", 2),
    ("source", 5),
    ("gitlab-development-kit", 6),
];

const EDITIONS: &[(&str, u32)] = &[
    ("CE", 35),
    ("EE Free", 25),
    ("EES", 5),
    ("EEP", 25),
    ("EEU", 10),
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|t| t.1).sum();
    let mut roll = rng.gen_range(0..total);
    for &(v, w) in table {
        if roll < w {
            return v;
        }
        roll -= w;
    }
    table[0].0
}

struct Installation {
    uuid: String,
    hostname: String,
    ip: String,
    installation_type: &'static str,
    edition: &'static str,
    flavor: Option<&'static str>,
    users: u32,
    /// Months behind the newest release.
    lag: i64,
    extra_counters: u32,
    first: i64,
    last: i64,
}

/// Prefixes of each platform, to draw addresses from.
struct AddressBook<'c> {
    classifier: &'c Classifier,
    by_platform: Vec<(String, Vec<Prefix>, Vec<Prefix>)>,
}

impl<'c> AddressBook<'c> {
    fn new(classifier: &'c Classifier) -> Self {
        let mut by_platform: Vec<(String, Vec<Prefix>, Vec<Prefix>)> = Vec::new();
        for (p, platform) in classifier.prefixes() {
            let i = match by_platform.iter().position(|e| e.0 == platform) {
                Some(i) => i,
                None => {
                    by_platform.push((platform.to_owned(), Vec::new(), Vec::new()));
                    by_platform.len() - 1
                }
            };
            match p.family {
                Family::V4 if p.len >= 8 => by_platform[i].1.push(p),
                Family::V6 if p.len >= 16 => by_platform[i].2.push(p),
                _ => {}
            }
        }
        Self {
            classifier,
            by_platform,
        }
    }

    fn cloud(&self, rng: &mut ChaCha8Rng, platform: &str) -> Option<String> {
        let (_, v4, v6) = self.by_platform.iter().find(|e| e.0 == platform)?;
        let roll = rng.gen_range(0..100);
        if roll < 6 && !v6.is_empty() {
            let p = v6[rng.gen_range(0..v6.len())];
            let host = rng.gen::<u128>() & (p.last() - p.network);
            return Some(Ipv6Addr::from(p.network | host).to_string());
        }
        if v4.is_empty() {
            return None;
        }
        let p = v4[rng.gen_range(0..v4.len())];
        let host = (rng.gen::<u32>() as u128) & (p.last() - p.network);
        let ip = Ipv4Addr::from((p.network | host) as u32);
        // Dual-stack receivers record some IPv4 clients as IPv4-mapped IPv6.
        Some(if roll < 9 {
            format!("::ffff:{ip}")
        } else {
            ip.to_string()
        })
    }

    fn premises(&self, rng: &mut ChaCha8Rng) -> String {
        loop {
            let ip = Ipv4Addr::from(rng.gen_range(0x0100_0000u32..0xdf00_0000));
            let public = !(ip.is_private()
                || ip.is_loopback()
                || ip.is_link_local()
                || ip.octets()[0] == 100);
            if public && self.classifier.match_ip(IpAddr::V4(ip)).is_none() {
                return ip.to_string();
            }
        }
    }
}

fn uuid(rng: &mut ChaCha8Rng) -> String {
    let h = hex(rng, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

const COMPANIES: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "vandelay",
    "massive",
    "aperture",
    "oscorp",
    "pied-piper",
];

fn installation(rng: &mut ChaCha8Rng, book: &AddressBook<'_>, window: (i64, i64)) -> Installation {
    let plan = pick(rng, PLANS);
    let company = COMPANIES[rng.gen_range(0..COMPANIES.len())];
    let n: u32 = rng.gen_range(1..999);
    let mut hostname = match rng.gen_range(0..4) {
        0 => format!("gitlab.{company}{n}.com"),
        1 => format!("git.{company}{n}.io"),
        2 => format!("code.{company}{n}.net"),
        _ => format!("gitlab-{n}.{company}.internal"),
    };
    let mut flavor = None;
    let ip = match plan {
        Plan::Ranges(p) => book.cloud(rng, p).unwrap_or_else(|| book.premises(rng)),
        Plan::OpenShift => {
            hostname = format!(
                "gitlab.apps.{company}{n}.{}.p1.openshiftapps.com",
                hex(rng, 4)
            );
            book.cloud(rng, "AWS").unwrap_or_else(|| book.premises(rng))
        }
        Plan::Ibm => {
            hostname = format!("gitlab{n}.{company}.softlayer.com");
            book.premises(rng)
        }
        Plan::Premises => book.premises(rng),
        Plan::ManagedDatabase(f) => {
            flavor = Some(f);
            book.premises(rng)
        }
    };
    if flavor.is_none() && matches!(plan, Plan::Ranges("AWS")) && rng.gen_bool(0.3) {
        flavor = Some(if rng.gen_bool(0.5) {
            "Amazon Aurora PostgreSQL"
        } else {
            "PostgreSQL on Amazon RDS"
        });
    }
    let installation_type = if matches!(plan, Plan::OpenShift) {
        "gitlab-helm-chart"
    } else {
        pick(rng, TYPES)
    };
    let users = (rng.gen_range(1.0f64..9.0).exp()) as u32;
    let lag = if rng.gen_bool(0.15) {
        rng.gen_range(24..66)
    } else {
        rng.gen_range(0..12)
    };
    let extra_counters = if rng.gen_bool(0.04) {
        rng.gen_range(200..1200)
    } else {
        rng.gen_range(0..20)
    };
    let (start, end) = window;
    let first = if rng.gen_bool(0.3) {
        start - rng.gen_range(0..90 * 86_400)
    } else {
        rng.gen_range(start..end)
    };
    let last = if rng.gen_bool(0.35) {
        rng.gen_range(first..end + 86_400 * 60)
    } else {
        end
    };
    Installation {
        uuid: uuid(rng),
        hostname,
        ip,
        installation_type,
        edition: pick(rng, EDITIONS),
        flavor,
        users,
        lag,
        extra_counters,
        first,
        last,
    }
}

/// The release that was newest in a month: 16.0 in May 2023, one minor a month, 12 a major.
fn version_at(seconds: i64, lag: i64) -> (u32, u32, u32) {
    let m = Month::of(seconds);
    let since = (i64::from(m.year) - 2023) * 12 + i64::from(m.month) - 5 - lag;
    let major = 16 + since.div_euclid(12);
    let minor = since.rem_euclid(12);
    (
        major.max(10) as u32,
        minor as u32,
        (seconds / 86_400 % 5) as u32,
    )
}

fn iso(seconds: i64) -> String {
    let (y, mo, d) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Writes weekly pings of `installations` between the months, in order of receipt.
pub fn generate_pings(
    spec: &PingGeneration,
    classifier: &Classifier,
    out_path: &Path,
) -> Result<u64, GenerateError> {
    if spec.to < spec.from {
        return Err(GenerateError::Invalid("--to is before --from".to_owned()));
    }
    let window = (spec.from.start(), spec.to.next().start());
    let book = AddressBook::new(classifier);
    let plans: Vec<Installation> = (0..spec.installations)
        .map(|i| installation(&mut rng_for(spec.seed, 1, i), &book, window))
        .collect();
    // (received_at, installation, ping number), sorted: the file is in order of receipt.
    let mut schedule: Vec<(i64, u32, u32)> = Vec::new();
    for (i, inst) in plans.iter().enumerate() {
        let mut rng = rng_for(spec.seed, 2, i as u64);
        let mut t = inst.first;
        let mut k = 0u32;
        while t < window.1 && t <= inst.last {
            // A few weeks go unreported (instance down, network).
            if t >= window.0 && !rng.gen_bool(0.04) {
                schedule.push((t + rng.gen_range(0..3600), i as u32, k));
            }
            t += 7 * 86_400;
            k += 1;
        }
    }
    schedule.sort_unstable();
    let progress = Progress::new(schedule.len() as u64, "pings");
    let mut out = Output::create(out_path)?;
    let mut line = String::with_capacity(64 << 10);
    for (n, &(at, i, k)) in schedule.iter().enumerate() {
        let inst = &plans[i as usize];
        let mut rng = rng_for(spec.seed, 3, (u64::from(i) << 32) | u64::from(k));
        line.clear();
        let received = iso(at);
        line.push_str("{\"source_ip\":\"");
        line.push_str(&inst.ip);
        line.push_str("\",\"received_at\":\"");
        line.push_str(&received);
        line.push_str("\",\"payload\":");
        let users = (f64::from(inst.users) * rng.gen_range(0.9..1.1)) as u32 + 1;
        write_payload(
            &mut line,
            &mut rng,
            &PayloadFacts {
                uuid: &inst.uuid,
                hostname: &inst.hostname,
                version: version_at(at, inst.lag),
                edition: inst.edition,
                installation_type: inst.installation_type,
                database_flavor: inst.flavor,
                users,
                recorded_at: &iso(at - 30),
                extra_counters: inst.extra_counters,
            },
        );
        line.push_str("}\n");
        out.write(line.as_bytes())?;
        if n.is_multiple_of(4096) {
            progress.advance(4096.min(schedule.len() as u64));
        }
    }
    progress.finish();
    out.finish()?;
    Ok(schedule.len() as u64)
}
