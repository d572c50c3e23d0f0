//! The call log: inbound calls (and the forwarded leg), click-to-call, status by SID.

use super::sql::CachedSql;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::now_rfc3339;
use crate::domain::status::CallStatus;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

fn from_row(r: &Row<'_>) -> rusqlite::Result<Call> {
    Ok(Call {
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
    })
}

const SELECT: &str = "SELECT c.id, c.sid, c.direction, c.from_addr, c.to_addr, c.status, c.duration, c.forwarded_to,
    c.answered_by, c.dial_status, c.created_at,
    EXISTS(SELECT 1 FROM voicemails v WHERE v.call_sid = c.sid AND v.deleted = 0) FROM calls c";

/// The newest calls first.
pub fn list(conn: &Connection, limit: i64) -> Result<Vec<Call>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY c.created_at DESC, c.id DESC LIMIT ?1"))?;
    let rows = stmt.query_map([if limit <= 0 { 200 } else { limit }], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn find_by_sid(conn: &Connection, sid: &str) -> Result<Option<Call>> {
    Ok(conn.row(&format!("{SELECT} WHERE c.sid = ?1"), [sid], from_row).optional()?)
}

pub fn all(conn: &Connection) -> Result<Vec<Call>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY c.created_at, c.id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
