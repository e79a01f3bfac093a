//! Email over SMTP: STARTTLS (submission, 587), implicit TLS (465) or plain for a local relay;
//! `multipart/alternative` with a text and an HTML part; one message per recipient; a
//! `Message-ID` per message; `From` as configured.

use lettre::message::{header, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::Failure;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain, then `STARTTLS` before anything is sent (required).
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No TLS: for a relay on the same host or network.
    None,
}

impl SmtpTls {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            "none" => Some(SmtpTls::None),
            _ => None,
        }
    }
}

/// The SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The `From` of every message (`Partnerhub <partners@example.com>`).
    pub from: String,
}

impl SmtpConfig {
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, Failure> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_string())
                .map_err(|e| Failure::permanent(format!("SMTP TLS: {e}")))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        builder = match self.tls {
            SmtpTls::StartTls => builder.tls(Tls::Required(tls(&self.host)?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls(&self.host)?)),
            SmtpTls::None => builder.tls(Tls::None),
        };
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            ));
        }
        Ok(builder.build())
    }
}

/// Sends one message to one recipient; `message_id` is its `Message-ID` (without brackets).
pub async fn send(
    smtp: &SmtpConfig,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
    message_id: &str,
) -> Result<(), Failure> {
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| Failure::permanent(format!("smtp from {:?}: {e}", smtp.from)))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| Failure::permanent(format!("recipient {to:?}: {e}")))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{message_id}>")))
        .header(header::MIME_VERSION_1_0)
        .multipart(MultiPart::alternative_plain_html(
            text.to_string(),
            html.to_string(),
        ))
        .map_err(|e| Failure::permanent(format!("the message could not be built: {e}")))?;
    smtp.transport()?
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| {
            // A 5xx reply is the relay's refusal; anything else (4xx, the network) may pass later.
            if e.is_permanent() {
                Failure::permanent(format!("the SMTP relay refused the message: {e}"))
            } else {
                Failure::transient(format!("the SMTP relay could not take the message: {e}"))
            }
        })
}
