//! `POST /twilio/sms`: an inbound SMS/MMS.
//!
//! Adapts the signed request to the inbound pipeline ([`crate::inbound`]), which stores the
//! message, applies opt-out keywords and `OptOutType` to the ledger and decides the
//! auto-reply, all in one transaction with the journal row. The answer is empty TwiML, or
//! the auto-reply as `<Message>`.

use axum::extract::{Request, State};
use axum::response::Response;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{twiml_response, AppState};
use crate::domain::{now_rfc3339, Address};
use crate::inbound::{self, Applied, InboundMessage, Via};
use crate::store::auto_replies;
use crate::twilio::payloads::InboundSms;
use crate::twilio::twiml::Verb;

pub async fn inbound(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let sms = InboundSms::from_params(&signed.params)?;
    // Parsed here, not in the write: the writer thread is shared by every request, and
    // phone-number parsing is as costly as the SQL.
    let message = InboundMessage {
        from: Address::from_twilio(&sms.from),
        to: Address::from_twilio(&sms.to).into_string(),
        sid: sms.message_sid,
        body: sms.body,
        num_segments: sms.num_segments,
        media: sms.media,
        opt_out_type: sms.opt_out_type,
        at: now_rfc3339(),
        via: Via::Webhook,
    };
    let applied = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                // The same delivery again (same idempotency token): the same answer.
                let reply = auto_replies::unconfirmed_reply(tx, &message.sid)?;
                return Ok(Applied { reply, ..Applied::default() });
            }
            let applied = inbound::apply(tx, &message)?;
            if applied.created.is_some() {
                signed.journal(tx, Some(&message.sid))?;
            }
            Ok(applied)
        })
        .await?;
    inbound::publish(&state.events, &applied, true);
    if applied.created.as_ref().is_some_and(|o| !o.media_ids.is_empty()) {
        state.downloads.wake();
    }
    let verbs: Vec<Verb> = applied.reply.into_iter().map(Verb::Message).collect();
    Ok(twiml_response(&verbs))
}
