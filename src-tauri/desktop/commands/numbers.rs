//! Our numbers and their per-number call/message settings (stored locally; the TwiML the
//! listener answers with is built from them on every call, so a save takes effect at once).

use tauri::State;

use crate::desktop::DesktopState;
use crate::domain::E164;
use crate::error::{Error, Result};
use crate::store::numbers::{self, Number, NumberSettings};

#[tauri::command]
#[specta::specta]
pub async fn list_numbers(state: State<'_, DesktopState>) -> Result<Vec<Number>> {
    state.store.read_async(numbers::list).await
}

/// Validates and saves a number's settings; returns the number as stored.
#[tauri::command]
#[specta::specta]
pub async fn update_number_settings(
    state: State<'_, DesktopState>,
    live: State<'_, super::super::live::Live>,
    id: i64,
    friendly_name: String,
    settings: NumberSettings,
) -> Result<Number> {
    let settings = validated(settings)?;
    let saved = state
        .store
        .write_async(move |tx| {
            numbers::update_settings(tx, id, &settings)?;
            numbers::set_friendly_name(tx, id, friendly_name.trim())?;
            numbers::get(tx, id)
        })
        .await?;
    // The Twilio-hosted fallback flow forwards to this number's settings: refresh it.
    if saved.managed {
        live.rewire().await;
    }
    Ok(saved)
}

/// Normalises the forwarding number to E.164 and checks the ranges the schema enforces,
/// so the owner sees a sentence rather than a CHECK-constraint failure.
fn validated(mut s: NumberSettings) -> Result<NumberSettings> {
    s.forwarding_number = match s.forwarding_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(E164::parse(raw)?.as_str().to_string()),
    };
    if !(5..=120).contains(&s.ring_seconds) {
        return Err(Error::InvalidInput("ring time must be between 5 and 120 seconds".into()));
    }
    if !(5..=600).contains(&s.voicemail_max_seconds) {
        return Err(Error::InvalidInput("voicemail length must be between 5 and 600 seconds".into()));
    }
    if let Some(h) = &s.business_hours {
        h.validate()?;
    }
    s.auto_reply = s.auto_reply.filter(|t| !t.trim().is_empty());
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::{BusinessHours, Span};

    fn settings() -> NumberSettings {
        NumberSettings {
            forwarding_number: Some("+61 412 345 678".into()),
            forwarding_enabled: true,
            greeting: String::new(),
            voice: "alice".into(),
            ring_seconds: 20,
            voicemail_enabled: true,
            voicemail_prompt: "Leave a message".into(),
            voicemail_max_seconds: 120,
            business_hours: None,
            auto_reply: Some("  ".into()),
        }
    }

    #[test]
    fn normalises_what_the_form_sends() {
        let s = validated(settings()).unwrap();
        assert_eq!(s.forwarding_number.as_deref(), Some("+61412345678"), "spaces are dropped to E.164");
        assert_eq!(s.auto_reply, None, "a blank auto-reply means none");
        let mut empty = settings();
        empty.forwarding_number = Some(" ".into());
        assert_eq!(validated(empty).unwrap().forwarding_number, None, "a blank forwarding number means none");
    }

    #[test]
    fn refuses_what_the_store_or_twilio_would_reject() {
        let mut s = settings();
        s.ring_seconds = 3;
        assert!(validated(s).is_err(), "ring time below 5 s");
        let mut s = settings();
        s.forwarding_number = Some("12".into());
        assert!(validated(s).is_err(), "an invalid forwarding number");
        let mut s = settings();
        s.business_hours = Some(BusinessHours {
            tz: "Mars/Base".into(),
            spans: vec![Span { day: 0, open: "09:00".into(), close: "17:00".into() }],
        });
        assert!(validated(s).is_err(), "an unknown time zone");
    }
}
