//! What the web layer is configured with: the vendor's name, scorecard weights, where people
//! reach the server (which decides cookie security), the reverse proxies it trusts, and the
//! limits on every size a client controls.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The vendor organization's name ("GitLab" in the demo).
    pub vendor_name: String,
    /// The address people use (`https://partners.example.com`). When set, its scheme decides
    /// whether cookies are `Secure` (with the `__Host-` prefix).
    pub public_url: Option<url::Url>,
    /// Cookie security stated outright; `None` decides it as [`WebConfig::secure_cookies`]
    /// says.
    pub cookie_secure: Option<bool>,
    /// Whether the server listens on loopback only, where plain HTTP is the usual local use
    /// unless a trusted proxy says the client came over HTTPS.
    pub loopback_only: bool,
    /// Largest request body accepted (the CSV import is the largest client upload).
    pub max_body_bytes: usize,
    /// Longest request target (path and query) accepted.
    pub max_uri_bytes: usize,
    /// Most bytes of request headers accepted, names and values together.
    pub max_header_bytes: usize,
    /// Most request header lines accepted.
    pub max_headers: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client and whose `X-Forwarded-Proto`
    /// says how it connected.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            vendor_name: "GitLab".to_string(),
            public_url: None,
            cookie_secure: None,
            loopback_only: false,
            max_body_bytes: 4 * 1024 * 1024,
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            trusted_proxies: Vec::new(),
        }
    }
}

impl WebConfig {
    /// Whether `peer` is one of the trusted reverse proxies.
    pub fn is_trusted_proxy(&self, peer: Option<IpAddr>) -> bool {
        peer.map(|p| p.to_canonical())
            .is_some_and(|p| self.trusted_proxies.iter().any(|t| t.to_canonical() == p))
    }

    /// Whether cookies set in answer to this request are `Secure` (and `__Host-` prefixed):
    /// as configured outright; else as the public URL's scheme says; else, behind a trusted
    /// proxy, as its `X-Forwarded-Proto` says; else unless the server listens on loopback
    /// only.
    pub fn secure_cookies(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
        if let Some(secure) = self.cookie_secure {
            return secure;
        }
        if let Some(url) = &self.public_url {
            return url.scheme() == "https";
        }
        if self.is_trusted_proxy(peer) {
            // The proxy nearest us speaks last.
            let proto = headers
                .get_all("x-forwarded-proto")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .map(|p| p.trim().to_ascii_lowercase());
            if let Some(proto) = proto {
                return proto == "https";
            }
        }
        !self.loopback_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(proto: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", proto.parse().unwrap());
        h
    }

    #[test]
    fn cookie_security_follows_the_public_url_then_a_trusted_proxy_then_the_listener() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let behind_proxy = WebConfig {
            loopback_only: true,
            trusted_proxies: vec![proxy],
            ..Default::default()
        };
        assert!(behind_proxy.secure_cookies(Some(proxy), &headers("https")));
        assert!(!behind_proxy.secure_cookies(Some(proxy), &headers("http")));
        assert!(!behind_proxy.secure_cookies(Some(proxy), &HeaderMap::new()));
        // Only a trusted proxy is believed.
        assert!(!behind_proxy.secure_cookies(Some(stranger), &headers("https")));

        let public = WebConfig {
            loopback_only: true,
            public_url: Some("https://partners.example.com".parse().unwrap()),
            ..Default::default()
        };
        assert!(public.secure_cookies(Some(stranger), &HeaderMap::new()));
        let outright = WebConfig {
            cookie_secure: Some(false),
            ..public
        };
        assert!(!outright.secure_cookies(None, &headers("https")));
        assert!(WebConfig::default().secure_cookies(None, &HeaderMap::new()));
    }
}
