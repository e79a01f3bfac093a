//! Partnerhub's outbound channels: Slack-compatible chat webhooks, signed webhooks, email over
//! SMTP, and GitLab issues. Each send takes its resolved target and returns what it achieved
//! or a [`Failure`] saying whether trying again can help.
//!
//! Every HTTP request goes through [`guard::OutboundPolicy`]'s client. Knows nothing of the
//! store or of jobs: the operations layer decides what to send and when to retry.

pub mod chat;
pub mod email;
pub mod gitlab;
pub mod guard;
pub mod webhook;

use serde::{Deserialize, Serialize};

pub use guard::{OutboundPolicy, Refused};

/// Why a send did not succeed, and whether another attempt may.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// Trying again cannot help (the receiver refused the message or the target is gone).
    pub permanent: bool,
    /// The receiver asked to wait this long (`Retry-After`).
    pub retry_after_ms: Option<i64>,
    pub message: String,
}

impl Failure {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            retry_after_ms: None,
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            permanent: true,
            retry_after_ms: None,
            message: message.into(),
        }
    }

    /// The failure an HTTP status means: 429 waits as asked, other 4xx are permanent, 5xx and
    /// the rest are worth another try.
    pub fn from_status(status: reqwest::StatusCode, retry_after: Option<&str>, body: &str) -> Self {
        let excerpt: String = body.chars().take(300).collect();
        let message = format!("{status}: {excerpt}");
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|s| s.clamp(0, 86_400) * 1000);
            return Self {
                permanent: false,
                retry_after_ms: wait,
                message,
            };
        }
        Self {
            permanent: status.is_client_error(),
            retry_after_ms: None,
            message,
        }
    }
}

/// A link in a message: its words and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// A message as the outbox stores it until it is delivered: what to send, and to which of the
/// configured targets (never a secret: URLs and tokens are looked up when it is sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Message {
    /// To a configured chat channel (`alliances`).
    Chat {
        target: String,
        text: String,
        link: Option<Link>,
    },
    /// An event to one webhook subscription.
    Webhook {
        subscription_id: i64,
        event: String,
        data: serde_json::Value,
    },
    /// One email to one recipient.
    Email {
        to: String,
        subject: String,
        text: String,
        html: String,
    },
    /// An issue in a GitLab project.
    GitlabIssue {
        project: String,
        title: String,
        description: String,
        labels: Vec<String>,
        template: Option<String>,
    },
}

impl Message {
    /// The channel's code (`chat`, `webhook`, `email`, `gitlab_issue`).
    pub fn channel(&self) -> &'static str {
        match self {
            Message::Chat { .. } => "chat",
            Message::Webhook { .. } => "webhook",
            Message::Email { .. } => "email",
            Message::GitlabIssue { .. } => "gitlab_issue",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_say_whether_to_try_again() {
        use reqwest::StatusCode;
        let f = Failure::from_status(StatusCode::TOO_MANY_REQUESTS, Some("30"), "slow down");
        assert!(!f.permanent);
        assert_eq!(f.retry_after_ms, Some(30_000));
        for permanent in [400, 403, 404, 410] {
            let s = StatusCode::from_u16(permanent).unwrap();
            assert!(Failure::from_status(s, None, "").permanent, "{permanent}");
        }
        assert!(!Failure::from_status(StatusCode::BAD_GATEWAY, None, "").permanent);
    }

    #[test]
    fn a_stored_message_names_its_channel_and_reads_back() {
        let m = Message::Chat {
            target: "alliances".into(),
            text: "hello".into(),
            link: None,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"channel\":\"chat\""));
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), m);
        assert_eq!(m.channel(), "chat");
    }
}
