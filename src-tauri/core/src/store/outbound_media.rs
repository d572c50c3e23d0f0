//! Files served to Twilio for outbound MMS, by unguessable token, until they expire.

use super::sql::{all_rows, CachedSql};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

pub fn insert(conn: &Connection, token: &str, path: &str, content_type: &str, expires_at: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO outbound_media (token, path, content_type, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token, path, content_type, expires_at],
    )?;
    Ok(())
}

/// (path, content type) of a token that has not expired at `now` (RFC 3339).
pub fn find_live(conn: &Connection, token: &str, now: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .row(
            "SELECT path, content_type FROM outbound_media WHERE token = ?1 AND expires_at > ?2",
            params![token, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Removes the rows expired at `now` or fetched by Twilio before `fetched_before`,
/// returning their paths so the files can be deleted.
pub fn take_purgeable(conn: &Connection, now: &str, fetched_before: &str) -> Result<Vec<String>> {
    const WHERE: &str = "expires_at <= ?1 OR (fetched_at IS NOT NULL AND fetched_at <= ?2)";
    let mut stmt = conn.prepare(&format!("SELECT path FROM outbound_media WHERE {WHERE}"))?;
    let paths: Vec<String> = all_rows(&mut stmt, params![now, fetched_before], |r| r.get(0))?;
    conn.exec(&format!("DELETE FROM outbound_media WHERE {WHERE}"), params![now, fetched_before])?;
    Ok(paths)
}

/// Records that Twilio fetched `token` (the first time only).
pub fn mark_fetched(conn: &Connection, token: &str, now: &str) -> Result<()> {
    conn.exec("UPDATE outbound_media SET fetched_at = COALESCE(fetched_at, ?2) WHERE token = ?1", params![token, now])?;
    Ok(())
}

/// Ties the links made for a send to its outbox row (so Retry can offer them again).
pub fn attach(conn: &Connection, tokens: &[String], message_id: i64) -> Result<()> {
    for t in tokens {
        conn.exec("UPDATE outbound_media SET message_id = ?2 WHERE token = ?1", params![t, message_id])?;
    }
    Ok(())
}

/// The links of an outbox row still live at `now` and not yet fetched, oldest first.
pub fn live_tokens(conn: &Connection, message_id: i64, now: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT token FROM outbound_media WHERE message_id = ?1 AND expires_at > ?2 AND fetched_at IS NULL
         ORDER BY rowid",
    )?;
    all_rows(&mut stmt, params![message_id, now], |r| r.get(0))
}
