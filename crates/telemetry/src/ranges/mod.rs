//! Range sources and classification rules as an operator declares them in `sources.toml`,
//! and the default snapshot compiled into the binary.

mod formats;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use formats::{parse_ranges, FormatError, RangeFormat};

use crate::address::Prefix;

/// Why a ranges directory or manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RangesError {
    #[error("cannot read {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("{path} ({format}): {detail}")]
    Format {
        path: PathBuf,
        format: &'static str,
        detail: FormatError,
    },
}

/// One `[[source]]` entry: a platform's published ranges in a native format.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    pub platform: String,
    pub format: RangeFormat,
    pub path: String,
}

/// A string or a list of strings in the manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    platform: Option<String>,
    hostname_suffix: Option<OneOrMany>,
    database_flavor_contains: Option<OneOrMany>,
    installation_type: Option<OneOrMany>,
    ip_ranges: Option<bool>,
}

/// What a rule looks at. Hosts and flavors compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// The source IP in the declared ranges, longest prefix first.
    IpRanges,
    /// `hostname` equal to, or a subdomain of, one of these domains.
    HostnameSuffix(Vec<String>),
    /// `database.flavor` containing one of these texts.
    DatabaseFlavorContains(Vec<String>),
    /// `installation_type` equal to one of these values.
    InstallationType(Vec<String>),
}

/// One `[[rule]]` entry, in manifest order; the first that matches decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The platform it assigns; `None` for the IP-ranges rule (the prefix's source decides).
    pub platform: Option<String>,
    pub matcher: Matcher,
}

/// A parsed manifest: sources and ordered rules.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub sources: Vec<SourceEntry>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    #[serde(default, rename = "source")]
    sources: Vec<SourceEntry>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleEntry>,
}

/// The platform name the reports use for a month's sum; no source or rule may claim it.
pub const TOTAL: &str = "Total";
/// The platform of an installation no rule recognises.
pub const UNKNOWN: &str = "Unknown";

impl Manifest {
    /// Parses manifest text; `path` only names it in errors. Without an `ip_ranges = true` rule
    /// the range match comes before every other rule, as the primary method.
    pub fn parse(text: &str, path: &Path) -> Result<Self, RangesError> {
        let bad = |message: String| RangesError::Manifest {
            path: path.to_owned(),
            message,
        };
        let file: ManifestFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for s in &file.sources {
            check_platform(&s.platform).map_err(&bad)?;
        }
        let mut rules = Vec::new();
        for (i, r) in file.rules.into_iter().enumerate() {
            let n = i + 1;
            let mut matchers = Vec::new();
            if r.ip_ranges == Some(true) {
                matchers.push(Matcher::IpRanges);
            }
            if let Some(v) = r.hostname_suffix {
                let domains = v
                    .into_vec()
                    .into_iter()
                    .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase())
                    .collect();
                matchers.push(Matcher::HostnameSuffix(domains));
            }
            if let Some(v) = r.database_flavor_contains {
                let texts = v.into_vec().iter().map(|t| t.to_lowercase()).collect();
                matchers.push(Matcher::DatabaseFlavorContains(texts));
            }
            if let Some(v) = r.installation_type {
                matchers.push(Matcher::InstallationType(v.into_vec()));
            }
            let matcher = match matchers.len() {
                1 => matchers.remove(0),
                0 => return Err(bad(format!("rule {n} has no condition (hostname_suffix, database_flavor_contains, installation_type or ip_ranges = true)"))),
                _ => return Err(bad(format!("rule {n} has more than one condition; write one rule per condition"))),
            };
            match (&matcher, &r.platform) {
                (Matcher::IpRanges, Some(_)) => {
                    return Err(bad(format!(
                        "rule {n}: an ip_ranges rule takes its platform from the matching source, not from `platform`"
                    )))
                }
                (Matcher::IpRanges, None) => {}
                (_, None) => return Err(bad(format!("rule {n} names no platform"))),
                (_, Some(p)) => check_platform(p).map_err(&bad)?,
            }
            rules.push(Rule {
                platform: r.platform,
                matcher,
            });
        }
        if !rules.iter().any(|r| r.matcher == Matcher::IpRanges) {
            rules.insert(
                0,
                Rule {
                    platform: None,
                    matcher: Matcher::IpRanges,
                },
            );
        }
        Ok(Self {
            sources: file.sources,
            rules,
        })
    }
}

fn check_platform(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        Err("a platform name is empty".to_owned())
    } else if name == TOTAL || name == UNKNOWN {
        Err(format!(
            "{name:?} is reserved for reports and cannot be a platform"
        ))
    } else if name.contains(['\t', '\n', '\r']) {
        Err(format!("platform {name:?} contains a tab or line break"))
    } else {
        Ok(())
    }
}

/// Ranges loaded from a manifest's sources: each prefix with its source's index.
#[derive(Debug, Clone)]
pub struct LoadedSources {
    pub manifest: Manifest,
    pub prefixes: Vec<(Prefix, u16)>,
}

/// Loads a manifest and its sources, reading files through `read` (paths as written in the
/// manifest; the caller resolves them).
pub fn load(
    manifest_text: &str,
    manifest_path: &Path,
    read: &dyn Fn(&str) -> Result<String, RangesError>,
) -> Result<LoadedSources, RangesError> {
    let manifest = Manifest::parse(manifest_text, manifest_path)?;
    if manifest.sources.len() > usize::from(u16::MAX) {
        return Err(RangesError::Manifest {
            path: manifest_path.to_owned(),
            message: "too many sources".to_owned(),
        });
    }
    let mut prefixes = Vec::new();
    for (i, s) in manifest.sources.iter().enumerate() {
        let text = read(&s.path)?;
        let parsed = parse_ranges(s.format, &text).map_err(|detail| RangesError::Format {
            path: PathBuf::from(&s.path),
            format: s.format.name(),
            detail,
        })?;
        prefixes.extend(parsed.into_iter().map(|p| (p, i as u16)));
    }
    Ok(LoadedSources { manifest, prefixes })
}

/// Loads `DIR/sources.toml`, with paths relative to the manifest.
pub fn load_dir(dir: &Path) -> Result<LoadedSources, RangesError> {
    let manifest_path = dir.join("sources.toml");
    let text = read_file(&manifest_path)?;
    load(&text, &manifest_path, &|rel| read_file(&dir.join(rel)))
}

fn read_file(path: &Path) -> Result<String, RangesError> {
    let bytes = std::fs::read(path).map_err(|cause| RangesError::Read {
        path: path.to_owned(),
        cause,
    })?;
    // Lossy: a stray byte in a comment should not reject a provider's whole file.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The bundled snapshot (crates/telemetry/ranges), compiled into the binary.
const BUNDLED: &[(&str, &str)] = &[
    ("sources.toml", include_str!("../../ranges/sources.toml")),
    (
        "amazon/ipv4.txt",
        include_str!("../../ranges/amazon/ipv4.txt"),
    ),
    (
        "amazon/ipv6.txt",
        include_str!("../../ranges/amazon/ipv6.txt"),
    ),
    (
        "microsoft/ipv4.txt",
        include_str!("../../ranges/microsoft/ipv4.txt"),
    ),
    (
        "microsoft/ipv6.txt",
        include_str!("../../ranges/microsoft/ipv6.txt"),
    ),
    (
        "google/ipv4.txt",
        include_str!("../../ranges/google/ipv4.txt"),
    ),
    (
        "google/ipv6.txt",
        include_str!("../../ranges/google/ipv6.txt"),
    ),
    (
        "oracle/ipv4.txt",
        include_str!("../../ranges/oracle/ipv4.txt"),
    ),
    (
        "digitalocean/ipv4.txt",
        include_str!("../../ranges/digitalocean/ipv4.txt"),
    ),
    (
        "digitalocean/ipv6.txt",
        include_str!("../../ranges/digitalocean/ipv6.txt"),
    ),
    (
        "linode/ipv4.txt",
        include_str!("../../ranges/linode/ipv4.txt"),
    ),
    (
        "linode/ipv6.txt",
        include_str!("../../ranges/linode/ipv6.txt"),
    ),
];

/// A file of the bundled snapshot by its path relative to the bundled manifest.
pub fn bundled_file(path: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// Loads the bundled snapshot.
pub fn load_bundled() -> Result<LoadedSources, RangesError> {
    let manifest_path = Path::new("<bundled>/sources.toml");
    let manifest = bundled_file("sources.toml").unwrap_or_default();
    load(manifest, manifest_path, &|rel| {
        bundled_file(rel)
            .map(str::to_owned)
            .ok_or_else(|| RangesError::Read {
                path: PathBuf::from("<bundled>").join(rel),
                cause: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
    })
}
