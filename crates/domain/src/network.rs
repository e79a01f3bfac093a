//! Which addresses outbound requests (webhooks, chat, the GitLab API) may reach: none inside
//! the server's own networks (loopback, private, link-local, unique-local, unspecified and the
//! like), unless an operator allowed the host by name. This keeps a webhook URL an admin or
//! an attacker typed from reaching the cloud metadata service or an internal admin port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` lies in a network outbound requests must not reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..=127).contains(&b))
        // IETF protocol assignments and benchmarking, 192.0.0.0/24 and 198.18.0.0/15.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..=19).contains(&b))
        // Reserved, 240.0.0.0/4.
        || a >= 240
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Site-local (deprecated, still routed by some), fec0::/10.
        || (first & 0xffc0) == 0xfec0
        // IPv4-mapped and IPv4-compatible forms of internal IPv4 addresses.
        || ip.to_ipv4().is_some_and(internal_v4)
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that may be internal.
        || embedded_v4(ip).is_some_and(internal_v4)
}

/// The IPv4 address a NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`) address carries.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(v4(s[1], s[2]))
    } else {
        None
    }
}

/// Whether `host` (a name or an address as written in a URL) is one an operator listed in
/// `outbound_allow_hosts`, compared without case.
pub fn is_allowed_host(host: &str, allowed: &[String]) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    allowed.iter().any(|a| a.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_networks_are_refused_and_public_ones_are_not() {
        for internal in [
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "2002:a00:1::",
            "2002:a9fe:a9fe::1",
            "fec0::1",
            "240.0.0.1",
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn allowed_hosts_are_matched_by_name_without_case() {
        let allowed = vec!["127.0.0.1".to_string(), "Hooks.Internal".to_string()];
        assert!(is_allowed_host("127.0.0.1", &allowed));
        assert!(is_allowed_host("hooks.internal", &allowed));
        assert!(!is_allowed_host("127.0.0.2", &allowed));
        assert!(is_allowed_host("[::1]", &["::1".to_string()]));
    }
}
