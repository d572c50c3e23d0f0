//! The call log, and the recordings of its calls (play, delete, retry a download): each
//! a few lines over `crate::recordings`.

use tauri::State;

use super::super::live::Live;
use crate::desktop::contract::Bytes;
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::recordings::{self, DeleteScope};
use crate::store::call_recordings::CallRecording;
use crate::store::calls::{self, CallCursor, CallPage};

/// A page of the call log, newest first (all calls, or only missed ones), after `after`.
#[tauri::command]
#[specta::specta]
pub async fn list_calls(
    state: State<'_, DesktopState>,
    missed_only: bool,
    after: Option<CallCursor>,
) -> Result<CallPage> {
    state.store.read_async(move |c| calls::page(c, missed_only, after.as_ref())).await
}

/// A call recording's bytes (raw IPC body), played from a Blob URL like a voicemail's.
#[tauri::command]
#[specta::specta]
pub async fn call_recording_audio(state: State<'_, DesktopState>, id: i64) -> Result<Bytes> {
    Ok(Bytes::new(recordings::audio(&state.store, id).await?))
}

/// Deletes a call recording from this computer and, with `also_twilio`, Twilio's copy
/// first (when Twilio cannot be reached, nothing is deleted).
#[tauri::command]
#[specta::specta]
pub async fn delete_call_recording(
    live: State<'_, Live>,
    state: State<'_, DesktopState>,
    id: i64,
    also_twilio: bool,
) -> Result<()> {
    let (scope, client) = if also_twilio {
        (DeleteScope::LocalAndTwilio, Some(live.client().await?))
    } else {
        (DeleteScope::Local, None)
    };
    recordings::delete(&state.store, client.as_ref(), &state.events, id, scope).await.map(|_| ())
}

/// "Try again" on a call recording whose download failed or was given up.
#[tauri::command]
#[specta::specta]
pub async fn retry_call_recording(live: State<'_, Live>, id: i64) -> Result<CallRecording> {
    let (store, wake) = live.downloads().await?;
    recordings::retry_download(&store, &wake, id).await
}
