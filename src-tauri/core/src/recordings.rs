//! Call recordings as services the desktop, `serve` and the tests call alike: play (the
//! audio's bytes), delete (the local file, and on request Twilio's copy) and retry a
//! download that failed. Listing is the call log's (`store::calls::page` carries each
//! call's recordings).
//!
//! Deleting Twilio's copy is done first: when Twilio cannot be reached nothing is deleted
//! at all, so the owner can simply try again, rather than being left with a recording gone
//! from the app but still kept (and billed for) in the account.

use crate::domain::now_rfc3339;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::media::{local_file, Wake};
use crate::store::call_recordings::{self, CallRecording};
use crate::store::{downloads, Store};
use crate::twilio::client::TwilioClient;

/// Which copies of a recording to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteScope {
    /// The file on this computer only; Twilio keeps its copy.
    Local,
    /// The file here and Twilio's copy.
    LocalAndTwilio,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deleted {
    pub call_sid: String,
    /// Whether a file was removed from the data folder (none when it was never downloaded,
    /// or another recording or attachment has the same content and still uses it).
    pub file_removed: bool,
    pub twilio_deleted: bool,
}

/// The recording's audio, read from the data folder (never outside it).
pub async fn audio(store: &Store, id: i64) -> Result<Vec<u8>> {
    let rec = store.read_async(move |c| call_recordings::get(c, id)).await?;
    let rel = rec.path.ok_or_else(|| match rec.download_error {
        Some(e) => Error::NotFound { what: format!("the recording's audio (its download failed: {e})") },
        None => Error::not_found("the recording's audio (not downloaded yet)"),
    })?;
    local_file::read_inside_async(store.data_dir(), rel).await
}

/// Deletes recording `id`: with [`DeleteScope::LocalAndTwilio`] Twilio's copy first (an
/// absent one counts as deleted), then the local one. `client` is needed only for Twilio's.
pub async fn delete(
    store: &Store,
    client: Option<&TwilioClient>,
    events: &Events,
    id: i64,
    scope: DeleteScope,
) -> Result<Deleted> {
    let rec = store.read_async(move |c| call_recordings::get(c, id)).await?;
    let twilio_deleted = match scope {
        DeleteScope::Local => false,
        DeleteScope::LocalAndTwilio => {
            let client = client.ok_or_else(|| {
                Error::MissingCredentials("the Twilio account (to delete Twilio's copy of the recording)".into())
            })?;
            client.delete_recording(&rec.recording_sid).await?;
            true
        }
    };
    let sid = rec.recording_sid.clone();
    let file = store
        .write_async(move |tx| {
            if twilio_deleted {
                call_recordings::set_twilio_deleted(tx, &sid)?;
            }
            call_recordings::delete_local(tx, id)
        })
        .await?;
    let file_removed = match file {
        Some((rel, false)) => {
            let data_dir = store.data_dir().to_path_buf();
            tokio::task::spawn_blocking(move || local_file::remove_inside(&data_dir, &rel))
                .await
                .map_err(|e| Error::Internal(format!("delete task failed: {e}")))??;
            true
        }
        _ => false,
    };
    events.publish(Event::CallUpdated { call_sid: rec.call_sid.clone() });
    Ok(Deleted { call_sid: rec.call_sid, file_removed, twilio_deleted })
}

/// "Try again" on a recording whose download failed or was given up: queued now with a
/// fresh count of attempts, and the worker woken.
pub async fn retry_download(store: &Store, wake: &Wake, id: i64) -> Result<CallRecording> {
    let (rec, queued) = store
        .write_async(move |tx| {
            let recording_id = call_recordings::recording_id_of(tx, id)?;
            let queued = downloads::retry_now(tx, "recording", recording_id, &now_rfc3339())?;
            Ok((call_recordings::get(tx, id)?, queued))
        })
        .await?;
    if !queued {
        return Err(Error::InvalidInput("this recording has no download to retry: it is already here".into()));
    }
    wake.wake();
    Ok(rec)
}
