//! The one HTTP client every outbound request goes through, and the guard in front of it:
//! http(s) only; no address inside the server's own networks (`domain::network`) unless the
//! host is allow-listed by name, whether the URL names an address or a name that resolves to
//! one; redirects followed only where the first request could have gone; connect and total
//! timeouts.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use partnerhub_domain::network::{is_allowed_host, is_internal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a URL may not be requested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Which hosts outbound requests may reach beyond the public Internet.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Hosts (names or addresses, as written in URLs) allowed even when internal.
    pub allow_hosts: Vec<String>,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

impl OutboundPolicy {
    pub fn new(allow_hosts: Vec<String>) -> Self {
        Self {
            allow_hosts,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
        }
    }

    /// Checks a URL without resolving it: scheme, host, and an address written in it.
    pub fn check_url(&self, raw: &str) -> Result<Url, Refused> {
        let url = Url::parse(raw).map_err(|e| Refused(format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused(format!(
                "only http and https URLs are allowed, not {}",
                url.scheme()
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Refused("the URL has no host".into()))?;
        if is_allowed_host(host, &self.allow_hosts) {
            return Ok(url);
        }
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| is_internal(*ip)) {
            return Err(Refused(format!(
                "{ip} is an internal address; outbound requests may not reach it unless \
                 outbound_allow_hosts lists it"
            )));
        }
        Ok(url)
    }

    /// Checks a URL when it is saved: as [`OutboundPolicy::check_url`], and a name is resolved
    /// now to see where it points.
    pub async fn vet_url(&self, raw: &str) -> Result<Url, Refused> {
        let url = self.check_url(raw)?;
        let host = url.host_str().unwrap_or_default().to_string();
        if is_allowed_host(&host, &self.allow_hosts) || !matches!(url.host(), Some(Host::Domain(_)))
        {
            return Ok(url);
        }
        let port = url.port_or_known_default().unwrap_or(443);
        resolve_public(&host, port)
            .await
            .map_err(|e| Refused(e.to_string()))?;
        Ok(url)
    }

    /// Refuses a URL configured at start that points inside: an internal address written in
    /// it, or a name that resolves to one now. A name that does not resolve now is let be: it
    /// is checked again at every delivery.
    pub async fn refuse_inside(&self, raw: &str) -> Result<(), Refused> {
        let url = self.check_url(raw)?;
        let host = url.host_str().unwrap_or_default().to_string();
        if is_allowed_host(&host, &self.allow_hosts) || !matches!(url.host(), Some(Host::Domain(_)))
        {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        match resolve_public(&host, port).await {
            Err(e) if e.0.contains("internal address") => Err(e),
            _ => Ok(()),
        }
    }

    /// The guarded client.
    pub fn client(&self) -> Result<reqwest::Client, Refused> {
        let policy = self.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error(Refused("more than 5 redirects".into()));
            }
            match policy.check_url(attempt.url().as_str()) {
                Ok(_) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardResolver {
                allow_hosts: self.allow_hosts.clone(),
            }))
            .redirect(redirects)
            .connect_timeout(self.connect_timeout)
            .timeout(self.total_timeout)
            .user_agent(concat!("Partnerhub/", env!("CARGO_PKG_VERSION")))
            .no_proxy()
            .build()
            .map_err(|e| Refused(format!("the HTTP client could not be built: {e}")))
    }
}

/// Resolves `host` and refuses it when any of its addresses is internal.
async fn resolve_public(host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Refused(format!("{host} does not resolve: {e}")))?
        .collect();
    if let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(Refused(format!(
            "{host} resolves to the internal address {}; outbound requests may not reach it \
             unless outbound_allow_hosts lists {host}",
            bad.ip()
        )));
    }
    if addrs.is_empty() {
        return Err(Refused(format!("{host} has no address")));
    }
    Ok(addrs)
}

/// The guard's refusal behind a failed request (a name resolving inside, a redirect to an
/// internal address), if that is why it failed.
pub fn refusal(e: &reqwest::Error) -> Option<&Refused> {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(r) = inner.downcast_ref::<Refused>() {
            return Some(r);
        }
        source = inner.source();
    }
    None
}

/// The client's resolver: names resolving to any internal address are refused at connect
/// time, so a name changed to point inside after it was saved is caught too.
struct GuardResolver {
    allow_hosts: Vec<String>,
}

impl Resolve for GuardResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let allowed = is_allowed_host(&host, &self.allow_hosts);
        Box::pin(async move {
            // A name that does not resolve is a DNS failure (tried again later); one that
            // resolves inside is the guard's refusal (final).
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
                .collect();
            if !allowed {
                if let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
                    return Err(Box::new(Refused(format!(
                        "{host} resolves to the internal address {}; outbound requests may not \
                         reach it unless outbound_allow_hosts lists {host}",
                        bad.ip()
                    )))
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_and_other_schemes_are_refused_unless_allowed() {
        let p = OutboundPolicy::new(vec!["127.0.0.1".into()]);
        for bad in [
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/hook",
            "http://[::1]:8080/",
            "ftp://example.com/x",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(p.check_url(bad).is_err(), "{bad}");
        }
        assert!(p.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(p.check_url("https://hooks.slack.com/services/x").is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused_when_saved() {
        let p = OutboundPolicy::new(vec![]);
        let err = p.vet_url("http://localhost:9/hook").await.unwrap_err();
        assert!(err.0.contains("internal address"), "{err}");
        let allowed = OutboundPolicy::new(vec!["localhost".into()]);
        assert!(allowed.vet_url("http://localhost:9/hook").await.is_ok());
    }
}
