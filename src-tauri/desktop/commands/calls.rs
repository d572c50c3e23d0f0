//! The call log.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
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
