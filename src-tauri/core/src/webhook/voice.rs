//! Calls: `POST /twilio/voice` (a call comes in), `/twilio/voice/dial` (the forward to the
//! owner ended), `/twilio/voice/status` (call status callback) and `/twilio/voice/recorded`
//! (the caller finished a voicemail).
//!
//! The call flow is the number's own settings: greeting, then `<Dial>` to the forwarding
//! number; outside business hours, or with forwarding off or no forwarding number,
//! straight to voicemail; a blocked caller (`store::blocked`) gets `<Reject/>`. A retried `/twilio/voice` stores nothing new but still gets the
//! flow: the caller is waiting on it.

use axum::extract::{Request, State};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{paths, twiml_response, AppState};
use crate::domain::{now_rfc3339, Address, CallStatus};
use crate::events::Event;
use crate::store::numbers::{self, NumberSettings};
use crate::store::{blocked, calls};
use crate::twilio::payloads::{CallStatusCallback, DialAction, InboundCall};
use crate::twilio::twiml::{Dial, Record, Verb};

/// Said when voicemail is off and nobody answered.
pub const UNAVAILABLE: &str = "Sorry, nobody can take your call right now. Please try again later.";

/// The absolute callback URLs the TwiML points at (built from the public base URL, so a
/// base with a path prefix still works).
#[derive(Debug, Clone)]
pub struct Callbacks {
    pub dial: String,
    pub recording: String,
    pub transcription: String,
    pub recorded: String,
}

impl Callbacks {
    pub fn new(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Callbacks {
            dial: format!("{base}{}", paths::VOICE_DIAL),
            recording: format!("{base}{}", paths::VOICE_RECORDING),
            transcription: format!("{base}{}", paths::VOICE_TRANSCRIPTION),
            recorded: format!("{base}{}", paths::VOICE_RECORDED),
        }
    }
}

fn voice_of(s: &NumberSettings) -> Option<String> {
    Some(s.voice.clone()).filter(|v| !v.trim().is_empty())
}

/// The number to forward to at `now`, if the call should be forwarded at all.
pub fn forward_to(s: &NumberSettings, now: DateTime<Utc>) -> Option<String> {
    let open = s.business_hours.as_ref().is_none_or(|h| h.is_open_at(now));
    if !open || !s.forwarding_enabled {
        return None;
    }
    s.forwarding_number.clone().filter(|n| !n.trim().is_empty())
}

/// What an inbound call hears: greeting, then the forward or voicemail.
pub fn call_flow(s: &NumberSettings, now: DateTime<Utc>, cb: &Callbacks) -> Vec<Verb> {
    let mut verbs = Vec::new();
    if !s.greeting.trim().is_empty() {
        verbs.push(Verb::Say { text: s.greeting.clone(), voice: voice_of(s) });
    }
    match forward_to(s, now) {
        Some(number) => verbs.push(Verb::Dial(Dial {
            number,
            timeout: Some(s.ring_seconds),
            action: Some(cb.dial.clone()),
            method: Some("POST".into()),
            ..Dial::default()
        })),
        None => verbs.extend(voicemail(s, cb)),
    }
    verbs
}

/// Voicemail: prompt and `<Record>` (transcribed), or an apology when voicemail is off.
pub fn voicemail(s: &NumberSettings, cb: &Callbacks) -> Vec<Verb> {
    if !s.voicemail_enabled {
        return vec![Verb::Say { text: UNAVAILABLE.into(), voice: voice_of(s) }, Verb::Hangup];
    }
    vec![
        Verb::Say { text: s.voicemail_prompt.clone(), voice: voice_of(s) },
        Verb::Record(Record {
            max_length: Some(s.voicemail_max_seconds),
            play_beep: Some(true),
            transcribe: Some(true),
            transcribe_callback: Some(cb.transcription.clone()),
            recording_status_callback: Some(cb.recording.clone()),
            recording_status_callback_event: None,
            action: Some(cb.recorded.clone()),
        }),
        Verb::Hangup,
    ]
}

pub async fn inbound(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let call = InboundCall::from_params(&signed.params)?;
    let cb = Callbacks::new(&state.public_url());
    let now = Utc::now();
    let (verbs, created) = state
        .store
        .write_async(move |tx| {
            let to = Address::from_twilio(&call.to).into_string();
            let number_id = numbers::ensure(tx, &to, true)?;
            let settings = numbers::get(tx, number_id)?.settings;
            let from = Address::from_twilio(&call.from).into_string();
            // A blocked caller is refused before anything rings; the call is still logged.
            let rejected = blocked::is_blocked(tx, &from)?;
            let verbs = if rejected { vec![Verb::Reject] } else { call_flow(&settings, now, &cb) };
            if signed.seen_before(tx)? {
                return Ok((verbs, None));
            }
            let (_, created) = calls::insert(
                tx,
                &calls::NewCall {
                    sid: call.call_sid.clone(),
                    number_id: Some(number_id),
                    direction: call.direction.clone(),
                    from,
                    to,
                    status: call.status.clone(),
                    forwarded_to: if rejected { None } else { forward_to(&settings, now) },
                    created_at: now_rfc3339(),
                },
            )?;
            if created {
                signed.journal(tx, Some(&call.call_sid))?;
            }
            Ok((verbs, created.then_some(call.call_sid)))
        })
        .await?;
    if let Some(call_sid) = created {
        state.events.publish(Event::CallUpdated { call_sid });
    }
    Ok(twiml_response(&verbs))
}

pub async fn dial_action(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let dial = DialAction::from_params(&signed.params)?;
    let to = signed.params.first_of(&["To", "Called"]).map(|t| Address::from_twilio(t).into_string());
    let cb = Callbacks::new(&state.public_url());
    let call_sid = dial.call_sid.clone();
    let (verbs, changed) = state
        .store
        .write_async(move |tx| {
            let verbs = if dial.answered() {
                vec![Verb::Hangup]
            } else {
                let settings = match &to {
                    Some(to) => numbers::get(tx, numbers::ensure(tx, to, true)?)?.settings,
                    None => return Err(crate::error::Error::InvalidInput("missing required field To".into())),
                };
                voicemail(&settings, &cb)
            };
            if signed.seen_before(tx)? {
                return Ok((verbs, false));
            }
            calls::set_dial_result(tx, &dial.call_sid, &dial.dial_status, None, dial.dial_duration)?;
            signed.journal(tx, Some(&dial.call_sid))?;
            Ok((verbs, true))
        })
        .await?;
    if changed {
        state.events.publish(Event::CallUpdated { call_sid });
    }
    Ok(twiml_response(&verbs))
}

pub async fn call_status(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let cb = CallStatusCallback::from_params(&signed.params)?;
    let call_sid = cb.call_sid.clone();
    let changed = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok(false);
            }
            // A callback for a call we never saw (placed elsewhere, or its webhook lost)
            // is recorded rather than dropped.
            if calls::find_by_sid(tx, &cb.call_sid)?.is_none() {
                if let (Some(from), Some(to)) = (&cb.from, &cb.to) {
                    let to = Address::from_twilio(to).into_string();
                    let number_id = numbers::ensure(tx, &to, true)?;
                    calls::insert(
                        tx,
                        &calls::NewCall {
                            sid: cb.call_sid.clone(),
                            number_id: Some(number_id),
                            direction: cb.direction.clone().unwrap_or_else(|| "inbound".into()),
                            from: Address::from_twilio(from).into_string(),
                            to,
                            status: "queued".into(),
                            forwarded_to: None,
                            created_at: now_rfc3339(),
                        },
                    )?;
                }
            }
            let changed = calls::apply_status(
                tx,
                &cb.call_sid,
                &CallStatus::parse(&cb.status),
                cb.duration,
                cb.answered_by.as_deref(),
            )?;
            signed.journal(tx, Some(&cb.call_sid))?;
            Ok(changed)
        })
        .await?;
    if changed {
        state.events.publish(Event::CallUpdated { call_sid });
    }
    Ok(twiml_response(&[]))
}

/// The voicemail `<Record>` ended: hang up. The recording itself arrives on
/// `/twilio/voice/recording`; this request only ends the call, so nothing is stored.
pub async fn recorded(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    verify::signed(&state, req, Accept::Form).await?;
    Ok(twiml_response(&[Verb::Hangup]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::{BusinessHours, Span};
    use chrono::TimeZone;

    fn settings() -> NumberSettings {
        NumberSettings {
            forwarding_number: Some("+61412345678".into()),
            forwarding_enabled: true,
            greeting: "Thanks for calling".into(),
            voice: "Polly.Joanna".into(),
            ring_seconds: 25,
            voicemail_enabled: true,
            voicemail_prompt: "Leave a message".into(),
            voicemail_max_seconds: 90,
            business_hours: Some(BusinessHours {
                tz: "Australia/Sydney".into(),
                spans: (0..5).map(|day| Span { day, open: "09:00".into(), close: "17:00".into() }).collect(),
            }),
            auto_reply: None,
        }
    }

    #[test]
    fn open_hours_forward_closed_hours_go_to_voicemail() {
        let cb = Callbacks::new("https://example.test/");
        // Monday 10:00 in Sydney.
        let open = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        let flow = call_flow(&settings(), open, &cb);
        assert!(matches!(&flow[1], Verb::Dial(d) if d.number == "+61412345678" && d.timeout == Some(25)
            && d.action.as_deref() == Some("https://example.test/twilio/voice/dial")));
        // Saturday noon in Sydney.
        let closed = Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap();
        let flow = call_flow(&settings(), closed, &cb);
        assert!(flow.iter().all(|v| !matches!(v, Verb::Dial(_))), "closed hours must not ring the owner");
        assert!(matches!(&flow[2], Verb::Record(r) if r.max_length == Some(90)));
    }

    #[test]
    fn forwarding_off_or_voicemail_off() {
        let cb = Callbacks::new("https://example.test");
        let mut s = settings();
        s.business_hours = None;
        s.forwarding_enabled = false;
        assert!(call_flow(&s, Utc::now(), &cb).iter().any(|v| matches!(v, Verb::Record(_))));
        s.voicemail_enabled = false;
        let flow = call_flow(&s, Utc::now(), &cb);
        assert!(flow.contains(&Verb::Hangup) && !flow.iter().any(|v| matches!(v, Verb::Record(_))));
    }
}
