//! Longest-prefix match over tens of thousands of provider prefixes, in one or two cache misses.
//! Nested prefixes are flattened into disjoint intervals, indexed by the address's top 16 bits.

use std::net::IpAddr;

use crate::address::{canonical, Family, Prefix};

/// Marks an interval that no prefix covers.
const NONE: u32 = u32::MAX;

/// An address key: `u32` for IPv4, `u128` for IPv6.
trait Key: Copy + Ord {
    const MAX: Self;
    fn from_u128(x: u128) -> Self;
    fn to_u128(self) -> u128;
    /// The top 16 bits, which select the bucket of intervals to search.
    fn bucket(self) -> usize;
    fn bucket_start(bucket: usize) -> Self;
}

impl Key for u32 {
    const MAX: Self = u32::MAX;
    fn from_u128(x: u128) -> Self {
        x as u32
    }
    fn to_u128(self) -> u128 {
        u128::from(self)
    }
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
    fn bucket_start(bucket: usize) -> Self {
        (bucket as u32) << 16
    }
}

impl Key for u128 {
    const MAX: Self = u128::MAX;
    fn from_u128(x: u128) -> Self {
        x
    }
    fn to_u128(self) -> u128 {
        self
    }
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
    fn bucket_start(bucket: usize) -> Self {
        (bucket as u128) << 112
    }
}

/// Disjoint intervals covering the whole address space: interval `i` runs from `starts[i]` up to
/// `starts[i + 1] - 1` and carries `values[i]` (an entry index, or `NONE`).
#[derive(Debug, Clone)]
struct Intervals<K> {
    starts: Vec<K>,
    values: Vec<u32>,
    /// `buckets[b]` is the interval holding the first address of bucket `b`; one extra at the end.
    buckets: Vec<u32>,
}

impl<K: Key> Intervals<K> {
    /// `prefixes`: (first, last, length, value); on identical prefixes the lowest value wins.
    fn build(mut prefixes: Vec<(K, K, u8, u32)>) -> Self {
        prefixes.sort_unstable_by_key(|p| (p.0, p.2, p.3));
        prefixes.dedup_by(|later, first| later.0 == first.0 && later.2 == first.2);

        let mut out = Self {
            starts: Vec::with_capacity(prefixes.len() * 2 + 1),
            values: Vec::with_capacity(prefixes.len() * 2 + 1),
            buckets: Vec::new(),
        };
        // `cursor` is the first address not yet assigned to an interval; `None` once the
        // whole space is assigned (the last prefix ended at the top address).
        let mut cursor: Option<K> = Some(Self::zero());
        let mut open: Vec<(K, u32)> = Vec::new();
        for &(first, last, _, value) in &prefixes {
            while let Some(&(end, v)) = open.last() {
                if end >= first {
                    break;
                }
                open.pop();
                out.close(&mut cursor, end, v);
            }
            if let Some(c) = cursor {
                if c < first {
                    let covering = open.last().map_or(NONE, |o| o.1);
                    out.push(c, covering);
                    cursor = Some(first);
                }
            }
            open.push((last, value));
        }
        while let Some((end, v)) = open.pop() {
            out.close(&mut cursor, end, v);
        }
        if let Some(c) = cursor {
            out.push(c, NONE);
        }
        out.index_buckets();
        out
    }

    fn zero() -> K {
        K::from_u128(0)
    }

    /// Assigns `cursor..=end` to `value` and moves the cursor past it.
    fn close(&mut self, cursor: &mut Option<K>, end: K, value: u32) {
        if let Some(c) = *cursor {
            if c <= end {
                self.push(c, value);
                *cursor = if end == K::MAX {
                    None
                } else {
                    Some(K::from_u128(end.to_u128() + 1))
                };
            }
        }
    }

    fn push(&mut self, start: K, value: u32) {
        if self.values.last() == Some(&value) {
            return;
        }
        self.starts.push(start);
        self.values.push(value);
    }

    fn index_buckets(&mut self) {
        let mut buckets = Vec::with_capacity(65537);
        let mut i = 0usize;
        for b in 0..65536usize {
            let start = K::bucket_start(b);
            while i + 1 < self.starts.len() && self.starts[i + 1] <= start {
                i += 1;
            }
            buckets.push(i as u32);
        }
        buckets.push((self.starts.len() - 1) as u32);
        self.buckets = buckets;
    }

    #[inline]
    fn lookup(&self, key: K) -> u32 {
        let b = key.bucket();
        let lo = self.buckets[b] as usize;
        let hi = self.buckets[b + 1] as usize;
        // The interval holding `key` is one of lo..=hi.
        let tail = &self.starts[lo + 1..=hi];
        let i = lo + tail.partition_point(|&s| s <= key);
        self.values[i]
    }
}

/// A longest-prefix-match table from prefixes to values (indices chosen by the caller).
#[derive(Debug, Clone)]
pub struct PrefixTable {
    v4: Intervals<u32>,
    v6: Intervals<u128>,
}

impl PrefixTable {
    /// Builds the table. When the same prefix appears with several values, the smallest wins,
    /// so callers give earlier sources smaller values.
    pub fn build(prefixes: impl IntoIterator<Item = (Prefix, u32)>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (p, value) in prefixes {
            match p.family {
                Family::V4 => v4.push((p.network as u32, p.last() as u32, p.len, value)),
                Family::V6 => v6.push((p.network, p.last(), p.len, value)),
            }
        }
        Self {
            v4: Intervals::build(v4),
            v6: Intervals::build(v6),
        }
    }

    /// The value of the longest prefix holding `ip`.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<u32> {
        let v = match canonical(ip) {
            IpAddr::V4(v4) => self.v4.lookup(u32::from(v4)),
            IpAddr::V6(v6) => self.v6.lookup(u128::from(v6)),
        };
        (v != NONE).then_some(v)
    }

    /// The value of the longest IPv4 prefix holding `ip` (the hot path of the benchmark).
    #[inline]
    pub fn lookup_v4(&self, ip: u32) -> Option<u32> {
        let v = self.v4.lookup(ip);
        (v != NONE).then_some(v)
    }

    /// Number of disjoint intervals (a size measure for reports).
    pub fn intervals(&self) -> usize {
        self.v4.starts.len() + self.v6.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(prefixes: &[&str]) -> PrefixTable {
        PrefixTable::build(
            prefixes
                .iter()
                .enumerate()
                .map(|(i, p)| (Prefix::parse(p).unwrap(), i as u32)),
        )
    }

    fn at(t: &PrefixTable, ip: &str) -> Option<u32> {
        t.lookup(ip.parse().unwrap())
    }

    #[test]
    fn longest_match_wins_over_covering_prefix() {
        let t = table(&["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "11.0.0.0/8"]);
        assert_eq!(at(&t, "10.0.0.1"), Some(0));
        assert_eq!(at(&t, "10.1.0.1"), Some(1));
        assert_eq!(at(&t, "10.1.2.255"), Some(2));
        assert_eq!(at(&t, "10.1.3.0"), Some(1));
        assert_eq!(at(&t, "10.2.0.0"), Some(0));
        assert_eq!(at(&t, "11.255.255.255"), Some(3));
        assert_eq!(at(&t, "12.0.0.0"), None);
        assert_eq!(at(&t, "9.255.255.255"), None);
    }

    #[test]
    fn identical_prefixes_keep_the_first_value() {
        let t = PrefixTable::build([
            (Prefix::parse("3.5.140.0/22").unwrap(), 7),
            (Prefix::parse("3.5.140.0/22").unwrap(), 2),
        ]);
        assert_eq!(at(&t, "3.5.141.1"), Some(2));
    }

    #[test]
    fn edges_of_the_address_space() {
        let t = table(&["0.0.0.0/0", "255.255.255.255/32", "::/0", "ffff::/16"]);
        assert_eq!(at(&t, "0.0.0.0"), Some(0));
        assert_eq!(at(&t, "255.255.255.254"), Some(0));
        assert_eq!(at(&t, "255.255.255.255"), Some(1));
        assert_eq!(at(&t, "::1"), Some(2));
        assert_eq!(at(&t, "ffff:ffff::1"), Some(3));
    }

    #[test]
    fn ipv6_and_mapped_ipv4() {
        let t = table(&["2600:1f00::/24", "2600:1f18::/33", "3.5.140.0/22"]);
        assert_eq!(at(&t, "2600:1f18:1:2::3"), Some(1));
        assert_eq!(at(&t, "2600:1f20::1"), Some(0));
        assert_eq!(at(&t, "::ffff:3.5.140.9"), Some(2));
        assert_eq!(at(&t, "2601::1"), None);
    }

    #[test]
    fn matches_a_linear_scan_on_random_prefixes() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let prefixes: Vec<Prefix> = (0..2000)
            .map(|_| {
                let len = rng.gen_range(4..=32u8);
                let ip = std::net::Ipv4Addr::from(rng.gen::<u32>() & 0x0fff_ffff | 0x0a00_0000);
                Prefix::parse(&format!("{ip}/{len}")).unwrap()
            })
            .collect();
        let t = PrefixTable::build(prefixes.iter().enumerate().map(|(i, p)| (*p, i as u32)));
        for _ in 0..20_000 {
            let ip = IpAddr::V4((rng.gen::<u32>() & 0x0fff_ffff | 0x0a00_0000).into());
            let expected = prefixes
                .iter()
                .enumerate()
                .filter(|(_, p)| p.contains(ip))
                .max_by_key(|(i, p)| (p.len, std::cmp::Reverse(*i)))
                .map(|(i, _)| i as u32);
            assert_eq!(t.lookup(ip), expected, "{ip}");
        }
    }
}
