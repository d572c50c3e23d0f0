//! Regulatory bundles: the drafts the owner fills in, with Twilio's evaluation and status,
//! and their submission (`crate::compliance`).

use tauri::State;

use super::super::live::Live;
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::compliance::{self, Compliance, Draft};

#[tauri::command]
#[specta::specta]
pub async fn list_compliance(state: State<'_, DesktopState>) -> Result<Vec<Compliance>> {
    state.store.read_async(compliance::list).await
}

/// Stores a new draft (not yet sent to Twilio); `document` is the token `pick_files`
/// returned for the registration document, never a path (see `crate::compliance::save_draft`).
#[tauri::command]
#[specta::specta]
pub async fn save_compliance_draft(
    state: State<'_, DesktopState>,
    draft: Draft,
    document: Option<String>,
) -> Result<Compliance> {
    crate::compliance::save_draft(&state.store, &state.picked, draft, document.as_deref()).await
}

/// Creates (or resumes) the bundle at Twilio and submits it for review; the review result
/// arrives at `/twilio/compliance` while the tunnel is online, else by the next sync.
#[tauri::command]
#[specta::specta]
pub async fn submit_compliance(live: State<'_, Live>, id: i64) -> Result<Compliance> {
    let client = live.client().await?;
    let callback = live.public_url().await.map(|u| format!("{u}/twilio/compliance"));
    crate::compliance::submit(&live.store, &client, id, callback).await
}
