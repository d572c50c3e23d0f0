//! The one inbound pipeline. Every message a customer sends — delivered by webhook, or
//! found in Twilio's log by catch-up after the app was closed — passes through [`apply`]:
//! stored by SID (exactly once), status callbacks that beat it applied, opt-out and opt-in
//! keywords and Twilio's `OptOutType` recorded in the ledger by the sender's address, and
//! the auto-reply decided and stored. The webhook handler and catch-up only adapt their
//! input to an [`InboundMessage`] and publish what [`apply`] returns with [`publish`].
//!
//! Catch-up applies messages oldest first; the ledger also orders changes by the time the
//! customer sent them, so STOP then START ends subscribed whichever path saw which first.

pub mod auto_reply;

use rusqlite::Connection;

use crate::domain::optout::{self, OptChange};
use crate::domain::Address;
use crate::error::Result;
use crate::events::{Event, Events};
use crate::store::{auto_replies, blocked, contacts, messages, numbers, optouts};

/// How a message reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Twilio posted it to the listener; our answer is TwiML.
    Webhook,
    /// Catch-up found it in Twilio's log (the app was closed or the tunnel down).
    CatchUp,
}

/// An inbound SMS/MMS, whichever way it came.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub sid: String,
    /// The customer's address (E.164 when it parses, else as Twilio sent it): normalised
    /// once, by whoever adapts the input, and never parsed again on the writer thread.
    pub from: Address,
    /// Our number.
    pub to: String,
    pub body: String,
    pub num_segments: i64,
    /// (content type, Twilio URL) per attachment.
    pub media: Vec<(String, String)>,
    /// Twilio's `OptOutType` (STOP, START, HELP) when its Advanced Opt-Out recognised one.
    /// Only webhooks carry it; catch-up classifies the body alone.
    pub opt_out_type: Option<String>,
    /// When the customer sent it (RFC 3339): Twilio's date for catch-up, arrival for a webhook.
    pub at: String,
    pub via: Via,
}

/// What [`apply`] did, for the events and the webhook's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// None when the SID was already stored (a retry, or the same message by both paths).
    pub created: Option<messages::InsertOutcome>,
    /// The contact whose opt-out state changed (for `ContactUpdated`).
    pub contact_changed: Option<i64>,
    /// The sender's ledger state changed (whether or not a contact owns the address).
    pub opt_out_changed: bool,
    /// The auto-reply to answer with (`<Message>`), if any.
    pub reply: Option<String>,
    /// The stored auto-reply row: (conversation id, message id).
    pub reply_message: Option<(i64, i64)>,
    /// The sender is blocked: the text is stored, but nobody is told (no notification, no
    /// auto-reply) and the inbox does not show it.
    pub blocked: bool,
}

/// Runs the pipeline for `m` inside the caller's transaction. A message already stored
/// changes nothing (its keyword was applied the first time); a webhook retry gets the same
/// auto-reply as the first delivery, which Twilio may never have received.
pub fn apply(conn: &Connection, m: &InboundMessage) -> Result<Applied> {
    let number_id = numbers::ensure(conn, &m.to, true)?;
    let outcome = messages::insert_inbound(
        conn,
        &messages::Inbound {
            sid: m.sid.clone(),
            number_id,
            from: m.from.as_str().to_string(),
            to: m.to.clone(),
            body: m.body.clone(),
            num_segments: m.num_segments,
            media: m.media.clone(),
            created_at: m.at.clone(),
        },
    )?;
    if !outcome.created {
        return Ok(Applied { reply: repeat_reply(conn, m)?, ..Applied::default() });
    }
    messages::apply_pending(conn, &m.sid)?;
    let mut applied = Applied { blocked: blocked::is_blocked_normalised(conn, &m.from)?, ..Applied::default() };
    let change = optout::classify(&m.body, m.opt_out_type.as_deref());
    if let Some(change) = change {
        let reason = match m.opt_out_type.as_deref() {
            Some(t) => format!("OptOutType {}", t.trim().to_ascii_uppercase()),
            None => m.body.trim().trim_end_matches(['.', '!']).to_ascii_uppercase(),
        };
        let source = match m.via {
            Via::Webhook => optouts::Source::Webhook,
            Via::CatchUp => optouts::Source::CatchUp,
        };
        let recorded = optouts::record(
            conn,
            &optouts::Change {
                address: m.from.as_str(),
                opted_out: change == OptChange::OptOut,
                at: &m.at,
                reason: &reason,
                source,
                message_sid: Some(&m.sid),
            },
        )?;
        if recorded.changed {
            applied.opt_out_changed = true;
            applied.contact_changed = contacts::id_for_address(conn, m.from.as_str())?;
        }
    }
    if m.via == Via::Webhook && !applied.blocked {
        // Any keyword (HELP included) is Twilio's to answer, never ours.
        let keyword = change.is_some() || m.opt_out_type.is_some();
        if let Some(body) = auto_reply::decide(conn, number_id, outcome.conversation_id, m.from.as_str(), keyword)? {
            let id = auto_replies::insert(
                conn,
                &auto_replies::NewAutoReply {
                    inbound_sid: &m.sid,
                    conversation_id: outcome.conversation_id,
                    from: &m.to,
                    to: m.from.as_str(),
                    body: &body,
                    at: &crate::domain::now_rfc3339(),
                },
            )?;
            applied.reply_message = Some((outcome.conversation_id, id));
            applied.reply = Some(body);
        }
    }
    applied.created = Some(outcome);
    Ok(applied)
}

/// The reply a retried webhook answers with: the one stored for the first delivery, while
/// Twilio's log does not show it was sent. Catch-up never replies.
fn repeat_reply(conn: &Connection, m: &InboundMessage) -> Result<Option<String>> {
    match m.via {
        Via::Webhook => auto_replies::unconfirmed_reply(conn, &m.sid),
        Via::CatchUp => Ok(None),
    }
}

/// Publishes what [`apply`] stored. `notify_new` is false for catch-up of old messages: a
/// thousand missed texts are told by one "while you were away" summary, not a thousand
/// notifications.
pub fn publish(events: &Events, applied: &Applied, notify_new: bool) {
    if let Some(o) = &applied.created {
        // A blocked sender's text is kept but never announced (the notification and the
        // unread badge both follow this event).
        if notify_new && !applied.blocked {
            events.publish(Event::MessageReceived { conversation_id: o.conversation_id, message_id: o.message_id });
        }
    }
    if let Some((conversation_id, message_id)) = applied.reply_message {
        events.publish(Event::MessageUpdated { conversation_id, message_id, status: "accepted".into() });
    }
    if let Some(contact_id) = applied.contact_changed {
        events.publish(Event::ContactUpdated { contact_id });
    }
}
