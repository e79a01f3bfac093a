//! Pings → monthly KPIs: the last ping of each installation (uuid, hostname) in each UTC month
//! decides its platform, type, version and SMAU; rows sum them per platform and month.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::path::PathBuf;

use crate::classify::{Classifier, Signals};
use crate::compact::Compact;
use crate::input::{read_lines, BadLines, InputError, LineAt, LineSink, Malformed};
use crate::json_scan::{decode_string, text_of};
use crate::month::{Instant, Month};
use crate::ping::{Ping, PingSchema};
use crate::ranges::TOTAL;
use crate::report::{Cell, Table};
use crate::stages::StageMap;

/// The installation type of development checkouts, left out of KPIs by default.
pub const DEVELOPMENT_KIT: &str = "gitlab-development-kit";

/// How to compute the ping KPIs.
#[derive(Debug, Clone, Default)]
pub struct PingOptions {
    pub stages: StageMap,
    /// Split rows by `installation_type`.
    pub by_installation_type: bool,
    /// Count `gitlab-development-kit` installations too.
    pub include_development: bool,
}

/// An installation's last ping of a month: what decides its attributes for that month.
#[derive(Debug, Clone)]
pub struct MonthlyInstallation {
    pub month: Month,
    pub uuid: String,
    pub hostname: String,
    pub received_at: Instant,
    pub source_ip: Option<IpAddr>,
    pub installation_type: Option<String>,
    pub version: Option<String>,
    pub database_flavor: Option<String>,
    /// Per stage, the SMAU of the installation (unknown counts as 0).
    pub stages: Vec<u64>,
}

/// An installation's last ping of a month as kept while reading: its texts raw (escapes not yet
/// decoded) in one buffer, and its uuid and host name only in its key. Key, texts and SMAU values
/// are stored in the map's slot when short (as they usually are), so keeping, replacing and
/// merging neither allocate nor follow pointers; texts are decoded once, for the report.
#[derive(Debug)]
struct Kept {
    received_at: Instant,
    order: LineAt,
    source_ip: Option<IpAddr>,
    /// The raw texts (installation type, version, database flavor), one after another.
    texts: Compact<u8, 56>,
    /// Where each text ends in `texts`; `None` when the ping had none.
    ends: [Option<u32>; 3],
    /// Per stage, the SMAU of the installation (unknown counts as 0).
    stages: Compact<u64, 10>,
}

// The texts a [`Kept`] holds, in order.
const INSTALLATION_TYPE: usize = 0;
const VERSION: usize = 1;
const DATABASE_FLAVOR: usize = 2;

impl Kept {
    /// A record to fill in, with room for `stages` SMAU values.
    fn new(stages: usize) -> Self {
        Self {
            received_at: Instant::default(),
            order: LineAt::default(),
            source_ip: None,
            texts: Compact::new(&[]),
            ends: [None; 3],
            stages: Compact::with_len(stages),
        }
    }

    /// Stores `texts`, built one after another in `scratch`.
    fn set_texts(&mut self, texts: [Option<&[u8]>; 3], scratch: &mut Vec<u8>) {
        scratch.clear();
        for (end, text) in self.ends.iter_mut().zip(texts) {
            *end = text.and_then(|t| {
                scratch.extend_from_slice(t);
                u32::try_from(scratch.len()).ok()
            });
        }
        self.texts.set(scratch);
    }

    /// Text `i` (`INSTALLATION_TYPE`, `VERSION` or `DATABASE_FLAVOR`), raw.
    fn raw(&self, i: usize) -> Option<&[u8]> {
        let end = self.ends[i]? as usize;
        let start = self.ends[..i]
            .iter()
            .rev()
            .find_map(|e| *e)
            .map_or(0, |e| e as usize);
        self.texts.get(start..end)
    }

    /// Text `i`, decoded; `None` if absent or not valid text.
    fn text(&self, i: usize) -> Option<Cow<'_, str>> {
        self.raw(i).and_then(text_of)
    }
}

/// Whether a ping received at `received_at` from line `order` comes after `than`'s: the later
/// time wins, and at the same time the later line. The last ping of the month decides.
fn is_later(received_at: Instant, order: LineAt, than: &Kept) -> bool {
    (received_at, order) > (than.received_at, than.order)
}

/// An installation key: month, then uuid and host name (raw) separated by a byte that cannot
/// occur in JSON text.
fn write_key(key: &mut Vec<u8>, month: Month, uuid: &[u8], hostname: &[u8]) {
    key.clear();
    key.extend_from_slice(&month.year.to_le_bytes());
    key.push(month.month);
    key.extend_from_slice(uuid);
    key.push(0xff);
    key.extend_from_slice(hostname);
}

/// The month, uuid and host name (raw) of an installation key.
fn read_key(key: &[u8]) -> Option<(Month, &[u8], &[u8])> {
    let (year, rest) = key.split_first_chunk::<4>()?;
    let (&month, rest) = rest.split_first()?;
    let split = rest.iter().position(|&b| b == 0xff)?;
    let month = Month {
        year: i32::from_le_bytes(*year),
        month,
    };
    Some((month, &rest[..split], &rest[split + 1..]))
}

/// Shards of the installation map, chosen by a fixed hash of the key so that every worker puts
/// an installation in the same one: merging the workers' maps and summing them into rows run a
/// group of shards per core instead of on one thread.
const SHARDS: usize = 16;

/// Part of the installation map.
type Shard = HashMap<Key, Kept, foldhash::fast::RandomState>;
/// An installation key (see [`write_key`]): a uuid and a host name fit in place.
type Key = Compact<u8, 88>;

/// The shard of an installation key: the top bits of a fixed hash.
fn shard_of(key: &[u8]) -> usize {
    const BITS: u32 = SHARDS.ilog2();
    const _: () = assert!(SHARDS.is_power_of_two());
    let h = foldhash::fast::FixedState::with_seed(0x7368_6172_6473).hash_one(key);
    (h >> (u64::BITS - BITS)) as usize
}

/// Runs `f` on every item, the items split in order among the machine's cores; results in the
/// items' order. A panic in `f` is raised again here.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = items.len().div_ceil(threads).max(1);
    let mut groups: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        groups.push(items.by_ref().take(per_thread).collect());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .into_iter()
            .map(|group| scope.spawn(move || group.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Last pings per installation and month; memory grows with installations, not pings.
struct LastPings<'s> {
    schema: &'s PingSchema,
    shards: Vec<Shard>,
    key: Vec<u8>,
    /// The per-stage values of the line being read, kept between lines to reuse the allocation.
    stages: Vec<Option<u64>>,
    /// Room to build a kept ping's texts in.
    texts: Vec<u8>,
}

impl LineSink for LastPings<'_> {
    fn line(&mut self, line: &[u8], at: LineAt) -> Result<(), Malformed> {
        let mut ping = Ping {
            stages: std::mem::take(&mut self.stages),
            ..Ping::default()
        };
        let outcome = self.keep(&mut ping, line, at);
        self.stages = std::mem::take(&mut ping.stages);
        outcome
    }

    fn merge(&mut self, other: Self) {
        let pairs: Vec<(&mut Shard, Shard)> = self.shards.iter_mut().zip(other.shards).collect();
        in_parallel(pairs, |(mine, theirs)| {
            for (k, v) in theirs {
                match mine.entry(k) {
                    Entry::Occupied(mut old) => {
                        if is_later(v.received_at, v.order, old.get()) {
                            *old.get_mut() = v;
                        }
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(v);
                    }
                }
            }
        });
    }
}

impl<'s> LastPings<'s> {
    fn new(schema: &'s PingSchema) -> Self {
        Self {
            schema,
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            key: Vec::new(),
            stages: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// Scans `line` into `ping` and keeps it if it is its installation's latest of the month.
    fn keep<'a>(
        &mut self,
        ping: &mut Ping<'a>,
        line: &'a [u8],
        at: LineAt,
    ) -> Result<(), Malformed> {
        // The scan checks the whole line, so whether it is malformed never depends on the lines
        // read before it.
        ping.scan(line, self.schema).map_err(Malformed)?;
        let uuid = ping.uuid.unwrap_or_default();
        let hostname = ping.hostname.unwrap_or_default();
        write_key(&mut self.key, ping.received_at.month(), uuid, hostname);

        let received_at = ping.received_at;
        let shard = &mut self.shards[shard_of(&self.key)];
        let kept = match shard.get_mut(self.key.as_slice()) {
            Some(old) if !is_later(received_at, at, old) => return Ok(()),
            // The same installation again, later in the month: overwritten in place.
            Some(old) => old,
            None => shard
                .entry(Key::new(&self.key))
                .or_insert_with(|| Kept::new(ping.stages.len())),
        };
        kept.received_at = received_at;
        kept.order = at;
        kept.source_ip = ping.source_ip;
        let texts = [ping.installation_type, ping.version, ping.database_flavor];
        kept.set_texts(texts, &mut self.texts);
        for (slot, v) in kept.stages.as_mut_slice().iter_mut().zip(&ping.stages) {
            *slot = v.unwrap_or(0);
        }
        Ok(())
    }
}

/// Reads ping files and returns each installation's last ping per month, sorted by month, uuid
/// and hostname.
pub fn monthly_installations(
    files: &[PathBuf],
    stages: &StageMap,
) -> Result<(Vec<MonthlyInstallation>, BadLines), InputError> {
    let schema = PingSchema::new(stages);
    let (sink, bad) = read_lines(files, || LastPings::new(&schema))?;
    let mut all: Vec<MonthlyInstallation> = sink
        .shards
        .iter()
        .flat_map(|shard| shard.iter())
        .filter_map(|(key, kept)| {
            let (month, uuid, hostname) = read_key(key)?;
            let owned = |t: Option<Cow<'_, str>>| t.map(Cow::into_owned);
            Some(MonthlyInstallation {
                month,
                uuid: decode_string(uuid)?,
                hostname: decode_string(hostname).unwrap_or_default(),
                received_at: kept.received_at,
                source_ip: kept.source_ip,
                installation_type: owned(kept.text(INSTALLATION_TYPE)),
                version: owned(kept.text(VERSION)),
                database_flavor: owned(kept.text(DATABASE_FLAVOR)),
                stages: kept.stages.to_vec(),
            })
        })
        .collect();
    all.sort_by(|a, b| (a.month, &a.uuid, &a.hostname).cmp(&(b.month, &b.uuid, &b.hostname)));
    Ok((all, bad))
}

/// One row of the ping KPIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingRow {
    pub month: Month,
    pub platform: String,
    /// Present when rows are split by installation type (`-` when the ping had none).
    pub installation_type: Option<String>,
    pub active_installations: u64,
    /// Per stage in mapping order.
    pub smau: Vec<u64>,
}

impl PingRow {
    pub fn smau_total(&self) -> u64 {
        self.smau.iter().sum()
    }
}

/// Active installations and SMAU per platform and month.
#[derive(Debug, Clone)]
pub struct PingReport {
    pub stages: Vec<String>,
    pub by_installation_type: bool,
    pub rows: Vec<PingRow>,
}

/// Computes the ping KPIs of `files`.
pub fn ping_report(
    files: &[PathBuf],
    classifier: &Classifier,
    options: &PingOptions,
) -> Result<(PingReport, BadLines), InputError> {
    let schema = PingSchema::new(&options.stages);
    let (sink, bad) = read_lines(files, || LastPings::new(&schema))?;
    // Each core sums (and frees) its group of shards; the partial sums are small. Texts are
    // borrowed from the shard while it is summed, so no installation allocates.
    let partials = in_parallel(sink.shards, |shard| {
        let mut sums = Sums::new();
        for (key, kept) in &shard {
            let Some((month, _, hostname)) = read_key(key) else {
                continue;
            };
            let hostname = text_of(hostname).unwrap_or_default();
            let database_flavor = kept.text(DATABASE_FLAVOR);
            let counted = Counted {
                month,
                source_ip: kept.source_ip,
                hostname: &hostname,
                database_flavor: database_flavor.as_deref(),
                installation_type: kept.text(INSTALLATION_TYPE),
                stages: &kept.stages,
            };
            add(&mut sums, counted, classifier, options);
        }
        owned(sums)
    });
    let mut sums = Sums::new();
    for partial in partials {
        for (key, (active, smau)) in partial {
            accumulate(&mut sums, key, active, &smau);
        }
    }
    Ok((report(sums, options), bad))
}

/// What a report counts of a monthly installation; the installation type may end up in a row key,
/// so it lives as long as the sums (`'k`).
struct Counted<'k, 'a> {
    month: Month,
    source_ip: Option<IpAddr>,
    hostname: &'a str,
    database_flavor: Option<&'a str>,
    installation_type: Option<Cow<'k, str>>,
    stages: &'a [u64],
}

/// A report row's key: month, platform, installation type (when rows are split by it).
type SumKey<'a> = (Month, Cow<'a, str>, Option<Cow<'a, str>>);
/// Row key → (installations, SMAU per stage).
type Sums<'a> = BTreeMap<SumKey<'a>, (u64, Vec<u64>)>;

/// Sums that no longer borrow what they were counted from.
fn owned(sums: Sums<'_>) -> Sums<'static> {
    sums.into_iter()
        .map(|((month, platform, split), v)| {
            let split = split.map(|t| Cow::Owned(t.into_owned()));
            ((month, Cow::Owned(platform.into_owned()), split), v)
        })
        .collect()
}

/// Counts one monthly installation into its platform's row and the month's `Total`.
fn add<'k>(
    sums: &mut Sums<'k>,
    inst: Counted<'k, '_>,
    classifier: &'k Classifier,
    options: &PingOptions,
) {
    let itype = inst.installation_type.as_deref();
    if !options.include_development && itype == Some(DEVELOPMENT_KIT) {
        return;
    }
    let platform = classifier
        .classify(&Signals {
            ip: inst.source_ip,
            hostname: Some(inst.hostname),
            database_flavor: inst.database_flavor,
            installation_type: itype,
        })
        .platform;
    let split = options
        .by_installation_type
        .then(|| inst.installation_type.unwrap_or(Cow::Borrowed("-")));
    for name in [platform, TOTAL] {
        accumulate(
            sums,
            (inst.month, Cow::Borrowed(name), split.clone()),
            1,
            inst.stages,
        );
    }
}

/// Adds `active` installations and their SMAU per stage to the row `key`.
fn accumulate<'a>(sums: &mut Sums<'a>, key: SumKey<'a>, active: u64, smau: &[u64]) {
    let e = sums.entry(key).or_insert_with(|| (0, vec![0; smau.len()]));
    e.0 += active;
    for (sum, v) in e.1.iter_mut().zip(smau) {
        *sum += v;
    }
}

/// Sums monthly installations into report rows.
pub fn summarise(
    installations: &[MonthlyInstallation],
    classifier: &Classifier,
    options: &PingOptions,
) -> PingReport {
    let mut sums = Sums::new();
    for inst in installations {
        let counted = Counted {
            month: inst.month,
            source_ip: inst.source_ip,
            hostname: &inst.hostname,
            database_flavor: inst.database_flavor.as_deref(),
            installation_type: inst.installation_type.as_deref().map(Cow::Borrowed),
            stages: &inst.stages,
        };
        add(&mut sums, counted, classifier, options);
    }
    report(owned(sums), options)
}

/// The rows of `sums`, in month, platform and installation type order.
fn report(sums: Sums<'static>, options: &PingOptions) -> PingReport {
    PingReport {
        stages: options
            .stages
            .stages
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        by_installation_type: options.by_installation_type,
        rows: sums
            .into_iter()
            .map(
                |((month, platform, installation_type), (active, smau))| PingRow {
                    month,
                    platform: platform.into_owned(),
                    installation_type: installation_type.map(Cow::into_owned),
                    active_installations: active,
                    smau,
                },
            )
            .collect(),
    }
}

impl PingReport {
    /// The report as a table: `month, platform, [installation_type,] active_installations,
    /// smau_total, smau_<stage>…`.
    pub fn table(&self) -> Table {
        let mut headers = vec!["month".to_owned(), "platform".to_owned()];
        if self.by_installation_type {
            headers.push("installation_type".to_owned());
        }
        headers.push("active_installations".to_owned());
        headers.push("smau_total".to_owned());
        headers.extend(self.stages.iter().map(|s| format!("smau_{s}")));
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::Text(r.month.to_string()),
                    Cell::Text(r.platform.clone()),
                ];
                if let Some(t) = &r.installation_type {
                    row.push(Cell::Text(t.clone()));
                }
                row.push(Cell::Count(r.active_installations));
                row.push(Cell::Count(r.smau_total()));
                row.extend(r.smau.iter().map(|&v| Cell::Count(v)));
                row
            })
            .collect();
        Table { headers, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_ping_holds_its_texts_in_one_buffer() {
        let mut k = Kept::new(0);
        let mut scratch = Vec::new();
        k.set_texts(
            [
                Some(b"omnibus-gitlab"),
                None,
                Some(br"Cloud SQL \u0066or PostgreSQL"),
            ],
            &mut scratch,
        );
        assert_eq!(k.raw(INSTALLATION_TYPE), Some(&b"omnibus-gitlab"[..]));
        assert_eq!(k.raw(VERSION), None);
        assert_eq!(
            k.text(DATABASE_FLAVOR).as_deref(),
            Some("Cloud SQL for PostgreSQL")
        );
        // Overwritten by a later ping: nothing of the earlier one remains.
        k.set_texts([None, Some(b"17.1.0"), Some(b"\xff")], &mut scratch);
        assert_eq!(k.raw(INSTALLATION_TYPE), None);
        assert_eq!(k.text(VERSION).as_deref(), Some("17.1.0"));
        assert_eq!(k.text(DATABASE_FLAVOR), None, "not valid text");
    }

    #[test]
    fn an_installation_key_reads_back() {
        let mut key = Vec::new();
        let month = Month {
            year: 2026,
            month: 10,
        };
        write_key(&mut key, month, b"u-1", b"gitlab.example.com");
        assert_eq!(
            read_key(&key),
            Some((month, &b"u-1"[..], &b"gitlab.example.com"[..]))
        );
        write_key(&mut key, month, b"u-1", b"");
        assert_eq!(read_key(&key), Some((month, &b"u-1"[..], &b""[..])));
    }
}
