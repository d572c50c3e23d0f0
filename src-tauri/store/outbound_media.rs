//! Files served to Twilio for outbound MMS, by unguessable token, until they expire.

use super::sql::CachedSql;
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

/// Removes the rows expired at `now`, returning their paths so the files can be deleted.
pub fn take_expired(conn: &Connection, now: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT path FROM outbound_media WHERE expires_at <= ?1")?;
    let paths: Vec<String> = stmt.query_map([now], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    conn.exec("DELETE FROM outbound_media WHERE expires_at <= ?1", [now])?;
    Ok(paths)
}
