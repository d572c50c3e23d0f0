//! Messages, their media, and status changes. Inbound messages and status callbacks are
//! keyed by SID so a retried webhook changes nothing; outbound sends are written to the
//! outbox (status `queued`, no SID) before Twilio is asked, then given their SID.

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::kinds::{Channel, Direction};
use crate::domain::now_rfc3339;
use crate::domain::status::MessageStatus;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Message {
    pub id: i64,
    pub sid: Option<String>,
    pub conversation_id: i64,
    pub direction: Direction,
    pub channel: Channel,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status: String,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub num_segments: i64,
    pub num_media: i64,
    pub price: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub media: Vec<Media>,
    /// A failed (or undelivered) outbound text not retried yet: the thread offers Retry,
    /// a new send linked to this one (or, when Twilio's answer was lost, a look in its log
    /// first: see `outbound::send::retry`).
    pub retryable: bool,
    /// The failed message this one retries.
    pub retry_of: Option<i64>,
    /// The message that retried this one (at most one: migration 11's unique index).
    pub retried_by: Option<i64>,
    /// What fixes a failed outbound text (the US registration or toll-free form for 30034,
    /// 30032 and 30007 from a US number; the customer's opt-out for 21610), for the thread
    /// to link to. Derived from `error_code` and the sending number, never stored.
    pub remedy: Option<crate::domain::twilio_errors::Remedy>,
    /// When Twilio is to send this scheduled message (RFC 3339 UTC); None for a text sent
    /// at once. While `status` is `scheduled` the thread offers Edit and Cancel.
    pub send_at: Option<String>,
    /// The message that replaced this scheduled one when the owner edited it.
    pub replaced_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Media {
    pub id: i64,
    pub idx: i64,
    pub content_type: String,
    /// Relative to the data directory; None until downloaded.
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub bytes: Option<i64>,
    /// Why the file is not here yet, when a download attempt failed (None while it is
    /// simply on its way): the thread shows it instead of "Downloading…" for ever.
    pub download_error: Option<String>,
    /// The download was given up (too large, not a Twilio host, or too many attempts):
    /// only the owner's Retry queues it again.
    pub download_failed: bool,
}

/// An inbound message as the webhook (or backfill) reports it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub sid: String,
    pub number_id: i64,
    pub from: String,
    pub to: String,
    pub body: String,
    pub num_segments: i64,
    /// (content type, Twilio URL) for each MediaUrlN.
    pub media: Vec<(String, String)>,
    pub created_at: String,
}

/// What storing an inbound message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    pub message_id: i64,
    pub conversation_id: i64,
    /// False when the SID was already stored (a retry): nothing changed.
    pub created: bool,
    /// Ids of message_media rows needing download.
    pub media_ids: Vec<i64>,
}

pub fn insert_inbound(conn: &Connection, m: &Inbound) -> Result<InsertOutcome> {
    if let Some((id, conv)) = conn
        .row("SELECT id, conversation_id FROM messages WHERE sid = ?1", [&m.sid], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    {
        return Ok(InsertOutcome { message_id: id, conversation_id: conv, created: false, media_ids: vec![] });
    }
    let preview = if m.body.is_empty() && !m.media.is_empty() { "📎 Attachment" } else { &m.body };
    let conversation_id =
        super::conversations::ensure_touched(conn, m.number_id, &m.from, &m.created_at, preview, true)?;
    conn.exec(
        "INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, body, status, status_rank,
           num_segments, num_media, created_at)
         VALUES (?1, ?2, 'inbound', ?3, ?4, ?5, 'received', ?6, ?7, ?8, ?9)",
        params![
            m.sid,
            conversation_id,
            m.from,
            m.to,
            m.body,
            MessageStatus::Received.rank(),
            m.num_segments,
            m.media.len() as i64,
            m.created_at
        ],
    )?;
    let message_id = conn.last_insert_rowid();
    let mut media_ids = Vec::with_capacity(m.media.len());
    for (idx, (content_type, url)) in m.media.iter().enumerate() {
        conn.exec(
            "INSERT INTO message_media (message_id, idx, content_type, remote_url) VALUES (?1, ?2, ?3, ?4)",
            params![message_id, idx as i64, content_type, url],
        )?;
        let media_id = conn.last_insert_rowid();
        super::downloads::enqueue(conn, "media", media_id, url)?;
        media_ids.push(media_id);
    }
    // Twilio charges for received texts too; their price is asked for shortly after.
    super::costs::enqueue_soon(conn, message_id)?;
    Ok(InsertOutcome { message_id, conversation_id, created: true, media_ids })
}

/// What applying a status callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The message moved forward to the new status.
    Applied { message_id: i64, conversation_id: i64 },
    /// Older than (or equal to) what we have: ignored.
    Stale,
    /// No message with that SID yet: kept in `pending_status` and applied when it appears.
    Deferred,
}

pub fn apply_status(
    conn: &Connection,
    sid: &str,
    status: &MessageStatus,
    error_code: Option<i64>,
    event_at: Option<&str>,
) -> Result<StatusOutcome> {
    let row: Option<(i64, i64, i64)> = conn
        .row("SELECT id, conversation_id, status_rank FROM messages WHERE sid = ?1", [sid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((id, conversation_id, rank)) = row else {
        conn.exec(
            "INSERT INTO pending_status (message_sid, status, error_code, event_at) VALUES (?1, ?2, ?3, ?4)",
            params![sid, status.as_str(), error_code, event_at],
        )?;
        return Ok(StatusOutcome::Deferred);
    };
    if !status.advances_from(rank) {
        return Ok(StatusOutcome::Stale);
    }
    conn.exec(
        "UPDATE messages SET status = ?2, status_rank = ?3, error_code = COALESCE(?4, error_code),
           error_message = CASE WHEN ?4 IS NOT NULL THEN ?5 ELSE error_message END,
           sent_at = COALESCE(?6, sent_at), updated_at = ?7 WHERE id = ?1",
        params![
            id,
            status.as_str(),
            status.rank(),
            error_code,
            error_code.map(|c| crate::domain::twilio_errors::explain(c as u32)),
            event_at,
            now_rfc3339()
        ],
    )?;
    // Status callbacks carry no price: once Twilio is done with the message, its price is
    // fetched off this path (`costs::prices`).
    use MessageStatus::{Delivered, Failed, PartiallyDelivered, Read, Sent, Undelivered};
    if matches!(status, Sent | PartiallyDelivered | Delivered | Undelivered | Failed | Read) {
        super::costs::enqueue_soon(conn, id)?;
    }
    Ok(StatusOutcome::Applied { message_id: id, conversation_id })
}

/// [`apply_status`], and when it fails the message with Twilio's 21610 ("unsubscribed
/// recipient") the recipient's opt-out goes in the ledger, as the carrier reported it.
/// Both ways a status arrives use it (the callback, or later [`apply_pending`] once the
/// message's SID is known), so a STOP learnt from a callback that beat Twilio's own answer
/// is not lost. Returns the outcome and the address newly opted out, if any.
pub fn apply_status_and_opt_out(
    conn: &Connection,
    sid: &str,
    status: &MessageStatus,
    error_code: Option<i64>,
    event_at: Option<&str>,
) -> Result<(StatusOutcome, Option<String>)> {
    const UNSUBSCRIBED: i64 = crate::domain::twilio_errors::code::UNSUBSCRIBED as i64;
    let outcome = apply_status(conn, sid, status, error_code, event_at)?;
    let StatusOutcome::Applied { message_id, .. } = outcome else { return Ok((outcome, None)) };
    if error_code != Some(UNSUBSCRIBED) {
        return Ok((outcome, None));
    }
    let to = get(conn, message_id)?.to;
    let now = now_rfc3339();
    let changed = super::optouts::record(conn, &super::optouts::Change::error_21610(&to, &now, Some(sid)))?.changed;
    Ok((outcome, changed.then_some(to)))
}

/// Applies status callbacks that arrived before the message with `sid` was known.
pub fn apply_pending(conn: &Connection, sid: &str) -> Result<()> {
    // Run for every message stored, and almost always finds nothing: a cached statement,
    // and no DELETE when there was nothing to apply.
    let mut stmt = conn
        .prepare_cached("SELECT status, error_code, event_at FROM pending_status WHERE message_sid = ?1 ORDER BY id")?;
    let pending: Vec<(String, Option<i64>, Option<String>)> =
        all_rows(&mut stmt, [sid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if pending.is_empty() {
        return Ok(());
    }
    for (status, code, at) in pending {
        apply_status_and_opt_out(conn, sid, &MessageStatus::parse(&status), code, at.as_deref())?;
    }
    conn.exec("DELETE FROM pending_status WHERE message_sid = ?1", [sid])?;
    Ok(())
}

/// A message about to be sent, written before Twilio is asked.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// Our idempotency key: the same key never creates a second row or a second send.
    pub client_ref: String,
    pub number_id: i64,
    pub from: String,
    pub to: String,
    pub body: String,
    pub channel: Channel,
    pub num_segments: i64,
    pub num_media: i64,
    pub campaign_id: Option<i64>,
}

/// Writes `m` to the outbox (`queued`), or returns the existing row for its `client_ref`.
pub fn insert_outbound(conn: &Connection, m: &Outbound) -> Result<(i64, i64)> {
    if let Some(found) = conn
        .row("SELECT id, conversation_id FROM messages WHERE client_ref = ?1", [&m.client_ref], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
    {
        return Ok(found);
    }
    let now = now_rfc3339();
    let conversation_id = super::conversations::ensure_touched(conn, m.number_id, &m.to, &now, &m.body, false)?;
    conn.exec(
        "INSERT INTO messages (client_ref, conversation_id, direction, channel, from_addr, to_addr, body, status,
           status_rank, num_segments, num_media, campaign_id, created_at)
         VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?9, ?10, ?11)",
        params![
            m.client_ref,
            conversation_id,
            m.channel,
            m.from,
            m.to,
            m.body,
            MessageStatus::Queued.rank(),
            m.num_segments,
            m.num_media,
            m.campaign_id,
            now
        ],
    )?;
    Ok((conn.last_insert_rowid(), conversation_id))
}

/// An outbound message found in Twilio's log that we did not send through the outbox
/// (sent from the console, another app, or before this install).
#[derive(Debug, Clone)]
pub struct KnownOutbound {
    pub sid: String,
    pub number_id: i64,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status: MessageStatus,
    pub error_code: Option<i64>,
    pub num_segments: i64,
    pub created_at: String,
}

/// Stores `m` by SID; returns (id, created). A known SID changes nothing.
pub fn insert_outbound_from_twilio(conn: &Connection, m: &KnownOutbound) -> Result<(i64, bool)> {
    if let Some(id) = id_by_sid(conn, &m.sid)? {
        return Ok((id, false));
    }
    let conversation_id =
        super::conversations::ensure_touched(conn, m.number_id, &m.to, &m.created_at, &m.body, false)?;
    conn.exec(
        "INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, body, status, status_rank,
           error_code, num_segments, created_at)
         VALUES (?1, ?2, 'outbound', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.sid,
            conversation_id,
            m.from,
            m.to,
            m.body,
            m.status.as_str(),
            m.status.rank(),
            m.error_code,
            m.num_segments,
            m.created_at
        ],
    )?;
    let id = conn.last_insert_rowid();
    if m.status.rank() >= MessageStatus::Sent.rank() {
        super::costs::enqueue_soon(conn, id)?;
    }
    apply_pending(conn, &m.sid)?;
    Ok((id, true))
}

/// Records the SID Twilio gave an outbox message, then any status that beat it here.
pub fn set_sid(conn: &Connection, id: i64, sid: &str, status: &MessageStatus) -> Result<()> {
    conn.exec(
        "UPDATE messages SET sid = ?2, status = CASE WHEN ?4 > status_rank THEN ?3 ELSE status END,
           status_rank = MAX(status_rank, ?4), updated_at = ?5 WHERE id = ?1",
        params![id, sid, status.as_str(), status.rank(), now_rfc3339()],
    )?;
    apply_pending(conn, sid)
}

/// The outbox row written for `client_ref`, if any (a resumed or repeated send).
pub fn find_by_client_ref(conn: &Connection, client_ref: &str) -> Result<Option<Message>> {
    let id: Option<i64> =
        conn.row("SELECT id FROM messages WHERE client_ref = ?1", [client_ref], |r| r.get(0)).optional()?;
    id.map(|id| get(conn, id)).transpose()
}

/// Every SID already stored in a conversation, so reconciling a lost send never adopts a
/// message we recorded before.
pub fn sids_in_conversation(conn: &Connection, conversation_id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT sid FROM messages WHERE conversation_id = ?1 AND sid IS NOT NULL")?;
    all_rows(&mut stmt, [conversation_id], |r| r.get(0))
}

/// Writes an outbound email reply into an existing conversation (`queued`), or returns the
/// row already written for `client_ref`.
pub fn insert_outbound_email(
    conn: &Connection,
    conversation_id: i64,
    client_ref: &str,
    from: &str,
    to: &str,
    body: &str,
) -> Result<i64> {
    if let Some(id) =
        conn.row("SELECT id FROM messages WHERE client_ref = ?1", [client_ref], |r| r.get(0)).optional()?
    {
        return Ok(id);
    }
    let now = now_rfc3339();
    conn.exec(
        "INSERT INTO messages (client_ref, conversation_id, direction, channel, from_addr, to_addr, body, status,
           status_rank, num_segments, num_media, created_at)
         VALUES (?1, ?2, 'outbound', 'email', ?3, ?4, ?5, 'queued', ?6, 0, 0, ?7)",
        params![client_ref, conversation_id, from, to, body, MessageStatus::Queued.rank(), now],
    )?;
    let id = conn.last_insert_rowid();
    super::conversations::touch(conn, conversation_id, &now, body, false)?;
    Ok(id)
}

/// Marks an outbox message as failed locally (Twilio refused it, or never answered).
pub fn mark_failed(conn: &Connection, id: i64, error_code: Option<i64>, error_message: &str) -> Result<()> {
    conn.exec(
        "UPDATE messages SET status = 'failed', status_rank = ?2, error_code = ?3, error_message = ?4,
           unconfirmed = 0, updated_at = ?5 WHERE id = ?1",
        params![id, MessageStatus::Failed.rank(), error_code, error_message, now_rfc3339()],
    )?;
    Ok(())
}

/// Marks an outbox message failed because whether Twilio has it could not be known (the
/// answer was lost and its log could not be read): a retry looks in the log first.
pub fn mark_unconfirmed(conn: &Connection, id: i64, error_message: &str) -> Result<()> {
    conn.exec(
        "UPDATE messages SET status = 'failed', status_rank = ?2, error_code = NULL, error_message = ?3,
           unconfirmed = 1, updated_at = ?4 WHERE id = ?1 AND sid IS NULL",
        params![id, MessageStatus::Failed.rank(), error_message, now_rfc3339()],
    )?;
    Ok(())
}

/// Where an outbox row stands before a (re)send: when our first request for it started
/// (None: Twilio was never asked) and whether its last outcome was unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxState {
    pub request_started_at: Option<String>,
    pub unconfirmed: bool,
}

pub fn outbox_state(conn: &Connection, id: i64) -> Result<OutboxState> {
    conn.row("SELECT request_started_at, unconfirmed FROM messages WHERE id = ?1", [id], |r| {
        Ok(OutboxState { request_started_at: r.get(0)?, unconfirmed: r.get(1)? })
    })
    .or_not_found(|| format!("message {id}"))
}

/// Records that a create request for this row is about to start; the first time only, so
/// a lookup after any later loss covers every request made for it.
pub fn set_request_started(conn: &Connection, id: i64, at: &str) -> Result<()> {
    conn.exec(
        "UPDATE messages SET request_started_at = COALESCE(request_started_at, ?2) WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Puts a failed, never-accepted outbox row back to `queued` for a retry by the owner.
pub fn requeue(conn: &Connection, id: i64) -> Result<()> {
    conn.exec(
        "UPDATE messages SET status = 'queued', status_rank = ?2, error_code = NULL, error_message = NULL,
           updated_at = ?3 WHERE id = ?1 AND sid IS NULL",
        params![id, MessageStatus::Queued.rank(), now_rfc3339()],
    )?;
    Ok(())
}

/// Outbound texts still `queued` (or `scheduled`) without a SID whose row is older than `before`: sends
/// interrupted by a crash or a quit, to be reconciled at the next start.
pub fn interrupted_outbox(conn: &Connection, before: &str) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM messages WHERE direction = 'outbound' AND channel = 'sms' AND sid IS NULL
           AND status IN ('queued', 'scheduled') AND created_at < ?1 ORDER BY id",
    )?;
    all_rows(&mut stmt, [before], |r| r.get(0))
}

/// The `client_ref` of an outbox row.
pub fn client_ref(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn.row("SELECT client_ref FROM messages WHERE id = ?1", [id], |r| r.get(0)).optional()?.flatten())
}

/// `retryable` needs no retry yet (`retried_by`, one probe of the unique index on
/// `retry_of`) and a failed or undelivered outbound text that was not scheduled (Retry
/// sends at once; a scheduled one is scheduled again from the composer instead).
const SELECT: &str = "SELECT id, sid, conversation_id, direction, channel, from_addr, to_addr, body, status,
    error_code, error_message, num_segments, num_media, price, created_at, updated_at,
    (direction = 'outbound' AND channel = 'sms' AND status IN ('failed', 'undelivered') AND send_at IS NULL), retry_of,
    (SELECT r.id FROM messages r WHERE r.retry_of = messages.id), send_at, replaced_by FROM messages";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let direction: Direction = r.get(3)?;
    let from: String = r.get(5)?;
    let error_code: Option<i64> = r.get(9)?;
    let remedy = match (direction, error_code.and_then(|c| u32::try_from(c).ok())) {
        (Direction::Outbound, Some(code)) => crate::domain::twilio_errors::remedy(code, &from),
        _ => None,
    };
    Ok(Message {
        id: r.get(0)?,
        sid: r.get(1)?,
        conversation_id: r.get(2)?,
        direction,
        channel: r.get(4)?,
        from,
        to: r.get(6)?,
        body: r.get(7)?,
        status: r.get(8)?,
        error_code,
        error_message: r.get(10)?,
        num_segments: r.get(11)?,
        num_media: r.get(12)?,
        price: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        media: Vec::new(),
        retryable: r.get::<_, bool>(16)? && r.get::<_, Option<i64>>(18)?.is_none(),
        retry_of: r.get(17)?,
        retried_by: r.get(18)?,
        remedy,
        send_at: r.get(19)?,
        replaced_by: r.get(20)?,
    })
}

fn attach_media(conn: &Connection, messages: &mut [Message]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.idx, m.content_type, m.path, m.sha256, m.bytes, d.last_error, COALESCE(d.state = 'failed', 0)
         FROM message_media m
         LEFT JOIN downloads d ON d.kind = 'media' AND d.target_id = m.id AND d.state != 'done'
         WHERE m.message_id = ?1 ORDER BY m.idx",
    )?;
    for m in messages.iter_mut().filter(|m| m.num_media > 0) {
        m.media = stmt
            .query_map([m.id], |r| {
                Ok(Media {
                    id: r.get(0)?,
                    idx: r.get(1)?,
                    content_type: r.get(2)?,
                    path: r.get(3)?,
                    sha256: r.get(4)?,
                    bytes: r.get(5)?,
                    download_error: r.get(6)?,
                    download_failed: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(())
}

/// The newest `limit` messages of a conversation older than `before_id`, oldest first.
pub fn thread(conn: &Connection, conversation_id: i64, limit: i64, before_id: Option<i64>) -> Result<Vec<Message>> {
    let limit = if limit <= 0 { 50 } else { limit.min(500) };
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE conversation_id = ?1 AND id < ?2 ORDER BY created_at DESC, id DESC LIMIT ?3"
    ))?;
    let mut rows: Vec<Message> = stmt
        .query_map(params![conversation_id, before_id.unwrap_or(i64::MAX), limit], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    rows.reverse();
    attach_media(conn, &mut rows)?;
    Ok(rows)
}

/// The messages of a conversation strictly older than the timeline position `before`
/// (`created_at`, and `id` among equal times; see [`super::timeline`]), newest first, at
/// most `limit`, with their media. Seeks `messages_thread`.
pub fn before(conn: &Connection, conversation_id: i64, before: (&str, i64), limit: i64) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE conversation_id = ?1 AND created_at <= ?2 AND (created_at < ?2 OR id < ?3)
         ORDER BY created_at DESC, id DESC LIMIT ?4"
    ))?;
    let mut rows: Vec<Message> = stmt
        .query_map(params![conversation_id, before.0, before.1, limit], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    attach_media(conn, &mut rows)?;
    Ok(rows)
}

/// Links an outbox row to the failed message it retries. Fails (unique index) when that
/// message already has a retry, so two Retries can never both be written.
pub fn set_retry_of(conn: &Connection, id: i64, failed_id: i64) -> Result<()> {
    conn.exec("UPDATE messages SET retry_of = ?2 WHERE id = ?1 AND retry_of IS NULL", params![id, failed_id])?;
    Ok(())
}

pub fn get(conn: &Connection, id: i64) -> Result<Message> {
    let mut m =
        conn.row(&format!("{SELECT} WHERE id = ?1"), [id], from_row).or_not_found(|| format!("message {id}"))?;
    attach_media(conn, std::slice::from_mut(&mut m))?;
    Ok(m)
}

/// The row id of the message with Twilio SID `sid`, if stored.
fn id_by_sid(conn: &Connection, sid: &str) -> Result<Option<i64>> {
    Ok(conn.row("SELECT id FROM messages WHERE sid = ?1", [sid], |r| r.get(0)).optional()?)
}

pub fn find_by_sid(conn: &Connection, sid: &str) -> Result<Option<Message>> {
    let id = id_by_sid(conn, sid)?;
    id.map(|id| get(conn, id)).transpose()
}

/// Every message, oldest first (for export).
pub fn all(conn: &Connection) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY created_at, id"))?;
    let mut rows: Vec<Message> = all_rows(&mut stmt, [], from_row)?;
    attach_media(conn, &mut rows)?;
    Ok(rows)
}

/// Outbound messages with a SID whose status is not final yet (for repair after downtime).
pub fn open_outbound_sids(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT sid FROM messages WHERE status_rank < 50 AND direction = 'outbound' AND sid IS NOT NULL")?;
    all_rows(&mut stmt, [], |r| r.get(0))
}

pub fn set_media_file(
    conn: &Connection,
    media_id: i64,
    path: &str,
    sha256: &str,
    bytes: i64,
    content_type: &str,
) -> Result<()> {
    conn.exec(
        "UPDATE message_media SET path = ?2, sha256 = ?3, bytes = ?4,
           content_type = CASE WHEN content_type = '' THEN ?5 ELSE content_type END WHERE id = ?1",
        params![media_id, path, sha256, bytes, content_type],
    )?;
    Ok(())
}

/// The message a media row belongs to (for the "media downloaded" event).
pub fn media_message_id(conn: &Connection, media_id: i64) -> Result<Option<i64>> {
    Ok(conn.row("SELECT message_id FROM message_media WHERE id = ?1", [media_id], |r| r.get(0)).optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::write_with_number;

    fn inbound(sid: &str, number_id: i64) -> Inbound {
        Inbound {
            sid: sid.into(),
            number_id,
            from: "+61412345678".into(),
            to: "+61255501234".into(),
            body: "Hi 👋\n<b>there</b>".into(),
            num_segments: 1,
            media: vec![("image/jpeg".into(), "https://api.twilio.com/x".into())],
            created_at: now_rfc3339(),
        }
    }

    #[test]
    fn inbound_is_stored_once_per_sid() {
        write_with_number("+61255501234", |tx, n| {
            let first = insert_inbound(tx, &inbound("SM00000000000000000000000000000001", n))?;
            let again = insert_inbound(tx, &inbound("SM00000000000000000000000000000001", n))?;
            assert!(first.created && !again.created);
            assert_eq!(first.message_id, again.message_id);
            assert_eq!(first.media_ids.len(), 1);
            let count: i64 = tx.row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?;
            assert_eq!(count, 1);
            let conv = super::super::conversations::get(tx, first.conversation_id)?;
            assert_eq!(conv.unread, 1);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn status_before_message_is_applied_when_it_appears() {
        write_with_number("+61255501234", |tx, n| {
            let sid = "SM00000000000000000000000000000002";
            assert_eq!(apply_status(tx, sid, &MessageStatus::Delivered, None, None)?, StatusOutcome::Deferred);
            let (id, _) = insert_outbound(
                tx,
                &Outbound {
                    client_ref: "r1".into(),
                    number_id: n,
                    from: "+61255501234".into(),
                    to: "+61412345678".into(),
                    body: "hello".into(),
                    channel: Channel::Sms,
                    num_segments: 1,
                    num_media: 0,
                    campaign_id: None,
                },
            )?;
            set_sid(tx, id, sid, &MessageStatus::Queued)?;
            assert_eq!(get(tx, id)?.status, "delivered");
            assert_eq!(apply_status(tx, sid, &MessageStatus::Sent, None, None)?, StatusOutcome::Stale);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn outbox_is_idempotent_by_client_ref() {
        write_with_number("+61255501234", |tx, n| {
            let m = Outbound {
                client_ref: "same".into(),
                number_id: n,
                from: "+61255501234".into(),
                to: "+61412345678".into(),
                body: "x".into(),
                channel: Channel::Sms,
                num_segments: 1,
                num_media: 0,
                campaign_id: None,
            };
            assert_eq!(insert_outbound(tx, &m)?, insert_outbound(tx, &m)?);
            Ok(())
        })
        .unwrap();
    }
}
