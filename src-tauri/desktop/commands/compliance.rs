//! Regulatory bundles: the drafts the owner fills in, with Twilio's evaluation and status.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::compliance::{self, Compliance, Draft};

#[tauri::command]
pub async fn list_compliance(state: State<'_, DesktopState>) -> Result<Vec<Compliance>> {
    state.store.read_async(compliance::list).await
}

/// Stores a new draft (not yet sent to Twilio); `document` is the token `pick_files`
/// returned for the registration document, never a path (see `crate::compliance::save_draft`).
#[tauri::command]
pub async fn save_compliance_draft(
    state: State<'_, DesktopState>,
    draft: Draft,
    document: Option<String>,
) -> Result<Compliance> {
    crate::compliance::save_draft(&state.store, &state.picked, draft, document.as_deref()).await
}
