//! The call log, and the recordings of its calls (play, delete, retry a download): each
//! a few lines over `crate::recordings`.

use tauri::State;

use super::super::live::Live;
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::recordings::{self, DeleteScope};
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
