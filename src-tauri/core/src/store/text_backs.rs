//! Missed-call text-back bookkeeping (issue 14): one row per missed call, keyed by its SID,
//! written in the same transaction as the call's final status. The row is the decision
//! (pending, or skipped and why); the outbound worker sends the pending ones through the
//! outbox. A retried callback finds the row and does nothing, so a call is texted at most once.

use rusqlite::{params, Connection, OptionalExtension};

use super::sql::{all_rows, CachedSql};
use crate::error::Result;
use crate::store::{blocked, optouts};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TextBack {
    pub id: i64,
    pub call_sid: String,
    pub number_id: i64,
    pub caller: String,
    pub state: String,
    pub reason: Option<String>,
    pub message_id: Option<i64>,
    pub created_at: String,
}

/// Why a missed call got no text-back.
pub const SKIP_WINDOW: &str = "the caller already got a text-back within the window";
pub const SKIP_OPTED_OUT: &str = "the caller opted out";
/// A blocked caller's call is rejected (`<Reject/>` ends it "busy", so it looks missed);
/// texting them back would undo the block.
pub const SKIP_BLOCKED: &str = "the caller is blocked";
/// "Anonymous", "Restricted", or Twilio's stand-in +266696687: there is no number to text.
pub const SKIP_WITHHELD: &str = "the caller's number was withheld";

/// Twilio's `From` for a call whose caller ID was withheld (it shows as "Anonymous").
const WITHHELD_CALLER: &str = "+266696687";

/// Whether `caller` is a number a text can go to.
fn textable(caller: &str) -> bool {
    caller != WITHHELD_CALLER && crate::domain::E164::parse(caller).is_ok()
}

/// What [`decide`] wrote for a missed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A new pending text-back: the worker sends it.
    Pending,
    /// A new row, skipped for this reason.
    Skipped(&'static str),
    /// The call already had a row (a retried callback): nothing new.
    AlreadyDecided,
}

/// Records the text-back decision for missed call `call_sid` from `caller` to our number
/// `number_id` at `now` (RFC 3339): skipped when the caller is blocked, opted out or already had one
/// within `window_hours` (a text-back of ours, or `body` found in the thread by catch-up,
/// which is what the hosted flow sends while the app is closed), otherwise pending.
pub fn decide(
    conn: &Connection,
    call_sid: &str,
    number_id: i64,
    caller: &str,
    body: &str,
    window_hours: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Decision> {
    let exists: Option<i64> =
        conn.row("SELECT id FROM text_backs WHERE call_sid = ?1", [call_sid], |r| r.get(0)).optional()?;
    if exists.is_some() {
        return Ok(Decision::AlreadyDecided);
    }
    let since = (now - chrono::Duration::hours(window_hours)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let recent: bool = conn.row(
        "SELECT EXISTS(SELECT 1 FROM text_backs WHERE number_id = ?1 AND caller = ?2
                         AND state IN ('pending','sent') AND created_at > ?3)
             OR EXISTS(SELECT 1 FROM messages m JOIN numbers n ON n.id = ?1
                         WHERE m.direction = 'outbound' AND m.from_addr = n.e164 AND m.to_addr = ?2
                           AND m.body = ?4 AND m.created_at > ?3)",
        params![number_id, caller, since, body],
        |r| r.get(0),
    )?;
    let skip = if !textable(caller) {
        Some(SKIP_WITHHELD)
    } else if blocked::is_blocked(conn, caller)? {
        Some(SKIP_BLOCKED)
    } else if optouts::is_opted_out(conn, caller)? {
        Some(SKIP_OPTED_OUT)
    } else if recent {
        Some(SKIP_WINDOW)
    } else {
        None
    };
    let created = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    conn.exec(
        "INSERT INTO text_backs (call_sid, number_id, caller, state, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![call_sid, number_id, caller, if skip.is_some() { "skipped" } else { "pending" }, skip, created],
    )?;
    Ok(skip.map_or(Decision::Pending, Decision::Skipped))
}

const COLUMNS: &str = "id, call_sid, number_id, caller, state, reason, message_id, created_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TextBack> {
    Ok(TextBack {
        id: r.get(0)?,
        call_sid: r.get(1)?,
        number_id: r.get(2)?,
        caller: r.get(3)?,
        state: r.get(4)?,
        reason: r.get(5)?,
        message_id: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// How long a text-back waits for its forwarded call's dial result before it goes anyway.
/// Twilio posts the dial's result and the call's end as two requests in no set order; a
/// caller who hung up before the forward rang gets no dial result at all.
pub const DIAL_RESULT_GRACE: chrono::Duration = chrono::Duration::seconds(20);

/// The owner's side took the call after all: its dial result came after the call's end.
pub const SKIP_ANSWERED: &str = "the call was answered";

/// Pending text-backs that may go out at `now`, oldest first: one whose call was forwarded
/// waits for the dial result (a call the owner took gets no "sorry we missed you"), or
/// until [`DIAL_RESULT_GRACE`] has passed since it was decided.
pub fn due(conn: &Connection, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<TextBack>> {
    let decided_by = (now - DIAL_RESULT_GRACE).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let columns = COLUMNS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT {columns} FROM text_backs t LEFT JOIN calls c ON c.sid = t.call_sid
          WHERE t.state = 'pending'
            AND (c.forwarded_to IS NULL OR c.dial_status IS NOT NULL OR c.answered_by IS NOT NULL
                 OR t.created_at <= ?1)
          ORDER BY t.id"
    ))?;
    all_rows(&mut stmt, [decided_by], from_row)
}

/// The dial result of `call_sid` says the owner took it: a text-back still pending for it
/// is skipped. Returns whether there was one.
pub fn answered(conn: &Connection, call_sid: &str) -> Result<bool> {
    let n = conn.exec(
        "UPDATE text_backs SET state = 'skipped', reason = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
          WHERE call_sid = ?1 AND state = 'pending'",
        params![call_sid, SKIP_ANSWERED],
    )?;
    Ok(n > 0)
}

/// Text-backs waiting to be sent, oldest first.
pub fn pending(conn: &Connection) -> Result<Vec<TextBack>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM text_backs WHERE state = 'pending' ORDER BY id"))?;
    all_rows(&mut stmt, [], from_row)
}

/// The text-back of a call, if it had a decision.
pub fn for_call(conn: &Connection, call_sid: &str) -> Result<Option<TextBack>> {
    Ok(conn.row(&format!("SELECT {COLUMNS} FROM text_backs WHERE call_sid = ?1"), [call_sid], from_row).optional()?)
}

/// Moves a pending text-back to `state` (sent, skipped, failed) with its message or reason.
pub fn finish(conn: &Connection, id: i64, state: &str, message_id: Option<i64>, reason: Option<&str>) -> Result<()> {
    conn.exec(
        "UPDATE text_backs SET state = ?2, message_id = COALESCE(?3, message_id), reason = ?4,
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1 AND state = 'pending'",
        params![id, state, message_id, reason],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::write_with_number;
    use chrono::TimeZone;

    #[test]
    fn once_per_caller_per_window_and_never_twice_per_call() {
        write_with_number("+61255501234", |tx, n| {
            let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap();
            let caller = "+61412555101";
            assert_eq!(decide(tx, "CA1", n, caller, "b", 12, t0)?, Decision::Pending);
            assert_eq!(decide(tx, "CA1", n, caller, "b", 12, t0)?, Decision::AlreadyDecided);
            let later = t0 + chrono::Duration::hours(2);
            assert_eq!(decide(tx, "CA2", n, caller, "b", 12, later)?, Decision::Skipped(SKIP_WINDOW));
            let next_day = t0 + chrono::Duration::hours(13);
            assert_eq!(decide(tx, "CA3", n, caller, "b", 12, next_day)?, Decision::Pending);
            optouts::set_by_owner(tx, "+61412555102", true)?;
            assert_eq!(decide(tx, "CA4", n, "+61412555102", "b", 12, t0)?, Decision::Skipped(SKIP_OPTED_OUT));
            Ok(())
        })
        .unwrap();
    }

    /// A withheld caller ID (Twilio's +266696687, "Anonymous", "Restricted") is no number
    /// to text: skipped with the reason, not tried and recorded as a failed send.
    #[test]
    fn a_withheld_caller_id_gets_no_text_back() {
        write_with_number("+61255501234", |tx, n| {
            let t0 = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap();
            for (i, caller) in ["+266696687", "Anonymous", "Restricted", ""].into_iter().enumerate() {
                let sid = format!("CA{i}");
                assert_eq!(decide(tx, &sid, n, caller, "b", 12, t0)?, Decision::Skipped(SKIP_WITHHELD), "{caller:?}");
            }
            Ok(())
        })
        .unwrap();
    }
}
