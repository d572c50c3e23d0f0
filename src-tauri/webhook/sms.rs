//! `POST /twilio/sms`: an inbound SMS/MMS.
//!
//! Stored in its conversation (contact and conversation created as needed, an unknown
//! `To` number recorded as seen), media rows queued for download, opt-out keywords and
//! `OptOutType` applied, all in one transaction with the journal row. The answer is empty
//! TwiML, or the number's auto-reply as `<Message>` (never to someone who opted out, never
//! in answer to a keyword).

use axum::extract::{Request, State};
use axum::response::Response;
use rusqlite::Connection;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{twiml_response, AppState};
use crate::domain::optout::{self, OptChange};
use crate::domain::{now_rfc3339, Address};
use crate::error::Result;
use crate::events::Event;
use crate::store::{contacts, messages, numbers};
use crate::twilio::payloads::InboundSms;
use crate::twilio::twiml::Verb;

/// What the transaction did, for the events and the answer.
struct Stored {
    /// None for a duplicate (nothing changed).
    created: Option<messages::InsertOutcome>,
    /// The contact whose opt-out state changed.
    contact_changed: Option<i64>,
    reply: Option<String>,
}

pub async fn inbound(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let sms = InboundSms::from_params(&signed.params)?;
    // Parsed here, not in the write: the writer thread is shared by every request, and
    // phone-number parsing is as costly as the SQL.
    let from = Address::from_twilio(&sms.from).into_string();
    let to = Address::from_twilio(&sms.to).into_string();
    let change = optout::classify(&sms.body, sms.opt_out_type.as_deref());
    let keyword = change.is_some() || sms.opt_out_type.is_some();
    let received_at = now_rfc3339();
    let stored = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok(Stored { created: None, contact_changed: None, reply: reply_for(tx, &to, &from, keyword)? });
            }
            let number_id = numbers::ensure(tx, &to, true)?;
            let outcome = messages::insert_inbound(
                tx,
                &messages::Inbound {
                    sid: sms.message_sid.clone(),
                    number_id,
                    from: from.clone(),
                    to: to.clone(),
                    body: sms.body.clone(),
                    num_segments: sms.num_segments,
                    media: sms.media.clone(),
                    created_at: received_at,
                },
            )?;
            if !outcome.created {
                // The same SID again (a retry without a token): nothing changes.
                return Ok(Stored { created: None, contact_changed: None, reply: reply_for(tx, &to, &from, keyword)? });
            }
            messages::apply_pending(tx, &sms.message_sid)?;
            let mut contact_changed = None;
            if let Some(change) = change {
                let source = match sms.opt_out_type.as_deref() {
                    Some(t) => format!("OptOutType {}", t.trim().to_ascii_uppercase()),
                    None => sms.body.trim().to_ascii_uppercase(),
                };
                contacts::set_opt_out(tx, &from, change == OptChange::OptOut, &source)?;
                contact_changed = contacts::find_by_address(tx, &from)?.map(|c| c.id);
            }
            signed.journal(tx, Some(&sms.message_sid))?;
            Ok(Stored { created: Some(outcome), contact_changed, reply: reply_for(tx, &to, &from, keyword)? })
        })
        .await?;

    if let Some(o) = &stored.created {
        state.events.publish(Event::MessageReceived { conversation_id: o.conversation_id, message_id: o.message_id });
        if !o.media_ids.is_empty() {
            state.downloads.wake();
        }
    }
    if let Some(contact_id) = stored.contact_changed {
        state.events.publish(Event::ContactUpdated { contact_id });
    }
    let verbs: Vec<Verb> = stored.reply.into_iter().map(Verb::Message).collect();
    Ok(twiml_response(&verbs))
}

/// The number's auto-reply, unless the message was a keyword or the sender opted out.
/// Computed the same way for a retry, whose first answer Twilio never received.
fn reply_for(conn: &Connection, to: &str, from: &str, keyword: bool) -> Result<Option<String>> {
    if keyword || contacts::is_opted_out(conn, from)? {
        return Ok(None);
    }
    let Some(number) = numbers::find_by_e164(conn, to)? else { return Ok(None) };
    Ok(number.settings.auto_reply.filter(|r| !r.trim().is_empty()))
}
