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
use crate::store::{blocked, calls, text_backs};
use crate::twilio::callflow::{CallFlow, UNAVAILABLE as UNAVAILABLE_TEXT};
use crate::twilio::payloads::{CallStatusCallback, DialAction, InboundCall};
use crate::twilio::twiml::{Dial, Record, Verb};

/// Said when voicemail is off and nobody answered.
pub const UNAVAILABLE: &str = UNAVAILABLE_TEXT;

/// The absolute callback URLs the TwiML points at (built from the public base URL, so a
/// base with a path prefix still works).
#[derive(Debug, Clone)]
pub struct Callbacks {
    pub dial: String,
    pub recording: String,
    pub transcription: String,
    pub recorded: String,
    pub screen: String,
    pub screen_answer: String,
}

impl Callbacks {
    pub fn new(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Callbacks {
            dial: format!("{base}{}", paths::VOICE_DIAL),
            recording: format!("{base}{}", paths::VOICE_RECORDING),
            transcription: format!("{base}{}", paths::VOICE_TRANSCRIPTION),
            recorded: format!("{base}{}", paths::VOICE_RECORDED),
            screen: format!("{base}{}", paths::VOICE_SCREEN),
            screen_answer: format!("{base}{}", paths::VOICE_SCREEN_ANSWER),
        }
    }
}

/// The number to forward to at `now`, if the call should be forwarded at all.
pub fn forward_to(s: &NumberSettings, now: DateTime<Utc>) -> Option<String> {
    let flow = CallFlow::from_settings("", s);
    flow.forward_when(flow.is_open(now)).map(|f| f.to.clone())
}

/// What an inbound call hears (the open-app host of [`CallFlow`]): the greeting (or the
/// closed-hours greeting), then the forward (recording notice, screened `<Number url>`) or,
/// when it does not ring the owner, voicemail. `call_sid` names the call in the screening
/// URL, so the screened leg's answer is recorded on it.
pub fn call_flow(flow: &CallFlow, now: DateTime<Utc>, cb: &Callbacks, call_sid: &str) -> Vec<Verb> {
    let open = flow.is_open(now);
    let mut verbs = Vec::new();
    if let Some(text) = flow.opening(open) {
        verbs.push(Verb::Say { text: text.to_string(), voice: flow.voice.clone() });
    }
    match flow.forward_when(open) {
        Some(f) => {
            if let Some(notice) = &f.recording_notice {
                verbs.push(Verb::Say { text: notice.clone(), voice: flow.voice.clone() });
            }
            let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("call", call_sid).finish();
            verbs.push(Verb::Dial(Dial {
                number: f.to.clone(),
                number_noun: f.screen_prompt.is_some(),
                number_url: f.screen_prompt.as_ref().map(|_| format!("{}?{query}", cb.screen)),
                timeout: Some(f.ring_seconds),
                action: Some(cb.dial.clone()),
                method: Some("POST".into()),
                record: f.recording_notice.as_ref().map(|_| "record-from-answer-dual".to_string()),
                // Without it the recording would reach the call log only at the next catch-up.
                recording_status_callback: f.recording_notice.as_ref().map(|_| cb.recording.clone()),
                ..Dial::default()
            }))
        }
        None => verbs.extend(voicemail(flow, cb)),
    }
    verbs
}

/// Voicemail: prompt and `<Record>` (transcribed), or an apology when voicemail is off.
pub fn voicemail(flow: &CallFlow, cb: &Callbacks) -> Vec<Verb> {
    let Some(vm) = &flow.voicemail else {
        return vec![Verb::Say { text: UNAVAILABLE.into(), voice: flow.voice.clone() }, Verb::Hangup];
    };
    vec![
        Verb::Say { text: vm.prompt.clone(), voice: flow.voice.clone() },
        Verb::Record(Record {
            max_length: Some(vm.max_seconds),
            play_beep: Some(true),
            transcribe: Some(vm.transcribe),
            transcribe_callback: vm.transcribe.then(|| cb.transcription.clone()),
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
            let number = numbers::get(tx, number_id)?;
            let from = Address::from_twilio(&call.from).into_string();
            // A blocked caller is refused before anything rings; the call is still logged.
            let rejected = blocked::is_blocked(tx, &from)?;
            let flow = CallFlow::of(&number);
            let verbs = if rejected { vec![Verb::Reject] } else { call_flow(&flow, now, &cb, &call.call_sid) };
            let settings = number.settings;
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
    let bridged = signed.params.get("DialBridged").map(|b| b.eq_ignore_ascii_case("true"));
    let to = signed.params.first_of(&["To", "Called"]).map(|t| Address::from_twilio(t).into_string());
    let cb = Callbacks::new(&state.public_url());
    let call_sid = dial.call_sid.clone();
    let (verbs, changed) = state
        .store
        .write_async(move |tx| {
            let Some(to) = &to else {
                return Err(crate::error::Error::InvalidInput("missing required field To".into()));
            };
            let flow = CallFlow::of(&numbers::get(tx, numbers::ensure(tx, to, true)?)?);
            let accepted = calls::screen_accepted(tx, &dial.call_sid)?;
            // The one rule of both hosts: completed, bridged, and (screened) accepted. A
            // leg answered by the mobile's voicemail is "completed" to Twilio, not to us.
            let answered = flow.answered(&dial.dial_status, bridged, accepted);
            let verbs = if answered { vec![Verb::Hangup] } else { voicemail(&flow, &cb) };
            if signed.seen_before(tx)? {
                return Ok((verbs, false));
            }
            // A completed leg nobody took counts as not answered in the call log.
            let status = if answered || !dial.answered() { dial.dial_status.as_str() } else { "no-answer" };
            let by = (answered && flow.forward.as_ref().is_some_and(|f| f.screen_prompt.is_some())).then_some("owner");
            calls::set_dial_result(tx, &dial.call_sid, status, by, dial.dial_duration)?;
            // The call's end may have come first and decided a text-back, held for this
            // result (`text_backs::due`): the owner took the call, so none goes.
            if answered {
                text_backs::answered(tx, &dial.call_sid)?;
            }
            signed.journal(tx, Some(&dial.call_sid))?;
            Ok((verbs, true))
        })
        .await?;
    if changed {
        // A text-back held for this result may go now.
        state.text_backs.wake();
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
                return Ok((false, false));
            }
            // A callback for a call we never saw (placed elsewhere, or its webhook lost)
            // is recorded rather than dropped.
            if calls::find_by_sid(tx, &cb.call_sid)?.is_none() {
                if let (Some(from), Some(to)) = (&cb.from, &cb.to) {
                    let (from, to) = (Address::from_twilio(from).into_string(), Address::from_twilio(to).into_string());
                    let direction = cb.direction.clone().unwrap_or_else(|| "inbound".into());
                    // Ours is the number called, or the caller ID of a call we placed whose
                    // answer was lost (`outbound-api`: To is the owner's phone or a
                    // customer, never to be taken for one of our numbers).
                    let number_id = match direction.starts_with("outbound") {
                        true => numbers::find_by_e164(tx, &from)?.map(|n| n.id),
                        false => Some(numbers::ensure(tx, &to, true)?),
                    };
                    calls::insert(
                        tx,
                        &calls::NewCall {
                            sid: cb.call_sid.clone(),
                            number_id,
                            direction,
                            from,
                            to,
                            status: "queued".into(),
                            forwarded_to: None,
                            created_at: now_rfc3339(),
                        },
                    )?;
                }
            }
            let status = CallStatus::parse(&cb.status);
            let changed = calls::apply_status(tx, &cb.call_sid, &status, cb.duration, cb.answered_by.as_deref())?;
            let text_back = match status.is_final() {
                true => decide_text_back(tx, &cb.call_sid)?,
                false => false,
            };
            signed.journal(tx, Some(&cb.call_sid))?;
            Ok((changed, text_back))
        })
        .await?;
    let (changed, text_back) = changed;
    if text_back {
        state.text_backs.wake();
    }
    if changed {
        state.events.publish(Event::CallUpdated { call_sid });
    }
    Ok(twiml_response(&[]))
}

/// A call to one of our numbers ended: when nobody on the owner's side took it (voicemail
/// or not) and the number sends text-backs, decide the text-back in this transaction
/// (pending, or skipped for the window or an opt-out). True when one is pending.
fn decide_text_back(tx: &rusqlite::Connection, call_sid: &str) -> crate::error::Result<bool> {
    let Some(call) = calls::find_by_sid(tx, call_sid)? else { return Ok(false) };
    let Some(number_id) = calls::number_id(tx, call_sid)? else { return Ok(false) };
    if call.direction != "inbound" || calls::answered_by_owner(&call) {
        return Ok(false);
    }
    let number = numbers::get(tx, number_id)?;
    let Some(tb) = CallFlow::of(&number).text_back else { return Ok(false) };
    let decision = text_backs::decide(tx, call_sid, number_id, &call.from, &tb.body, tb.window_hours, Utc::now())?;
    Ok(decision == text_backs::Decision::Pending)
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
            greeting: "Thanks for calling".into(),
            voice: "Polly.Joanna".into(),
            ring_seconds: 25,
            voicemail_max_seconds: 90,
            business_hours: Some(BusinessHours {
                tz: "Australia/Sydney".into(),
                spans: (0..5).map(|day| Span { day, open: "09:00".into(), close: "17:00".into() }).collect(),
            }),
            screening_enabled: false,
            recording_notice: "This call may be recorded.".into(),
            ..NumberSettings::for_tests()
        }
    }

    fn flow(s: &NumberSettings) -> CallFlow {
        CallFlow::from_settings("Shop", s)
    }

    #[test]
    fn open_hours_forward_closed_hours_go_to_voicemail() {
        let cb = Callbacks::new("https://example.test/");
        // Monday 10:00 in Sydney.
        let open = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        let verbs = call_flow(&flow(&settings()), open, &cb, "CA1");
        assert!(matches!(&verbs[1], Verb::Dial(d) if d.number == "+61412345678" && d.timeout == Some(25)
            && d.action.as_deref() == Some("https://example.test/twilio/voice/dial")));
        // Saturday noon in Sydney.
        let closed = Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap();
        let verbs = call_flow(&flow(&settings()), closed, &cb, "CA1");
        assert!(verbs.iter().all(|v| !matches!(v, Verb::Dial(_))), "closed hours must not ring the owner");
        assert!(matches!(&verbs[2], Verb::Record(r) if r.max_length == Some(90)));
    }

    #[test]
    fn closed_hours_say_the_closed_greeting() {
        let cb = Callbacks::new("https://example.test");
        let mut s = settings();
        s.closed_greeting = "We are closed".into();
        let saturday = Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap();
        let verbs = call_flow(&flow(&s), saturday, &cb, "CA1");
        assert!(matches!(&verbs[0], Verb::Say { text, .. } if text == "We are closed"), "{verbs:?}");
    }

    #[test]
    fn screening_dials_a_number_noun_with_the_screen_url_and_recording_says_the_notice() {
        let cb = Callbacks::new("https://example.test");
        let mut s = settings();
        s.business_hours = None;
        s.screening_enabled = true;
        s.record_calls = true;
        let verbs = call_flow(&flow(&s), Utc::now(), &cb, "CA42");
        assert!(matches!(&verbs[1], Verb::Say { text, .. } if text == "This call may be recorded."), "{verbs:?}");
        let Verb::Dial(d) = &verbs[2] else { panic!("no dial: {verbs:?}") };
        assert!(d.number_noun);
        assert_eq!(d.number_url.as_deref(), Some("https://example.test/twilio/voice/screen?call=CA42"));
        assert_eq!(d.record.as_deref(), Some("record-from-answer-dual"));
        assert_eq!(
            d.recording_status_callback.as_deref(),
            Some("https://example.test/twilio/voice/recording"),
            "the recording reaches the call log when the call ends"
        );
    }

    #[test]
    fn forwarding_off_or_voicemail_off() {
        let cb = Callbacks::new("https://example.test");
        let mut s = settings();
        s.business_hours = None;
        s.forwarding_enabled = false;
        assert!(call_flow(&flow(&s), Utc::now(), &cb, "CA1").iter().any(|v| matches!(v, Verb::Record(_))));
        s.voicemail_enabled = false;
        let verbs = call_flow(&flow(&s), Utc::now(), &cb, "CA1");
        assert!(verbs.contains(&Verb::Hangup) && !verbs.iter().any(|v| matches!(v, Verb::Record(_))));
    }
}
