//! Posting webhooks to the app exactly as Twilio does: form-encoded, signed with the account's
//! auth token over the exact URL configured (never a re-serialised one), with an idempotency
//! token that stays the same when a delivery is repeated.

use std::sync::Arc;

use super::state::{new_sid, Shared};
use super::WebhookDelivery;
use crate::twilio::signature::{sign, Algorithm};

/// Posts `params` to `url`, signed; logs and returns the delivery. When the duplicate fault
/// is on, posts a second identical request (same idempotency token) and logs it too.
pub(crate) async fn post(sh: &Arc<Shared>, url: &str, params: Vec<(String, String)>) -> WebhookDelivery {
    let token = format!("{}-{}", new_sid(""), hex::encode(rand::random::<[u8; 4]>()));
    let first = post_once(sh, url, &params, &token).await;
    if sh.faults.duplicate_webhooks() {
        post_once(sh, url, &params, &token).await;
    }
    first
}

async fn post_once(sh: &Arc<Shared>, url: &str, params: &[(String, String)], token: &str) -> WebhookDelivery {
    // A `#ct=…&rc=…` fragment is Twilio's connection-override configuration, not part of
    // the request: it is never sent, so it is not signed either.
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    let signature = sign(&sh.config.auth_token, url, params, Algorithm::Sha1);
    let mut delivery = WebhookDelivery {
        url: url.to_string(),
        params: params.to_vec(),
        signature: signature.clone(),
        status: None,
        response_body: String::new(),
    };
    if sh.faults.drops_webhook_to(url) {
        // Lost on the way (fault): the app never sees it; Twilio logs 11200 and moves on.
        delivery.response_body = "not delivered: webhooks are being dropped (fault)".to_string();
    } else if !is_loopback_url(url) {
        // The project's rule: the simulator never reaches beyond this machine.
        delivery.response_body = "not posted: the simulator only calls 127.0.0.1".to_string();
    } else {
        let body = serde_urlencoded::to_string(params).unwrap_or_default();
        let sent = sh
            .http
            .post(url)
            .header("X-Twilio-Signature", &signature)
            .header("I-Twilio-Idempotency-Token", token)
            .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .header("User-Agent", "TwilioProxy/1.1")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) => {
                delivery.status = Some(resp.status().as_u16());
                delivery.response_body = resp.text().await.unwrap_or_default();
            }
            Err(e) => {
                tracing::debug!("simulator webhook to {url} failed: {e}");
                delivery.response_body = format!("unreachable: {e}");
            }
        }
    }
    sh.with(|s| s.log_webhook(delivery.clone()));
    delivery
}

/// Tells the app that a bundle's review ended (`twilio-approved` or `twilio-rejected`, with the
/// reason), as Twilio's bundle status callback does for regulatory bundles and Trust Hub
/// objects alike. Nothing is posted while the silent fault is on.
pub(crate) async fn bundle_status(sh: &Arc<Shared>, url: &str, sid: &str, status: &str, reason: Option<String>) {
    if sh.faults.silent() {
        return;
    }
    let mut params = pairs(&[("AccountSid", &sh.config.account_sid), ("BundleSid", sid), ("Status", status)]);
    if let Some(r) = reason {
        params.push(("FailureReason".into(), r));
    }
    post(sh, url, params).await;
}

/// True for `http(s)://127.0.0.1…`, `localhost` or `[::1]` URLs.
pub(crate) fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else { return false };
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Resolves a TwiML URL attribute against the document it came from (Twilio accepts
/// relative URLs). Absolute URLs are returned byte for byte, so their signature matches.
pub(crate) fn resolve(base_doc_url: &str, target: &str) -> String {
    let t = target.trim();
    if t.starts_with("http://") || t.starts_with("https://") {
        return t.to_string();
    }
    match url::Url::parse(base_doc_url).and_then(|b| b.join(t)) {
        Ok(u) => u.to_string(),
        Err(_) => t.to_string(),
    }
}

/// `(name, value)` pairs from string slices.
pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}
