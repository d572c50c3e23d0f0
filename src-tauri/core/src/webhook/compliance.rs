//! `POST /twilio/compliance`: a regulatory bundle status callback.
//!
//! Twilio does not document this callback's fields, so the raw body is kept verbatim on
//! the compliance record (and in the journal) and only the bundle SID, status and reason
//! are read, from form or JSON bodies. A callback for a bundle we have no record of is
//! journaled and acknowledged.

use axum::extract::{Request, State};
use axum::response::Response;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{twiml_response, AppState};
use crate::events::Event;
use crate::store::compliance;
use crate::twilio::payloads::BundleStatus;

pub async fn bundle_status(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::FormOrJson).await?;
    let bundle = BundleStatus::from_body(signed.is_json, &signed.body, &signed.params)?;
    let compliance_id = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok(None);
            }
            let raw = String::from_utf8_lossy(&signed.body).into_owned();
            let applied = compliance::apply_callback(
                tx,
                &bundle.bundle_sid,
                bundle.status.as_deref(),
                bundle.failure_reason.as_deref(),
                &raw,
            )?;
            signed.journal(tx, Some(&bundle.bundle_sid))?;
            if !applied {
                return Ok(None);
            }
            Ok(compliance::find_by_bundle(tx, &bundle.bundle_sid)?.map(|c| c.id))
        })
        .await?;
    if let Some(compliance_id) = compliance_id {
        state.events.publish(Event::ComplianceUpdated { compliance_id });
    }
    Ok(twiml_response(&[]))
}
