//! One ping envelope line (`source_ip`, `received_at`, `payload`) scanned for the few fields the
//! KPIs need, tolerating unknown fields, nulls, strings for numbers and missing sections.

use std::net::IpAddr;

use crate::address::parse_address;
use crate::json_scan::{count, has_backslash, key_is, text_of, Scalar, ScanResult, Scanner};
use crate::month::{parse_iso8601, Instant};
use crate::stages::StageMap;

/// What a field of the payload feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Uuid,
    Hostname,
    Version,
    InstallationType,
    DatabaseFlavor,
    /// A metric of the stage with this index.
    Stage(usize),
}

/// A level of the payload's field tree that matters; everything else is skipped.
#[derive(Debug, Clone, Default)]
struct Node {
    children: Vec<(Box<[u8]>, Child)>,
}

#[derive(Debug, Clone, Default)]
struct Child {
    targets: Vec<Target>,
    node: Option<Node>,
}

impl Node {
    fn insert(&mut self, path: &[&str], target: Target) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        let key = first.as_bytes();
        let i = match self.children.iter().position(|(k, _)| &**k == key) {
            Some(i) => i,
            None => {
                self.children.push((key.into(), Child::default()));
                self.children.len() - 1
            }
        };
        let child = &mut self.children[i].1;
        if rest.is_empty() {
            child.targets.push(target);
        } else {
            child
                .node
                .get_or_insert_with(Node::default)
                .insert(rest, target);
        }
    }

    #[inline]
    fn find(&self, raw_key: &[u8]) -> Option<&Child> {
        if let Some((_, c)) = self.children.iter().find(|(k, _)| same_bytes(k, raw_key)) {
            return Some(c);
        }
        if !has_backslash(raw_key) {
            return None;
        }
        self.children
            .iter()
            .find(|(k, _)| key_is(raw_key, k))
            .map(|(_, c)| c)
    }
}

/// Byte equality for short keys, inline: eight bytes at a time, no library call.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    a_words
        .iter()
        .zip(b_words)
        .all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y))
        && a_rest.iter().zip(b_rest).all(|(x, y)| x == y)
}

/// The fields of a payload a report reads, compiled from the stage mapping.
#[derive(Debug, Clone)]
pub struct PingSchema {
    payload: Node,
    stages: usize,
}

impl PingSchema {
    pub fn new(stages: &StageMap) -> Self {
        let mut payload = Node::default();
        payload.insert(&["uuid"], Target::Uuid);
        payload.insert(&["hostname"], Target::Hostname);
        payload.insert(&["version"], Target::Version);
        payload.insert(&["installation_type"], Target::InstallationType);
        payload.insert(&["database", "flavor"], Target::DatabaseFlavor);
        for (i, stage) in stages.stages.iter().enumerate() {
            for metric in &stage.metrics {
                let path: Vec<&str> = metric.split('.').collect();
                payload.insert(&path, Target::Stage(i));
            }
        }
        Self {
            payload,
            stages: stages.stages.len(),
        }
    }
}

/// The fields of one ping, borrowed from its line (strings raw, escapes undecoded).
#[derive(Debug, Clone, Default)]
pub struct Ping<'a> {
    pub source_ip: Option<IpAddr>,
    pub received_at: Instant,
    pub uuid: Option<&'a [u8]>,
    pub hostname: Option<&'a [u8]>,
    pub version: Option<&'a [u8]>,
    pub installation_type: Option<&'a [u8]>,
    pub database_flavor: Option<&'a [u8]>,
    /// Per stage, the highest known metric value.
    pub stages: Vec<Option<u64>>,
}

impl<'a> Ping<'a> {
    /// Scans an envelope line into `self` (reused between lines to avoid allocation). Every check
    /// that makes a line malformed is made here, on the line alone.
    pub fn scan(&mut self, line: &'a [u8], schema: &PingSchema) -> ScanResult<()> {
        self.source_ip = None;
        self.uuid = None;
        self.hostname = None;
        self.version = None;
        self.installation_type = None;
        self.database_flavor = None;
        self.stages.clear();
        self.stages.resize(schema.stages, None);
        let mut received_at = None;
        let mut source_ip = None;
        let mut payload_seen = false;

        let mut s = Scanner::new(line);
        if !s.next_is_object() {
            return Err("not a JSON object");
        }
        s.object(|s, key| {
            if key_is(key, b"payload") {
                if !s.next_is_object() {
                    return Err("payload is not an object");
                }
                payload_seen = true;
                self.walk(s, &schema.payload)
            } else if key_is(key, b"received_at") {
                received_at = match s.scalar()? {
                    Scalar::Str(t) => parse_iso8601(t),
                    _ => None,
                };
                Ok(())
            } else if key_is(key, b"source_ip") {
                source_ip = match s.scalar()? {
                    Scalar::Str(t) if !t.is_empty() => Some(t),
                    _ => None,
                };
                Ok(())
            } else {
                s.skip()
            }
        })?;
        if !s.at_end() {
            return Err("text after the JSON object");
        }
        self.received_at = received_at.ok_or("missing or invalid received_at")?;
        if !payload_seen {
            return Err("no payload");
        }
        let Some(uuid) = self.uuid else {
            return Err("payload has no uuid");
        };
        if let Some(raw) = source_ip {
            let text = std::str::from_utf8(raw).map_err(|_| "source_ip is not text")?;
            self.source_ip =
                Some(parse_address(text).map_err(|_| "source_ip is not an IP address")?);
        }
        if text_of(uuid).is_none() {
            return Err("uuid is not valid text");
        }
        Ok(())
    }

    fn walk(&mut self, s: &mut Scanner<'a>, node: &Node) -> ScanResult<()> {
        s.object(|s, key| match node.find(key) {
            None => s.skip(),
            Some(child) => {
                if let Some(inner) = &child.node {
                    if s.next_is_object() {
                        return self.walk(s, inner);
                    }
                }
                if child.targets.is_empty() {
                    return s.skip();
                }
                let value = s.scalar()?;
                for &t in &child.targets {
                    self.set(t, value);
                }
                Ok(())
            }
        })
    }

    fn set(&mut self, target: Target, value: Scalar<'a>) {
        let text = match value {
            Scalar::Str(t) if !t.is_empty() => Some(t),
            _ => None,
        };
        match target {
            Target::Uuid => self.uuid = text,
            Target::Hostname => self.hostname = text,
            Target::Version => self.version = text,
            Target::InstallationType => self.installation_type = text,
            Target::DatabaseFlavor => self.database_flavor = text,
            Target::Stage(i) => {
                if let (Some(n), Some(slot)) = (count(value), self.stages.get_mut(i)) {
                    *slot = Some(slot.map_or(n, |m| m.max(n)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(line: &str) -> Result<Ping<'_>, &'static str> {
        let schema = PingSchema::new(&StageMap::default());
        let mut p = Ping::default();
        p.scan(line.as_bytes(), &schema).map(|()| p)
    }

    #[test]
    fn reads_the_fields_in_any_order() {
        let p = scan(r#"{"payload":{"counts":{"issues":3},"uuid":"u-1","database":{"adapter":"postgresql","flavor":"Cloud SQL for PostgreSQL"},"usage_activity_by_stage_monthly":{"plan":{"x":1},"create":{"action_monthly_active_users_project_repo":"17"}},"hostname":"gl.example.com"},"received_at":"2026-10-04T12:00:00Z","source_ip":"203.0.113.7"}"#).unwrap();
        assert_eq!(p.uuid, Some(&b"u-1"[..]));
        assert_eq!(p.hostname, Some(&b"gl.example.com"[..]));
        assert_eq!(p.database_flavor, Some(&b"Cloud SQL for PostgreSQL"[..]));
        assert_eq!(p.source_ip, "203.0.113.7".parse().ok());
        assert_eq!(p.stages[2], Some(17));
        assert_eq!(p.stages[0], None);
    }

    #[test]
    fn a_stage_takes_its_highest_known_metric() {
        let p = scan(r#"{"received_at":"2026-10-04T12:00:00Z","payload":{"uuid":"u","usage_activity_by_stage_monthly":{"manage":{"events":-1}},"redis_hll_counters":{"analytics":{"analytics_total_unique_counts_monthly":9}}}}"#).unwrap();
        assert_eq!(p.stages[0], Some(9));
    }

    #[test]
    fn sections_of_the_wrong_type_are_tolerated() {
        let p = scan(r#"{"received_at":"2026-10-04T12:00:00Z","payload":{"uuid":"u","database":null,"usage_activity_by_stage_monthly":[],"redis_hll_counters":"n/a"}}"#).unwrap();
        assert!(p.database_flavor.is_none());
        assert!(p.stages.iter().all(Option::is_none));
    }

    #[test]
    fn envelopes_without_what_a_ping_needs_are_malformed() {
        assert_eq!(
            scan(r#"{"payload":{"uuid":"u"}}"#).unwrap_err(),
            "missing or invalid received_at"
        );
        assert_eq!(
            scan(r#"{"received_at":"2026-10-04T12:00:00Z","payload":{}}"#).unwrap_err(),
            "payload has no uuid"
        );
        assert_eq!(
            scan(r#"{"received_at":"2026-10-04T12:00:00Z","payload":"x"}"#).unwrap_err(),
            "payload is not an object"
        );
        assert!(
            scan(r#"{"received_at":"2026-10-04T12:00:00Z","payload":{"uuid":"u"}} trailing"#)
                .is_err()
        );
        assert!(scan("[1,2]").is_err());
    }
}
