//! Recordings of calls, as Twilio makes them: a `<Dial record="record-from-answer…">` that
//! was answered, or a call created with `Record=true` (click-to-call). Each is kept in the
//! account's log (so catch-up finds it) with its source (`DialVerb`, `OutboundAPI`), and its
//! recording status callback is posted signed like every other webhook. Also what tests
//! need to script Twilio's side: a recorded call left while the app was closed, and a
//! transcription that completes later.

use std::sync::Arc;

use chrono::Utc;

use super::callflow::Leg;
use super::state::{new_sid, rfc2822, RecordingRec, Shared, TranscriptionRec};
use super::webhooks;

/// Twilio's `<Dial record>` values that record (`do-not-record`, absent, or `false` do not).
pub(crate) fn dial_records(record: Option<&str>) -> bool {
    record.is_some_and(|r| r.starts_with("record-from-") || r == "true")
}

/// Stores a recording of `secs` seconds of `call_sid` made by `source`; returns its SID and URL.
fn store(sh: &Shared, call_sid: &str, secs: u32, source: &str) -> (String, String) {
    let sid = new_sid("RE");
    let url = format!("{}{}/Recordings/{sid}", sh.base_url, sh.account_path());
    let now = Utc::now();
    sh.with(|s| s.recordings.push(RecordingRec::new(sid.clone(), call_sid.to_string(), secs, source, now)));
    (sid, url)
}

/// Posts the recording status callback of a finished recording to `callback`, when given.
async fn post_callback(
    sh: &Arc<Shared>,
    callback: Option<String>,
    call_sid: &str,
    sid: &str,
    url: &str,
    secs: u32,
    source: &str,
) {
    let Some(callback) = callback else { return };
    let params = webhooks::pairs(&[
        ("RecordingSource", source),
        ("RecordingSid", sid),
        ("RecordingUrl", url),
        ("RecordingStatus", "completed"),
        ("RecordingChannels", "2"),
        ("ErrorCode", "0"),
        ("CallSid", call_sid),
        ("RecordingStartTime", &rfc2822(Utc::now())),
        ("AccountSid", &sh.config.account_sid),
        ("RecordingDuration", &secs.to_string()),
        ("RecordingTrack", "both"),
    ]);
    tokio::time::sleep(sh.config.callback_delay).await;
    webhooks::post(sh, &callback, params).await;
}

/// An answered `<Dial record=…>`: the conversation of `talk` seconds is recorded on the
/// parent call (the customer's), as Twilio does, and `recordingStatusCallback` (resolved
/// against the document's URL) is told.
pub(crate) async fn after_dial(sh: &Arc<Shared>, leg: &Leg, callback: Option<String>, talk: u32) -> String {
    let (sid, url) = store(sh, &leg.call_sid, talk, "DialVerb");
    post_callback(sh, callback, &leg.call_sid, &sid, &url, talk, "DialVerb").await;
    sid
}

/// A call created with `Record=true` has ended after `secs` seconds: the whole call is
/// recorded (`OutboundAPI`) and `RecordingStatusCallback` is told.
pub(crate) async fn after_outbound(sh: &Arc<Shared>, leg: &Leg, callback: Option<String>, secs: u32) -> String {
    let secs = secs.max(1);
    let (sid, url) = store(sh, &leg.call_sid, secs, "OutboundAPI");
    post_callback(sh, callback, &leg.call_sid, &sid, &url, secs, "OutboundAPI").await;
    sid
}

/// A forwarded call, answered by the owner and recorded (`DialVerb`), while the app was
/// closed: in the account's logs only, `ago` back. Returns `(call SID, recording SID)`.
pub(crate) fn seed_recorded_call(
    sh: &Shared,
    from: &str,
    to: &str,
    secs: u32,
    ago: std::time::Duration,
) -> (String, String) {
    let at = Utc::now() - chrono::Duration::from_std(ago).unwrap_or_default();
    sh.with(|s| super::calls::seed_recorded(s, from, to, at, secs + 5, secs, "DialVerb"))
}

/// Twilio finishes transcribing `recording_sid` now (`completed` with `text`, or `failed`):
/// the transcription is dated when the recording was made, as Twilio's are, so a list
/// read by date would already have passed it. No callback is sent.
pub(crate) fn finish_transcription(sh: &Shared, recording_sid: &str, text: Option<&str>) -> bool {
    sh.with(|s| {
        let Some(rec) = s.recordings.iter().find(|r| r.sid == recording_sid) else { return false };
        let (at, secs) = (rec.date_created, rec.duration);
        let i = s.transcriptions.partition_point(|t| t.date_created <= at);
        s.transcriptions.insert(
            i,
            TranscriptionRec {
                sid: new_sid("TR"),
                recording_sid: recording_sid.to_string(),
                status: if text.is_some() { "completed" } else { "failed" }.into(),
                text: text.map(str::to_string),
                duration: secs,
                date_created: at,
                date_updated: Utc::now(),
            },
        );
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_record_values_that_record_do() {
        for r in ["record-from-answer", "record-from-answer-dual", "record-from-ringing", "true"] {
            assert!(dial_records(Some(r)), "{r}");
        }
        for r in [None, Some("do-not-record"), Some("false"), Some("")] {
            assert!(!dial_records(r), "{r:?}");
        }
    }
}
