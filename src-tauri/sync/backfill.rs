//! Backfill: Twilio keeps every message, call and recording in the account's logs, so
//! whatever arrived while Switchboard could not be reached is fetched from there, since
//! the last watermark with a day of overlap, and stored by SID (so nothing is stored
//! twice, whether it also came by webhook or not). Voicemails left with the Twilio-hosted
//! fallback flow are recordings: they are queued for download like any other.
//! Status callbacks missed while closed are repaired by fetching each outbound message
//! still in a non-final status.

use crate::domain::now_rfc3339;
use crate::domain::phone::Address;
use crate::domain::status::{CallStatus, MessageStatus};
use crate::error::Result;
use crate::events::{Event, Events};
use crate::store::{calls, messages, numbers, settings, voicemails, Store};
use crate::twilio::api::calls::CallResource;
use crate::twilio::api::messages::MessageResource;
use crate::twilio::api::recordings::RecordingResource;
use crate::twilio::api::to_rfc3339;
use crate::twilio::client::TwilioClient;

/// How far back the very first sync looks, so a new install shows recent history.
const FIRST_SYNC_DAYS: i64 = 30;
/// Upper bound per resource per run; the watermark moves on and the next run continues.
const MAX_PER_RUN: usize = 5_000;

/// "While you were away": what the run added.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub messages: usize,
    pub calls: usize,
    pub voicemails: usize,
    /// Outbound messages whose final status was fetched because its callback was missed.
    pub statuses_repaired: usize,
}

/// One full catch-up. Each resource is independent: a failure in one is returned after
/// the others have run, so a Recordings outage does not hide new messages.
pub async fn run(store: &Store, client: &TwilioClient, events: &Events) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut first_error = None;
    match messages_since(store, client).await {
        Ok(n) => summary.messages = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match calls_since(store, client).await {
        Ok(n) => summary.calls = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match recordings_since(store, client).await {
        Ok(n) => summary.voicemails = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    match repair_statuses(store, client).await {
        Ok(n) => summary.statuses_repaired = n,
        Err(e) => first_error = first_error.or(Some(e)),
    }
    if let Err(e) = crate::compliance::refresh_pending(store, client).await {
        first_error = first_error.or(Some(e));
    }
    events.publish(Event::SyncCompleted {
        messages: summary.messages,
        calls: summary.calls,
        voicemails: summary.voicemails,
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

async fn watermark(store: &Store, resource: &'static str) -> Result<String> {
    let stored = store.read_async(move |c| settings::watermark(c, resource)).await?;
    Ok(stored.unwrap_or_else(|| {
        (chrono::Utc::now() - chrono::Duration::days(FIRST_SYNC_DAYS)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }))
}

/// Drops the items the store already has. Asked SID by SID (each a unique-index lookup) for
/// the at most [`MAX_PER_RUN`] items Twilio listed, never by loading every stored SID: with
/// a million messages that set alone took ~120 MB at every catch-up (docs/PERFORMANCE.md).
async fn drop_known<T: Send + 'static>(
    store: &Store,
    exists_sql: &'static str,
    items: Vec<T>,
    sid: fn(&T) -> &String,
) -> Result<Vec<T>> {
    store
        .read_async(move |c| {
            let mut stmt = c.prepare_cached(exists_sql)?;
            let mut fresh = Vec::with_capacity(items.len());
            for item in items {
                if !stmt.exists([sid(&item)])? {
                    fresh.push(item);
                }
            }
            Ok(fresh)
        })
        .await
}

/// The newest of Twilio's `dates` as RFC 3339, to move the watermark to. Twilio's 2010
/// dates are RFC 2822 ("Thu, 24 Aug…"), which do not sort as text: convert, then compare.
fn newest<'a>(dates: impl Iterator<Item = Option<&'a String>>) -> Option<String> {
    dates.filter_map(|d| to_rfc3339(d.map(String::as_str))).max()
}

async fn messages_since(store: &Store, client: &TwilioClient) -> Result<usize> {
    let mark = watermark(store, "messages").await?;
    let listed = client.backfill_messages(Some(&mark), MAX_PER_RUN).await?;
    let found = drop_known(store, "SELECT 1 FROM messages WHERE sid = ?1", listed, |m| &m.sid).await?;
    let mut prepared = Vec::with_capacity(found.len());
    for m in found {
        // Media URLs need one more call per MMS; fetch them before the write transaction.
        let media = if m.num_media.unwrap_or(0) > 0 && !is_outbound(&m) {
            client
                .list_media(&m.sid)
                .await?
                .iter()
                .filter_map(|md| Some((md.content_type.clone().unwrap_or_default(), client.media_content_url(md)?)))
                .collect()
        } else {
            Vec::new()
        };
        prepared.push((m, media));
    }
    let count = prepared.len();
    let new_mark = newest(prepared.iter().map(|(m, _)| m.date_created.as_ref()));
    store
        .write_async(move |tx| {
            for (m, media) in &prepared {
                store_message(tx, m, media.clone())?;
            }
            if let Some(rfc) = &new_mark {
                settings::set_watermark(tx, "messages", rfc)?;
            }
            Ok(())
        })
        .await?;
    Ok(count)
}

fn is_outbound(m: &MessageResource) -> bool {
    m.direction.as_deref().is_some_and(|d| d.starts_with("outbound"))
}

fn store_message(tx: &rusqlite::Connection, m: &MessageResource, media: Vec<(String, String)>) -> Result<()> {
    let from = Address::from_twilio(m.from.as_deref().unwrap_or_default()).into_string();
    let to = Address::from_twilio(m.to.as_deref().unwrap_or_default()).into_string();
    let created_at = to_rfc3339(m.date_sent.as_deref().or(m.date_created.as_deref())).unwrap_or_else(now_rfc3339);
    if is_outbound(m) {
        let number_id = numbers::ensure(tx, &from, true)?;
        messages::insert_outbound_from_twilio(
            tx,
            &messages::KnownOutbound {
                sid: m.sid.clone(),
                number_id,
                from,
                to,
                body: m.body.clone().unwrap_or_default(),
                status: MessageStatus::parse(m.status.as_deref().unwrap_or("sent")),
                error_code: m.error_code,
                num_segments: m.num_segments.unwrap_or(1),
                created_at,
            },
        )?;
    } else {
        let number_id = numbers::ensure(tx, &to, true)?;
        let inbound = messages::Inbound {
            sid: m.sid.clone(),
            number_id,
            from,
            to,
            body: m.body.clone().unwrap_or_default(),
            num_segments: m.num_segments.unwrap_or(1),
            media,
            created_at,
        };
        messages::insert_inbound(tx, &inbound)?;
        messages::apply_pending(tx, &m.sid)?;
    }
    Ok(())
}

async fn calls_since(store: &Store, client: &TwilioClient) -> Result<usize> {
    let mark = watermark(store, "calls").await?;
    let listed = client.backfill_calls(Some(&mark), MAX_PER_RUN).await?;
    let found: Vec<CallResource> = drop_known(store, "SELECT 1 FROM calls WHERE sid = ?1", listed, |c| &c.sid).await?;
    let count = found.len();
    let new_mark = newest(found.iter().map(|c| c.date_created.as_ref()));
    store
        .write_async(move |tx| {
            for c in &found {
                let direction = c.direction.clone().unwrap_or_else(|| "inbound".into());
                let from = Address::from_twilio(c.from.as_deref().unwrap_or_default()).into_string();
                let to = Address::from_twilio(c.to.as_deref().unwrap_or_default()).into_string();
                let ours = if direction == "inbound" { &to } else { &from };
                let number_id = if ours.starts_with('+') { Some(numbers::ensure(tx, ours, true)?) } else { None };
                let status = c.status.clone().unwrap_or_else(|| "completed".into());
                calls::insert(
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
                calls::apply_status(tx, &c.sid, &CallStatus::parse(&status), c.duration, c.answered_by.as_deref())?;
            }
            if let Some(rfc) = &new_mark {
                settings::set_watermark(tx, "calls", rfc)?;
            }
            Ok(())
        })
        .await?;
    Ok(count)
}

async fn recordings_since(store: &Store, client: &TwilioClient) -> Result<usize> {
    let mark = watermark(store, "recordings").await?;
    let listed = client.backfill_recordings(Some(&mark), MAX_PER_RUN).await?;
    let found: Vec<RecordingResource> =
        drop_known(store, "SELECT 1 FROM recordings WHERE sid = ?1", listed, |r| &r.sid).await?;
    let api_base = client.config().api_base.clone();
    let new_mark = newest(found.iter().map(|r| r.date_created.as_ref()));
    store
        .write_async(move |tx| {
            let mut added = 0;
            for r in &found {
                if r.status.as_deref().is_some_and(|s| s != "completed") {
                    continue; // still processing; the next run (or its webhook) picks it up
                }
                // Only recordings of calls to our numbers are voicemails we show.
                let call = match &r.call_sid {
                    Some(sid) => calls::find_by_sid(tx, sid)?,
                    None => None,
                };
                let Some(call) = call.filter(|c| c.direction == "inbound") else { continue };
                let Some(remote_url) = recording_url(&api_base, r) else { continue };
                let number_id = numbers::find_by_e164(tx, &call.to)?.map(|n| n.id);
                let (_, created) = voicemails::insert_recording(
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
                added += created as usize;
            }
            if let Some(rfc) = &new_mark {
                settings::set_watermark(tx, "recordings", rfc)?;
            }
            Ok(added)
        })
        .await
}

/// The recording's URL without extension, as `RecordingUrl` in the webhook has it.
fn recording_url(api_base: &str, r: &RecordingResource) -> Option<String> {
    let uri = r.uri.as_deref()?;
    Some(format!("{}{}", api_base.trim_end_matches('/'), uri.trim_end_matches(".json")))
}

async fn repair_statuses(store: &Store, client: &TwilioClient) -> Result<usize> {
    let open = store.read_async(messages::open_outbound_sids).await?;
    let mut repaired = 0;
    for sid in open {
        let m = client.fetch_message(&sid).await?;
        let Some(status) = m.status.as_deref().map(MessageStatus::parse) else { continue };
        let at = to_rfc3339(m.date_updated.as_deref());
        let code = m.error_code;
        let outcome =
            store.write_async(move |tx| messages::apply_status(tx, &sid, &status, code, at.as_deref())).await?;
        if matches!(outcome, messages::StatusOutcome::Applied { .. }) {
            repaired += 1;
        }
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use super::newest;

    #[test]
    fn the_newest_date_is_found_by_time_not_by_text() {
        // As text "Wed" > "Thu", but Thursday the 24th is the later day.
        let dates = ["Wed, 23 Aug 2023 23:59:59 +0000".to_string(), "Thu, 24 Aug 2023 05:01:45 +0000".to_string()];
        assert_eq!(newest(dates.iter().map(Some)).as_deref(), Some("2023-08-24T05:01:45.000Z"));
        assert_eq!(newest(std::iter::empty()), None);
    }
}
