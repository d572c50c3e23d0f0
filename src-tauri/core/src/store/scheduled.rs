//! Scheduled messages in the store: an outbox row marked `scheduled` with its `send_at`
//! (migration 17), canceled locally once Twilio confirms, linked to the row that replaced
//! it on an edit, and the queries of the opt-out sweep and the list of scheduled messages.
//! What moves a scheduled message to `sent`/`delivered` is the ordinary status path
//! (`messages::apply_status`, by callback or catch-up): `scheduled` ranks below `queued`.

use rusqlite::{params, Connection};

use super::messages::{self, Message};
use super::sql::{all_rows, CachedSql};
use crate::domain::now_rfc3339;
use crate::domain::status::MessageStatus;
use crate::error::Result;

/// Marks a new outbox row as scheduled for `send_at` (before Twilio is asked), so the
/// thread shows it pending and the SID Twilio returns (`scheduled`) never moves it back.
pub fn mark_scheduled(conn: &Connection, id: i64, send_at: &str) -> Result<()> {
    conn.exec(
        "UPDATE messages SET status = 'scheduled', status_rank = ?2, send_at = ?3, updated_at = ?4
         WHERE id = ?1 AND sid IS NULL AND status = 'queued'",
        params![id, MessageStatus::Scheduled.rank(), send_at, now_rfc3339()],
    )?;
    Ok(())
}

/// Twilio confirmed the cancel (or the message was never accepted): `canceled`, final,
/// with `why` for the thread. A message that went out meanwhile is left as it is.
pub fn mark_canceled(conn: &Connection, id: i64, why: &str) -> Result<bool> {
    let n = conn.exec(
        "UPDATE messages SET status = 'canceled', status_rank = ?2, error_message = ?3, updated_at = ?4
         WHERE id = ?1 AND status_rank < ?2",
        params![id, MessageStatus::Canceled.rank(), why, now_rfc3339()],
    )?;
    Ok(n > 0)
}

/// Links an edited scheduled message to the one that replaced it.
pub fn set_replaced_by(conn: &Connection, old: i64, new: i64) -> Result<()> {
    conn.exec("UPDATE messages SET replaced_by = ?2 WHERE id = ?1", params![old, new])?;
    Ok(())
}

/// Scheduled messages Twilio holds for an address that is opted out now: each is to be
/// canceled at Twilio. Reads only the partial index of pending scheduled messages.
pub fn pending_to_opted_out(conn: &Connection) -> Result<Vec<(i64, String, i64)>> {
    let mut stmt = conn.prepare_cached(PENDING_TO_OPTED_OUT)?;
    all_rows(&mut stmt, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

/// The running app asks this after every text that arrives (a STOP may be among them).
/// `INDEXED BY`: left to itself, SQLite walked the whole `messages` table in id order to
/// save a sort (a read of every message per arrival, 1 M on a large store) rather than the
/// few rows of `messages_scheduled`.
const PENDING_TO_OPTED_OUT: &str = "SELECT m.id, m.sid, m.conversation_id FROM messages m INDEXED BY messages_scheduled
     JOIN opt_out_state o ON o.address = m.to_addr AND o.opted_out = 1
     WHERE m.status = 'scheduled' AND m.sid IS NOT NULL ORDER BY m.id";

/// Every message still scheduled, soonest first (the list of scheduled messages).
pub fn pending(conn: &Connection) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM messages WHERE status = 'scheduled' AND direction = 'outbound' ORDER BY send_at, id",
    )?;
    let ids: Vec<i64> = all_rows(&mut stmt, [], |r| r.get(0))?;
    ids.into_iter().map(|id| messages::get(conn, id)).collect()
}

/// The time a bulk send was scheduled for (its recipients' texts are scheduled for it).
pub fn campaign_send_at(conn: &Connection, campaign_id: i64) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .row("SELECT send_at FROM campaigns WHERE id = ?1", [campaign_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Records that campaign `campaign_id` schedules its texts for `send_at`.
pub fn set_campaign_send_at(conn: &Connection, campaign_id: i64, send_at: &str) -> Result<()> {
    conn.exec("UPDATE campaigns SET send_at = ?2 WHERE id = ?1", params![campaign_id, send_at])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{query_plan, write_fresh};

    /// The opt-out sweep runs after every text that arrives: it must read the scheduled
    /// messages' partial index, never scan every message.
    #[test]
    fn the_opt_out_sweep_reads_only_the_scheduled_messages() -> Result<()> {
        write_fresh(|tx| {
            let plan = query_plan(tx, PENDING_TO_OPTED_OUT)?;
            assert!(plan.iter().any(|step| step.contains("INDEX messages_scheduled")), "{plan:?}");
            assert!(!plan.iter().any(|step| step == "SCAN m"), "{plan:?}");
            Ok(())
        })
    }
}
