//! Who is on the other end of a request: the client's address (through trusted reverse
//! proxies) and whether it reached us over HTTPS, which decides how cookies are set.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The client of a request, as far as can be believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address (`unknown` when the server runs without connection info).
    pub ip: String,
    /// Whether cookies set in answer are `Secure` and `__Host-` prefixed.
    pub secure: bool,
}

impl Client {
    /// Reads the client of a request.
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let config = state.config();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&[u8]> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        Self {
            ip: client_ip(peer, &forwarded, &config.trusted_proxies),
            secure: config.secure_cookies(peer, &parts.headers),
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, state))
    }
}

/// The client's address: the peer's, unless the peer is a trusted reverse proxy, in which case
/// the right-most `X-Forwarded-For` hop that is not itself a trusted proxy. `forwarded_for` holds
/// the header's lines in the order received: a proxy may append its own line after the client's
/// rather than extend it, so the hops are read from the last line's end backwards, and anything
/// further left than the first untrusted hop was written by the client and proves nothing.
/// IPv4-mapped IPv6 addresses compare as IPv4; hops may carry a port.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: &[&[u8]], trusted: &[IpAddr]) -> String {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return "unknown".to_string();
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(|&b| b == b','));
    for hop in hops {
        match hop_address(hop) {
            Some(ip) if is_trusted(&ip) => continue,
            Some(ip) => return ip.to_string(),
            // A hop that is not an address ends what can be believed.
            None => break,
        }
    }
    peer.to_string()
}

/// One `X-Forwarded-For` hop: an address, or an address and port (`1.2.3.4:80`, `[::1]:443`).
fn hop_address(hop: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(hop).ok()?.trim();
    let ip = text
        .parse::<IpAddr>()
        .or_else(|_| text.parse::<std::net::SocketAddr>().map(|a| a.ip()))
        .ok()?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let trusted = [proxy];
        let one = |h: &'static str| vec![h.as_bytes()];
        // Not behind a trusted proxy: the header is the client's own claim and is ignored.
        assert_eq!(
            client_ip(Some(client), &one("198.51.100.1"), &trusted),
            "203.0.113.9"
        );
        // Behind one: the last hop not a trusted proxy, whatever the client put further left.
        let header = one("198.51.100.1, 203.0.113.9, 10.0.0.2");
        assert_eq!(client_ip(Some(proxy), &header, &trusted), "203.0.113.9");
        assert_eq!(
            client_ip(Some(proxy), &one("2001:db8::7"), &trusted),
            "2001:db8::7"
        );
        // A proxy that adds its own header line after the client's forged one.
        let lines: Vec<&[u8]> = vec![b"198.51.100.1", b"203.0.113.9"];
        assert_eq!(client_ip(Some(proxy), &lines, &trusted), "203.0.113.9");
        // Hops with ports, bytes that are not text further left, IPv4-mapped peers.
        assert_eq!(
            client_ip(Some(proxy), &one("203.0.113.9:5123"), &trusted),
            "203.0.113.9"
        );
        assert_eq!(
            client_ip(Some(proxy), &one("[2001:db8::7]:443"), &trusted),
            "2001:db8::7"
        );
        let forged: Vec<&[u8]> = vec![b"\xff\xfe, 203.0.113.9"];
        assert_eq!(client_ip(Some(proxy), &forged, &trusted), "203.0.113.9");
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(Some(mapped), &one("203.0.113.9"), &trusted),
            "203.0.113.9"
        );
        // Nothing believable: the proxy's own address.
        assert_eq!(client_ip(Some(proxy), &[], &trusted), "10.0.0.2");
        assert_eq!(
            client_ip(Some(proxy), &one("garbage, 10.0.0.2"), &trusted),
            "10.0.0.2"
        );
        assert_eq!(client_ip(None, &one("198.51.100.1"), &trusted), "unknown");
    }
}
