//! Calls and Recordings over REST, the simulated customer's inbound call, and calls created
//! by the app (click-to-call), which ring and then follow their `Url`/`Twiml` like real ones.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::{json, Value};

use super::callflow::{self, Leg};
use super::server::{deleted, fetch_2010, json_response, page_2010, remove_where, ApiError, ApiResult, Params, Sh};
use super::state::{new_sid, rfc2822, CallRec, RecordingRec, Shared, State, TranscriptionRec};
use super::{twiml, CallOutcome};
use crate::domain::phone::E164;
use crate::error::{Error, Result};
use switchboard_core::twilio::callflow::LegAnswer;

fn call_json(sh: &Shared, c: &CallRec) -> Value {
    let path = sh.account_path();
    json!({
        "account_sid": sh.config.account_sid,
        "annotation": null,
        "answered_by": null,
        "api_version": "2010-04-01",
        "caller_name": null,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "direction": c.direction,
        "duration": c.duration.map(|d| d.to_string()),
        "end_time": c.end_time.map(rfc2822),
        "forwarded_from": null,
        "from": c.from,
        "from_formatted": c.from,
        "group_sid": null,
        "parent_call_sid": c.parent_sid,
        "phone_number_sid": c.phone_number_sid,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": c.sid,
        "start_time": c.start_time.map(rfc2822),
        "status": c.status,
        "subresource_uris": {
            "recordings": format!("{path}/Calls/{}/Recordings.json", c.sid),
            "notifications": format!("{path}/Calls/{}/Notifications.json", c.sid),
        },
        "to": c.to,
        "to_formatted": c.to,
        "trunk_sid": null,
        "uri": format!("{path}/Calls/{}.json", c.sid),
    })
}

fn recording_json(sh: &Shared, r: &RecordingRec) -> Value {
    let path = sh.account_path();
    json!({
        "account_sid": sh.config.account_sid,
        "api_version": "2010-04-01",
        "call_sid": r.call_sid,
        "conference_sid": null,
        "channels": 1,
        "date_created": rfc2822(r.date_created),
        "date_updated": rfc2822(r.date_created),
        "start_time": rfc2822(r.date_created),
        "duration": r.duration.to_string(),
        "encryption_details": null,
        "error_code": null,
        "price": null,
        "price_unit": "USD",
        "sid": r.sid,
        "source": r.source,
        "status": "completed",
        "uri": format!("{path}/Recordings/{}.json", r.sid),
        "media_url": format!("{}{path}/Recordings/{}", sh.base_url, r.sid),
        "subresource_uris": {
            "add_on_results": format!("{path}/Recordings/{}/AddOnResults.json", r.sid),
            "transcriptions": format!("{path}/Recordings/{}/Transcriptions.json", r.sid),
        },
    })
}

pub(crate) fn new_call(sid: &str, from: &str, to: &str, direction: &str, status: &str, pn: Option<String>) -> CallRec {
    let now = Utc::now();
    CallRec {
        sid: sid.to_string(),
        parent_sid: None,
        from: from.to_string(),
        to: to.to_string(),
        status: status.to_string(),
        direction: direction.to_string(),
        duration: None,
        phone_number_sid: pn,
        date_created: now,
        date_updated: now,
        start_time: Some(now),
        end_time: None,
    }
}

fn set_status(sh: &Shared, sid: &str, status: &str) {
    sh.with(|s| {
        if let Some(c) = s.calls.iter_mut().find(|c| c.sid == sid) {
            c.status = status.to_string();
            c.date_updated = Utc::now();
        }
    });
}

/// A simulated customer calls one of the account's numbers.
pub(crate) async fn customer_call(
    sh: &Arc<Shared>,
    from: &str,
    to: &str,
    leave_voicemail_secs: Option<u32>,
    answer: LegAnswer,
) -> Result<CallOutcome> {
    let from = E164::parse(from)?.as_str().to_string();
    let number = sh.with(|s| {
        s.number(to)
            .map(|n| (n.sid.clone(), n.voice_url.clone(), n.voice_fallback_url.clone(), n.status_callback.clone()))
    });
    let (pn_sid, voice_url, fallback_url, status_callback) =
        number.ok_or_else(|| Error::not_found(format!("simulated number {to}")))?;
    let call_sid = new_sid("CA");
    sh.with(|s| s.calls.push(new_call(&call_sid, &from, to, "inbound", "ringing", Some(pn_sid))));
    let leg = Leg {
        call_sid: call_sid.clone(),
        from,
        to: to.to_string(),
        direction: "inbound".into(),
        answer,
        record_secs: leave_voicemail_secs,
    };
    let mut outcome = CallOutcome::completed(call_sid);
    let mut first = None;
    if let Some(url) = voice_url {
        first = callflow::fetch_twiml(sh, &url, callflow::call_params(sh, &leg, "ringing")).await.map(|v| (url, v));
    }
    if first.is_none() {
        // Twilio tries the fallback URL when the primary fails (pitfall 7): one of the
        // account's Studio flows is executed here, as Twilio would.
        if let Some(flow_sid) = fallback_url.as_deref().and_then(|u| super::studio::flow_of_url(sh, u)) {
            set_status(sh, &leg.call_sid, "in-progress");
            let secs = super::studio::execute(sh, &leg, &flow_sid, &mut outcome).await;
            outcome.duration_secs = secs;
            callflow::finish(sh, &leg, &outcome.status, secs, status_callback).await;
            return Ok(outcome);
        }
        if let Some(url) = fallback_url {
            let mut params = callflow::call_params(sh, &leg, "ringing");
            params.push(("ErrorCode".into(), "11200".into()));
            first = callflow::fetch_twiml(sh, &url, params).await.map(|v| (url, v));
        }
    }
    let secs = match first {
        Some((url, verbs)) => {
            set_status(sh, &leg.call_sid, "in-progress");
            callflow::play(sh, &leg, verbs, url, &mut outcome).await
        }
        None => {
            outcome.status = "failed".into();
            0
        }
    };
    outcome.duration_secs = secs;
    callflow::finish(sh, &leg, &outcome.status, secs, status_callback).await;
    Ok(outcome)
}

pub(crate) async fn create(axum::extract::State(sh): Sh, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let to = p.non_empty("To").ok_or_else(|| ApiError::bad(21201, "No 'To' number is specified"))?.to_string();
    let from = p.non_empty("From").ok_or_else(|| ApiError::bad(21213, "No 'From' number is specified"))?.to_string();
    let url = p.non_empty("Url").map(str::to_string);
    let inline = p.non_empty("Twiml").map(str::to_string);
    if url.is_none() && inline.is_none() {
        return Err(ApiError::bad(21205, "Either Url or Twiml (or ApplicationSid) is required"));
    }
    let to = E164::parse(&to).map_err(|_| ApiError::bad(21211, format!("Invalid 'To' Phone Number: {to}")))?;
    let to = to.as_str().to_string();
    if let Some(doc) = &inline {
        twiml::parse(doc).map_err(|e| ApiError::bad(21218, format!("Invalid Twiml: {e}")))?;
    }
    let sid = new_sid("CA");
    let v = sh.with(|s| {
        let pn = s.number(&from).map(|n| n.sid.clone());
        if pn.is_none() {
            return Err(ApiError::bad(
                21210,
                format!("The source phone number provided, {from}, is not yet verified for your account."),
            ));
        }
        let c = new_call(&sid, &from, &to, "outbound-api", "queued", pn);
        let v = call_json(&sh, &c);
        s.calls.push(c);
        Ok(v)
    })?;
    let events: Vec<String> = p
        .all("StatusCallbackEvent")
        .iter()
        .flat_map(|e| e.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let job = Outbound {
        leg: Leg {
            call_sid: sid,
            from,
            to,
            direction: "outbound-api".into(),
            answer: LegAnswer::Accept,
            record_secs: None,
        },
        url,
        inline,
        status_callback: p.non_empty("StatusCallback").map(str::to_string),
        events,
        record: p.get("Record").is_some_and(|r| r.eq_ignore_ascii_case("true")),
        recording_status_callback: p.non_empty("RecordingStatusCallback").map(str::to_string),
    };
    let task_sh = sh.clone();
    sh.spawn(async move { outbound(task_sh, job).await });
    Ok(json_response(StatusCode::CREATED, v))
}

struct Outbound {
    leg: Leg,
    url: Option<String>,
    inline: Option<String>,
    status_callback: Option<String>,
    events: Vec<String>,
    /// `Record=true`: the whole call is recorded (`OutboundAPI`).
    record: bool,
    recording_status_callback: Option<String>,
}

/// A call the app placed: it rings, is answered, follows its TwiML, and completes.
async fn outbound(sh: Arc<Shared>, job: Outbound) {
    let delay = sh.config.callback_delay;
    for (event, status) in [("initiated", "queued"), ("ringing", "ringing"), ("answered", "in-progress")] {
        tokio::time::sleep(delay).await;
        set_status(&sh, &job.leg.call_sid, status);
        if let Some(cb) = job.status_callback.as_ref().filter(|_| job.events.iter().any(|e| e == event)) {
            if !sh.faults.silent() {
                let mut params = callflow::call_params(&sh, &job.leg, status);
                params.push(("CallbackSource".into(), "call-progress-events".into()));
                super::webhooks::post(&sh, cb, params).await;
            }
        }
    }
    let mut outcome = CallOutcome::completed(job.leg.call_sid.clone());
    let first = match (&job.url, &job.inline) {
        (Some(url), _) => callflow::fetch_twiml(&sh, url, callflow::call_params(&sh, &job.leg, "in-progress"))
            .await
            .map(|v| (url.clone(), v)),
        (None, Some(doc)) => twiml::parse(doc).ok().map(|v| (sh.base_url.clone(), v)),
        (None, None) => None,
    };
    let secs = match first {
        Some((url, verbs)) => callflow::play(&sh, &job.leg, verbs, url, &mut outcome).await,
        None => 0,
    };
    callflow::finish(&sh, &job.leg, &outcome.status, secs, job.status_callback.clone()).await;
    if job.record {
        // Twilio posts the recording once the call has ended and the file is ready.
        super::recordings::after_outbound(&sh, &job.leg, job.recording_status_callback.clone(), secs).await;
    }
}

pub(crate) async fn list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let to = q.get("To").map(str::to_string);
    let from = q.get("From").map(str::to_string);
    let status = q.get("Status").map(str::to_string);
    let parent = q.get("ParentCallSid").map(str::to_string);
    let items = sh.with(|s| {
        s.calls
            .iter()
            .rev()
            .filter(|c| to.as_deref().is_none_or(|t| c.to == t))
            .filter(|c| from.as_deref().is_none_or(|f| c.from == f))
            .filter(|c| status.as_deref().is_none_or(|st| c.status == st))
            .filter(|c| parent.as_deref().is_none_or(|p| c.parent_sid.as_deref() == Some(p)))
            .map(|c| (c.sid.clone(), call_json(&sh, c)))
            .collect::<Vec<_>>()
    });
    page_2010(&format!("{}/Calls.json", sh.account_path()), "calls", &q, items)
}

pub(crate) async fn fetch(axum::extract::State(sh): Sh, Path((_, sid)): Path<(String, String)>) -> ApiResult {
    fetch_2010(&sh, "Calls", &sid, |s, id| s.calls.iter().find(|c| c.sid == id).map(|c| call_json(&sh, c)))
}

fn recordings_page(sh: &Shared, q: &Params, path: &str, call: Option<&str>) -> ApiResult {
    let call = call.map(str::to_string).or_else(|| q.get("CallSid").map(str::to_string));
    let day = q.get("DateCreated").map(str::to_string);
    let items = sh.with(|s| {
        s.recordings
            .iter()
            .rev()
            .filter(|r| call.as_deref().is_none_or(|c| r.call_sid == c))
            .filter(|r| day.as_deref().is_none_or(|d| r.date_created.format("%Y-%m-%d").to_string() == d))
            .map(|r| (r.sid.clone(), recording_json(sh, r)))
            .collect::<Vec<_>>()
    });
    page_2010(path, "recordings", q, items)
}

pub(crate) async fn recordings_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    recordings_page(&sh, &q, &format!("{}/Recordings.json", sh.account_path()), None)
}

pub(crate) async fn call_recordings(
    axum::extract::State(sh): Sh,
    Path((_, sid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    recordings_page(&sh, &q, &format!("{}/Calls/{sid}/Recordings.json", sh.account_path()), Some(&sid))
}

/// `RE….json` is metadata; `RE…` and `RE….wav` are the audio (WAV, as Twilio's default);
/// `.mp3` is not produced by the simulator and answers 404.
pub(crate) async fn recording_fetch(
    axum::extract::State(sh): Sh,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult {
    let (id, ext) = match name.split_once('.') {
        Some((id, ext)) => (id.to_string(), ext.to_ascii_lowercase()),
        None => (name.clone(), String::new()),
    };
    let missing = || ApiError::not_found(&format!("{}/Recordings/{name}", sh.account_path()));
    match ext.as_str() {
        "json" => sh
            .with(|s| s.recordings.iter().find(|r| r.sid == id).map(|r| recording_json(&sh, r)))
            .map(|v| json_response(StatusCode::OK, v))
            .ok_or_else(missing),
        "" | "wav" => {
            if sh.faults.take_recording_download_failure() {
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    20500,
                    "An internal server error has occurred",
                ));
            }
            let wav =
                sh.with(|s| s.recordings.iter().find(|r| r.sid == id).map(|r| r.wav.clone())).ok_or_else(missing)?;
            Ok(([(header::CONTENT_TYPE, "audio/x-wav")], wav).into_response())
        }
        _ => Err(missing()),
    }
}

pub(crate) async fn recording_delete(
    axum::extract::State(sh): Sh,
    Path((_, name)): Path<(String, String)>,
) -> ApiResult {
    let id = name.trim_end_matches(".json").to_string();
    deleted(&sh, &format!("/Recordings/{name}"), |s| remove_where(&mut s.recordings, |r| r.sid == id))
}

fn transcription_json(sh: &Shared, t: &TranscriptionRec) -> Value {
    json!({
        "account_sid": sh.config.account_sid,
        "api_version": "2010-04-01",
        "date_created": rfc2822(t.date_created),
        "date_updated": rfc2822(t.date_updated),
        "duration": t.duration.to_string(),
        "price": null,
        "price_unit": "USD",
        "recording_sid": t.recording_sid,
        "sid": t.sid,
        "status": t.status,
        "transcription_text": t.text,
        "type": "fast",
        "uri": format!("{}/Transcriptions/{}.json", sh.account_path(), t.sid),
    })
}

fn transcriptions_page(sh: &Shared, q: &Params, path: &str, recording: Option<&str>) -> ApiResult {
    let items = sh.with(|s| {
        s.transcriptions
            .iter()
            .rev()
            .filter(|t| recording.is_none_or(|r| t.recording_sid == r))
            .map(|t| (t.sid.clone(), transcription_json(sh, t)))
            .collect::<Vec<_>>()
    });
    page_2010(path, "transcriptions", q, items)
}

/// `GET …/Transcriptions.json`: the account's transcriptions, newest first (no date filter).
pub(crate) async fn transcriptions_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    transcriptions_page(&sh, &q, &format!("{}/Transcriptions.json", sh.account_path()), None)
}

/// `GET …/Recordings/{sid}/Transcriptions.json`.
pub(crate) async fn recording_transcriptions(
    axum::extract::State(sh): Sh,
    Path((_, sid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let path = format!("{}/Recordings/{sid}/Transcriptions.json", sh.account_path());
    transcriptions_page(&sh, &q, &path, Some(&sid))
}

pub(crate) async fn transcription_fetch(
    axum::extract::State(sh): Sh,
    Path((_, sid)): Path<(String, String)>,
) -> ApiResult {
    fetch_2010(&sh, "Transcriptions", &sid, |s, id| {
        s.transcriptions.iter().find(|t| t.sid == id).map(|t| transcription_json(&sh, t))
    })
}

/// What the Twilio-hosted fallback flow leaves in the account when a customer calls while
/// the app is closed and leaves a voicemail: a completed inbound call, its recording and
/// (with `transcript`) a completed transcription; no webhook reaches anyone. `ago` back.
pub(crate) fn seed_voicemail(
    sh: &Shared,
    from: &str,
    to: &str,
    secs: u32,
    transcript: Option<&str>,
    ago: std::time::Duration,
) -> (String, String) {
    let at = Utc::now() - chrono::Duration::from_std(ago).unwrap_or_default();
    sh.with(|s| {
        let (call_sid, recording_sid) = seed_recorded(s, from, to, at, secs + 20, secs, "RecordVerb");
        if let Some(text) = transcript {
            let done = at + chrono::Duration::seconds(30);
            let i = s.transcriptions.partition_point(|t| t.date_created <= at);
            let t = TranscriptionRec {
                sid: new_sid("TR"),
                recording_sid: recording_sid.clone(),
                status: "completed".into(),
                text: Some(text.to_string()),
                duration: secs,
                date_created: at,
                date_updated: done,
            };
            s.transcriptions.insert(i, t);
        }
        (call_sid, recording_sid)
    })
}

/// A completed inbound call of `call_secs` at `at`, in the account's log, with a recording
/// of `secs` (`source`: Twilio's `RecordingSource`), each log kept in time order (lists are
/// served newest first). No webhook: what the account holds after the app was closed.
/// Returns `(call SID, recording SID)`.
pub(crate) fn seed_recorded(
    s: &mut State,
    from: &str,
    to: &str,
    at: chrono::DateTime<Utc>,
    call_secs: u32,
    secs: u32,
    source: &str,
) -> (String, String) {
    let call_sid = new_sid("CA");
    let recording_sid = new_sid("RE");
    let pn = s.number(to).map(|n| n.sid.clone());
    let mut call = new_call(&call_sid, from, to, "inbound", "completed", pn);
    call.date_created = at;
    call.date_updated = at;
    call.start_time = Some(at);
    call.end_time = Some(at + chrono::Duration::seconds(i64::from(call_secs)));
    call.duration = Some(call_secs);
    let i = s.calls.partition_point(|c| c.date_created <= at);
    s.calls.insert(i, call);
    let i = s.recordings.partition_point(|r| r.date_created <= at);
    s.recordings.insert(i, RecordingRec::new(recording_sid.clone(), call_sid.clone(), secs, source, at));
    (call_sid, recording_sid)
}
