//! Playing a phone call: fetch the app's TwiML with Twilio's voice field set, act on each
//! verb (`<Say>`, `<Dial>` to the owner who answers or not, `<Record>` that produces a real
//! WAV and its recording/transcription callbacks, `<Redirect>`, `<Hangup>`…), then post the
//! final call status. Used for simulated customer calls and for calls created by REST.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::Utc;

use super::customer::country;
use super::state::{new_sid, rfc2822, CallRec, RecordingRec, Shared, TranscriptionRec};
use super::twiml::{self, Verb};
use super::{studio, webhooks, CallOutcome};
use switchboard_core::twilio::callflow::{LegAnswer, ACCEPT_DIGIT};

/// Twilio stops following a document chain that keeps redirecting.
const MAX_VERBS: usize = 100;

/// One call being played.
pub(crate) struct Leg {
    pub call_sid: String,
    pub from: String,
    pub to: String,
    /// `inbound` or `outbound-api`.
    pub direction: String,
    /// What the party a `<Dial>` rings does (picks up and accepts, declines, rings out, or
    /// its own voicemail answers and presses nothing).
    pub answer: LegAnswer,
    /// How long the caller speaks at a `<Record>`; `None` hangs up instead.
    pub record_secs: Option<u32>,
}

/// Twilio's voice request parameters (as in a real inbound-call webhook).
pub(crate) fn call_params(sh: &Shared, leg: &Leg, status: &str) -> Vec<(String, String)> {
    let to_country = country(&leg.to);
    let from_country = country(&leg.from);
    webhooks::pairs(&[
        ("Called", &leg.to),
        ("ToState", ""),
        ("CallerCountry", &from_country),
        ("Direction", &leg.direction),
        ("CallerState", ""),
        ("ToZip", ""),
        ("CallSid", &leg.call_sid),
        ("To", &leg.to),
        ("CallerZip", ""),
        ("ToCountry", &to_country),
        ("ApiVersion", "2010-04-01"),
        ("CalledZip", ""),
        ("CalledCity", ""),
        ("CallStatus", status),
        ("From", &leg.from),
        ("AccountSid", &sh.config.account_sid),
        ("CalledCountry", &to_country),
        ("CallerCity", ""),
        ("Caller", &leg.from),
        ("FromCountry", &from_country),
        ("ToCity", ""),
        ("FromCity", ""),
        ("CalledState", ""),
        ("FromZip", ""),
        ("FromState", ""),
    ])
}

/// Posts a voice request and parses the TwiML answer; `None` when the app failed to answer
/// with valid TwiML (Twilio would play "an application error has occurred").
pub(crate) async fn fetch_twiml(sh: &Arc<Shared>, url: &str, params: Vec<(String, String)>) -> Option<Vec<Verb>> {
    // Twilio-hosted TwiML (the Echo Twimlet) and a Studio flow's return are Twilio's own:
    // played here, never posted anywhere.
    if let Some(doc) = studio::echo_twimlet(url) {
        sh.with(|s| s.twiml.push((url.to_string(), doc.clone())));
        return twiml::parse(&doc).ok();
    }
    if studio::is_flow_return(sh, url) {
        studio::note_return(sh, params);
        return Some(Vec::new());
    }
    let d = webhooks::post(sh, url, params).await;
    if !d.status.is_some_and(|s| (200..300).contains(&s)) {
        return None;
    }
    sh.with(|s| s.twiml.push((url.to_string(), d.response_body.clone())));
    match twiml::parse(&d.response_body) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::debug!("simulator: TwiML from {url} is not valid: {e}");
            None
        }
    }
}

/// Follows `verbs` (fetched from `doc_url`) until the call ends; fills `outcome` and returns
/// the seconds the call lasted.
pub(crate) async fn play(
    sh: &Arc<Shared>,
    leg: &Leg,
    verbs: Vec<Verb>,
    doc_url: String,
    outcome: &mut CallOutcome,
) -> u32 {
    let mut queue: VecDeque<Verb> = verbs.into();
    let mut doc_url = doc_url;
    let mut elapsed = 1u32;
    let mut seen = 0usize;
    while let Some(v) = queue.pop_front() {
        seen += 1;
        if seen > MAX_VERBS {
            break;
        }
        match v.name.as_str() {
            "Say" => {
                elapsed += (v.text.split_whitespace().count() as u32).div_ceil(3);
                outcome.said.push(v.text.clone());
            }
            "Play" => elapsed += 2 * v.attr_u32("loop", 1).max(1),
            "Pause" => elapsed += v.attr_u32("length", 1),
            "Gather" => {
                // Nobody presses a key: say the prompts, then continue (or post an empty result).
                for (name, _, text) in &v.children {
                    if name == "Say" {
                        outcome.said.push(text.clone());
                    }
                }
                elapsed += v.attr_u32("timeout", 5);
                // The owner's own leg of a click-to-call is screened too: a person presses 1.
                let answer = sh.faults.forwarded_leg().unwrap_or(leg.answer);
                let press = (leg.direction == "outbound-api" && answer == LegAnswer::Accept).then_some(ACCEPT_DIGIT);
                if let (Some(digits), Some(action)) = (press, v.attr("action")) {
                    let url = webhooks::resolve(&doc_url, action);
                    let mut params = call_params(sh, leg, "in-progress");
                    params.push(("Digits".into(), digits.into()));
                    match fetch_twiml(sh, &url, params).await {
                        Some(next) => {
                            queue = next.into();
                            doc_url = url;
                        }
                        None => break,
                    }
                } else if v.attr_bool("actionOnEmptyResult") {
                    if let Some(action) = v.attr("action") {
                        let url = webhooks::resolve(&doc_url, action);
                        let mut params = call_params(sh, leg, "in-progress");
                        params.push(("Digits".into(), String::new()));
                        match fetch_twiml(sh, &url, params).await {
                            Some(next) => {
                                queue = next.into();
                                doc_url = url;
                            }
                            None => break,
                        }
                    }
                }
            }
            "Dial" => {
                let (ended, next) = dial_leg(sh, leg, &v, &doc_url, outcome, &mut elapsed).await;
                if let Some((url, next)) = next {
                    queue = next.into();
                    doc_url = url;
                }
                if ended {
                    break;
                }
            }
            "Record" => {
                record(sh, leg, &v, &doc_url, outcome, &mut elapsed).await;
                // The caller hangs up after leaving a message (or instead of leaving one).
                break;
            }
            "Redirect" => {
                let url = webhooks::resolve(&doc_url, &v.text);
                match fetch_twiml(sh, &url, call_params(sh, leg, "in-progress")).await {
                    Some(next) => {
                        queue = next.into();
                        doc_url = url;
                    }
                    None => break,
                }
            }
            "Reject" => {
                outcome.status = "busy".into();
                return 0;
            }
            "Hangup" => break,
            _ => {}
        }
    }
    elapsed
}

/// `<Dial>`: rings the number; returns whether the call is over, and the next document when
/// the action URL answered one. A `<Number url>` is screening: the answered leg plays that
/// TwiML first (accept presses 1; carrier voicemail presses nothing), and the legs are
/// bridged only if it ends without hanging up.
pub(crate) async fn dial_leg(
    sh: &Arc<Shared>,
    leg: &Leg,
    v: &Verb,
    doc_url: &str,
    outcome: &mut CallOutcome,
    elapsed: &mut u32,
) -> (bool, Option<(String, Vec<Verb>)>) {
    let number = v.child_text("Number").map(str::to_string).unwrap_or_else(|| v.text.clone());
    let screen_url = v
        .children
        .iter()
        .find(|(n, _, _)| n == "Number")
        .and_then(|(_, a, _)| a.get("url").cloned())
        .filter(|u| !u.trim().is_empty())
        .map(|u| webhooks::resolve(doc_url, &u));
    let timeout = v.attr_u32("timeout", 30);
    let child_sid = new_sid("CA");
    let answer = sh.faults.forwarded_leg().unwrap_or(leg.answer);
    let picks_up = match answer {
        LegAnswer::NoAnswer => false,
        LegAnswer::Accept | LegAnswer::CarrierVoicemail => true,
        // Declining a screened call is hearing the prompt and hanging up; an unscreened
        // one is rejecting it while it rings.
        LegAnswer::Decline => screen_url.is_some(),
    };
    let bridged = match (&screen_url, picks_up) {
        (_, false) => false,
        (None, true) => true,
        (Some(url), true) => {
            let press = match answer {
                LegAnswer::Accept => Some(ACCEPT_DIGIT),
                _ => None,
            };
            let hangs_up = answer == LegAnswer::Decline;
            screen(sh, leg, &child_sid, &number, url, press, hangs_up, outcome).await
        }
    };
    let (dial_status, talk) = match (answer, picks_up, bridged) {
        (_, true, true) => ("completed", 7u32),
        (_, true, false) => ("completed", 0u32),
        (LegAnswer::Decline, false, _) => ("busy", 0),
        _ => ("no-answer", 0),
    };
    let now = Utc::now();
    sh.with(|s| {
        s.calls.push(CallRec {
            sid: child_sid.clone(),
            parent_sid: Some(leg.call_sid.clone()),
            from: v.attr("callerId").unwrap_or(&leg.from).to_string(),
            to: number.clone(),
            status: dial_status.to_string(),
            direction: "outbound-dial".into(),
            duration: Some(talk),
            phone_number_sid: None,
            date_created: now,
            date_updated: now,
            start_time: Some(now),
            end_time: Some(now),
        })
    });
    *elapsed += if picks_up { talk + 3 } else { timeout };
    outcome.dialed = Some(number);
    outcome.dial_status = Some(dial_status.to_string());
    outcome.bridged = Some(bridged);
    if bridged && super::recordings::dial_records(v.attr("record")) {
        let callback = v.attr("recordingStatusCallback").map(|cb| webhooks::resolve(doc_url, cb));
        outcome.call_recording_sid = Some(super::recordings::after_dial(sh, leg, callback, talk).await);
    }
    let Some(action) = v.attr("action") else {
        // Without an action Twilio continues with the next verb; after a conversation the
        // caller hangs up.
        return (bridged, None);
    };
    let url = webhooks::resolve(doc_url, action);
    let mut params = call_params(sh, leg, if bridged { "completed" } else { "in-progress" });
    params.push(("DialCallStatus".into(), dial_status.into()));
    params.push(("DialCallSid".into(), child_sid));
    params.push(("DialCallDuration".into(), talk.to_string()));
    params.push(("DialBridged".into(), bridged.to_string()));
    if bridged && sh.faults.dial_result_after_call_end() {
        // The caller hung up on the conversation: the call ends now, and its dial result
        // follows its final status (`finish`). Twilio plays nothing of the answer.
        sh.with(|s| s.late_dial_results.push((leg.call_sid.clone(), url, params)));
        return (true, None);
    }
    match fetch_twiml(sh, &url, params).await {
        Some(next) if !bridged => (false, Some((url, next))),
        Some(_) => (true, None),
        None => (true, None),
    }
}

/// Plays the screening TwiML (`<Number url>`) to the answered leg `child_sid`: `press` is
/// the key pressed at a `<Gather>` (none: it times out and TwiML continues), `hangs_up`
/// drops the leg after the prompt. Returns whether the legs are then bridged.
#[allow(clippy::too_many_arguments)]
async fn screen(
    sh: &Arc<Shared>,
    leg: &Leg,
    child_sid: &str,
    number: &str,
    url: &str,
    press: Option<&str>,
    hangs_up: bool,
    outcome: &mut CallOutcome,
) -> bool {
    let child = Leg {
        call_sid: child_sid.to_string(),
        from: leg.from.clone(),
        to: number.to_string(),
        direction: "outbound-dial".into(),
        answer: LegAnswer::NoAnswer,
        record_secs: None,
    };
    let mut params = call_params(sh, &child, "in-progress");
    params.push(("ParentCallSid".into(), leg.call_sid.clone()));
    let Some(mut verbs) = fetch_twiml(sh, url, params).await else { return false };
    let mut doc_url = url.to_string();
    let mut steps = 0;
    while !verbs.is_empty() && steps < 10 {
        steps += 1;
        let mut next = None;
        for v in std::mem::take(&mut verbs) {
            match v.name.as_str() {
                "Say" => outcome.screened.push(v.text.clone()),
                "Hangup" | "Reject" => return false,
                "Gather" => {
                    for (name, _, text) in &v.children {
                        if name == "Say" {
                            outcome.screened.push(text.clone());
                        }
                    }
                    if hangs_up {
                        return false;
                    }
                    if let (Some(digits), Some(action)) = (press, v.attr("action")) {
                        let target = webhooks::resolve(&doc_url, action);
                        let mut params = call_params(sh, &child, "in-progress");
                        params.push(("Digits".into(), digits.to_string()));
                        params.push(("ParentCallSid".into(), leg.call_sid.clone()));
                        match fetch_twiml(sh, &target, params).await {
                            Some(doc) => next = Some((target, doc)),
                            None => return false,
                        }
                        break;
                    }
                    // No key: Twilio carries on with the next verb.
                }
                _ => {}
            }
        }
        match next {
            Some((u, doc)) => {
                doc_url = u;
                verbs = doc;
            }
            None => break,
        }
    }
    !hangs_up
}

/// `<Record>`: the caller speaks (a real WAV is stored), then hangs up; posts the action,
/// the recording status callback, and later the transcription.
async fn record(sh: &Arc<Shared>, leg: &Leg, v: &Verb, doc_url: &str, outcome: &mut CallOutcome, elapsed: &mut u32) {
    let Some(spoken) = leg.record_secs else { return };
    let secs = spoken.clamp(1, v.attr_u32("maxLength", 3600).max(1));
    *elapsed += secs;
    let recording_sid = new_sid("RE");
    let recording_url = format!("{}{}/Recordings/{recording_sid}", sh.base_url, sh.account_path());
    let started = Utc::now();
    sh.with(|s| {
        s.recordings.push(RecordingRec::new(recording_sid.clone(), leg.call_sid.clone(), secs, "RecordVerb", started))
    });
    outcome.recording_sid = Some(recording_sid.clone());
    if let Some(action) = v.attr("action") {
        let url = webhooks::resolve(doc_url, action);
        let mut params = call_params(sh, leg, "completed");
        params.push(("RecordingUrl".into(), recording_url.clone()));
        params.push(("RecordingSid".into(), recording_sid.clone()));
        params.push(("RecordingDuration".into(), secs.to_string()));
        params.push(("Digits".into(), "hangup".into()));
        // The caller has hung up: Twilio fetches the action but plays nothing of it.
        let _ = fetch_twiml(sh, &url, params).await;
    }
    if let Some(cb) = v.attr("recordingStatusCallback") {
        let url = webhooks::resolve(doc_url, cb);
        let params = webhooks::pairs(&[
            ("RecordingSource", "RecordVerb"),
            ("RecordingSid", &recording_sid),
            ("RecordingUrl", &recording_url),
            ("RecordingStatus", "completed"),
            ("RecordingChannels", "1"),
            ("ErrorCode", "0"),
            ("CallSid", &leg.call_sid),
            ("RecordingStartTime", &rfc2822(started)),
            ("AccountSid", &sh.config.account_sid),
            ("RecordingDuration", &secs.to_string()),
        ]);
        tokio::time::sleep(sh.config.callback_delay).await;
        webhooks::post(sh, &url, params).await;
    }
    let transcribe_cb = v.attr("transcribeCallback").map(|cb| webhooks::resolve(doc_url, cb));
    if let Some(url) = transcribe_cb.filter(|_| v.attr_bool("transcribe") || v.attr("transcribeCallback").is_some()) {
        // Twilio transcribes recordings of 2–120 seconds; others fail without text.
        let ok = (2..=120).contains(&secs);
        let transcription_sid = new_sid("TR");
        // Kept in the account's log whether or not the callback reaches anyone.
        let now = Utc::now();
        sh.with(|s| {
            s.transcriptions.push(TranscriptionRec {
                sid: transcription_sid.clone(),
                recording_sid: recording_sid.clone(),
                status: if ok { "completed" } else { "failed" }.into(),
                text: ok.then(|| sh.config.voicemail_transcript.clone()),
                duration: secs,
                date_created: now,
                date_updated: now,
            })
        });
        let mut params = webhooks::pairs(&[
            ("ApiVersion", "2010-04-01"),
            ("TranscriptionType", "fast"),
            (
                "TranscriptionUrl",
                &format!(
                    "{}{}/Recordings/{recording_sid}/Transcriptions/{transcription_sid}",
                    sh.base_url,
                    sh.account_path()
                ),
            ),
            ("TranscriptionSid", &transcription_sid),
            ("Called", &leg.to),
            ("RecordingSid", &recording_sid),
            ("CallStatus", "completed"),
            ("RecordingUrl", &recording_url),
            ("From", &leg.from),
            ("Direction", &leg.direction),
            ("AccountSid", &sh.config.account_sid),
            ("Caller", &leg.from),
            ("TranscriptionStatus", if ok { "completed" } else { "failed" }),
            ("CallSid", &leg.call_sid),
            ("To", &leg.to),
        ]);
        if ok {
            params.push(("TranscriptionText".into(), sh.config.voicemail_transcript.clone()));
        }
        let task_sh = sh.clone();
        let delay = sh.config.callback_delay * 3;
        sh.spawn(async move {
            tokio::time::sleep(delay).await;
            webhooks::post(&task_sh, &url, params).await;
        });
    }
}

/// Marks the call ended and posts its final status to `status_callback`, if any; then a
/// dial result held back until now (a fault) follows it, [`LATE_DIAL_RESULT`] later.
pub(crate) async fn finish(sh: &Arc<Shared>, leg: &Leg, status: &str, secs: u32, status_callback: Option<String>) {
    post_final_status(sh, leg, status, secs, status_callback).await;
    let late: Vec<_> = sh.with(|s| {
        let (mine, others) =
            std::mem::take(&mut s.late_dial_results).into_iter().partition(|(c, _, _)| *c == leg.call_sid);
        s.late_dial_results = others;
        mine
    });
    for (_, url, params) in late {
        // A moment later, on its own: the app has had time to act on the call's end alone.
        let task_sh = sh.clone();
        sh.spawn(async move {
            tokio::time::sleep(LATE_DIAL_RESULT).await;
            fetch_twiml(&task_sh, &url, params).await;
        });
    }
}

/// How long after the call's end a held-back dial result arrives (the fault above).
const LATE_DIAL_RESULT: std::time::Duration = std::time::Duration::from_millis(1500);

async fn post_final_status(sh: &Arc<Shared>, leg: &Leg, status: &str, secs: u32, status_callback: Option<String>) {
    let now = Utc::now();
    sh.with(|s| {
        if let Some(c) = s.calls.iter_mut().find(|c| c.sid == leg.call_sid) {
            c.status = status.to_string();
            c.duration = Some(secs);
            c.end_time = Some(now);
            c.date_updated = now;
        }
    });
    let Some(url) = status_callback else { return };
    if sh.faults.silent() {
        return;
    }
    let mut params = call_params(sh, leg, status);
    params.push(("Timestamp".into(), rfc2822(now)));
    params.push(("CallbackSource".into(), "call-progress-events".into()));
    params.push(("SequenceNumber".into(), "0".into()));
    params.push(("Duration".into(), secs.div_ceil(60).to_string()));
    params.push(("CallDuration".into(), secs.to_string()));
    webhooks::post(sh, &url, params).await;
}
