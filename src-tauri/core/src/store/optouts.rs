//! The opt-out ledger: whether an address (a phone in E.164, or an email address) may be
//! messaged, with the history of every change (when, which keyword or error, from which
//! path). Keyed by the address, never by the contact: editing, moving or merging contacts
//! cannot change who said STOP. An address's state is its latest event by `at` — the time
//! the customer (or the owner) said so — so a STOP found by catch-up hours later does not
//! undo a START that came by webhook after it, and the same history applied in any order
//! ends the same way. Each message changes the ledger at most once (unique `message_sid`).

use super::sql::{all_rows, CachedSql};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::kinds::Channel;
use crate::domain::now_rfc3339;
use crate::error::{Error, Result};

/// The path a change came by, as the history shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Source {
    /// A keyword or `OptOutType` in a message that reached the listener.
    #[serde(rename = "webhook")]
    Webhook,
    /// A keyword in a message found in Twilio's log after the app was closed.
    #[serde(rename = "catch-up")]
    CatchUp,
    /// Twilio refused a send with error 21610 (the recipient had replied STOP to Twilio).
    #[serde(rename = "error-21610")]
    Error21610,
    /// The owner, by hand, after a confirmation.
    #[serde(rename = "owner")]
    Owner,
    /// Carried over from the per-contact flag of schema 5.
    #[serde(rename = "migration")]
    Migration,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::CatchUp => "catch-up",
            Source::Error21610 => "error-21610",
            Source::Owner => "owner",
            Source::Migration => "migration",
        }
    }
}

/// One change of an address's subscription.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct OptOutEvent {
    pub id: i64,
    pub address: String,
    /// `sms` (phone numbers) or `email`.
    pub channel: Channel,
    pub opted_out: bool,
    /// When it was said (the message's time at Twilio, or the moment of the error or click).
    pub at: String,
    /// The keyword (`STOP`), `OptOutType STOP`, `error 21610`, or `by hand`.
    pub reason: String,
    pub source: String,
    pub message_sid: Option<String>,
}

/// A change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub address: &'a str,
    pub opted_out: bool,
    /// RFC 3339; see [`OptOutEvent::at`].
    pub at: &'a str,
    pub reason: &'a str,
    pub source: Source,
    /// The message that carried it: a second record for the same message is ignored.
    pub message_sid: Option<&'a str>,
}

impl<'a> Change<'a> {
    /// Twilio refused (or reported) a send to `address` with error 21610: the recipient
    /// had replied STOP to Twilio, so we must not try again.
    pub fn error_21610(address: &'a str, at: &'a str, message_sid: Option<&'a str>) -> Self {
        Change { address, opted_out: true, at, reason: "error 21610", source: Source::Error21610, message_sid }
    }
}

/// What recording a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// False when this message's change was already in the ledger.
    pub inserted: bool,
    /// Whether the address's state differs from before (it may not: a second STOP, or an
    /// event older than the latest one).
    pub changed: bool,
}

/// The ledger key of an address: email addresses are compared without case; phone numbers
/// are already E.164 (or kept verbatim when Twilio sent something else).
pub fn key(address: &str) -> String {
    let a = address.trim();
    if a.contains('@') {
        a.to_lowercase()
    } else {
        a.to_string()
    }
}

fn channel_of(key: &str) -> Channel {
    if key.contains('@') {
        Channel::Email
    } else {
        Channel::Sms
    }
}

/// Records `c` and says whether the address's state changed.
pub fn record(conn: &Connection, c: &Change<'_>) -> Result<Recorded> {
    let address = key(c.address);
    if address.is_empty() {
        return Err(Error::InvalidInput("an opt-out needs an address".into()));
    }
    let before = is_opted_out(conn, &address)?;
    let inserted = conn.exec(
        "INSERT INTO opt_out_events (address, channel, opted_out, at, reason, source, message_sid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        params![address, channel_of(&address), c.opted_out, c.at, c.reason, c.source.as_str(), c.message_sid],
    )? > 0;
    let after = is_opted_out(conn, &address)?;
    // The list's copy of the latest state (migrations/13-read-less): written here, by the
    // only function that adds to the ledger, in the same transaction.
    conn.exec(
        "INSERT INTO opt_out_state (address, opted_out) VALUES (?1, ?2)
         ON CONFLICT (address) DO UPDATE SET opted_out = excluded.opted_out",
        params![address, after],
    )?;
    Ok(Recorded { inserted, changed: before != after })
}

/// Whether `address` must not be messaged now. An address never seen is subscribed.
pub fn is_opted_out(conn: &Connection, address: &str) -> Result<bool> {
    Ok(latest(conn, address)?.is_some_and(|e| e.opted_out))
}

const SELECT: &str = "SELECT id, address, channel, opted_out, at, reason, source, message_sid FROM opt_out_events";

fn from_row(r: &Row<'_>) -> rusqlite::Result<OptOutEvent> {
    Ok(OptOutEvent {
        id: r.get(0)?,
        address: r.get(1)?,
        channel: r.get(2)?,
        opted_out: r.get(3)?,
        at: r.get(4)?,
        reason: r.get(5)?,
        source: r.get(6)?,
        message_sid: r.get(7)?,
    })
}

/// The event that decides `address`'s state now, if any.
pub fn latest(conn: &Connection, address: &str) -> Result<Option<OptOutEvent>> {
    Ok(conn
        .row(&format!("{SELECT} WHERE address = ?1 ORDER BY at DESC, id DESC LIMIT 1"), [key(address)], from_row)
        .optional()?)
}

/// Every change of `address`, newest first.
pub fn history(conn: &Connection, address: &str) -> Result<Vec<OptOutEvent>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE address = ?1 ORDER BY at DESC, id DESC"))?;
    all_rows(&mut stmt, [key(address)], from_row)
}

/// The owner opts `address` out or back in by hand (the UI asked for a confirmation first).
/// Recorded now, as `owner`, like any other change; returns the new latest event. A phone
/// number is recorded as E.164 however it was written, as every send checks it that way.
pub fn set_by_owner(conn: &Connection, address: &str, opted_out: bool) -> Result<OptOutEvent> {
    let mut address = key(address);
    if !address.contains('@') {
        address = crate::domain::E164::parse(&address)?.as_str().to_string();
    }
    let now = now_rfc3339();
    // A click in the same millisecond as the latest event must still win: never earlier.
    let at = match latest(conn, &address)? {
        Some(l) if l.at > now => l.at,
        _ => now,
    };
    record(
        conn,
        &Change { address: &address, opted_out, at: &at, reason: "by hand", source: Source::Owner, message_sid: None },
    )?;
    latest(conn, &address)?.ok_or_else(|| Error::Internal("the opt-out was not recorded".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::write_fresh;

    fn change<'a>(opted_out: bool, at: &'a str, sid: Option<&'a str>) -> Change<'a> {
        Change { address: "+61412345678", opted_out, at, reason: "STOP", source: Source::CatchUp, message_sid: sid }
    }

    #[test]
    fn the_latest_event_by_time_decides_whatever_the_order_of_recording() {
        write_fresh(|tx| {
            // START at 10:05 arrived first (webhook), the STOP of 10:00 later (catch-up).
            record(tx, &change(false, "2026-11-20T10:05:00.000Z", Some("SM2")))?;
            let r = record(tx, &change(true, "2026-11-20T10:00:00.000Z", Some("SM1")))?;
            assert!(r.inserted && !r.changed, "an older STOP does not undo a newer START");
            assert!(!is_opted_out(tx, "+61412345678")?);
            assert_eq!(history(tx, "+61412345678")?.len(), 2, "both are in the history");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn one_message_changes_the_ledger_once() {
        write_fresh(|tx| {
            assert!(record(tx, &change(true, "2026-11-20T10:00:00.000Z", Some("SM1")))?.changed);
            let again = record(tx, &change(true, "2026-11-20T10:00:00.000Z", Some("SM1")))?;
            assert_eq!(again, Recorded { inserted: false, changed: false });
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn the_owner_can_opt_back_in_and_email_is_its_own_address() {
        write_fresh(|tx| {
            record(tx, &change(true, "2099-01-01T00:00:00.000Z", Some("SM1")))?;
            let e = set_by_owner(tx, "+61412345678", false)?;
            assert!(!e.opted_out && e.source == "owner" && e.reason == "by hand");
            assert!(!is_opted_out(tx, "+61412345678")?, "the owner's click wins even over a clock ahead");
            set_by_owner(tx, "Ana@Example.com", true)?;
            assert!(is_opted_out(tx, "ana@example.com")?);
            assert!(set_by_owner(tx, "not a number", true).is_err());
            Ok(())
        })
        .unwrap();
    }
}
