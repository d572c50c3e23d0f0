//! `POST /twilio/voice/recording` (recording status callback) and
//! `/twilio/voice/transcription` (transcription callback).
//!
//! A completed recording becomes a voicemail (or call recording) row whose audio is
//! queued for the media worker, which fetches it after the commit. A transcription that
//! beats its recording callback creates the voicemail from the URL it carries, so the
//! text is never dropped.

use axum::extract::{Request, State};
use axum::response::Response;
use rusqlite::Connection;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{twiml_response, AppState};
use crate::domain::Address;
use crate::error::Result;
use crate::events::Event;
use crate::store::{calls, numbers, voicemails};
use crate::twilio::payloads::{RecordingStatus, Transcription};

/// The caller and our number's id for `call_sid`, when the call is known.
fn call_party(conn: &Connection, call_sid: Option<&str>) -> Result<(String, Option<i64>)> {
    let Some(call) = call_sid.map(|sid| calls::find_by_sid(conn, sid)).transpose()?.flatten() else {
        return Ok((String::new(), None));
    };
    let number_id = numbers::find_by_e164(conn, &call.to)?.map(|n| n.id);
    Ok((call.from, number_id))
}

pub async fn recording_status(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let rec = RecordingStatus::from_params(&signed.params)?;
    let call_sid = rec.call_sid.clone().filter(|_| rec.kind() == "call");
    let voicemail_id = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok(None);
            }
            if rec.status != "completed" {
                // in-progress, absent (silence), failed: nothing to fetch; the journal keeps it.
                tracing::info!(status = %rec.status, error_code = ?rec.error_code, "recording not completed");
                signed.journal(tx, Some(&rec.recording_sid))?;
                return Ok(None);
            }
            let (from, number_id) = call_party(tx, rec.call_sid.as_deref())?;
            let (_, created) = voicemails::insert_recording(
                tx,
                &voicemails::NewRecording {
                    sid: rec.recording_sid.clone(),
                    call_sid: rec.call_sid.clone(),
                    kind: rec.kind().to_string(),
                    remote_url: rec.recording_url.clone(),
                    duration: rec.duration,
                    number_id,
                    from,
                    source: rec.source.clone(),
                },
            )?;
            if !created {
                return Ok(None);
            }
            signed.journal(tx, Some(&rec.recording_sid))?;
            Ok(Some(voicemails::find_by_recording_sid(tx, &rec.recording_sid)?.map(|v| v.id)))
        })
        .await?;
    if let Some(created) = voicemail_id {
        state.downloads.wake();
        if let Some(voicemail_id) = created {
            state.events.publish(Event::VoicemailUpdated { voicemail_id });
        }
        if let Some(call_sid) = call_sid {
            // A call recording: the call log shows it (downloading, then playable).
            state.events.publish(Event::CallUpdated { call_sid });
        }
    }
    Ok(twiml_response(&[]))
}

pub async fn transcription(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let t = Transcription::from_params(&signed.params)?;
    let (voicemail_id, queued) = state
        .store
        .write_async(move |tx| {
            if signed.seen_before(tx)? {
                return Ok((None, false));
            }
            let mut queued = false;
            if voicemails::find_by_recording_sid(tx, &t.recording_sid)?.is_none() {
                if let Some(url) = &t.recording_url {
                    let (mut from, number_id) = call_party(tx, t.call_sid.as_deref())?;
                    if from.is_empty() {
                        from = t.from.as_deref().map(|f| Address::from_twilio(f).into_string()).unwrap_or_default();
                    }
                    let (_, created) = voicemails::insert_recording(
                        tx,
                        &voicemails::NewRecording {
                            sid: t.recording_sid.clone(),
                            call_sid: t.call_sid.clone(),
                            kind: "voicemail".into(),
                            remote_url: url.clone(),
                            duration: None,
                            number_id,
                            from,
                            source: None,
                        },
                    )?;
                    queued = created;
                }
            }
            voicemails::set_transcription(tx, &t.recording_sid, &t.text, &t.status)?;
            signed.journal(tx, Some(&t.recording_sid))?;
            Ok((voicemails::find_by_recording_sid(tx, &t.recording_sid)?.map(|v| v.id), queued))
        })
        .await?;
    if queued {
        state.downloads.wake();
    }
    if let Some(voicemail_id) = voicemail_id {
        state.events.publish(Event::VoicemailUpdated { voicemail_id });
    }
    Ok(twiml_response(&[]))
}
