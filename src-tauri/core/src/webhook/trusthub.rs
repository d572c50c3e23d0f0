//! `POST /twilio/trusthub`: a Trust Hub status callback for the customer profile or A2P
//! trust product of a US registration (the `StatusCallback` given when they were created).
//!
//! Like the regulatory bundle's callback, its fields are not documented: the bundle SID,
//! status and reason are read (form or JSON) and the body is journaled. The status is put on
//! the registration at once; the next poll moves the workflow on (registering the brand)
//! without asking Twilio for the profile again. A callback for an unknown SID is journaled
//! and acknowledged.

use axum::extract::{Request, State};
use axum::response::Response;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{twiml_response, AppState};
use crate::store::us_registration;
use crate::twilio::payloads::BundleStatus;

pub async fn trust_status(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::FormOrJson).await?;
    let bundle = BundleStatus::from_body(signed.is_json, &signed.body, &signed.params)?;
    state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok(());
            }
            if let Some(status) = bundle.status.as_deref() {
                us_registration::apply_trust_status(tx, &bundle.bundle_sid, status, bundle.failure_reason.as_deref())?;
            }
            signed.journal(tx, Some(&bundle.bundle_sid))
        })
        .await?;
    Ok(twiml_response(&[]))
}
