//! The download queue: media and recordings fetched after their webhook was committed.
//! A failed download stays queued with its error and a later retry time, so it is
//! visible to the owner and never silently lost.

use super::sql::{all_rows, CachedSql};
use rusqlite::{params, Connection};

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Download {
    pub id: i64,
    pub kind: String,
    pub target_id: i64,
    pub url: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Maps `id, kind, target_id, url, attempts, last_error` to a [`Download`].
fn download_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Download> {
    Ok(Download {
        id: r.get(0)?,
        kind: r.get(1)?,
        target_id: r.get(2)?,
        url: r.get(3)?,
        attempts: r.get(4)?,
        last_error: r.get(5)?,
    })
}

pub fn enqueue(conn: &Connection, kind: &str, target_id: i64, url: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO downloads (kind, target_id, url) VALUES (?1, ?2, ?3) ON CONFLICT(kind, target_id) DO NOTHING",
        params![kind, target_id, url],
    )?;
    Ok(())
}

/// Queued downloads whose retry time has come, oldest first.
pub fn due(conn: &Connection, now: &str, limit: i64) -> Result<Vec<Download>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, target_id, url, attempts, last_error FROM downloads
         WHERE state = 'queued' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2",
    )?;
    all_rows(&mut stmt, params![now, limit], download_from_row)
}

pub fn complete(conn: &Connection, id: i64) -> Result<()> {
    conn.exec("UPDATE downloads SET state = 'done', last_error = NULL WHERE id = ?1", [id])?;
    Ok(())
}

/// Records a failure; the download is retried at `retry_at`, or given up (`failed`) when
/// the error can never succeed (too large, not a Twilio host).
pub fn fail(conn: &Connection, id: i64, error: &str, retry_at: Option<&str>) -> Result<()> {
    conn.exec(
        "UPDATE downloads SET attempts = attempts + 1, last_error = ?2,
           state = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'queued' END,
           next_at = COALESCE(?3, next_at) WHERE id = ?1",
        params![id, error, retry_at],
    )?;
    Ok(())
}

/// Asks for the download of `kind`/`target_id` now, with a fresh count of attempts (the
/// owner pressed "Try again", possibly after it was given up). Returns false when there is
/// no such download still to do (it is done, or was never queued).
pub fn retry_now(conn: &Connection, kind: &str, target_id: i64, now: &str) -> Result<bool> {
    let n = conn.exec(
        "UPDATE downloads SET state = 'queued', attempts = 0, next_at = ?3
         WHERE kind = ?1 AND target_id = ?2 AND state != 'done'",
        params![kind, target_id, now],
    )?;
    Ok(n > 0)
}

/// Downloads not done (queued or given up), for the UI.
pub fn outstanding(conn: &Connection) -> Result<Vec<Download>> {
    let mut stmt = conn.prepare(
        "SELECT id, kind, target_id, url, attempts, last_error FROM downloads WHERE state != 'done' ORDER BY id",
    )?;
    all_rows(&mut stmt, [], download_from_row)
}
