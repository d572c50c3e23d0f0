//! Our phone numbers and their per-number call and message settings.

use super::sql::{all_rows, CachedSql, MustExist};
use crate::domain::xmltext::xml_safe;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::hours::BusinessHours;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "PhoneNumber")] // the name the UI knows it by (bindings.ts)
pub struct Number {
    pub id: i64,
    pub e164: String,
    pub sid: Option<String>,
    pub friendly_name: String,
    pub managed: bool,
    pub seen_in_webhook: bool,
    pub settings: NumberSettings,
    pub wired_url: Option<String>,
    pub wired_at: Option<String>,
    pub wiring_error: Option<String>,
}

/// What the owner can change about how a number answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct NumberSettings {
    pub forwarding_number: Option<String>,
    pub forwarding_enabled: bool,
    pub greeting: String,
    pub voice: String,
    pub ring_seconds: i64,
    pub voicemail_enabled: bool,
    pub voicemail_prompt: String,
    pub voicemail_max_seconds: i64,
    pub business_hours: Option<BusinessHours>,
    pub auto_reply: Option<String>,
    /// The forwarded leg must press 1 to take the call (issue 14); otherwise the caller
    /// comes back to our voicemail. Default `true` so a form or file without it screens.
    #[serde(default = "yes")]
    pub screening_enabled: bool,
    /// Said instead of the greeting outside business hours; empty means the greeting.
    #[serde(default)]
    pub closed_greeting: String,
    /// Record forwarded calls (after [`NumberSettings::recording_notice`] is said).
    #[serde(default)]
    pub record_calls: bool,
    #[serde(default = "default_recording_notice")]
    pub recording_notice: String,
    /// Missed-call text-back: on/off, its text, and how long one caller waits for another.
    #[serde(default)]
    pub text_back_enabled: bool,
    #[serde(default = "default_text_back_body")]
    pub text_back_body: String,
    #[serde(default = "default_text_back_window")]
    pub text_back_window_hours: i64,
}

/// A number's settings for the tests of the call flow and the settings form: forwarding to
/// an Australian mobile with screening, voicemail on, open all hours, nothing else; each
/// test changes what it is about.
#[cfg(test)]
impl NumberSettings {
    pub(crate) fn for_tests() -> Self {
        NumberSettings {
            forwarding_number: Some("+61412345678".into()),
            forwarding_enabled: true,
            greeting: String::new(),
            voice: "alice".into(),
            ring_seconds: 20,
            voicemail_enabled: true,
            voicemail_prompt: "Leave a message".into(),
            voicemail_max_seconds: 120,
            business_hours: None,
            auto_reply: None,
            screening_enabled: true,
            closed_greeting: String::new(),
            record_calls: false,
            recording_notice: String::new(),
            text_back_enabled: false,
            text_back_body: String::new(),
            text_back_window_hours: 12,
        }
    }
}

fn yes() -> bool {
    true
}

pub const DEFAULT_RECORDING_NOTICE: &str = "This call may be recorded.";
pub const DEFAULT_TEXT_BACK_BODY: &str = "Sorry we missed your call. Reply here and we'll get back to you.";
pub const DEFAULT_TEXT_BACK_WINDOW_HOURS: i64 = 12;

fn default_recording_notice() -> String {
    DEFAULT_RECORDING_NOTICE.to_string()
}

fn default_text_back_body() -> String {
    DEFAULT_TEXT_BACK_BODY.to_string()
}

fn default_text_back_window() -> i64 {
    DEFAULT_TEXT_BACK_WINDOW_HOURS
}

const COLUMNS: &str = "id, e164, sid, friendly_name, managed, seen_in_webhook, forwarding_number, \
    forwarding_enabled, greeting, voice, ring_seconds, voicemail_enabled, voicemail_prompt, \
    voicemail_max_seconds, business_hours, auto_reply, wired_url, wired_at, wiring_error, \
    screening_enabled, closed_greeting, record_calls, recording_notice, text_back_enabled, \
    text_back_body, text_back_window_hours";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Number> {
    let hours: Option<String> = r.get(14)?;
    Ok(Number {
        id: r.get(0)?,
        e164: r.get(1)?,
        sid: r.get(2)?,
        friendly_name: r.get(3)?,
        managed: r.get(4)?,
        seen_in_webhook: r.get(5)?,
        settings: NumberSettings {
            forwarding_number: r.get(6)?,
            forwarding_enabled: r.get(7)?,
            greeting: r.get(8)?,
            voice: r.get(9)?,
            ring_seconds: r.get(10)?,
            voicemail_enabled: r.get(11)?,
            voicemail_prompt: r.get(12)?,
            voicemail_max_seconds: r.get(13)?,
            // A corrupt JSON value means "always open", never a failed call.
            business_hours: hours.and_then(|h| serde_json::from_str(&h).ok()),
            auto_reply: r.get(15)?,
            screening_enabled: r.get(19)?,
            closed_greeting: r.get(20)?,
            record_calls: r.get(21)?,
            recording_notice: r.get(22)?,
            text_back_enabled: r.get(23)?,
            text_back_body: r.get(24)?,
            text_back_window_hours: r.get(25)?,
        },
        wired_url: r.get(16)?,
        wired_at: r.get(17)?,
        wiring_error: r.get(18)?,
    })
}

/// The id of the number `e164`, recording it if it is new. `seen_in_webhook` marks a
/// number Twilio told us about before the owner added it: kept, never rejected.
pub fn ensure(conn: &Connection, e164: &str, seen_in_webhook: bool) -> Result<i64> {
    // Looked up first: every text that arrives asks for our number, which is almost always
    // there, and a read costs the writer less than an INSERT that does nothing.
    let find = || conn.row("SELECT id FROM numbers WHERE e164 = ?1", [e164], |r| r.get(0));
    if let Some(id) = find().optional()? {
        return Ok(id);
    }
    conn.exec(
        "INSERT INTO numbers (e164, seen_in_webhook) VALUES (?1, ?2) ON CONFLICT(e164) DO NOTHING",
        params![e164, seen_in_webhook],
    )?;
    find().or_not_found(|| format!("number {e164}"))
}

/// Records a number as Twilio lists it (sid, friendly name), keeping local settings.
pub fn upsert_from_twilio(conn: &Connection, sid: &str, e164: &str, friendly_name: &str) -> Result<i64> {
    conn.exec(
        "INSERT INTO numbers (e164, sid, friendly_name) VALUES (?1, ?2, ?3)
         ON CONFLICT(e164) DO UPDATE SET sid = excluded.sid, friendly_name = excluded.friendly_name,
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        params![e164, sid, friendly_name],
    )?;
    Ok(conn.row("SELECT id FROM numbers WHERE e164 = ?1", [e164], |r| r.get(0))?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Number> {
    conn.row(&format!("SELECT {COLUMNS} FROM numbers WHERE id = ?1"), [id], from_row)
        .or_not_found(|| format!("number {id}"))
}

pub fn find_by_e164(conn: &Connection, e164: &str) -> Result<Option<Number>> {
    Ok(conn.row(&format!("SELECT {COLUMNS} FROM numbers WHERE e164 = ?1"), [e164], from_row).optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<Number>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM numbers ORDER BY e164"))?;
    all_rows(&mut stmt, [], from_row)
}

/// Saves a number's call and message settings. Their text ends up in TwiML, so characters
/// XML cannot carry are dropped here, on the way in ([`crate::domain::xmltext`]).
pub fn update_settings(conn: &Connection, id: i64, s: &NumberSettings) -> Result<()> {
    let clean = |t: &str| xml_safe(t).into_owned();
    let s = &NumberSettings {
        forwarding_number: s.forwarding_number.as_deref().map(clean),
        greeting: clean(&s.greeting),
        voice: clean(&s.voice),
        voicemail_prompt: clean(&s.voicemail_prompt),
        auto_reply: s.auto_reply.as_deref().map(clean),
        closed_greeting: clean(&s.closed_greeting),
        recording_notice: clean(&s.recording_notice),
        text_back_body: clean(&s.text_back_body),
        ..s.clone()
    };
    if let Some(h) = &s.business_hours {
        h.validate()?;
    }
    let hours = s.business_hours.as_ref().map(serde_json::to_string).transpose()?;
    let changed = conn.exec(
        "UPDATE numbers SET forwarding_number = ?2, forwarding_enabled = ?3, greeting = ?4, voice = ?5,
           ring_seconds = ?6, voicemail_enabled = ?7, voicemail_prompt = ?8, voicemail_max_seconds = ?9,
           business_hours = ?10, auto_reply = ?11, screening_enabled = ?12, closed_greeting = ?13,
           record_calls = ?14, recording_notice = ?15, text_back_enabled = ?16, text_back_body = ?17,
           text_back_window_hours = ?18, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
         WHERE id = ?1",
        params![
            id,
            s.forwarding_number,
            s.forwarding_enabled,
            s.greeting,
            s.voice,
            s.ring_seconds,
            s.voicemail_enabled,
            s.voicemail_prompt,
            s.voicemail_max_seconds,
            hours,
            s.auto_reply,
            s.screening_enabled,
            s.closed_greeting,
            s.record_calls,
            s.recording_notice,
            s.text_back_enabled,
            s.text_back_body,
            s.text_back_window_hours
        ],
    )?;
    if changed == 0 {
        return Err(Error::not_found(format!("number {id}")));
    }
    Ok(())
}

pub fn set_friendly_name(conn: &Connection, id: i64, name: &str) -> Result<()> {
    conn.exec(
        "UPDATE numbers SET friendly_name = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1",
        params![id, name],
    )?;
    Ok(())
}

/// Marks a number as managed, remembering Twilio's previous URLs (JSON) the first time.
pub fn set_managed(conn: &Connection, id: i64, managed: bool, previous_wiring: Option<&str>) -> Result<()> {
    conn.exec(
        "UPDATE numbers SET managed = ?2,
           previous_wiring = CASE WHEN ?2 THEN COALESCE(previous_wiring, ?3) ELSE NULL END,
           wired_url = CASE WHEN ?2 THEN wired_url ELSE NULL END,
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
         WHERE id = ?1",
        params![id, managed, previous_wiring],
    )?;
    Ok(())
}

pub fn previous_wiring(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn.row("SELECT previous_wiring FROM numbers WHERE id = ?1", [id], |r| r.get(0))?)
}

pub fn set_wiring_result(conn: &Connection, id: i64, url: Option<&str>, error: Option<&str>) -> Result<()> {
    conn.exec(
        "UPDATE numbers SET wired_url = COALESCE(?2, wired_url), wiring_error = ?3,
           wired_at = CASE WHEN ?2 IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE wired_at END
         WHERE id = ?1",
        params![id, url, error],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    conn.exec("UPDATE numbers SET sid = NULL, managed = 0 WHERE id = ?1", [id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_store, write_fresh};

    #[test]
    fn ensure_is_idempotent_and_settings_round_trip() {
        write_fresh(|tx| {
            let a = ensure(tx, "+61255501234", true)?;
            let b = ensure(tx, "+61255501234", false)?;
            assert_eq!(a, b, "the same number must map to one row");
            let mut n = get(tx, a)?;
            assert!(n.seen_in_webhook);
            n.settings.forwarding_number = Some("+61412345678".into());
            n.settings.business_hours = Some(BusinessHours { tz: "Australia/Sydney".into(), spans: vec![] });
            update_settings(tx, a, &n.settings)?;
            assert_eq!(get(tx, a)?.settings, n.settings);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn invalid_hours_are_refused() {
        let (_dir, store) = test_store();
        let err = store.write(|tx| {
            let id = ensure(tx, "+61255501234", false)?;
            let mut s = get(tx, id)?.settings;
            s.business_hours = Some(BusinessHours { tz: "Nowhere/Land".into(), spans: vec![] });
            update_settings(tx, id, &s)
        });
        assert!(err.is_err());
    }
}
