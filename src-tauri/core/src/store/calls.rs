//! The call log: inbound calls (and the forwarded leg), click-to-call, status by SID.

use super::sql::{all_rows, CachedSql};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::now_rfc3339;
use crate::domain::status::CallStatus;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Call {
    pub id: i64,
    pub sid: String,
    pub direction: String,
    pub from: String,
    pub to: String,
    pub status: String,
    pub duration: Option<i64>,
    pub forwarded_to: Option<String>,
    pub answered_by: Option<String>,
    pub dial_status: Option<String>,
    pub created_at: String,
    /// Whether a voicemail was left on this call.
    pub has_voicemail: bool,
    /// A customer called and nobody took it ([`MISSED`]): the UI marks it and can filter by it.
    pub missed: bool,
    /// Our number's id (None for a call Twilio's log showed on a number we do not know).
    pub number_id: Option<i64>,
    /// The customer's side: the caller of an inbound call, the callee of one we placed.
    pub customer: String,
    /// The customer's contact name, "" when the number is not a contact: the UI shows the
    /// name and keeps the number for the hover.
    pub contact_name: String,
    /// How the call went, in one word the timeline and the call log show ([`outcome`]).
    pub outcome: Outcome,
    /// Recordings of this call the owner has not deleted (none unless it was recorded).
    pub recordings: Vec<super::call_recordings::CallRecording>,
}

/// How a call went, from the customer's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// We called the customer (click-to-call).
    Outgoing,
    /// Nobody took it: the forward was not answered, or it went straight to voicemail.
    Missed,
    /// Answered on the owner's phone it was forwarded to.
    Forwarded,
    /// Taken without a forward (answered by the number itself, e.g. elsewhere in Twilio).
    Answered,
    /// Not over yet (ringing, in progress).
    Ringing,
}

/// The one rule for [`Outcome`]: written once, used by the call log and the timeline.
pub fn outcome(c: &Call) -> Outcome {
    let settled = crate::domain::status::CallStatus::parse(&c.status).rank() >= crate::domain::status::FINAL_RANK;
    let forward_taken =
        c.answered_by.is_some() || matches!(c.dial_status.as_deref(), Some("completed") | Some("answered"));
    if c.direction != "inbound" {
        Outcome::Outgoing
    } else if c.missed || (c.has_voicemail && !forward_taken) {
        Outcome::Missed
    } else if c.forwarded_to.is_some() && forward_taken {
        Outcome::Forwarded
    } else if settled {
        Outcome::Answered
    } else {
        Outcome::Ringing
    }
}

#[derive(Debug, Clone)]
pub struct NewCall {
    pub sid: String,
    pub number_id: Option<i64>,
    pub direction: String,
    pub from: String,
    pub to: String,
    pub status: String,
    pub forwarded_to: Option<String>,
    pub created_at: String,
}

/// Records a call by SID; returns (id, created). A retry changes nothing.
pub fn insert(conn: &Connection, c: &NewCall) -> Result<(i64, bool)> {
    if let Some(id) = conn.row("SELECT id FROM calls WHERE sid = ?1", [&c.sid], |r| r.get(0)).optional()? {
        return Ok((id, false));
    }
    let status = CallStatus::parse(&c.status);
    conn.exec(
        "INSERT INTO calls (sid, number_id, direction, from_addr, to_addr, status, status_rank, forwarded_to, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![c.sid, c.number_id, c.direction, c.from, c.to, status.as_str(), status.rank(), c.forwarded_to, c.created_at],
    )?;
    Ok((conn.last_insert_rowid(), true))
}

/// Moves a call's status forward; duration and who answered are filled in when given.
/// Returns false when the SID is unknown or the status is stale.
pub fn apply_status(
    conn: &Connection,
    sid: &str,
    status: &CallStatus,
    duration: Option<i64>,
    answered_by: Option<&str>,
) -> Result<bool> {
    let changed = conn.exec(
        "UPDATE calls SET status = CASE WHEN ?3 > status_rank THEN ?2 ELSE status END,
           status_rank = MAX(status_rank, ?3), duration = COALESCE(?4, duration),
           answered_by = COALESCE(?5, answered_by), updated_at = ?6
         WHERE sid = ?1",
        params![sid, status.as_str(), status.rank(), duration, answered_by, now_rfc3339()],
    )?;
    Ok(changed > 0)
}

/// Records the outcome of the `<Dial>` to the owner's phone.
pub fn set_dial_result(
    conn: &Connection,
    sid: &str,
    dial_status: &str,
    answered_by: Option<&str>,
    duration: Option<i64>,
) -> Result<()> {
    conn.exec(
        "UPDATE calls SET dial_status = ?2, answered_by = COALESCE(?3, answered_by),
           duration = COALESCE(?4, duration), updated_at = ?5 WHERE sid = ?1",
        params![sid, dial_status, answered_by, duration, now_rfc3339()],
    )?;
    Ok(())
}

/// A missed call: a customer called and nobody took it (voicemail or not). Written once,
/// here: the call log's "Missed" filter and the `missed` flag the UI marks rows by.
macro_rules! missed_sql {
    () => {
        "(c.direction = 'inbound' AND c.answered_by IS NULL
          AND COALESCE(c.dial_status, c.status) IN ('no-answer', 'busy', 'failed', 'canceled'))"
    };
}
const MISSED: &str = missed_sql!();

const SELECT: &str = concat!(
    "SELECT c.id, c.sid, c.direction, c.from_addr, c.to_addr, c.status, c.duration, c.forwarded_to,
    c.answered_by, c.dial_status, c.created_at,
    EXISTS(SELECT 1 FROM voicemails v WHERE v.call_sid = c.sid AND v.deleted = 0), ",
    missed_sql!(),
    ", c.number_id, c.customer,
    COALESCE((SELECT k.name FROM contact_phones p JOIN contacts k ON k.id = p.contact_id WHERE p.address = c.customer), '')
    FROM calls c"
);

fn from_row(r: &Row<'_>) -> rusqlite::Result<Call> {
    let mut call = Call {
        id: r.get(0)?,
        sid: r.get(1)?,
        direction: r.get(2)?,
        from: r.get(3)?,
        to: r.get(4)?,
        status: r.get(5)?,
        duration: r.get(6)?,
        forwarded_to: r.get(7)?,
        answered_by: r.get(8)?,
        dial_status: r.get(9)?,
        created_at: r.get(10)?,
        has_voicemail: r.get(11)?,
        missed: r.get(12)?,
        number_id: r.get(13)?,
        customer: r.get(14)?,
        contact_name: r.get(15)?,
        outcome: Outcome::Ringing,
        recordings: Vec::new(),
    };
    call.outcome = outcome(&call);
    Ok(call)
}

/// Fills in each call's recordings (one indexed lookup per call, so a page costs a page).
fn with_recordings(conn: &Connection, mut calls: Vec<Call>) -> Result<Vec<Call>> {
    for c in &mut calls {
        c.recordings = super::call_recordings::for_call(conn, &c.sid)?;
    }
    Ok(calls)
}

/// Calls in one page of the call log.
pub const PAGE: usize = 100;

/// Where a page of the call log ended; the next page starts just after it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct CallCursor {
    pub created_at: String,
    pub id: i64,
}

/// One page of the call log, newest first, and where the next one starts (`None` at the end).
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct CallPage {
    pub calls: Vec<Call>,
    pub next: Option<CallCursor>,
}

/// A page of the call log, newest first, after `after` (keyset paging: each page seeks the
/// `calls_recent` index, however deep, and nothing before it is read again). The redundant
/// `created_at <= ?` lets SQLite seek the index rather than scan from the newest call.
///
/// The forwarded leg to the owner's phone (`outbound-dial`, which catch-up lists as a call
/// of its own) is not a row of the log: it is part of its inbound call, whose row already
/// says who took it (as on the timeline, `for_customer`).
pub fn page(conn: &Connection, missed_only: bool, after: Option<&CallCursor>) -> Result<CallPage> {
    let missed = if missed_only { MISSED } else { "c.direction != 'outbound-dial'" };
    let limit = PAGE as i64 + 1;
    let mut calls = match after {
        None => {
            let sql = format!("{SELECT} WHERE {missed} ORDER BY c.created_at DESC, c.id DESC LIMIT ?1");
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([limit], from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        }
        Some(cursor) => {
            let sql = format!(
                "{SELECT} WHERE {missed} AND c.created_at <= ?1 AND (c.created_at < ?1 OR c.id < ?2)
                 ORDER BY c.created_at DESC, c.id DESC LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![cursor.created_at, cursor.id, limit], from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        }
    };
    // One row more than a page says whether another page exists, without counting.
    let next = if calls.len() > PAGE {
        calls.truncate(PAGE);
        calls.last().map(|c| CallCursor { created_at: c.created_at.clone(), id: c.id })
    } else {
        None
    };
    Ok(CallPage { calls: with_recordings(conn, calls)?, next })
}

/// The screened leg of call `sid` pressed the accept key: recorded on the call, so the
/// dial action knows the owner (not a voicemail) took it, and the log says so.
pub fn mark_screen_accepted(conn: &Connection, sid: &str) -> Result<bool> {
    let changed = conn.exec(
        "UPDATE calls SET screen_accepted_at = COALESCE(screen_accepted_at, ?2), updated_at = ?2 WHERE sid = ?1",
        params![sid, now_rfc3339()],
    )?;
    Ok(changed > 0)
}

/// Whether the screened leg of call `sid` accepted it.
pub fn screen_accepted(conn: &Connection, sid: &str) -> Result<bool> {
    Ok(conn
        .row("SELECT screen_accepted_at IS NOT NULL FROM calls WHERE sid = ?1", [sid], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The number a call came in on (or was placed from).
pub fn number_id(conn: &Connection, sid: &str) -> Result<Option<i64>> {
    Ok(conn.row("SELECT number_id FROM calls WHERE sid = ?1", [sid], |r| r.get(0)).optional()?.flatten())
}

/// Whether someone on the owner's side took the call: the dial completed (the dial action
/// writes `no-answer` for a screened leg that never accepted) or the owner accepted.
pub fn answered_by_owner(call: &Call) -> bool {
    call.answered_by.as_deref() == Some("owner") || call.dial_status.as_deref() == Some("completed")
}

/// The calls between our number `number_id` and `customer` strictly older than the
/// timeline position `before` (see [`super::timeline`]), newest first, at most `limit`.
/// The forwarded leg to the owner's phone (`outbound-dial`) is part of its inbound call,
/// not a call with the customer. Seeks `calls_timeline` (migration 11).
pub fn for_customer(
    conn: &Connection,
    number_id: i64,
    customer: &str,
    before: (&str, i64),
    limit: i64,
) -> Result<Vec<Call>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE c.number_id = ?1 AND c.customer = ?2 AND c.direction != 'outbound-dial'
           AND c.created_at <= ?3 AND (c.created_at < ?3 OR c.id < ?4)
         ORDER BY c.created_at DESC, c.id DESC LIMIT ?5"
    ))?;
    let rows = stmt.query_map(params![number_id, customer, before.0, before.1, limit], from_row)?;
    with_recordings(conn, rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Call> {
    let mut call = conn
        .row(&format!("{SELECT} WHERE c.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| crate::error::Error::not_found(format!("call {id}")))?;
    call.recordings = super::call_recordings::for_call(conn, &call.sid)?;
    Ok(call)
}

pub fn find_by_sid(conn: &Connection, sid: &str) -> Result<Option<Call>> {
    let call = conn.row(&format!("{SELECT} WHERE c.sid = ?1"), [sid], from_row).optional()?;
    Ok(with_recordings(conn, call.into_iter().collect())?.pop())
}

pub fn all(conn: &Connection) -> Result<Vec<Call>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY c.created_at, c.id"))?;
    with_recordings(conn, all_rows(&mut stmt, [], from_row)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_calls(n: usize) -> (tempfile::TempDir, crate::store::Store) {
        let (dir, store) = crate::store::test_store();
        store
            .write(move |tx| {
                for i in 0..n {
                    // Two calls a second, so pages end inside a run of equal timestamps.
                    let created_at =
                        format!("2026-11-{:02}T10:{:02}:{:02}.000Z", 1 + i / 3600 % 28, i / 120 % 60, i / 2 % 60);
                    insert(
                        tx,
                        &NewCall {
                            sid: format!("CA{i:032}"),
                            number_id: None,
                            direction: "inbound".into(),
                            from: "+61412345678".into(),
                            to: "+61255501234".into(),
                            status: "completed".into(),
                            forwarded_to: Some("+61400000000".into()),
                            created_at,
                        },
                    )?;
                    let (dial, answered) = if i % 3 == 0 { ("no-answer", None) } else { ("completed", Some("human")) };
                    set_dial_result(tx, &format!("CA{i:032}"), dial, answered, None)?;
                }
                Ok(())
            })
            .expect("seed");
        (dir, store)
    }

    fn all_pages(store: &crate::store::Store, missed_only: bool) -> Vec<Call> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let page = store.read(|c| page(c, missed_only, after.as_ref())).expect("page");
            assert!(page.calls.len() <= PAGE);
            out.extend(page.calls);
            match page.next {
                Some(next) => after = Some(next),
                None => return out,
            }
        }
    }

    #[test]
    fn the_forwarded_leg_is_not_a_row_of_its_own() {
        let (_dir, store) = store_with_calls(3);
        store
            .write(|tx| {
                let leg = NewCall {
                    sid: format!("CA{:032}", 99),
                    number_id: None,
                    direction: "outbound-dial".into(),
                    from: "+61255501234".into(),
                    to: "+61400000000".into(),
                    status: "no-answer".into(),
                    forwarded_to: None,
                    created_at: "2026-11-30T10:00:00.000Z".into(),
                };
                insert(tx, &leg).map(|_| ())
            })
            .expect("leg");
        let calls = all_pages(&store, false);
        assert_eq!(calls.len(), 3, "the three inbound calls only");
        assert!(calls.iter().all(|c| c.direction != "outbound-dial"));
        assert!(all_pages(&store, true).iter().all(|c| c.direction != "outbound-dial"));
    }

    #[test]
    fn pages_reach_every_call_once_newest_first() {
        let (_dir, store) = store_with_calls(1_234);
        let calls = all_pages(&store, false);
        assert_eq!(calls.len(), 1_234, "every call, none twice, none skipped at equal timestamps");
        let mut ids: Vec<i64> = calls.iter().map(|c| c.id).collect();
        assert!(calls.windows(2).all(|w| (&w[0].created_at, w[0].id) > (&w[1].created_at, w[1].id)), "newest first");
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 1_234);
    }

    #[test]
    fn the_missed_filter_pages_only_missed_calls() {
        let (_dir, store) = store_with_calls(700);
        let missed = all_pages(&store, true);
        assert_eq!(missed.len(), 234, "every third call was not answered");
        assert!(missed
            .iter()
            .all(|c| c.missed && c.answered_by.is_none() && c.dial_status.as_deref() == Some("no-answer")));
        assert_eq!(all_pages(&store, false).iter().filter(|c| c.missed).count(), 234, "the flag and the filter agree");
    }

    #[test]
    fn an_empty_log_is_one_empty_page() {
        let (_dir, store) = store_with_calls(0);
        assert_eq!(store.read(|c| page(c, false, None)).expect("page"), CallPage { calls: vec![], next: None });
    }
}
