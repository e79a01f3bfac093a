//! Longest-prefix match micro-benchmark: the classifier's table against the `prefix-trie` crate
//! on the full bundled snapshot, the same random addresses, in the same run.
//! Run: `cargo bench -p partnerhub-telemetry --bench lpm` (results go in BENCHMARKS.md).

use std::hint::black_box;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use partnerhub_telemetry::address::Family;
use partnerhub_telemetry::Classifier;
use prefix_trie::PrefixMap;
use rand::{Rng, SeedableRng};

const LOOKUPS: usize = 20_000_000;
const ROUNDS: usize = 3;

fn main() {
    let classifier = match Classifier::bundled() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot load the bundled snapshot: {e}");
            std::process::exit(1);
        }
    };
    let prefixes: Vec<_> = classifier.prefixes().map(|(p, _)| p).collect();
    let mut v4: PrefixMap<(u32, u8), u32> = PrefixMap::new();
    let mut v6: PrefixMap<(u128, u8), u32> = PrefixMap::new();
    let mut v4_prefixes = Vec::new();
    let mut v6_prefixes = Vec::new();
    for (i, p) in prefixes.iter().enumerate() {
        // The first of identical prefixes wins, as in the classifier.
        match p.family {
            Family::V4 => {
                v4_prefixes.push(*p);
                if v4.get(&(p.network as u32, p.len)).is_none() {
                    v4.insert((p.network as u32, p.len), i as u32);
                }
            }
            Family::V6 => {
                v6_prefixes.push(*p);
                if v6.get(&(p.network, p.len)).is_none() {
                    v6.insert((p.network, p.len), i as u32);
                }
            }
        }
    }
    println!(
        "snapshot: {} IPv4 and {} IPv6 prefixes",
        v4_prefixes.len(),
        v6_prefixes.len()
    );

    // Half the addresses inside a random published prefix (hits), half anywhere (mostly misses).
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let ips4: Vec<u32> = (0..LOOKUPS)
        .map(|i| {
            if i % 2 == 0 {
                let p = v4_prefixes[rng.gen_range(0..v4_prefixes.len())];
                (p.network | (u128::from(rng.gen::<u32>()) & (p.last() - p.network))) as u32
            } else {
                rng.gen()
            }
        })
        .collect();
    let ips6: Vec<u128> = (0..LOOKUPS / 4)
        .map(|i| {
            if i % 2 == 0 {
                let p = v6_prefixes[rng.gen_range(0..v6_prefixes.len())];
                p.network | (rng.gen::<u128>() & (p.last() - p.network))
            } else {
                (0x2000u128 << 112) | (rng.gen::<u128>() >> 4)
            }
        })
        .collect();

    // Same answers first: a faster wrong table would be worthless.
    for &ip in ips4.iter().take(1_000_000) {
        let ours = classifier.lookup_v4(ip);
        let theirs = v4.get_lpm(&(ip, 32)).map(|(_, v)| *v);
        assert_eq!(
            ours,
            theirs,
            "disagreement on {}",
            std::net::Ipv4Addr::from(ip)
        );
    }
    for &ip in ips6.iter().take(200_000) {
        let ours = classifier
            .match_ip(IpAddr::V6(Ipv6Addr::from(ip)))
            .map(|(p, _, _)| p);
        let theirs = v6.get_lpm(&(ip, 128)).map(|(p, _)| *p);
        assert_eq!(
            ours.map(|p| (p.network, p.len)),
            theirs,
            "disagreement on {}",
            Ipv6Addr::from(ip)
        );
    }

    let mut best = [f64::MAX; 4];
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let mut hits = 0u64;
        for &ip in &ips4 {
            hits += u64::from(black_box(classifier.lookup_v4(black_box(ip))).is_some());
        }
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        black_box(hits);

        let t = Instant::now();
        let mut hits = 0u64;
        for &ip in &ips4 {
            hits += u64::from(black_box(v4.get_lpm(&(black_box(ip), 32))).is_some());
        }
        best[1] = best[1].min(t.elapsed().as_secs_f64());
        black_box(hits);

        let t = Instant::now();
        let mut hits = 0u64;
        for &ip in &ips6 {
            let addr = IpAddr::V6(Ipv6Addr::from(black_box(ip)));
            hits += u64::from(black_box(classifier.match_ip(addr)).is_some());
        }
        best[2] = best[2].min(t.elapsed().as_secs_f64());
        black_box(hits);

        let t = Instant::now();
        let mut hits = 0u64;
        for &ip in &ips6 {
            hits += u64::from(black_box(v6.get_lpm(&(black_box(ip), 128))).is_some());
        }
        best[3] = best[3].min(t.elapsed().as_secs_f64());
        black_box(hits);
    }
    let rate = |n: usize, s: f64| n as f64 / s / 1e6;
    let (ours4, trie4) = (rate(ips4.len(), best[0]), rate(ips4.len(), best[1]));
    let (ours6, trie6) = (rate(ips6.len(), best[2]), rate(ips6.len(), best[3]));
    println!(
        "IPv4: classifier {ours4:.1} M lookups/s, prefix-trie {trie4:.1} M lookups/s, ratio {:.2}x",
        ours4 / trie4
    );
    println!(
        "IPv6: classifier {ours6:.1} M lookups/s, prefix-trie {trie6:.1} M lookups/s, ratio {:.2}x",
        ours6 / trie6
    );
    println!(
        "(best of {ROUNDS} rounds; {} IPv4 and {} IPv6 addresses, half inside a published prefix)",
        ips4.len(),
        ips6.len()
    );
}
