//! The call log.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::calls::{self, Call};

#[tauri::command]
pub async fn list_calls(state: State<'_, DesktopState>) -> Result<Vec<Call>> {
    state.store.read_async(|c| calls::list(c, 500)).await
}
