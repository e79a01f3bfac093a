//! Configuration: command-line flags, environment variables and an optional TOML file, in that
//! order of precedence, resolved into one [`Settings`].

pub(crate) mod outbound;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use partnerhub_app::AppConfig;
use partnerhub_domain::scorecard::Weights;
use partnerhub_web::WebConfig;
use serde::Deserialize;

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Directory for the embedded database and other local state.
    #[arg(long, env = "PARTNERHUB_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `postgres://…` for PostgreSQL; default an SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Optional TOML configuration file.
    #[arg(long, env = "PARTNERHUB_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

/// The configuration file's keys; unknown keys are an error, so a typo is never silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    addr: Option<String>,
    vendor_name: Option<String>,
    public_url: Option<String>,
    cookie_secure: Option<bool>,
    session_hours: Option<i64>,
    login_attempts: Option<u32>,
    login_attempts_per_address: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    audit_key_file: Option<PathBuf>,
    outbound_allow_hosts: Option<Vec<String>>,
    #[serde(default)]
    scorecard: ScorecardConfig,
    #[serde(default)]
    notifications: outbound::NotificationsFile,
    #[serde(default)]
    smtp: outbound::SmtpFile,
    #[serde(default)]
    gitlab: outbound::GitLabFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScorecardConfig {
    #[serde(default)]
    weights: std::collections::BTreeMap<String, f64>,
}

/// Everything a command needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    /// From the file; the `serve` flag and `PARTNERHUB_ADDR` take precedence.
    pub addr: Option<String>,
    pub vendor_name: String,
    /// Where people reach the server (`https://partners.example.com`).
    pub public_url: Option<url::Url>,
    pub cookie_secure: Option<bool>,
    pub session_hours: i64,
    pub login_attempts: u32,
    pub login_attempts_per_address: u32,
    /// Where the audit chain's key is read from (see `keys.rs`).
    pub audit_key: AuditKeySource,
    /// Where notifications go (secrets inside never print).
    pub outbox: partnerhub_app::outbox::OutboxConfig,
    /// Hours after which an unclaimed inbound request is reminded of.
    pub triage_hours: i64,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub weights: Weights,
}

impl Settings {
    pub fn load(args: &GlobalArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = match args.database_url.clone().or(file.database_url) {
            Some(url) if !url.trim().is_empty() => url,
            _ => format!("sqlite://{}", data_dir.join("partnerhub.db").display()),
        };
        let vendor_name = std::env::var("PARTNERHUB_VENDOR_NAME")
            .ok()
            .or(file.vendor_name)
            .unwrap_or_else(|| "GitLab".to_string());
        if vendor_name.trim().is_empty() || vendor_name.chars().count() > 200 {
            bail!("configuration: vendor_name must be 1 to 200 characters");
        }
        let weights =
            Weights::from_pairs(file.scorecard.weights.iter().map(|(k, v)| (k.as_str(), *v)))
                .map_err(|e| anyhow::anyhow!("configuration: {}", e.message))?;
        let session_hours = file.session_hours.unwrap_or(12);
        if !(1..=24 * 90).contains(&session_hours) {
            bail!("configuration: session_hours must be between 1 and 2160");
        }
        let trusted_proxies = file
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, text)| {
                text.trim().parse::<IpAddr>().map_err(|_| {
                    anyhow::anyhow!(
                        "configuration: trusted_proxies[{i}]: {text:?} is not an IP address"
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if trusted_proxies.len() > 100 {
            bail!("configuration: trusted_proxies lists more than 100 addresses");
        }
        let public_url = match std::env::var("PARTNERHUB_PUBLIC_URL")
            .ok()
            .or(file.public_url)
        {
            Some(raw) if !raw.trim().is_empty() => {
                let url = url::Url::parse(raw.trim()).map_err(|e| {
                    anyhow::anyhow!("configuration: public_url: {raw:?} is not a URL ({e})")
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    bail!("configuration: public_url must be an http:// or https:// URL with a host, such as https://partners.example.com");
                }
                Some(url)
            }
            _ => None,
        };
        let triage_hours = match std::env::var("PARTNERHUB_TRIAGE_HOURS").ok() {
            Some(v) => v.trim().parse::<i64>().map_err(|_| {
                anyhow::anyhow!(
                    "configuration: PARTNERHUB_TRIAGE_HOURS: {v:?} is not a number of hours"
                )
            })?,
            None => file.notifications.triage_hours.unwrap_or(48),
        };
        if !(1..=24 * 90).contains(&triage_hours) {
            bail!("configuration: notifications.triage_hours must be between 1 and 2160");
        }
        let message_id_host = public_url
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "partnerhub.localhost".into());
        let outbox = outbound::resolve(
            outbound::OutboundFile {
                notifications: file.notifications,
                smtp: file.smtp,
                gitlab: file.gitlab,
                allow_hosts: file.outbound_allow_hosts,
            },
            &message_id_host,
        )?;
        let audit_key = if let Ok(hex) = std::env::var("PARTNERHUB_AUDIT_KEY") {
            AuditKeySource::Value(hex)
        } else if let Some(path) = std::env::var_os("PARTNERHUB_AUDIT_KEY_FILE")
            .map(PathBuf::from)
            .or(file.audit_key_file)
        {
            AuditKeySource::File(path)
        } else {
            AuditKeySource::DataDir(data_dir.join("audit.key"))
        };
        Ok(Self {
            data_dir,
            database_url,
            addr: file.addr,
            vendor_name,
            public_url,
            cookie_secure: file.cookie_secure,
            session_hours,
            login_attempts: file.login_attempts.unwrap_or(10).max(1),
            login_attempts_per_address: file.login_attempts_per_address.unwrap_or(50).max(1),
            audit_key,
            outbox,
            triage_hours,
            trusted_proxies,
            weights,
        })
    }

    /// The web layer's settings for a server bound to `addr`. Cookies are `Secure` as the file
    /// says; else as the public URL's scheme says; else as a trusted proxy's
    /// `X-Forwarded-Proto` says; else unless the server listens on loopback only.
    pub fn web_config(&self, addr: &SocketAddr) -> WebConfig {
        WebConfig {
            vendor_name: self.vendor_name.clone(),
            public_url: self.public_url.clone(),
            cookie_secure: self.cookie_secure,
            loopback_only: addr.ip().is_loopback(),
            trusted_proxies: self.trusted_proxies.clone(),
            ..WebConfig::default()
        }
    }

    /// The configured public URL without its trailing slash, or `default`.
    pub fn public_url_or(&self, default: &str) -> String {
        self.public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string())
            .unwrap_or_else(|| default.to_string())
    }

    /// The operations' settings, for a server reached at `public_url` (the configured one, or
    /// the address it is bound to), sealing secrets with `sealer`.
    pub fn app_config(
        &self,
        public_url: String,
        sealer: Option<partnerhub_app::secrets::Sealer>,
    ) -> AppConfig {
        AppConfig {
            session_hours: self.session_hours,
            login_attempts: self.login_attempts,
            login_attempts_per_address: self.login_attempts_per_address,
            outbox: self.outbox.clone(),
            public_url,
            sealer,
            triage_hours: self.triage_hours,
            weights: self.weights.clone(),
            ..AppConfig::default()
        }
    }

    pub fn is_sqlite(&self) -> bool {
        !(self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
    }
}

/// Where the audit chain's key comes from, in order of precedence: `PARTNERHUB_AUDIT_KEY` (64
/// hex digits), a file named by `PARTNERHUB_AUDIT_KEY_FILE` or `audit_key_file` (a container
/// secret), or `audit.key` in the data directory, created on first start.
#[derive(Clone)]
pub enum AuditKeySource {
    Value(String),
    File(PathBuf),
    DataDir(PathBuf),
}

impl std::fmt::Debug for AuditKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditKeySource::Value(_) => f.write_str("PARTNERHUB_AUDIT_KEY (set)"),
            AuditKeySource::File(p) => write!(f, "file {}", p.display()),
            AuditKeySource::DataDir(p) => write!(f, "file {} (data directory)", p.display()),
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let err = toml::from_str::<FileConfig>("vendor = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("vendor"), "{err}");
        let ok: FileConfig =
            toml::from_str("vendor_name = \"Acme\"\n[scorecard.weights]\nrevenue = 2.0\n").unwrap();
        assert_eq!(ok.vendor_name.as_deref(), Some("Acme"));
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_dir() {
        let args = GlobalArgs {
            data_dir: Some("/tmp/phx".into()),
            database_url: None,
            config: None,
        };
        let s = Settings::load(&args).unwrap();
        assert_eq!(s.database_url, "sqlite:///tmp/phx/partnerhub.db");
        assert!(s.is_sqlite());
    }

    #[test]
    fn trusted_proxies_are_addresses_and_a_bad_one_is_named() {
        let dir = std::env::temp_dir().join(format!("ph-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("partnerhub.toml");
        let load = |text: &str| {
            std::fs::write(&file, text).unwrap();
            Settings::load(&GlobalArgs {
                data_dir: Some(dir.clone()),
                database_url: None,
                config: Some(file.clone()),
            })
        };
        let s = load("trusted_proxies = [\"127.0.0.1\", \"::1\"]").unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        let addr: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(s.web_config(&addr).trusted_proxies, s.trusted_proxies);
        let err = load("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("trusted_proxies[1]"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
