//! Non-secret settings as key/value text. Secrets never come here: they live in the keychain.
//!
//! Every key is a [`Key`] from [`keys`], the one place that names them: a typo cannot
//! read a setting nobody writes, and a search for a key finds every reader and writer.

use std::borrow::{Borrow, Cow};

use super::sql::CachedSql;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

/// The name of one row of `settings`. Only [`keys`] makes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(Cow<'static, str>);

impl Key {
    const fn fixed(name: &'static str) -> Key {
        Key(Cow::Borrowed(name))
    }

    /// The text stored in the `key` column.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every setting the app keeps. Values are text; each reader says how it parses its own.
pub mod keys {
    use std::borrow::Cow;

    use super::Key;

    /// The public URL the app last answered at (the tunnel's while it is online); `send`
    /// and `serve --public-url`-less starts fall back to it.
    pub const PUBLIC_URL: Key = Key::fixed("public_url");
    /// How the desktop app reaches the internet: "ngrok", "manual" or empty (off).
    pub const TUNNEL_KIND: Key = Key::fixed("tunnel_kind");
    /// The owner's own public URL when `TUNNEL_KIND` is "manual".
    pub const MANUAL_URL: Key = Key::fixed("manual_public_url");
    /// A reserved ngrok domain, if the owner has one.
    pub const NGROK_DOMAIN: Key = Key::fixed("ngrok_domain");
    /// The sender address of email replies (Resend).
    pub const EMAIL_FROM: Key = Key::fixed("email_from");
    /// "off" silences desktop notifications; anything else (or nothing) is on.
    pub const NOTIFICATIONS: Key = Key::fixed("desktop.notifications");
    /// "1" keeps the desktop window (hidden) when it is closed, instead of the light tray
    /// mode that destroys it (src-tauri/desktop/window.rs).
    pub const TRAY_KEEPS_WINDOW: Key = Key::fixed("desktop.tray_keeps_window");
    /// Set once the sandbox has seeded its demo business, so a restart does not seed twice.
    pub const SANDBOX_SEEDED: Key = Key::fixed("sandbox_seeded");
    /// Hours within which a customer gets the auto-reply at most once (default 12).
    pub const AUTO_REPLY_WINDOW_HOURS: Key = Key::fixed("auto_reply_window_hours");
    /// Seconds between periodic catch-ups (default ~60).
    pub const RECONCILE_INTERVAL_SECS: Key = Key::fixed("reconcile_interval_secs");
    /// JSON counts of what periodic catch-up found that no webhook delivered.
    pub const CAUGHT_UP: Key = Key::fixed("reach.caught_up");

    /// Segments per second for sends from `e164` (overrides the number type's default).
    pub fn send_rate(e164: &str) -> Key {
        Key(Cow::Owned(format!("send_rate:{e164}")))
    }

    /// The SID of the Studio Flow that answers calls to number `number_id` while the app
    /// is closed (see DESIGN.md, "While the app is closed").
    pub fn fallback_flow(number_id: i64) -> Key {
        Key(Cow::Owned(format!("fallback_flow:{number_id}")))
    }

    /// The Messaging Service (MG…) scheduled messages are sent through (found or made once).
    pub const SCHEDULING_SERVICE: Key = Key::fixed("scheduling.service_sid");

    /// The service SID once number `e164` is known to be in that service's sender pool.
    pub fn scheduling_sender(e164: &str) -> Key {
        Key(Cow::Owned(format!("scheduling.sender:{e164}")))
    }
}

pub fn get(conn: &Connection, key: impl Borrow<Key>) -> Result<Option<String>> {
    let key = key.borrow().as_str();
    Ok(conn.row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn set(conn: &Connection, key: impl Borrow<Key>, value: &str) -> Result<()> {
    conn.exec(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key.borrow().as_str(), value],
    )?;
    Ok(())
}

pub fn remove(conn: &Connection, key: impl Borrow<Key>) -> Result<()> {
    conn.exec("DELETE FROM settings WHERE key = ?1", [key.borrow().as_str()])?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_names_its_own_row() {
        let fixed = [
            keys::PUBLIC_URL,
            keys::TUNNEL_KIND,
            keys::MANUAL_URL,
            keys::NGROK_DOMAIN,
            keys::EMAIL_FROM,
            keys::NOTIFICATIONS,
            keys::TRAY_KEEPS_WINDOW,
            keys::SANDBOX_SEEDED,
            keys::AUTO_REPLY_WINDOW_HOURS,
            keys::RECONCILE_INTERVAL_SECS,
            keys::CAUGHT_UP,
        ];
        let mut names: Vec<&str> = fixed.iter().map(Key::as_str).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), fixed.len(), "two settings share a key");
        // The per-item keys keep the stored format existing databases already have.
        assert_eq!(keys::send_rate("+15005550006").as_str(), "send_rate:+15005550006");
        assert_eq!(keys::fallback_flow(7).as_str(), "fallback_flow:7");
    }
}
