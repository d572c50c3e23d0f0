//! `POST /twilio/sms/status`: a message status callback.
//!
//! Callbacks arrive out of order and with status names we may not know: the status only
//! moves forward (`store::messages::apply_status` ranks them), unknown names are kept as
//! text, and a callback for a SID not stored yet is kept and applied when the message
//! appears. `ErrorCode` is recorded with its plain-language explanation; error 21610
//! (the recipient replied STOP) also opts the recipient's address out in the ledger.

use axum::extract::{Request, State};
use axum::response::Response;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{twiml_response, AppState};
use crate::domain::MessageStatus;
use crate::events::Event;
use crate::store::contacts;
use crate::store::messages::{self, StatusOutcome};
use crate::twilio::payloads::MessageStatusCallback;

pub async fn message_status(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let cb = MessageStatusCallback::from_params(&signed.params)?;
    let status = MessageStatus::parse(&cb.status);
    let status_name = status.as_str().to_string();
    let (outcome, contact_changed) = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok((None, None));
            }
            let (outcome, opted_out) = messages::apply_status_and_opt_out(
                tx,
                &cb.message_sid,
                &status,
                cb.error_code,
                cb.carrier_time.as_deref(),
            )?;
            let contact_changed = match opted_out {
                Some(to) => contacts::id_for_address(tx, &to)?,
                None => None,
            };
            signed.journal(tx, Some(&cb.message_sid))?;
            Ok((Some(outcome), contact_changed))
        })
        .await?;
    if let Some(StatusOutcome::Applied { message_id, conversation_id }) = outcome {
        state.events.publish(Event::MessageUpdated { conversation_id, message_id, status: status_name });
    }
    if let Some(contact_id) = contact_changed {
        state.events.publish(Event::ContactUpdated { contact_id });
    }
    Ok(twiml_response(&[]))
}
