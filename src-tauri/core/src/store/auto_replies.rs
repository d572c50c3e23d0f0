//! Auto-replies in the thread. The reply goes out as `<Message>` in our answer to the
//! inbound webhook, so Twilio creates it and we never learn its SID then. It is stored at
//! once as an outbound row keyed `auto-reply-<inbound SID>` (status `accepted`, no SID);
//! when catch-up later lists the `outbound-reply` message from Twilio's log, it adopts that
//! row (SID and status) instead of storing a second one.

use super::sql::CachedSql;
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::status::MessageStatus;
use crate::error::Result;

/// The outbox key of the auto-reply answering `inbound_sid`.
pub fn client_ref(inbound_sid: &str) -> String {
    format!("auto-reply-{inbound_sid}")
}

/// A reply to store, in the conversation of the message it answers.
#[derive(Debug, Clone)]
pub struct NewAutoReply<'a> {
    pub inbound_sid: &'a str,
    pub conversation_id: i64,
    /// Our number (the reply's sender).
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub at: &'a str,
}

/// Stores the reply and notes the time on the conversation (the throttle's clock).
/// Returns the message id; a second call for the same inbound message changes nothing.
pub fn insert(conn: &Connection, r: &NewAutoReply<'_>) -> Result<i64> {
    let client_ref = client_ref(r.inbound_sid);
    if let Some(id) =
        conn.row("SELECT id FROM messages WHERE client_ref = ?1", [&client_ref], |row| row.get(0)).optional()?
    {
        return Ok(id);
    }
    let segments = crate::domain::segments::count(r.body).segments.max(1) as i64;
    conn.exec(
        "INSERT INTO messages (client_ref, conversation_id, direction, from_addr, to_addr, body, status, status_rank,
           num_segments, created_at)
         VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            client_ref,
            r.conversation_id,
            r.from,
            r.to,
            r.body,
            MessageStatus::Accepted.as_str(),
            MessageStatus::Accepted.rank(),
            segments,
            r.at
        ],
    )?;
    let id = conn.last_insert_rowid();
    super::conversations::touch(conn, r.conversation_id, r.at, r.body, false)?;
    conn.exec("UPDATE conversations SET auto_replied_at = ?2 WHERE id = ?1", params![r.conversation_id, r.at])?;
    Ok(id)
}

/// When `conversation_id` was last auto-answered, if ever.
pub fn last_replied_at(conn: &Connection, conversation_id: i64) -> Result<Option<String>> {
    Ok(conn
        .row("SELECT auto_replied_at FROM conversations WHERE id = ?1", [conversation_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The reply already given to `inbound_sid` while Twilio has not shown it in its log yet:
/// a retried webhook (whose first answer Twilio may never have received) gets the same one.
pub fn unconfirmed_reply(conn: &Connection, inbound_sid: &str) -> Result<Option<String>> {
    Ok(conn
        .row("SELECT body FROM messages WHERE client_ref = ?1 AND sid IS NULL", [client_ref(inbound_sid)], |r| r.get(0))
        .optional()?)
}

/// Gives the oldest auto-reply row of `conversation_id` with this `body` and no SID the
/// SID and status Twilio lists for it. Returns the row id, or None when there is no such
/// row (the reply was sent some other way, or was already adopted).
pub fn adopt(
    conn: &Connection,
    conversation_id: i64,
    body: &str,
    sid: &str,
    status: &MessageStatus,
) -> Result<Option<i64>> {
    let id: Option<i64> = conn
        .row(
            "SELECT id FROM messages WHERE conversation_id = ?1 AND sid IS NULL AND body = ?2
               AND direction = 'outbound' AND client_ref LIKE 'auto-reply-%' ORDER BY id LIMIT 1",
            params![conversation_id, body],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else { return Ok(None) };
    super::messages::set_sid(conn, id, sid, status)?;
    Ok(Some(id))
}
