//! Access-log lines of a package, chart, registry and source host for one month: real path
//! shapes, repository metadata, install scripts, registry blob traffic, ranged requests and bots.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{rng_for, GenerateError, Output};
use crate::month::{civil_from_days, Month};
use crate::progress::Progress;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DownloadGeneration {
    pub lines: u64,
    pub month: Month,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    AptMetadata,
    YumMetadata,
    Deb,
    Rpm,
    LegacyDeb,
    Ranged,
    RaspberryPi,
    InstallScript,
    ManifestHead,
    ManifestTag,
    ManifestDigest,
    Blob,
    RegistryToken,
    HelmIndex,
    HelmChart,
    Archive,
    Clone,
    Push,
    NotModified,
    NotFound,
    PackageHead,
    Bot,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::AptMetadata, 250),
    (Kind::YumMetadata, 100),
    (Kind::Deb, 80),
    (Kind::Rpm, 50),
    (Kind::LegacyDeb, 10),
    (Kind::Ranged, 20),
    (Kind::RaspberryPi, 5),
    (Kind::InstallScript, 30),
    (Kind::ManifestHead, 60),
    (Kind::ManifestTag, 40),
    (Kind::ManifestDigest, 40),
    (Kind::Blob, 80),
    (Kind::RegistryToken, 20),
    (Kind::HelmIndex, 50),
    (Kind::HelmChart, 20),
    (Kind::Archive, 20),
    (Kind::Clone, 20),
    (Kind::Push, 2),
    (Kind::NotModified, 20),
    (Kind::NotFound, 20),
    (Kind::PackageHead, 10),
    (Kind::Bot, 60),
];

const UBUNTU: &[&str] = &["focal", "jammy", "noble"];
const DEBIAN: &[&str] = &["bullseye", "bookworm"];
const EL: &[&str] = &["8", "9"];
const BOTS: &[&str] = &[
    "/",
    "/robots.txt",
    "/wp-login.php",
    "/.env",
    "/sitemap.xml",
    "/gitlab/gitlab-ee",
    "/favicon.ico",
];
const BOT_AGENTS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
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

fn one<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

fn version(rng: &mut ChaCha8Rng) -> String {
    let major = rng.gen_range(15..=19);
    format!("{major}.{}.{}", rng.gen_range(0..12), rng.gen_range(0..6))
}

fn edition(rng: &mut ChaCha8Rng) -> &'static str {
    if rng.gen_bool(0.65) {
        "ee"
    } else {
        "ce"
    }
}

fn deb_path(rng: &mut ChaCha8Rng, legacy: bool) -> String {
    let ed = edition(rng);
    let v = version(rng);
    let (distro, release) = if rng.gen_bool(0.75) {
        ("ubuntu", one(rng, UBUNTU))
    } else {
        ("debian", one(rng, DEBIAN))
    };
    let arch = if rng.gen_bool(0.85) { "amd64" } else { "arm64" };
    if legacy {
        format!("/gitlab/gitlab-{ed}/packages/{distro}/{release}/gitlab-{ed}_{v}-{ed}.0_{arch}.deb/download.deb")
    } else {
        format!("/gitlab/gitlab-{ed}/{distro}/pool/{release}/main/g/gitlab-{ed}/gitlab-{ed}_{v}-{ed}.0_{arch}.deb")
    }
}

fn rpm_path(rng: &mut ChaCha8Rng) -> String {
    let ed = edition(rng);
    let v = version(rng);
    let el = one(rng, EL);
    let arch = if rng.gen_bool(0.85) {
        "x86_64"
    } else {
        "aarch64"
    };
    format!(
        "/gitlab/gitlab-{ed}/el/{el}/{arch}/Packages/g/gitlab-{ed}-{v}-{ed}.0.el{el}.{arch}.rpm"
    )
}

struct Line<'a> {
    client: String,
    method: &'a str,
    path: String,
    status: u16,
    agent: &'a str,
}

fn client(rng: &mut ChaCha8Rng) -> String {
    Ipv4Addr::from(rng.gen_range(0x0100_0000u32..0xdf00_0000)).to_string()
}

fn line(rng: &mut ChaCha8Rng, kind: Kind) -> Vec<Line<'static>> {
    let apt = "Debian APT-HTTP/1.3 (2.4.11)";
    let dnf = "libdnf (Red Hat Enterprise Linux 9.3; generic; Linux.x86_64)";
    let docker = "docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0-91-generic os/linux arch/amd64";
    let get = |path: String, status: u16, agent: &'static str, rng: &mut ChaCha8Rng| Line {
        client: client(rng),
        method: "GET",
        path,
        status,
        agent,
    };
    match kind {
        Kind::AptMetadata => {
            let ed = edition(rng);
            let r = one(rng, UBUNTU);
            let f = one(
                rng,
                &[
                    "InRelease",
                    "Release",
                    "main/binary-amd64/Packages.gz",
                    "main/binary-arm64/Packages.gz",
                ],
            );
            vec![get(
                format!("/gitlab/gitlab-{ed}/ubuntu/dists/{r}/{f}"),
                200,
                apt,
                rng,
            )]
        }
        Kind::YumMetadata => {
            let ed = edition(rng);
            let el = one(rng, EL);
            let f = one(
                rng,
                &[
                    "repodata/repomd.xml",
                    "repodata/primary.xml.gz",
                    "repodata/filelists.xml.gz",
                ],
            );
            vec![get(
                format!("/gitlab/gitlab-{ed}/el/{el}/x86_64/{f}"),
                200,
                dnf,
                rng,
            )]
        }
        Kind::Deb => vec![get(deb_path(rng, false), 200, apt, rng)],
        Kind::LegacyDeb => vec![get(deb_path(rng, true), 200, "curl/8.4.0", rng)],
        Kind::Rpm => vec![get(rpm_path(rng), 200, dnf, rng)],
        Kind::Ranged => {
            // A resumed download: several 206 responses for one file and client.
            let path = if rng.gen_bool(0.5) {
                deb_path(rng, false)
            } else {
                rpm_path(rng)
            };
            let who = client(rng);
            (0..rng.gen_range(1..4))
                .map(|_| Line {
                    client: who.clone(),
                    method: "GET",
                    path: path.clone(),
                    status: 206,
                    agent: "Wget/1.21.2",
                })
                .collect()
        }
        Kind::RaspberryPi => {
            let v = version(rng);
            let r = one(rng, DEBIAN);
            vec![get(format!("/gitlab/raspberry-pi2/debian/pool/{r}/main/g/gitlab-ce/gitlab-ce_{v}-ce.0_armhf.deb"), 200, apt, rng)]
        }
        Kind::InstallScript => {
            let ed = edition(rng);
            let s = one(rng, &["script.deb.sh", "script.rpm.sh"]);
            vec![get(
                format!("/install/repositories/gitlab/gitlab-{ed}/{s}"),
                200,
                "curl/8.4.0",
                rng,
            )]
        }
        Kind::ManifestHead | Kind::ManifestTag => {
            let ed = edition(rng);
            let tag = if rng.gen_bool(0.3) {
                "latest".to_owned()
            } else {
                format!("{}-{ed}.0", version(rng))
            };
            let mut l = get(
                format!("/v2/gitlab/gitlab-{ed}/manifests/{tag}"),
                200,
                docker,
                rng,
            );
            if matches!(kind, Kind::ManifestHead) {
                l.method = "HEAD";
            }
            vec![l]
        }
        Kind::ManifestDigest => {
            let ed = edition(rng);
            let d = super::payload::hex(rng, 64);
            vec![get(
                format!("/v2/gitlab/gitlab-{ed}/manifests/sha256:{d}"),
                200,
                docker,
                rng,
            )]
        }
        Kind::Blob => {
            let ed = edition(rng);
            let d = super::payload::hex(rng, 64);
            vec![get(
                format!("/v2/gitlab/gitlab-{ed}/blobs/sha256:{d}"),
                200,
                docker,
                rng,
            )]
        }
        Kind::RegistryToken => vec![get("/v2/".to_owned(), 401, docker, rng)],
        Kind::HelmIndex => vec![get("/index.yaml".to_owned(), 200, "Helm/3.14.0", rng)],
        Kind::HelmChart => {
            let v = format!(
                "{}.{}.{}",
                rng.gen_range(6..=9),
                rng.gen_range(0..12),
                rng.gen_range(0..4)
            );
            vec![get(format!("/gitlab-{v}.tgz"), 200, "Helm/3.14.0", rng)]
        }
        Kind::Archive => {
            let (project, suffix) = if rng.gen_bool(0.5) {
                ("gitlab-foss", "")
            } else {
                ("gitlab", "-ee")
            };
            let v = version(rng);
            let ext = one(rng, &["tar.gz", "zip", "tar.bz2", "tar"]);
            vec![get(
                format!(
                    "/gitlab-org/{project}/-/archive/v{v}{suffix}/{project}-v{v}{suffix}.{ext}"
                ),
                200,
                "curl/8.4.0",
                rng,
            )]
        }
        Kind::Clone => {
            let project = if rng.gen_bool(0.5) {
                "gitlab-foss"
            } else {
                "gitlab"
            };
            vec![get(
                format!("/gitlab-org/{project}.git/info/refs?service=git-upload-pack"),
                200,
                "git/2.42.0",
                rng,
            )]
        }
        Kind::Push => vec![get(
            "/gitlab-org/gitlab.git/info/refs?service=git-receive-pack".to_owned(),
            401,
            "git/2.42.0",
            rng,
        )],
        Kind::NotModified => vec![get(deb_path(rng, false), 304, apt, rng)],
        Kind::NotFound => {
            let mut p = rpm_path(rng);
            p.push_str(".bak");
            vec![get(p, 404, "curl/8.4.0", rng)]
        }
        Kind::PackageHead => {
            let mut l = get(rpm_path(rng), 200, dnf, rng);
            l.method = "HEAD";
            vec![l]
        }
        Kind::Bot => {
            let agent = one(rng, BOT_AGENTS);
            let status = if rng.gen_bool(0.7) { 200 } else { 404 };
            vec![get(one(rng, BOTS).to_owned(), status, agent, rng)]
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `DD/Mon/YYYY:HH:MM:SS ±HHMM` of a UTC instant as a server in `offset_hours` logs it.
fn log_time(seconds: i64, offset_hours: i64) -> String {
    let local = seconds + offset_hours * 3600;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    let sign = if offset_hours < 0 { '-' } else { '+' };
    format!(
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} {sign}{:02}00",
        MONTHS[usize::from(m - 1)],
        s / 3600,
        s / 60 % 60,
        s % 60,
        offset_hours.abs()
    )
}

/// Writes about `lines` access-log lines spread over the month, in time order.
pub fn generate_downloads(
    spec: &DownloadGeneration,
    out_path: &Path,
) -> Result<u64, GenerateError> {
    let start = spec.month.start();
    let span = spec.month.next().start() - start;
    let progress = Progress::new(spec.lines, "log lines");
    let mut out = Output::create(out_path)?;
    let mut text = String::with_capacity(1 << 16);
    let mut written = 0u64;
    let mut i = 0u64;
    while written < spec.lines {
        let mut rng = rng_for(spec.seed, 4, i);
        let at = start + (i as i64 * span) / spec.lines.max(1) as i64;
        let kind = pick(&mut rng, KINDS);
        // A second mirror logs in local time (+0100).
        let offset = if rng.gen_bool(0.05) { 1 } else { 0 };
        let time = log_time(at, offset);
        text.clear();
        for l in line(&mut rng, kind) {
            if written >= spec.lines {
                break;
            }
            let bytes: u64 = if l.status == 200 {
                rng.gen_range(300..900_000_000)
            } else {
                0
            };
            let _ = writeln!(
                text,
                "{} - - [{time}] \"{} {} HTTP/1.1\" {} {bytes} \"-\" \"{}\"",
                l.client, l.method, l.path, l.status, l.agent
            );
            written += 1;
        }
        out.write(text.as_bytes())?;
        i += 1;
        if i.is_multiple_of(8192) {
            progress.advance(8192);
        }
    }
    progress.finish();
    out.finish()?;
    Ok(written)
}
