//! When the number's auto-reply answers a message.
//!
//! Twilio bills every reply, and two autoresponders answering each other loop for ever, so
//! a customer gets the auto-reply at most once per window (12 hours unless the setting
//! [`WINDOW_SETTING`] says otherwise), never when they look automated (a short code or an
//! alphanumeric sender: banks, delivery notices, other autoresponders), never after they
//! opted out, and never in answer to a keyword (STOP/START/HELP are Twilio's to answer).
//!
//! Only a message that reaches the listener is answered. A message found by catch-up is
//! never auto-answered, however recent: the reply travels as TwiML in the webhook's answer,
//! which catch-up cannot give, and a catch-up find is by definition one the customer sent
//! while we could not answer — a "thanks, we'll get back to you" minutes or hours later
//! reads as a bot talking to itself and, sent over REST, would be a second paid path that
//! could race the owner's own reply. The owner sees those messages in the "while you were
//! away" summary instead.

use rusqlite::Connection;

use crate::error::Result;
use crate::store::{auto_replies, numbers, optouts, settings};

/// The settings key holding the window in hours (a positive number; default 12).
pub const WINDOW_SETTING: crate::store::settings::Key = crate::store::settings::keys::AUTO_REPLY_WINDOW_HOURS;
/// The window when the setting is absent or not a positive number.
pub const DEFAULT_WINDOW_HOURS: f64 = 12.0;

/// The window in force: the setting, or [`DEFAULT_WINDOW_HOURS`].
pub fn window(conn: &Connection) -> Result<chrono::Duration> {
    let hours = settings::get(conn, WINDOW_SETTING)?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|h| h.is_finite() && *h > 0.0)
        .unwrap_or(DEFAULT_WINDOW_HOURS);
    Ok(chrono::Duration::milliseconds((hours * 3_600_000.0) as i64))
}

/// The longest window the owner can set: a week. Longer would in effect turn the auto-reply
/// off for regular customers, which the number's own switch already does plainly.
pub const MAX_WINDOW_HOURS: u32 = 168;

/// The window in force, in whole hours (at least 1), as the settings screen shows it.
pub fn window_hours(conn: &Connection) -> Result<u32> {
    let hours = (window(conn)?.num_milliseconds() as f64 / 3_600_000.0).round();
    Ok(hours.clamp(1.0, f64::from(u32::MAX)) as u32)
}

/// Sets the window (whole hours, 1 to [`MAX_WINDOW_HOURS`]), for every number's auto-reply.
pub fn set_window_hours(conn: &Connection, hours: u32) -> Result<()> {
    if !(1..=MAX_WINDOW_HOURS).contains(&hours) {
        return Err(crate::error::Error::InvalidInput(format!(
            "the auto-reply window is between 1 and {MAX_WINDOW_HOURS} hours (a week), not {hours}"
        )));
    }
    settings::set(conn, WINDOW_SETTING, &hours.to_string())
}

/// Whether `address` looks like a machine rather than a person: anything that is not a
/// full international number (short codes such as `72345`, alphanumeric sender IDs such
/// as `MyBank`), or a number too short to be a subscriber's.
pub fn looks_automated(address: &str) -> bool {
    let Some(digits) = address.strip_prefix('+') else { return true };
    !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit())
}

/// The auto-reply to send to `from` in `conversation_id` now, if any (see the module docs).
pub fn decide(
    conn: &Connection,
    number_id: i64,
    conversation_id: i64,
    from: &str,
    keyword: bool,
) -> Result<Option<String>> {
    if keyword || looks_automated(from) {
        return Ok(None);
    }
    let Some(text) = numbers::get(conn, number_id)?.settings.auto_reply.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    if optouts::is_opted_out(conn, from)? {
        return Ok(None);
    }
    if let Some(last) = auto_replies::last_replied_at(conn, conversation_id)? {
        let last = chrono::DateTime::parse_from_rfc3339(&last).map(|t| t.with_timezone(&chrono::Utc));
        if let Ok(last) = last {
            if chrono::Utc::now() - last < window(conn)? {
                return Ok(None);
            }
        }
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_and_alphanumeric_senders_look_automated() {
        for a in ["72345", "898211", "MyBank", "AMAZON", "+1234", "whatsapp:+61412345678", ""] {
            assert!(looks_automated(a), "{a}");
        }
        for a in ["+61412345678", "+14158675309"] {
            assert!(!looks_automated(a), "{a}");
        }
    }

    #[test]
    fn the_window_setting_is_read_and_bad_values_fall_back() {
        let (_d, store) = crate::store::test_store();
        store
            .write(|tx| {
                assert_eq!(window(tx)?, chrono::Duration::hours(12));
                settings::set(tx, WINDOW_SETTING, "0.5")?;
                assert_eq!(window(tx)?, chrono::Duration::minutes(30));
                settings::set(tx, WINDOW_SETTING, "-3")?;
                assert_eq!(window(tx)?, chrono::Duration::hours(12));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn the_owner_sets_whole_hours_within_a_week_and_nothing_else() {
        let (_d, store) = crate::store::test_store();
        store
            .write(|tx| {
                set_window_hours(tx, 24)?;
                assert_eq!(window(tx)?, chrono::Duration::hours(24));
                assert_eq!(window_hours(tx)?, 24);
                for bad in [0, MAX_WINDOW_HOURS + 1] {
                    let e = set_window_hours(tx, bad).unwrap_err();
                    assert!(e.to_string().contains("between 1 and 168"), "{e}");
                }
                assert_eq!(window_hours(tx)?, 24, "a refused value changes nothing");
                Ok(())
            })
            .unwrap();
    }
}
