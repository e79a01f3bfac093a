//! The outbox: a notification is a job of kind `deliver`, written in the transaction of the
//! change that causes it (a change that rolls back sends nothing; one that commits always
//! sends, a crash included), delivered at least once by a worker under a stable delivery id,
//! and never again once its success is recorded.
//!
//! A stored message names its target (`alliances`, a webhook subscription, a recipient); the
//! secret behind it (a chat URL, a token) is looked up only when it is sent.

use std::collections::BTreeMap;
use std::sync::Mutex;

use partnerhub_outbound::email::SmtpConfig;
use partnerhub_outbound::gitlab::GitLabConfig;
use partnerhub_outbound::{chat, email, gitlab, Failure, Message, OutboundPolicy};
use partnerhub_store::{JobRecord, NewJob};
use secrecy::SecretString;

use crate::secrets::new_secret;

/// The job kind of a delivery.
pub const DELIVER: &str = "deliver";

/// Where the outbox may send, as configured.
#[derive(Clone, Default)]
pub struct OutboxConfig {
    /// Chat channels by name (`alliances`): incoming-webhook URLs, secret.
    pub chat: BTreeMap<String, SecretString>,
    pub smtp: Option<SmtpConfig>,
    pub gitlab: Option<GitLabConfig>,
    pub policy: OutboundPolicy,
    /// The host `Message-ID`s are made under.
    pub message_id_host: String,
}

impl std::fmt::Debug for OutboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxConfig")
            .field("chat", &self.chat.keys().collect::<Vec<_>>())
            .field("smtp", &self.smtp.as_ref().map(|s| &s.host))
            .field("gitlab", &self.gitlab.as_ref().map(|g| &g.url))
            .field("allow_hosts", &self.policy.allow_hosts)
            .finish()
    }
}

/// What a message is about, so a record's page can list its deliveries.
#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: &'static str,
    pub id: String,
}

/// The job that delivers `message`, with a fresh delivery id.
pub fn delivery(message: &Message, subject: &Subject, now: i64) -> NewJob {
    NewJob {
        kind: DELIVER.into(),
        payload: serde_json::to_string(message).unwrap_or_default(),
        dedupe_key: None,
        run_at: now,
        channel: Some(message.channel().to_string()),
        delivery_id: Some(format!("dlv_{}", new_secret())),
        subject_type: Some(subject.kind.to_string()),
        subject_id: Some(subject.id.clone()),
    }
}

/// Counts of deliveries by channel and result, for `/metrics`.
#[derive(Default)]
pub struct DeliveryStats(Mutex<BTreeMap<(String, &'static str), u64>>);

impl DeliveryStats {
    pub fn count(&self, channel: &str, result: &'static str) {
        if let Ok(mut map) = self.0.lock() {
            *map.entry((channel.to_string(), result)).or_default() += 1;
        }
    }

    /// `(channel, result, count)` in order.
    pub fn snapshot(&self) -> Vec<(String, &'static str, u64)> {
        self.0
            .lock()
            .map(|m| m.iter().map(|((c, r), n)| (c.clone(), *r, *n)).collect())
            .unwrap_or_default()
    }
}

/// Sends a delivery job's message; returns what the channel answered worth keeping (a created
/// issue, as JSON).
pub async fn send(
    config: &OutboxConfig,
    job: &JobRecord,
    webhook: Option<(SecretString, SecretString)>,
) -> Result<Option<String>, Failure> {
    let message: Message = serde_json::from_str(&job.payload)
        .map_err(|e| Failure::permanent(format!("the stored message does not read: {e}")))?;
    let delivery_id = job.delivery_id.clone().unwrap_or_default();
    match &message {
        Message::Chat { target, text, link } => {
            let url = config.chat.get(target).ok_or_else(|| {
                Failure::permanent(format!("no chat channel {target:?} is configured"))
            })?;
            chat::post(&config.policy, url, text, link.as_ref(), &delivery_id).await?;
            Ok(None)
        }
        Message::Webhook { event, data, .. } => {
            let (url, secret) = webhook.ok_or_else(|| {
                Failure::permanent("the webhook subscription no longer exists or is inactive")
            })?;
            partnerhub_outbound::webhook::post(
                &config.policy,
                &url,
                &secret,
                event,
                &delivery_id,
                data,
            )
            .await?;
            Ok(None)
        }
        Message::Email {
            to,
            subject,
            text,
            html,
        } => {
            let smtp = config
                .smtp
                .as_ref()
                .ok_or_else(|| Failure::permanent("no SMTP relay is configured"))?;
            let message_id = format!("{delivery_id}@{}", config.message_id_host);
            email::send(smtp, to, subject, text, html, &message_id).await?;
            Ok(None)
        }
        Message::GitlabIssue {
            project,
            title,
            description,
            labels,
            template,
        } => {
            let gl = config
                .gitlab
                .as_ref()
                .ok_or_else(|| Failure::permanent("no GitLab instance is configured"))?;
            let issue = gitlab::create_issue(
                &config.policy,
                gl,
                project,
                title,
                description,
                labels,
                template.as_deref(),
            )
            .await?;
            Ok(Some(serde_json::to_string(&issue).unwrap_or_default()))
        }
    }
}
