//! How Twilio reaches the app: the tunnel (configure, status, self-test), "when did the app
//! last hear from Twilio?" (the reconciliation loop's status for the status line), what
//! reconciliation found that no webhook had delivered (Settings → Reach), and "while you
//! were away".

use tauri::State;

use super::super::live::{self, Live, TunnelStatus};
use crate::desktop::DesktopState;
use crate::error::{Error, Result};
use crate::secrets::{keys, Keychain};
use crate::sync::reconcile::{CaughtUp, ReconcileStatus};
use crate::tunnel::settings::{self as reach, TunnelConfig};

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

/// Saves the tunnel choice (the ngrok authtoken in the keychain) and restarts the core.
#[tauri::command]
#[specta::specta]
pub async fn configure_tunnel(live: State<'_, Live>, config: TunnelConfig) -> Result<TunnelStatus> {
    reach::configure(&live.store, config, |token| Keychain::default().set(keys::NGROK_AUTHTOKEN, &token)).await?;
    live.restart().await?;
    Ok(live.tunnel_status().await)
}

#[tauri::command]
#[specta::specta]
pub async fn tunnel_status(live: State<'_, Live>) -> Result<TunnelStatus> {
    Ok(live.tunnel_status().await)
}

#[derive(serde::Serialize, specta::Type)]
pub struct SelfTestResult {
    ok: bool,
    message: String,
}

/// Sends ourselves a signed request through the public URL.
#[tauri::command]
#[specta::specta]
pub async fn test_webhooks(live: State<'_, Live>) -> Result<SelfTestResult> {
    let test = match &*live.mode.read().await {
        live::Mode::Real(rt) => rt.selftest().await,
        live::Mode::Sandbox(sb) => sb.runtime.selftest().await,
        live::Mode::Stopped(why) => return Err(Error::InvalidInput(why.clone())),
    };
    Ok(SelfTestResult { ok: test.ok, message: test.message })
}

/// What the latest catch-up with Twilio brought in ("while you were away"), if anything.
#[tauri::command]
#[specta::specta]
pub fn away_summary(live: State<'_, Live>) -> Option<live::AwaySummary> {
    live.away_summary()
}
