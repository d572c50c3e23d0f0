//! The raw journal of signed webhook requests, for audit and replay. Its unique
//! idempotency token is what turns Twilio's retries into no-ops.

use super::sql::CachedSql;
use rusqlite::{params, Connection};

use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub route: &'a str,
    pub query: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    pub idempotency_token: Option<&'a str>,
    pub resource_sid: Option<&'a str>,
}

/// Appends an entry; returns false when its idempotency token was seen before (a retry).
pub fn append(conn: &Connection, e: &Entry<'_>) -> Result<bool> {
    let n = conn.exec(
        "INSERT INTO webhook_journal (route, query, content_type, body, idempotency_token, resource_sid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(idempotency_token) DO NOTHING",
        params![e.route, e.query, e.content_type, e.body, e.idempotency_token, e.resource_sid],
    )?;
    Ok(n > 0)
}

/// Whether a request with this idempotency token was already journaled (a Twilio retry).
pub fn seen(conn: &Connection, idempotency_token: &str) -> Result<bool> {
    Ok(conn.row(
        "SELECT EXISTS(SELECT 1 FROM webhook_journal WHERE idempotency_token = ?1)",
        [idempotency_token],
        |r| r.get(0),
    )?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.row("SELECT COUNT(*) FROM webhook_journal", [], |r| r.get(0))?)
}
