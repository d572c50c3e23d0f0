//! "Do webhooks reach Switchboard?": the app sends itself a request signed exactly as
//! Twilio would, through the public URL (tunnel or proxy), to `/twilio/selftest`, which
//! answers with the nonce only when the signature checks out. Anything else is explained.

use std::time::Duration;

use crate::secrets::Secret;
use crate::twilio::signature::{sign, Algorithm};

pub const PATH: &str = "/twilio/selftest";

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SelfTest {
    pub ok: bool,
    /// "Webhooks reach Switchboard", or exactly why not.
    pub message: String,
}

pub async fn run(public_base: &str, auth_token: &Secret<String>) -> SelfTest {
    let url = format!("{}{PATH}", public_base.trim_end_matches('/'));
    let nonce = format!("{:032x}", rand::random::<u128>());
    let params = vec![("Nonce".to_string(), nonce.clone())];
    let signature = sign(auth_token.expose(), &url, &params, Algorithm::Sha1);
    let fail = |message: String| SelfTest { ok: false, message };
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(c) => c,
        Err(e) => return fail(format!("could not start the check: {e}")),
    };
    let resp = match client.post(&url).header("X-Twilio-Signature", signature).form(&params).send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return fail(format!("{public_base} did not answer within 10 seconds")),
        Err(e) if e.is_connect() => return fail(format!("{public_base} cannot be reached: {e}")),
        Err(e) => return fail(format!("the request to {public_base} failed: {e}")),
    };
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    match status.as_u16() {
        200 if body.trim() == nonce => SelfTest { ok: true, message: "Webhooks reach Switchboard".into() },
        200 => fail(format!("{public_base} answered, but not from this Switchboard (another app is behind that URL)")),
        403 => fail(format!(
            "{public_base} reaches Switchboard, but the signature was refused: the public URL Switchboard checks against differs from the one used (a proxy rewriting the path?)"
        )),
        404 => fail(format!("{public_base} answered 404: the tunnel or proxy does not forward to this Switchboard")),
        502..=504 => fail(format!("{public_base} answered {status}: the tunnel is up but cannot reach the app")),
        _ => fail(format!("{public_base} answered {status}")),
    }
}
