//! What answers calls while the app is closed: a Twilio Studio Flow per managed number,
//! set as its `VoiceFallbackUrl`, generated from the same [`CallFlow`] as the TwiML the
//! app answers while open (issue 14), so both hosts do the same thing: greeting or
//! closed-hours greeting, business hours, screened forwarding, recording notice, voicemail
//! (transcribed) or an apology, and missed-call text-back. The recording stays in the
//! account's Recordings, and the next start's catch-up downloads it with its transcript.
//!
//! Why Studio and not a Serverless Function: a Flow is one REST call (its definition is
//! JSON we build here), needs no code upload, build polling or deployment, and the owner
//! can see it in the Twilio console. Two things Studio's widgets cannot do are done as
//! follows, and the parity test runs the result in the simulator against the live TwiML:
//! - **Business hours**: Liquid in a split's input, `'now' | date` (UTC) against the open
//!   spans converted to UTC minutes-of-week with the zone's offset when the flow was
//!   generated (it is regenerated at every start and settings change; a daylight-saving
//!   change while the app stays closed shifts the hours by that hour until the next start;
//!   [`HOSTED_HOURS_NOTE`] says so in the UI).
//! - **Screening**: "Connect Call To" has no whisper URL, so the screened forward is a TwiML
//!   Redirect to Twilio's own Echo Twimlet (`twimlets.com/echo`, hosted by Twilio, no
//!   account state) holding `<Dial><Number url=…>` whose whisper is another Echo document
//!   with the `<Gather>`; the `<Dial action>` returns control to the flow
//!   (`?FlowEvent=return`) with `DialCallStatus` and `DialBridged`.
//! - **Text-back**: a Send Message widget; Studio keeps nothing between calls, so the
//!   once-per-12-hours rule does not hold while closed ([`HOSTED_TEXT_BACK_NOTE`]).
//! - **Blocked callers**: the flow carries the block list (`store::blocked`): a split on
//!   the caller (`matches_any_of`) first, and a match is a TwiML Redirect to an Echo
//!   `<Reject/>`, as the open app answers. The runtime regenerates every flow when the
//!   list changes (`set_blocked` rewires), so a block holds while the app is closed too.

use chrono::{DateTime, NaiveTime, Offset, TimeZone, Timelike, Utc};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::store::numbers::Number;
use crate::twilio::callflow::{CallFlow, Forward, SCREEN_TIMEOUT_SECS, UNAVAILABLE};
use crate::twilio::client::{Retry, TwilioClient};
use crate::twilio::twiml::{self, Dial, Gather, Verb};

pub use crate::twilio::callflow::HOSTED_TEXT_BACK_NOTE;
pub use crate::twilio::client::DEFAULT_STUDIO_BASE;

/// Twilio's Echo Twimlet: answers with the TwiML passed in its `Twiml` parameter.
pub const ECHO_TWIMLET: &str = "https://twimlets.com/echo";

/// What the UI says about business hours while the app is closed.
pub const HOSTED_HOURS_NOTE: &str = "While Switchboard is closed, Twilio checks your hours with your time zone's offset from when the app last updated the flow: if daylight saving starts or ends while the app stays closed, the hours are an hour off until Switchboard next starts.";

/// How the closed-app flow differs from the open app's, in sentences the number settings
/// show beside the settings concerned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ClosedNotes {
    pub text_back: String,
    pub hours: String,
    pub screening: String,
}

/// What the UI says about calls while Switchboard is closed.
pub fn closed_notes() -> ClosedNotes {
    ClosedNotes {
        text_back: HOSTED_TEXT_BACK_NOTE.into(),
        hours: HOSTED_HOURS_NOTE.into(),
        screening: HOSTED_SCREENING_NOTE.into(),
    }
}

/// What the UI says about screening while the app is closed (see [`screened_dial`]).
pub const HOSTED_SCREENING_NOTE: &str = "While Switchboard is closed, any key you press takes a screened call (not only 1); your mobile's voicemail presses none, so callers still reach your Switchboard voicemail.";

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Flow {
    pub sid: String,
    pub webhook_url: Option<String>,
    pub status: Option<String>,
}

/// `{{'now' | date: '%u%H%M'}}` as a number: ISO weekday (1 = Monday) then HHMM, in UTC.
fn slot(day: u32, minute_of_day: u32) -> u32 {
    (day + 1) * 10000 + (minute_of_day / 60) * 100 + minute_of_day % 60
}

/// The open spans as UTC `[from, to)` slot pairs, with the zone's offset at `at`.
fn utc_slots(flow: &CallFlow, at: DateTime<Utc>) -> Option<Vec<(u32, u32)>> {
    let hours = flow.hours.as_ref()?;
    // Invalid hours count as open (as `BusinessHours::is_open_at` does): no check at all.
    let zone: chrono_tz::Tz = hours.tz.parse().ok()?;
    let offset = zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc() / 60;
    const WEEK: i64 = 7 * 24 * 60;
    let mut out = Vec::new();
    for s in &hours.spans {
        let (Ok(open), Ok(close)) =
            (NaiveTime::parse_from_str(&s.open, "%H:%M"), NaiveTime::parse_from_str(&s.close, "%H:%M"))
        else {
            return None;
        };
        let base = i64::from(s.day) * 24 * 60 - i64::from(offset);
        let from = (base + i64::from(open.hour() * 60 + open.minute())).rem_euclid(WEEK);
        let len = i64::from((close - open).num_minutes() as u32);
        // A span that crosses midnight UTC (or the week's end) is cut in two.
        let mut start = from;
        let mut left = len;
        while left > 0 {
            let day_end = (start / (24 * 60) + 1) * 24 * 60;
            let piece = left.min(day_end - start);
            let (d, m) = ((start / (24 * 60)) as u32, (start % (24 * 60)) as u32);
            // The end as a slot of its own (minutes carried into the hour): 13:45 + 8 h 45
            // is 22:30, not "21:90". A piece that runs to midnight ends at HH 24.
            out.push((slot(d, m), slot(d, m + piece as u32)));
            start = (start + piece) % WEEK;
            left -= piece;
        }
    }
    Some(out)
}

/// The split's input: "open" when now (UTC) falls in a span.
fn hours_liquid(slots: &[(u32, u32)]) -> String {
    let mut s = String::from("{% assign t = 'now' | date: '%u%H%M' | plus: 0 %}");
    for (from, to) in slots {
        s.push_str(&format!("{{% if t >= {from} and t < {to} %}}open{{% endif %}}"));
    }
    s
}

fn echo_url(doc: &str) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("Twiml", doc).finish();
    format!("{ECHO_TWIMLET}?{q}")
}

/// The screened forward as TwiML (hosted by the Echo Twimlet): the whisper asks for the
/// key, and a key connects the legs (an empty document); no key falls through to
/// `<Hangup/>`, which drops the leg unbridged; the dial returns to the flow. A static
/// document cannot tell keys apart, so while closed any key accepts (a person pressed it;
/// a mobile's voicemail presses none).
fn screened_dial(flow: &CallFlow, f: &Forward, prompt: &str, return_url: &str) -> String {
    let whisper = twiml::render(&[
        Verb::Gather(Gather {
            num_digits: Some(1),
            timeout: Some(SCREEN_TIMEOUT_SECS),
            action: Some(echo_url(&twiml::render(&[]))),
            method: Some("GET".into()),
            say: prompt.to_string(),
            voice: flow.voice.clone(),
        }),
        Verb::Hangup,
    ]);
    twiml::render(&[Verb::Dial(Dial {
        number: f.to.clone(),
        number_noun: true,
        number_url: Some(echo_url(&whisper)),
        timeout: Some(f.ring_seconds),
        action: Some(return_url.to_string()),
        method: Some("POST".into()),
        record: f.recording_notice.as_ref().map(|_| "record-from-answer-dual".to_string()),
        ..Dial::default()
    })])
}

struct States(Vec<Value>);

impl States {
    fn say(&mut self, name: &str, text: &str, voice: &Option<String>, next: Option<&str>) {
        self.0.push(json!({
            "name": name, "type": "say-play",
            "transitions": [{"event": "audioComplete", "next": next}],
            "properties": {"say": text, "voice": voice.clone().unwrap_or_default(), "loop": 1}
        }));
    }
}

/// The Studio definition of `number`'s call flow, refusing the `blocked` callers.
/// `return_url` is the flow's own webhook with `?FlowEvent=return` (known once the flow
/// exists); `at` is when it is generated.
pub fn definition(number: &Number, blocked: &[String], return_url: &str, at: DateTime<Utc>) -> Value {
    let flow = CallFlow::of(number).with_blocked(blocked.iter().cloned());
    let mut st = States(Vec::new());
    let after_missed = flow.text_back.as_ref().map(|_| "text_back");
    let missed = if flow.voicemail.is_some() { "voicemail_prompt" } else { "unavailable" };

    // Closed hours (or no forward): the closed greeting, then the missed path.
    let open_start = match (&flow.greeting, &flow.forward) {
        (Some(_), _) => "greeting",
        (None, Some(f)) if f.recording_notice.is_some() => "recording_notice",
        (None, Some(_)) => "forward",
        (None, None) => missed,
    };
    let closed_start = if flow.closed_greeting.is_some() { "closed_greeting" } else { missed };
    let slots = utc_slots(&flow, at);
    let after_block = if slots.is_some() { "hours" } else { open_start };
    let first = if flow.blocked.is_empty() { after_block } else { "blocked" };
    st.0.push(json!({
        "name": "Trigger", "type": "trigger",
        "transitions": [
            {"event": "incomingMessage"},
            {"event": "incomingCall", "next": first},
            {"event": "incomingConversationMessage"},
            {"event": "incomingRequest"},
            {"event": "incomingParent"}
        ],
        "properties": {"offset": {"x": 0, "y": 0}}
    }));
    if !flow.blocked.is_empty() {
        // E.164 numbers hold no comma, so the list is unambiguous.
        let list = flow.blocked.join(",");
        st.0.push(json!({
            "name": "blocked", "type": "split-based-on",
            "transitions": [
                {"event": "noMatch", "next": after_block},
                {"event": "match", "next": "reject", "conditions": [{
                    "friendly_name": "blocked caller", "arguments": ["{{trigger.call.From}}"],
                    "type": "matches_any_of", "value": list
                }]}
            ],
            "properties": {"input": "{{trigger.call.From}}"}
        }));
        // Nothing follows: the call ends refused, whatever the redirect reports.
        st.0.push(json!({
            "name": "reject", "type": "add-twiml-redirect",
            "transitions": [{"event": "return"}, {"event": "timeout"}, {"event": "fail"}],
            "properties": {"method": "GET", "timeout": "14400", "url": echo_url(&twiml::render(&[Verb::Reject]))}
        }));
    }
    if let Some(slots) = &slots {
        st.0.push(json!({
            "name": "hours", "type": "split-based-on",
            "transitions": [
                {"event": "noMatch", "next": closed_start},
                {"event": "match", "next": open_start, "conditions": [{
                    "friendly_name": "open", "arguments": [hours_liquid(slots)], "type": "contains", "value": "open"
                }]}
            ],
            "properties": {"input": hours_liquid(slots)}
        }));
        if let Some(text) = &flow.closed_greeting {
            st.say("closed_greeting", text, &flow.voice, Some(missed));
        }
    }
    let forward_start = match &flow.forward {
        Some(f) if f.recording_notice.is_some() => "recording_notice",
        Some(_) => "forward",
        None => missed,
    };
    if let Some(text) = &flow.greeting {
        st.say("greeting", text, &flow.voice, Some(forward_start));
    }
    if let Some(f) = &flow.forward {
        if let Some(notice) = &f.recording_notice {
            st.say("recording_notice", notice, &flow.voice, Some("forward"));
        }
        let answered_if = match &f.screen_prompt {
            Some(prompt) => {
                st.0.push(json!({
                    "name": "forward", "type": "add-twiml-redirect",
                    "transitions": [
                        {"event": "return", "next": "answered"},
                        {"event": "timeout", "next": missed},
                        {"event": "fail", "next": missed}
                    ],
                    "properties": {"method": "GET", "timeout": "14400",
                                   "url": echo_url(&screened_dial(&flow, f, prompt, return_url))}
                }));
                "{% if widgets.forward.DialCallStatus == 'completed' and widgets.forward.DialBridged == 'true' %}answered{% endif %}"
            }
            None => {
                st.0.push(json!({
                    "name": "forward", "type": "connect-call-to",
                    "transitions": [{"event": "callCompleted", "next": "answered"}, {"event": "hangup", "next": after_missed}],
                    "properties": {
                        "noun": "number", "to": f.to, "caller_id": "{{contact.channel.address}}",
                        "timeout": f.ring_seconds, "record": f.recording_notice.is_some()
                    }
                }));
                "{% if widgets.forward.DialCallStatus == 'completed' %}answered{% endif %}"
            }
        };
        // The owner took it: the call is over. Anything else: the missed path.
        st.0.push(json!({
            "name": "answered", "type": "split-based-on",
            "transitions": [
                {"event": "noMatch", "next": missed},
                {"event": "match", "conditions": [{
                    "friendly_name": "answered", "arguments": [answered_if], "type": "equal_to", "value": "answered"
                }]}
            ],
            "properties": {"input": answered_if}
        }));
    }
    match &flow.voicemail {
        Some(vm) => {
            st.say("voicemail_prompt", &vm.prompt, &flow.voice, Some("voicemail"));
            st.0.push(json!({
                "name": "voicemail", "type": "record-voicemail",
                "transitions": [
                    {"event": "recordingComplete", "next": after_missed},
                    {"event": "noAudio", "next": after_missed},
                    {"event": "hangup", "next": after_missed}
                ],
                "properties": {
                    "max_length": vm.max_seconds, "play_beep": "true", "transcribe": vm.transcribe,
                    "trim": "trim-silence", "finish_on_key": "#", "timeout": 5
                }
            }));
        }
        None => st.say("unavailable", UNAVAILABLE, &flow.voice, after_missed),
    }
    if let Some(tb) = &flow.text_back {
        st.0.push(json!({
            "name": "text_back", "type": "send-message",
            "transitions": [{"event": "sent"}, {"event": "failed"}],
            "properties": {"from": "{{flow.channel.address}}", "to": "{{contact.channel.address}}", "body": tb.body}
        }));
    }
    // Offsets only place the widgets on the console's canvas.
    for (i, s) in st.0.iter_mut().enumerate() {
        s["properties"]["offset"] = json!({"x": 0, "y": i * 200});
    }
    json!({
        "description": format!("Switchboard call flow for {} while the app is closed", number.e164),
        "states": st.0,
        "initial_state": "Trigger",
        "flags": {"allow_concurrent_calls": true}
    })
}

fn flow_params(number: &Number, blocked: &[String], return_url: &str) -> Vec<(String, String)> {
    vec![
        ("FriendlyName".into(), format!("Switchboard fallback {}", number.e164)),
        ("Status".into(), "published".into()),
        ("Definition".into(), definition(number, blocked, return_url, Utc::now()).to_string()),
        ("CommitMessage".into(), "Updated by Switchboard".into()),
    ]
}

/// Creates the number's fallback flow, or updates it when `existing_sid` is given; a new
/// flow is updated once more so its screened forward can return to it (its own URL is only
/// known once it exists). Returns the flow, whose URL becomes the `VoiceFallbackUrl`.
/// `blocked` is the block list (`store::blocked::list`), refused by the flow.
pub async fn upsert_flow(
    client: &TwilioClient,
    number: &Number,
    blocked: &[String],
    existing_sid: Option<&str>,
) -> Result<Flow> {
    upsert_flow_at(client, client.studio_base(), number, blocked, existing_sid).await
}

/// [`upsert_flow`] against the Studio host at `base`.
pub async fn upsert_flow_at(
    client: &TwilioClient,
    base: &str,
    number: &Number,
    blocked: &[String],
    existing_sid: Option<&str>,
) -> Result<Flow> {
    let sid = match existing_sid {
        Some(sid) => sid.to_string(),
        None => {
            // A create is sent once (a retry could make two flows).
            let placeholder = return_url_of(&Flow { sid: "FW".into(), webhook_url: None, status: None }, client)?;
            let created: Flow = client
                .post_form(&format!("{base}/v2/Flows"), &flow_params(number, blocked, &placeholder), Retry::Never)
                .await?;
            created.sid
        }
    };
    let url = format!("{base}/v2/Flows/{sid}");
    let current: Flow = client.get_json(&url, &[]).await?;
    let ret = return_url_of(&current, client)?;
    // An update is idempotent.
    client.post_form(&url, &flow_params(number, blocked, &ret), Retry::Safe).await
}

/// Deletes the number's fallback flow (the number was released or is no longer managed).
/// A flow already gone counts as deleted.
pub async fn delete_flow(client: &TwilioClient, sid: &str) -> Result<()> {
    client.delete(&format!("{}/v2/Flows/{sid}", client.studio_base())).await
}

/// Deletes number `number_id`'s fallback flow, if it has one, and forgets it: called when
/// the number is released or stops being managed, so no flow keeps forwarding its calls.
/// A flow that cannot be deleted now is kept on record and the error returned.
pub async fn remove_for_number(store: &crate::store::Store, client: &TwilioClient, number_id: i64) -> Result<()> {
    use crate::store::settings;
    let key = settings::keys::fallback_flow(number_id);
    let k = key.clone();
    let Some(sid) = store.read_async(move |c| settings::get(c, &k)).await? else { return Ok(()) };
    delete_flow(client, &sid).await?;
    store.write_async(move |tx| settings::remove(tx, &key)).await
}

fn return_url_of(flow: &Flow, client: &TwilioClient) -> Result<String> {
    Ok(format!("{}?FlowEvent=return", webhook_url(flow, client.account_sid())?))
}

/// The URL Twilio calls for a flow: its `webhook_url`, or the documented form.
pub fn webhook_url(flow: &Flow, account_sid: &str) -> Result<String> {
    match &flow.webhook_url {
        Some(u) if u.starts_with("http") => Ok(u.clone()),
        _ if flow.sid.starts_with("FW") => {
            Ok(format!("https://webhooks.twilio.com/v1/Accounts/{account_sid}/Flows/{}", flow.sid))
        }
        _ => Err(Error::Internal(format!("Studio returned a flow without a usable SID ({:?})", flow.sid))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::{BusinessHours, Span};
    use crate::store::numbers::NumberSettings;

    fn number(forwarding: Option<&str>, voicemail: bool) -> Number {
        Number {
            id: 1,
            e164: "+61255501234".into(),
            sid: Some("PN00000000000000000000000000000001".into()),
            friendly_name: "Shop".into(),
            managed: true,
            seen_in_webhook: false,
            settings: NumberSettings {
                forwarding_number: forwarding.map(str::to_string),
                forwarding_enabled: true,
                greeting: String::new(),
                voice: "alice".into(),
                ring_seconds: 25,
                voicemail_enabled: voicemail,
                voicemail_prompt: "Leave a message".into(),
                voicemail_max_seconds: 90,
                business_hours: None,
                auto_reply: None,
                screening_enabled: false,
                closed_greeting: String::new(),
                record_calls: false,
                recording_notice: String::new(),
                text_back_enabled: false,
                text_back_body: "Sorry we missed you".into(),
                text_back_window_hours: 12,
            },
            wired_url: None,
            wired_at: None,
            wiring_error: None,
        }
    }

    fn state<'a>(def: &'a Value, name: &str) -> Option<&'a Value> {
        def["states"].as_array()?.iter().find(|s| s["name"] == name)
    }

    /// Every `next` must name a state that exists, or Studio refuses the flow.
    fn assert_transitions_resolve(def: &Value) {
        let states = def["states"].as_array().expect("states");
        for s in states {
            for t in s["transitions"].as_array().expect("transitions") {
                if let Some(next) = t["next"].as_str() {
                    assert!(state(def, next).is_some(), "{} -> {next} does not exist", s["name"]);
                }
            }
        }
    }

    const RET: &str = "https://webhooks.twilio.com/v1/Accounts/AC1/Flows/FW1?FlowEvent=return";

    #[test]
    fn forwards_then_takes_a_voicemail() {
        let def = definition(&number(Some("+61412345678"), true), &[], RET, Utc::now());
        assert_transitions_resolve(&def);
        assert_eq!(state(&def, "forward").unwrap()["properties"]["to"], "+61412345678");
        assert_eq!(state(&def, "forward").unwrap()["properties"]["timeout"], 25);
        assert_eq!(state(&def, "voicemail").unwrap()["properties"]["max_length"], 90);
        assert_eq!(state(&def, "voicemail").unwrap()["properties"]["transcribe"], true);
    }

    #[test]
    fn without_forwarding_goes_straight_to_voicemail_and_without_voicemail_says_goodbye() {
        let def = definition(&number(None, true), &[], RET, Utc::now());
        assert_transitions_resolve(&def);
        assert!(state(&def, "forward").is_none());
        let call = &state(&def, "Trigger").unwrap()["transitions"][1];
        assert_eq!(call["next"], "voicemail_prompt");
        let def = definition(&number(Some("+61412345678"), false), &[], RET, Utc::now());
        assert_transitions_resolve(&def);
        assert!(state(&def, "voicemail").is_none() && state(&def, "unavailable").is_some());
    }

    #[test]
    fn screening_redirects_to_an_echoed_dial_that_returns_to_the_flow() {
        let mut n = number(Some("+61412345678"), true);
        n.settings.screening_enabled = true;
        n.settings.text_back_enabled = true;
        let def = definition(&n, &[], RET, Utc::now());
        assert_transitions_resolve(&def);
        let url = state(&def, "forward").unwrap()["properties"]["url"].as_str().unwrap().to_string();
        assert!(url.starts_with(ECHO_TWIMLET), "{url}");
        let doc: String = url::Url::parse(&url).unwrap().query_pairs().find(|(k, _)| k == "Twiml").unwrap().1.into();
        assert!(doc.contains("FlowEvent=return") && doc.contains("<Number url="), "{doc}");
        assert_eq!(state(&def, "text_back").unwrap()["properties"]["body"], "Sorry we missed you");
    }

    #[test]
    fn blocked_callers_are_rejected_before_the_greeting() {
        let mut n = number(Some("+61412345678"), true);
        n.settings.greeting = "Hello".into();
        let none = definition(&n, &[], RET, Utc::now());
        assert!(state(&none, "blocked").is_none(), "no block list, no split");
        let def = definition(&n, &["+61400000009".into(), "+61400000008".into(), "ACME".into()], RET, Utc::now());
        assert_transitions_resolve(&def);
        assert_eq!(state(&def, "Trigger").unwrap()["transitions"][1]["next"], "blocked");
        let split = state(&def, "blocked").unwrap();
        assert_eq!(split["transitions"][0]["next"], "greeting", "everyone else gets the greeting");
        let cond = &split["transitions"][1]["conditions"][0];
        assert_eq!(
            (cond["type"].as_str(), cond["value"].as_str()),
            (Some("matches_any_of"), Some("+61400000009,+61400000008"))
        );
        let url = state(&def, "reject").unwrap()["properties"]["url"].as_str().unwrap().to_string();
        let doc: String = url::Url::parse(&url).unwrap().query_pairs().find(|(k, _)| k == "Twiml").unwrap().1.into();
        assert!(doc.contains("<Reject"), "{doc}");
    }

    #[test]
    fn hours_become_utc_slots_split_at_midnight() {
        let mut n = number(Some("+61412345678"), true);
        // Monday 09:00–17:00 in Sydney (UTC+11 in November) is Sunday 22:00 – Monday 06:00 UTC.
        n.settings.business_hours = Some(BusinessHours {
            tz: "Australia/Sydney".into(),
            spans: vec![Span { day: 0, open: "09:00".into(), close: "17:00".into() }],
        });
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        let slots = utc_slots(&CallFlow::of(&n), at).unwrap();
        assert_eq!(slots, vec![(72200, 72400), (10000, 10600)]);
    }

    /// The closed app's hours (the Liquid check on `%u%H%M` in UTC) agree with the open
    /// app's (`BusinessHours::is_open_at`) at every minute of a week, for spans that do not
    /// start or end on the hour, in zones a half or three quarters of an hour off UTC, on
    /// both sides of it, and across midnight UTC.
    #[test]
    fn the_hosted_hours_match_the_apps_at_every_minute_of_a_week() {
        let spans = |list: &[(u8, &str, &str)]| {
            list.iter()
                .map(|(day, open, close)| Span { day: *day, open: (*open).into(), close: (*close).into() })
                .collect()
        };
        let cases = [
            ("America/New_York", spans(&[(0, "08:45", "17:30"), (5, "10:15", "13:50")])),
            ("Asia/Kolkata", spans(&[(1, "09:00", "17:45"), (6, "00:05", "23:55")])),
            ("Asia/Kathmandu", spans(&[(2, "06:15", "20:10")])),
            ("Australia/Sydney", spans(&[(0, "09:30", "17:00"), (4, "07:59", "08:01")])),
            ("Pacific/Chatham", spans(&[(3, "10:40", "19:20")])),
        ];
        // A week without a daylight-saving change in any of these zones.
        let monday = Utc.with_ymd_and_hms(2026, 6, 8, 0, 0, 0).unwrap();
        for (tz, spans) in cases {
            let mut n = number(Some("+61412345678"), true);
            let hours = BusinessHours { tz: tz.into(), spans };
            n.settings.business_hours = Some(hours.clone());
            let slots = utc_slots(&CallFlow::of(&n), monday).unwrap();
            for minute in 0..7 * 24 * 60 {
                let at = monday + chrono::Duration::minutes(minute);
                let t: u32 = at.format("%u%H%M").to_string().parse().unwrap();
                let hosted = slots.iter().any(|(from, to)| t >= *from && t < *to);
                assert_eq!(hosted, hours.is_open_at(at), "{tz} at {at}: slots {slots:?}");
            }
        }
    }
}
