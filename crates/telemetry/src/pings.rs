//! Pings → monthly KPIs: the last ping of each installation (uuid, hostname) in each UTC month
//! decides its platform, type, version and SMAU; rows sum them per platform and month.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;

use crate::address::parse_address;
use crate::classify::{Classifier, Signals};
use crate::input::{read_lines, BadLines, InputError, LineAt, LineSink, Malformed};
use crate::json_scan::decode_string;
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
    order: LineAt,
    pub source_ip: Option<IpAddr>,
    pub installation_type: Option<String>,
    pub version: Option<String>,
    pub database_flavor: Option<String>,
    /// Per stage, the SMAU of the installation (unknown counts as 0).
    pub stages: Vec<u64>,
}

/// Whether a ping received at `received_at` from line `order` comes after `than`'s: the later
/// time wins, and at the same time the later line. The last ping of the month decides.
fn is_later(received_at: Instant, order: LineAt, than: &MonthlyInstallation) -> bool {
    (received_at, order) > (than.received_at, than.order)
}

/// Shards of the installation map, chosen by a fixed hash of the key so that every worker puts
/// an installation in the same one: merging the workers' maps and summing them into rows run a
/// group of shards per core instead of on one thread.
const SHARDS: usize = 16;

/// Part of the installation map.
type Shard = HashMap<Box<[u8]>, MonthlyInstallation, foldhash::fast::RandomState>;

/// The shard of an installation key: the top bits of a fixed hash.
fn shard_of(key: &[u8]) -> usize {
    use std::hash::BuildHasher;
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
}

fn text(raw: Option<&[u8]>) -> Option<String> {
    raw.and_then(decode_string)
}

/// Stores `raw`'s decoded text in `slot`, reusing its allocation when the text is plain.
fn set_text(slot: &mut Option<String>, raw: Option<&[u8]>) {
    match (slot.as_mut(), raw) {
        (Some(old), Some(raw)) if !raw.contains(&b'\\') => match std::str::from_utf8(raw) {
            Ok(plain) => {
                old.clear();
                old.push_str(plain);
            }
            Err(_) => *slot = None,
        },
        _ => *slot = text(raw),
    }
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
                match mine.get_mut(&k) {
                    Some(old) if !is_later(v.received_at, v.order, old) => {}
                    Some(old) => *old = v,
                    None => {
                        mine.insert(k, v);
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
        }
    }

    /// Scans `line` into `ping` and keeps it if it is its installation's latest of the month.
    fn keep<'a>(
        &mut self,
        ping: &mut Ping<'a>,
        line: &'a [u8],
        at: LineAt,
    ) -> Result<(), Malformed> {
        ping.scan(line, self.schema).map_err(Malformed)?;
        let month = ping.received_at.month();
        let uuid = ping.uuid.unwrap_or_default();
        let hostname = ping.hostname.unwrap_or_default();
        self.key.clear();
        self.key.extend_from_slice(&month.year.to_le_bytes());
        self.key.push(month.month);
        self.key.extend_from_slice(uuid);
        // A byte that cannot occur in JSON text separates the two parts of the key.
        self.key.push(0xff);
        self.key.extend_from_slice(hostname);

        let received_at = ping.received_at;
        let shard = &mut self.shards[shard_of(&self.key)];
        let existing = shard.get_mut(self.key.as_slice());
        if existing
            .as_ref()
            .is_some_and(|old| !is_later(received_at, at, old))
        {
            return Ok(());
        }
        let source_ip = match ping.source_ip {
            None => None,
            Some(raw) => {
                let s = std::str::from_utf8(raw).map_err(|_| Malformed("source_ip is not text"))?;
                Some(parse_address(s).map_err(|_| Malformed("source_ip is not an IP address"))?)
            }
        };
        let stages = ping.stages.iter().map(|v| v.unwrap_or(0));
        match existing {
            // The same installation again, later in the month: overwrite in place.
            Some(old) => {
                old.received_at = received_at;
                old.order = at;
                old.source_ip = source_ip;
                set_text(&mut old.installation_type, ping.installation_type);
                set_text(&mut old.version, ping.version);
                set_text(&mut old.database_flavor, ping.database_flavor);
                old.stages.clear();
                old.stages.extend(stages);
            }
            None => {
                let record = MonthlyInstallation {
                    month,
                    uuid: text(Some(uuid)).ok_or(Malformed("uuid is not valid text"))?,
                    hostname: text(Some(hostname)).unwrap_or_default(),
                    received_at,
                    order: at,
                    source_ip,
                    installation_type: text(ping.installation_type),
                    version: text(ping.version),
                    database_flavor: text(ping.database_flavor),
                    stages: stages.collect(),
                };
                shard.insert(self.key.as_slice().into(), record);
            }
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
        .into_iter()
        .flat_map(HashMap::into_values)
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
    // Each core sums (and frees) its group of shards; the partial sums are small.
    let partials = in_parallel(sink.shards, |shard| {
        let mut sums = Sums::new();
        for inst in shard.into_values() {
            add(&mut sums, &inst, classifier, options);
        }
        sums
    });
    let mut sums = Sums::new();
    for partial in partials {
        for (key, (active, smau)) in partial {
            accumulate(&mut sums, key, active, &smau);
        }
    }
    Ok((report(sums, options), bad))
}

/// A report row's key: month, platform, installation type (when rows are split by it).
type SumKey = (Month, String, Option<String>);
/// Row key → (installations, SMAU per stage).
type Sums = BTreeMap<SumKey, (u64, Vec<u64>)>;

/// Counts one monthly installation into its platform's row and the month's `Total`.
fn add(
    sums: &mut Sums,
    inst: &MonthlyInstallation,
    classifier: &Classifier,
    options: &PingOptions,
) {
    let itype = inst.installation_type.as_deref();
    if !options.include_development && itype == Some(DEVELOPMENT_KIT) {
        return;
    }
    let platform = classifier
        .classify(&Signals {
            ip: inst.source_ip,
            hostname: Some(inst.hostname.as_str()),
            database_flavor: inst.database_flavor.as_deref(),
            installation_type: itype,
        })
        .platform;
    let split = options
        .by_installation_type
        .then(|| itype.unwrap_or("-").to_owned());
    for name in [platform, TOTAL] {
        accumulate(
            sums,
            (inst.month, name.to_owned(), split.clone()),
            1,
            &inst.stages,
        );
    }
}

/// Adds `active` installations and their SMAU per stage to the row `key`.
fn accumulate(sums: &mut Sums, key: SumKey, active: u64, smau: &[u64]) {
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
        add(&mut sums, inst, classifier, options);
    }
    report(sums, options)
}

/// The rows of `sums`, in month, platform and installation type order.
fn report(sums: Sums, options: &PingOptions) -> PingReport {
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
                    platform,
                    installation_type,
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
