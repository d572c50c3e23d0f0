//! `POST /twilio/selftest`: the app's own "do webhooks reach us?" probe (see
//! `tunnel::selftest`). Signed like every route; answers the nonce it was sent, which
//! proves the request crossed the public URL, reached this listener and passed the
//! signature check. Nothing is stored.

use axum::extract::{Request, State};

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::AppState;

pub async fn probe(State(state): State<AppState>, req: Request) -> Result<String, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    Ok(signed.params.get("Nonce").unwrap_or_default().to_string())
}
