//! Catch-up of calls, recordings (voicemails) and voicemail transcripts, each paged back to
//! its own watermark like messages. A call still ringing or in progress, a recording still
//! processing and a transcription not yet done hold their watermark back, so the next run
//! lists them again and stores their final state.

use super::backfill::{self, progress, rfc3339};
use super::pages::{self, Listed, TwilioList, PAGE_SIZE};
use crate::domain::now_rfc3339;
use crate::domain::phone::Address;
use crate::domain::status::CallStatus;
use crate::error::Result;
use crate::events::{Event, Events};
use crate::store::{calls, numbers, settings, voicemails, Store};
use crate::twilio::api::calls::CallResource;
use crate::twilio::api::recordings::RecordingResource;
use crate::twilio::api::to_rfc3339;
use crate::twilio::api::transcriptions::TranscriptionResource;
use crate::twilio::client::TwilioClient;

/// Lists `resource` back to its watermark and returns the watermark, the stop time and
/// the items (oldest first) at or after the stop time: older ones were handled by an
/// earlier run.
async fn list<T: Listed + serde::de::DeserializeOwned + Send>(
    store: &Store,
    client: &TwilioClient,
    events: &Events,
    resource: &'static str,
    path: &str,
    filter: Option<&str>,
) -> Result<Vec<T>> {
    let mark = backfill::watermark(store, resource).await?;
    let stop = backfill::stop_before(mark);
    let mut query = vec![("PageSize".to_string(), PAGE_SIZE.to_string())];
    if let Some(f) = filter {
        query.push((f.to_string(), backfill::day_filter(mark)));
    }
    let mut source = TwilioList { client, url: client.account_url(path), query, key: resource };
    let listed: Vec<T> = pages::back_to(&mut source, stop, |n| progress(events, resource, n, 0)).await?;
    Ok(listed.into_iter().filter(|i| i.created().is_none_or(|c| c >= stop)).collect())
}

fn call_unsettled(c: &CallResource) -> bool {
    CallStatus::parse(c.status.as_deref().unwrap_or("completed")).rank() < crate::domain::status::FINAL_RANK
}

pub(super) async fn calls(store: &Store, client: &TwilioClient, events: &Events) -> Result<usize> {
    let listed: Vec<CallResource> = list(store, client, events, "calls", "Calls.json", Some("StartTime>")).await?;
    let mark = backfill::next_mark(&listed, call_unsettled).map(rfc3339);
    let total = listed.len();
    let added = store
        .write_async(move |tx| {
            let mut added = 0;
            for c in &listed {
                let direction = c.direction.clone().unwrap_or_else(|| "inbound".into());
                let from = Address::from_twilio(c.from.as_deref().unwrap_or_default()).into_string();
                let to = Address::from_twilio(c.to.as_deref().unwrap_or_default()).into_string();
                let ours = if direction == "inbound" { &to } else { &from };
                let number_id = if ours.starts_with('+') { Some(numbers::ensure(tx, ours, true)?) } else { None };
                let status = c.status.clone().unwrap_or_else(|| "completed".into());
                let (_, created) = calls::insert(
                    tx,
                    &calls::NewCall {
                        sid: c.sid.clone(),
                        number_id,
                        direction,
                        from,
                        to,
                        status: status.clone(),
                        forwarded_to: None,
                        created_at: to_rfc3339(c.start_time.as_deref().or(c.date_created.as_deref()))
                            .unwrap_or_else(now_rfc3339),
                    },
                )?;
                // Forward-only: a call stored while in progress gets its final status.
                calls::apply_status(tx, &c.sid, &CallStatus::parse(&status), c.duration, c.answered_by.as_deref())?;
                added += created as usize;
            }
            if let Some(w) = &mark {
                settings::set_watermark(tx, "calls", w)?;
            }
            Ok(added)
        })
        .await?;
    progress(events, "calls", total, added);
    Ok(added)
}

fn recording_unsettled(r: &RecordingResource) -> bool {
    r.status.as_deref().is_some_and(|s| matches!(s, "in-progress" | "processing"))
}

pub(super) async fn recordings(store: &Store, client: &TwilioClient, events: &Events) -> Result<usize> {
    let listed: Vec<RecordingResource> =
        list(store, client, events, "recordings", "Recordings.json", Some("DateCreated>")).await?;
    let mark = backfill::next_mark(&listed, recording_unsettled).map(rfc3339);
    let api_base = client.config().api_base.clone();
    let total = listed.len();
    let created_ids = store
        .write_async(move |tx| {
            let mut created = Vec::new();
            for r in &listed {
                if r.status.as_deref().is_some_and(|s| s != "completed") {
                    continue; // still processing (listed again next run), absent or failed
                }
                // Only recordings of calls to our numbers are voicemails we show.
                let call = match &r.call_sid {
                    Some(sid) => calls::find_by_sid(tx, sid)?,
                    None => None,
                };
                let Some(call) = call.filter(|c| c.direction == "inbound") else { continue };
                let Some(remote_url) = recording_url(&api_base, r) else { continue };
                let number_id = numbers::find_by_e164(tx, &call.to)?.map(|n| n.id);
                let (_, was_created) = voicemails::insert_recording(
                    tx,
                    &voicemails::NewRecording {
                        sid: r.sid.clone(),
                        call_sid: r.call_sid.clone(),
                        kind: "voicemail".into(),
                        remote_url,
                        duration: r.duration,
                        number_id,
                        from: call.from.clone(),
                    },
                )?;
                if was_created {
                    created.extend(voicemails::find_by_recording_sid(tx, &r.sid)?.map(|v| v.id));
                }
            }
            if let Some(w) = &mark {
                settings::set_watermark(tx, "recordings", w)?;
            }
            Ok(created)
        })
        .await?;
    progress(events, "recordings", total, created_ids.len());
    for voicemail_id in &created_ids {
        events.publish(Event::VoicemailUpdated { voicemail_id: *voicemail_id });
    }
    Ok(created_ids.len())
}

/// The recording's URL without extension, as `RecordingUrl` in the webhook has it.
fn recording_url(api_base: &str, r: &RecordingResource) -> Option<String> {
    let uri = r.uri.as_deref()?;
    Some(format!("{}{}", api_base.trim_end_matches('/'), uri.trim_end_matches(".json")))
}

fn transcription_unsettled(t: &TranscriptionResource) -> bool {
    t.status.as_deref().is_none_or(|s| s == "in-progress")
}

/// Transcripts of voicemails whose transcription callback never reached us (the app was
/// closed when the Twilio-hosted flow took the voicemail). Returns how many were filled in.
pub(super) async fn transcriptions(store: &Store, client: &TwilioClient, events: &Events) -> Result<usize> {
    let listed: Vec<TranscriptionResource> =
        list(store, client, events, "transcriptions", "Transcriptions.json", None).await?;
    let mark = backfill::next_mark(&listed, transcription_unsettled).map(rfc3339);
    let total = listed.len();
    let updated = store
        .write_async(move |tx| {
            let mut updated = Vec::new();
            for t in listed.iter().filter(|t| !transcription_unsettled(t)) {
                let Some(recording_sid) = t.recording_sid.as_deref() else { continue };
                let Some(vm) = voicemails::find_by_recording_sid(tx, recording_sid)? else { continue };
                if vm.transcription_status.as_deref() == Some("completed") {
                    continue; // the callback came, or an earlier run filled it in
                }
                let status = t.status.as_deref().unwrap_or("completed");
                let text = t.transcription_text.as_deref().unwrap_or_default();
                voicemails::set_transcription(tx, recording_sid, text, status)?;
                updated.push(vm.id);
            }
            if let Some(w) = &mark {
                settings::set_watermark(tx, "transcriptions", w)?;
            }
            Ok(updated)
        })
        .await?;
    progress(events, "transcriptions", total, updated.len());
    for voicemail_id in &updated {
        events.publish(Event::VoicemailUpdated { voicemail_id: *voicemail_id });
    }
    Ok(updated.len())
}
