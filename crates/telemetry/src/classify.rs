//! The hosting-platform classifier: ordered rules and a longest-prefix match over the ranges,
//! where every answer carries its evidence (the rule or the prefix that decided).

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use crate::address::Prefix;
use crate::prefix_table::PrefixTable;
use crate::ranges::{self, LoadedSources, Matcher, RangesError, Rule, UNKNOWN};

/// Classifies installations into hosting platforms.
#[derive(Debug, Clone)]
pub struct Classifier {
    table: PrefixTable,
    /// Prefix entries; the table's values index this.
    prefixes: Vec<(Prefix, u16)>,
    /// Per source: (platform, path as written in the manifest).
    sources: Vec<(String, String)>,
    rules: Vec<Rule>,
}

/// What is known about an installation for classification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signals<'a> {
    pub ip: Option<IpAddr>,
    pub hostname: Option<&'a str>,
    pub database_flavor: Option<&'a str>,
    pub installation_type: Option<&'a str>,
}

/// Why an installation got its platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence<'c> {
    /// The source IP lies in this prefix, declared by this source (path from the manifest).
    Prefix { prefix: Prefix, source: &'c str },
    /// Rule `number` (1-based, manifest order) matched on `matched`.
    Rule { number: usize, matched: &'c str },
    /// Nothing matched.
    Nothing,
}

impl fmt::Display for Evidence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prefix { prefix, source } => write!(f, "prefix {prefix} ({source})"),
            Self::Rule { number, matched } => write!(f, "rule {number} ({matched})"),
            Self::Nothing => f.write_str("-"),
        }
    }
}

/// A platform and the evidence for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification<'c> {
    pub platform: &'c str,
    pub evidence: Evidence<'c>,
}

impl Classifier {
    /// The classifier of the bundled snapshot.
    pub fn bundled() -> Result<Self, RangesError> {
        Ok(Self::from_sources(ranges::load_bundled()?))
    }

    /// The classifier declared by `DIR/sources.toml`: exactly its sources and rules.
    pub fn from_dir(dir: &Path) -> Result<Self, RangesError> {
        Ok(Self::from_sources(ranges::load_dir(dir)?))
    }

    /// The bundled classifier, or the one of `dir` when given.
    pub fn load(dir: Option<&Path>) -> Result<Self, RangesError> {
        match dir {
            Some(d) => Self::from_dir(d),
            None => Self::bundled(),
        }
    }

    pub fn from_sources(loaded: LoadedSources) -> Self {
        let LoadedSources { manifest, prefixes } = loaded;
        // Values are positions in `prefixes`, which are in manifest order: on a prefix declared
        // by two sources, the earlier source wins.
        let table = PrefixTable::build(
            prefixes
                .iter()
                .enumerate()
                .map(|(i, (p, _))| (*p, i as u32)),
        );
        let sources = manifest
            .sources
            .into_iter()
            .map(|s| (s.platform, s.path))
            .collect();
        Self {
            table,
            prefixes,
            sources,
            rules: manifest.rules,
        }
    }

    /// Number of prefixes loaded (duplicates included).
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// Every loaded prefix (for benchmarks and cross-checks).
    pub fn prefixes(&self) -> impl Iterator<Item = (Prefix, &str)> {
        self.prefixes
            .iter()
            .map(|(p, s)| (*p, self.sources[usize::from(*s)].0.as_str()))
    }

    /// The longest prefix holding `ip`, with its platform and source path.
    #[inline]
    pub fn match_ip(&self, ip: IpAddr) -> Option<(Prefix, &str, &str)> {
        let i = self.table.lookup(ip)? as usize;
        let (prefix, source) = self.prefixes.get(i)?;
        let (platform, path) = self.sources.get(usize::from(*source))?;
        Some((*prefix, platform, path))
    }

    /// The platform index of the longest IPv4 prefix holding `ip` (the benchmark's hot path).
    #[inline]
    pub fn lookup_v4(&self, ip: u32) -> Option<u32> {
        self.table.lookup_v4(ip)
    }

    /// Classifies by address alone (the `ip_ranges` rule).
    pub fn classify_ip(&self, ip: IpAddr) -> Classification<'_> {
        self.classify(&Signals {
            ip: Some(ip),
            ..Signals::default()
        })
    }

    /// Applies the rules in order; the first that matches decides, else `Unknown`.
    pub fn classify(&self, signals: &Signals<'_>) -> Classification<'_> {
        for (i, rule) in self.rules.iter().enumerate() {
            let number = i + 1;
            let platform = rule.platform.as_deref().unwrap_or(UNKNOWN);
            match &rule.matcher {
                Matcher::IpRanges => {
                    if let Some((prefix, platform, source)) =
                        signals.ip.and_then(|ip| self.match_ip(ip))
                    {
                        return Classification {
                            platform,
                            evidence: Evidence::Prefix { prefix, source },
                        };
                    }
                }
                Matcher::HostnameSuffix(domains) => {
                    if let Some(host) = signals.hostname {
                        let host = host.trim_end_matches('.');
                        if let Some(d) = domains.iter().find(|d| is_within_domain(host, d)) {
                            return rule_hit(platform, number, d);
                        }
                    }
                }
                Matcher::DatabaseFlavorContains(texts) => {
                    if let Some(flavor) = signals.database_flavor {
                        let flavor = flavor.to_lowercase();
                        if let Some(t) = texts.iter().find(|t| flavor.contains(t.as_str())) {
                            return rule_hit(platform, number, t);
                        }
                    }
                }
                Matcher::InstallationType(values) => {
                    if let Some(it) = signals.installation_type {
                        if let Some(v) = values.iter().find(|v| v.as_str() == it) {
                            return rule_hit(platform, number, v);
                        }
                    }
                }
            }
        }
        Classification {
            platform: UNKNOWN,
            evidence: Evidence::Nothing,
        }
    }

    /// The rules in manifest order (for explanations).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

fn rule_hit<'c>(platform: &'c str, number: usize, matched: &'c str) -> Classification<'c> {
    Classification {
        platform,
        evidence: Evidence::Rule { number, matched },
    }
}

/// `host` is `domain` or one of its subdomains, ignoring ASCII case.
fn is_within_domain(host: &str, domain: &str) -> bool {
    let (h, d) = (host.as_bytes(), domain.as_bytes());
    if h.len() < d.len() || !h[h.len() - d.len()..].eq_ignore_ascii_case(d) {
        return false;
    }
    h.len() == d.len() || h[h.len() - d.len() - 1] == b'.' || d.first() == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_match_but_lookalikes_do_not() {
        assert!(is_within_domain(
            "apps.x1.openshiftapps.com",
            "openshiftapps.com"
        ));
        assert!(is_within_domain("OPENSHIFTAPPS.COM", "openshiftapps.com"));
        assert!(!is_within_domain(
            "evilopenshiftapps.com",
            "openshiftapps.com"
        ));
        assert!(!is_within_domain("com", "openshiftapps.com"));
    }
}
