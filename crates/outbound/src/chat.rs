//! Slack-compatible incoming webhooks (Mattermost and Rocket.Chat accept the same): a `text`
//! fallback and one `mrkdwn` section block, link included. Success is any 2xx; 429 waits as
//! `Retry-After` says; other 4xx (`invalid_payload`, `channel_not_found`, …) are permanent.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::guard::OutboundPolicy;
use crate::{Failure, Link};

/// Escapes the three characters Slack's mrkdwn reads as markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON body of a chat message.
pub fn body(text: &str, link: Option<&Link>) -> serde_json::Value {
    let mut mrkdwn = escape(text);
    let mut fallback = text.to_string();
    if let Some(l) = link {
        mrkdwn.push_str(&format!(" <{}|{}>", escape(&l.url), escape(&l.label)));
        fallback.push_str(&format!(" {}", l.url));
    }
    json!({
        "text": fallback,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}],
    })
}

/// Posts one message to a chat webhook.
pub async fn post(
    policy: &OutboundPolicy,
    url: &SecretString,
    text: &str,
    link: Option<&Link>,
    delivery_id: &str,
) -> Result<(), Failure> {
    let url = policy
        .check_url(url.expose_secret())
        .map_err(|e| Failure::permanent(format!("the chat webhook URL is refused: {e}")))?;
    let client = policy
        .client()
        .map_err(|e| Failure::transient(e.to_string()))?;
    let res = client
        .post(url)
        .header("X-Partnerhub-Delivery", delivery_id)
        .json(&body(text, link))
        .send()
        .await
        .map_err(|e| match crate::guard::refusal(&e) {
            Some(r) => Failure::permanent(format!("the chat webhook URL is refused: {r}")),
            None => Failure::transient(format!(
                "the chat webhook did not answer: {}",
                without_url(&e)
            )),
        })?;
    let status = res.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = res.text().await.unwrap_or_default();
    Err(Failure::from_status(status, retry_after.as_deref(), &text))
}

/// An HTTP error without the URL, which for a webhook is the secret.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "(the URL)");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_has_a_fallback_text_and_an_escaped_section_with_its_link() {
        let b = body(
            "Acme <Corp> & co wants a technology partnership",
            Some(&Link {
                label: "open".into(),
                url: "https://p.example/inbound/1".into(),
            }),
        );
        assert_eq!(
            b["text"],
            "Acme <Corp> & co wants a technology partnership https://p.example/inbound/1"
        );
        assert_eq!(
            b["blocks"][0]["text"]["text"],
            "Acme &lt;Corp&gt; &amp; co wants a technology partnership <https://p.example/inbound/1|open>"
        );
        assert_eq!(b["blocks"][0]["text"]["type"], "mrkdwn");
    }
}
