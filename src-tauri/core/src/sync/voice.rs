//! Catch-up of calls and recordings (voicemails and call recordings), each paged back to its
//! own watermark like messages, and of voicemail transcripts. A call still ringing or in
//! progress and a recording still processing hold their watermark back, so the next run
//! lists them again and stores their final state.
//!
//! Transcripts are asked for per voicemail, not found in the account's list: a voicemail
//! whose transcript is still pending gets its recording's Transcriptions fetched at each
//! run until Twilio has one (done or failed) or [`TRANSCRIPT_GIVE_UP_HOURS`] have passed.
//! A list with a watermark could move past a transcription whose voicemail was not stored
//! yet, and leave "Transcript pending…" on screen for ever.

use super::backfill::{self, progress, rfc3339};
use super::pages::{self, Listed, TwilioList, PAGE_SIZE};
use crate::domain::now_rfc3339;
use crate::domain::phone::Address;
use crate::domain::status::CallStatus;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::store::{call_recordings, calls, numbers, settings, voicemails, Store};
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
    let (created_ids, call_sids) = store
        .write_async(move |tx| {
            let mut created = Vec::new();
            let mut recorded_calls = Vec::new();
            for r in &listed {
                if r.status.as_deref().is_some_and(|s| s != "completed") {
                    continue; // still processing (listed again next run), absent or failed
                }
                // Only recordings of calls we know are ours (calls are caught up first).
                let call = match &r.call_sid {
                    Some(sid) => calls::find_by_sid(tx, sid)?,
                    None => None,
                };
                let Some(call) = call else { continue };
                let voicemail = is_voicemail(r);
                if voicemail && call.direction != "inbound" {
                    continue;
                }
                let Some(remote_url) = recording_url(&api_base, r) else { continue };
                let number_id = numbers::find_by_e164(tx, &call.to)?.map(|n| n.id);
                let (_, was_created) = voicemails::insert_recording(
                    tx,
                    &voicemails::NewRecording {
                        sid: r.sid.clone(),
                        call_sid: r.call_sid.clone(),
                        kind: if voicemail { "voicemail" } else { "call" }.into(),
                        remote_url,
                        duration: r.duration,
                        number_id,
                        from: call.from.clone(),
                        source: r.source.clone(),
                    },
                )?;
                if !was_created {
                    continue; // its callback came first, or an earlier run stored it
                }
                if voicemail {
                    created.extend(voicemails::find_by_recording_sid(tx, &r.sid)?.map(|v| v.id));
                } else if call_recordings::find_by_sid(tx, &r.sid)?.is_some() {
                    recorded_calls.push(call.sid.clone());
                }
            }
            if let Some(w) = &mark {
                settings::set_watermark(tx, "recordings", w)?;
            }
            Ok((created, recorded_calls))
        })
        .await?;
    progress(events, "recordings", total, created_ids.len() + call_sids.len());
    for voicemail_id in &created_ids {
        events.publish(Event::VoicemailUpdated { voicemail_id: *voicemail_id });
    }
    for call_sid in call_sids {
        events.publish(Event::CallUpdated { call_sid });
    }
    Ok(created_ids.len())
}

/// A voicemail is what the `<Record>` verb (ours, or the Twilio-hosted flow's) made; any
/// other source (`DialVerb`, `OutboundAPI`, `StartCallRecordingAPI`…) recorded a call.
fn is_voicemail(r: &RecordingResource) -> bool {
    r.source.as_deref().is_none_or(|s| s == "RecordVerb")
}

/// The recording's URL without extension, as `RecordingUrl` in the webhook has it.
fn recording_url(api_base: &str, r: &RecordingResource) -> Option<String> {
    let uri = r.uri.as_deref()?;
    Some(format!("{}{}", api_base.trim_end_matches('/'), uri.trim_end_matches(".json")))
}

/// Pending transcripts asked about per run (oldest first); the rest wait for the next run.
pub const TRANSCRIPTS_PER_RUN: i64 = 50;
/// A voicemail with no transcription at Twilio this long after it was left never gets one
/// (transcription was off, or Twilio dropped it): it is marked failed, not pending for ever.
pub const TRANSCRIPT_GIVE_UP_HOURS: i64 = 2;

/// Of a recording's transcriptions, the one that settles it: a completed one, else a failed
/// one; none while every one is still in progress.
fn settling(found: &[TranscriptionResource]) -> Option<&TranscriptionResource> {
    let status = |t: &&TranscriptionResource| t.status.clone().unwrap_or_else(|| "completed".into());
    found
        .iter()
        .find(|t| status(t) == "completed")
        .or_else(|| found.iter().find(|t| !matches!(status(t).as_str(), "in-progress" | "queued")))
}

/// Transcripts of voicemails still pending: each one's recording is asked for its
/// transcriptions (the callback never reached us while the app was closed, or is late).
/// Returns how many voicemails were settled.
pub(super) async fn transcriptions(store: &Store, client: &TwilioClient, events: &Events) -> Result<usize> {
    let pending = store.read_async(|c| voicemails::pending_transcripts(c, TRANSCRIPTS_PER_RUN)).await?;
    let total = pending.len();
    let give_up_before = backfill::rfc3339(chrono::Utc::now() - chrono::Duration::hours(TRANSCRIPT_GIVE_UP_HOURS));
    let mut updated = Vec::new();
    for p in pending {
        let found = match client.recording_transcriptions(&p.recording_sid).await {
            Ok(found) => found,
            // The recording is gone from Twilio (deleted): no transcript will come.
            Err(Error::Twilio { status: 404, .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let settled = settling(&found).map(|t| {
            (t.status.clone().unwrap_or_else(|| "completed".into()), t.transcription_text.clone().unwrap_or_default())
        });
        let give_up = found.is_empty() && p.created_at < give_up_before;
        if settled.is_none() && !give_up {
            continue; // Twilio is still transcribing, or has not started: ask again next run
        }
        let sid = p.recording_sid.clone();
        let voicemail_id = store
            .write_async(move |tx| {
                match &settled {
                    Some((status, text)) => voicemails::set_transcription(tx, &sid, text, status)?,
                    None => {
                        voicemails::give_up_transcript(tx, &sid)?;
                        true
                    }
                };
                Ok(voicemails::find_by_recording_sid(tx, &sid)?.filter(|v| v.transcript_state.is_final()).map(|v| v.id))
            })
            .await?;
        updated.extend(voicemail_id);
    }
    progress(events, "transcriptions", total, updated.len());
    for voicemail_id in &updated {
        events.publish(Event::VoicemailUpdated { voicemail_id: *voicemail_id });
    }
    Ok(updated.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(status: &str, text: Option<&str>) -> TranscriptionResource {
        TranscriptionResource {
            sid: "TR1".into(),
            recording_sid: Some("RE1".into()),
            status: Some(status.into()),
            transcription_text: text.map(str::to_string),
            date_created: None,
            date_updated: None,
        }
    }

    #[test]
    fn a_completed_transcription_settles_before_a_failed_one_and_in_progress_settles_nothing() {
        assert_eq!(
            settling(&[t("failed", None), t("completed", Some("hi"))]).and_then(|t| t.status.clone()).as_deref(),
            Some("completed")
        );
        assert_eq!(settling(&[t("failed", None)]).and_then(|t| t.status.clone()).as_deref(), Some("failed"));
        assert!(settling(&[t("in-progress", None)]).is_none());
        assert!(settling(&[]).is_none());
    }
}
