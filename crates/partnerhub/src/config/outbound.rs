//! The outbound part of the configuration: the alliances chat channel, the SMTP relay, the
//! GitLab instance, and the hosts outbound requests may reach inside internal networks. Every
//! key can also come from the environment (`PARTNERHUB_SMTP_HOST`, …); every secret from the
//! file, the environment, or a file named by a `*_file` key (a container secret).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use partnerhub_app::outbox::OutboxConfig;
use partnerhub_outbound::email::{SmtpConfig, SmtpTls};
use partnerhub_outbound::gitlab::GitLabConfig;
use partnerhub_outbound::OutboundPolicy;
use secrecy::SecretString;
use serde::Deserialize;

/// `[notifications]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsFile {
    alliances_channel: Option<String>,
    alliances_channel_file: Option<PathBuf>,
    /// Hours after which an unclaimed inbound request is reminded of.
    pub triage_hours: Option<i64>,
}

/// `[smtp]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpFile {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    username: Option<String>,
    password: Option<String>,
    password_file: Option<PathBuf>,
    from: Option<String>,
}

/// `[gitlab]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitLabFile {
    url: Option<String>,
    token: Option<String>,
    token_file: Option<PathBuf>,
}

/// The outbound sections of the file.
#[derive(Debug, Default)]
pub struct OutboundFile {
    pub notifications: NotificationsFile,
    pub smtp: SmtpFile,
    pub gitlab: GitLabFile,
    pub allow_hosts: Option<Vec<String>>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn read_secret_file(key: &str, path: &Path) -> anyhow::Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("configuration: {key}: reading {}", path.display()))?;
    let value = text.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        bail!("configuration: {key}: {} is empty", path.display());
    }
    Ok(SecretString::from(value.to_string()))
}

/// A secret from, in order: `ENV`, `ENV_FILE`, the file's value, the file's `*_file` key.
fn secret(
    key: &str,
    env_name: &str,
    value: Option<String>,
    file: Option<PathBuf>,
) -> anyhow::Result<Option<SecretString>> {
    if let Some(v) = env(env_name) {
        return Ok(Some(SecretString::from(v)));
    }
    if let Some(p) = env(&format!("{env_name}_FILE")) {
        return read_secret_file(&format!("{env_name}_FILE"), Path::new(&p)).map(Some);
    }
    if value.is_some() && file.is_some() {
        bail!("configuration: set {key} or {key}_file, not both");
    }
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        return Ok(Some(SecretString::from(v)));
    }
    match file {
        Some(p) => read_secret_file(&format!("{key}_file"), &p).map(Some),
        None => Ok(None),
    }
}

/// Resolves the outbound configuration; `message_id_host` names `Message-ID`s.
pub fn resolve(file: OutboundFile, message_id_host: &str) -> anyhow::Result<OutboxConfig> {
    let mut chat = std::collections::BTreeMap::new();
    let n = file.notifications;
    if let Some(url) = secret(
        "notifications.alliances_channel",
        "PARTNERHUB_ALLIANCES_CHANNEL",
        n.alliances_channel,
        n.alliances_channel_file,
    )? {
        chat.insert("alliances".to_string(), url);
    }
    let allow_hosts = match env("PARTNERHUB_OUTBOUND_ALLOW_HOSTS") {
        Some(list) => list
            .split(',')
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect(),
        None => file.allow_hosts.unwrap_or_default(),
    };
    if allow_hosts.len() > 100 {
        bail!("configuration: outbound_allow_hosts lists more than 100 hosts");
    }
    let policy = OutboundPolicy::new(allow_hosts);
    // A configured chat URL must pass the guard now, not fail at its first delivery.
    for (name, url) in &chat {
        policy
            .check_url(secrecy::ExposeSecret::expose_secret(url))
            .map_err(|e| anyhow::anyhow!("configuration: notifications.{name}_channel: {e}"))?;
    }
    let s = file.smtp;
    let smtp = match env("PARTNERHUB_SMTP_HOST").or(s.host) {
        None => None,
        Some(host) => {
            let tls_text = env("PARTNERHUB_SMTP_TLS")
                .or(s.tls)
                .unwrap_or_else(|| "starttls".into());
            let tls = SmtpTls::parse(&tls_text).ok_or_else(|| {
                anyhow::anyhow!(
                    "configuration: smtp.tls: {tls_text:?}; expected starttls, tls or none"
                )
            })?;
            let port = match env("PARTNERHUB_SMTP_PORT") {
                Some(p) => p.parse().map_err(|_| {
                    anyhow::anyhow!("configuration: PARTNERHUB_SMTP_PORT: {p:?} is not a port")
                })?,
                None => s.port.unwrap_or(match tls {
                    SmtpTls::StartTls => 587,
                    SmtpTls::Tls => 465,
                    SmtpTls::None => 25,
                }),
            };
            let from = env("PARTNERHUB_SMTP_FROM").or(s.from).ok_or_else(|| {
                anyhow::anyhow!("configuration: smtp.from is required with smtp.host (\"Partnerhub <partners@example.com>\")")
            })?;
            let username = env("PARTNERHUB_SMTP_USERNAME").or(s.username);
            let password = secret(
                "smtp.password",
                "PARTNERHUB_SMTP_PASSWORD",
                s.password,
                s.password_file,
            )?;
            if username.is_some() != password.is_some() {
                bail!("configuration: smtp.username and smtp.password go together");
            }
            Some(SmtpConfig {
                host,
                port,
                tls,
                username,
                password,
                from,
            })
        }
    };
    let g = file.gitlab;
    let gitlab = match env("PARTNERHUB_GITLAB_URL").or(g.url) {
        None => None,
        Some(url) => {
            policy
                .check_url(&url)
                .map_err(|e| anyhow::anyhow!("configuration: gitlab.url: {e}"))?;
            let token = secret("gitlab.token", "PARTNERHUB_GITLAB_TOKEN", g.token, g.token_file)?
                .ok_or_else(|| anyhow::anyhow!("configuration: gitlab.token (or gitlab.token_file) is required with gitlab.url"))?;
            Some(GitLabConfig { url, token })
        }
    };
    Ok(OutboxConfig {
        chat,
        smtp,
        gitlab,
        policy,
        message_id_host: message_id_host.to_string(),
    })
}

/// Refuses to start when a configured channel points inside the network (checked by resolving
/// its name now), naming the key; the guard checks again at every delivery.
pub async fn vet_channels(outbox: &OutboxConfig) -> anyhow::Result<()> {
    for (name, url) in &outbox.chat {
        outbox
            .policy
            .refuse_inside(secrecy::ExposeSecret::expose_secret(url))
            .await
            .map_err(|e| anyhow::anyhow!("configuration: notifications.{name}_channel: {e}"))?;
    }
    Ok(())
}
