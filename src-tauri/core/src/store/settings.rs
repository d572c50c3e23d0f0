//! Non-secret settings as key/value text. Secrets never come here: they live in the keychain.

use super::sql::CachedSql;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn remove(conn: &Connection, key: &str) -> Result<()> {
    conn.exec("DELETE FROM settings WHERE key = ?1", [key])?;
    Ok(())
}

pub fn watermark(conn: &Connection, resource: &str) -> Result<Option<String>> {
    Ok(conn.row("SELECT watermark FROM sync_watermarks WHERE resource = ?1", [resource], |r| r.get(0)).optional()?)
}

pub fn set_watermark(conn: &Connection, resource: &str, watermark: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO sync_watermarks (resource, watermark) VALUES (?1, ?2)
         ON CONFLICT(resource) DO UPDATE SET watermark = MAX(watermark, excluded.watermark),
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        params![resource, watermark],
    )?;
    Ok(())
}
