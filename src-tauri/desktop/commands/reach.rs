//! "When did the app last hear from Twilio?": the reconciliation loop's status for the
//! status line, and what reconciliation found that no webhook had delivered (Settings →
//! Reach), so an owner sees when the tunnel drops events.

use tauri::State;

use super::super::live::Live;
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::sync::reconcile::{CaughtUp, ReconcileStatus};

#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ReconcileReport {
    /// `None` while the core is not running (no credentials yet).
    pub status: Option<ReconcileStatus>,
    pub caught_up: CaughtUp,
}

#[tauri::command]
#[specta::specta]
pub async fn reconcile_status(live: State<'_, Live>, state: State<'_, DesktopState>) -> Result<ReconcileReport> {
    let status = live.reconcile_status().await;
    let caught_up = state.store.read_async(CaughtUp::read).await?;
    Ok(ReconcileReport { status, caught_up })
}
