//! Signed webhooks: a JSON event, `X-Partnerhub-Signature: sha256=<hex>` (HMAC-SHA256 of the
//! raw body with the subscription's secret), `X-Partnerhub-Event` and the delivery's stable
//! `X-Partnerhub-Delivery`, by which a receiver drops a repeat.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::chat::without_url;
use crate::guard::OutboundPolicy;
use crate::Failure;

/// The signature header's value for `body`.
pub fn signature(secret: &SecretString, body: &[u8]) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The raw body of an event: `{"event", "delivery_id", "data"}`.
pub fn body(event: &str, delivery_id: &str, data: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event": event,
        "delivery_id": delivery_id,
        "data": data,
    }))
    .unwrap_or_default()
}

/// Posts one event.
pub async fn post(
    policy: &OutboundPolicy,
    url: &SecretString,
    secret: &SecretString,
    event: &str,
    delivery_id: &str,
    data: &serde_json::Value,
) -> Result<(), Failure> {
    let url = policy
        .check_url(url.expose_secret())
        .map_err(|e| Failure::permanent(format!("the webhook URL is refused: {e}")))?;
    let client = policy
        .client()
        .map_err(|e| Failure::transient(e.to_string()))?;
    let raw = body(event, delivery_id, data);
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("X-Partnerhub-Event", event)
        .header("X-Partnerhub-Delivery", delivery_id)
        .header("X-Partnerhub-Signature", signature(secret, &raw))
        .body(raw)
        .send()
        .await
        .map_err(|e| match crate::guard::refusal(&e) {
            Some(r) => Failure::permanent(format!("the webhook URL is refused: {r}")),
            None => Failure::transient(format!("the webhook did not answer: {}", without_url(&e))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_raw_body() {
        // RFC 4231 test case 2.
        let s = signature(&SecretString::from("Jefe"), b"what do ya want for nothing?");
        assert_eq!(
            s,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
