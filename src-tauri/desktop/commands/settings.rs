//! App settings: notifications, start at login, export, and the stored credentials
//! (whose values never leave the keychain; the UI only learns whether they exist).

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::{Error, Result};
use crate::secrets::account::{self, CredentialsStatus};
use crate::secrets::Keychain;
use crate::store::settings;

/// The settings key that turns native notifications off ("off"); on by default.
pub use crate::store::settings::keys::NOTIFICATIONS as NOTIFICATIONS_KEY;

#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct DesktopSettings {
    pub notifications: bool,
    pub autostart: bool,
    pub data_dir: String,
    pub sandbox: bool,
    /// Closing the window only hides it (more memory all day, instant reopen) instead of
    /// the light tray mode's destroying it.
    pub tray_keeps_window: bool,
    /// How long after an auto-reply the same customer gets no other (`inbound::auto_reply`).
    pub auto_reply_window_hours: u32,
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, DesktopState>) -> Result<DesktopSettings> {
    let (notifications, auto_reply_window_hours) = state
        .store
        .read_async(|conn| Ok((notifications_enabled(conn)?, crate::inbound::auto_reply::window_hours(conn)?)))
        .await?;
    Ok(DesktopSettings {
        notifications,
        autostart: crate::desktop::autostart::is_enabled().unwrap_or(false),
        data_dir: state.store.data_dir().display().to_string(),
        sandbox: state.sandbox,
        tray_keeps_window: crate::desktop::window::KEEP_WINDOW.load(std::sync::atomic::Ordering::Relaxed),
        auto_reply_window_hours,
    })
}

/// Keep the window (hidden) when it is closed, or destroy it (the light tray mode).
#[tauri::command]
#[specta::specta]
pub async fn set_tray_keeps_window(state: State<'_, DesktopState>, keep: bool) -> Result<()> {
    let value = if keep { "1" } else { "0" };
    let key = crate::desktop::window::KEEP_WINDOW_SETTING;
    state.store.write_async(move |tx| settings::set(tx, key, value)).await?;
    crate::desktop::window::KEEP_WINDOW.store(keep, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// The auto-reply window, in whole hours (1 to a week), for every number.
#[tauri::command]
#[specta::specta]
pub async fn set_auto_reply_window(state: State<'_, DesktopState>, hours: u32) -> Result<()> {
    state.store.write_async(move |tx| crate::inbound::auto_reply::set_window_hours(tx, hours)).await
}

pub fn notifications_enabled(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(settings::get(conn, NOTIFICATIONS_KEY)?.as_deref() != Some("off"))
}

#[tauri::command]
#[specta::specta]
pub async fn set_notifications(state: State<'_, DesktopState>, enabled: bool) -> Result<()> {
    let value = if enabled { "on" } else { "off" };
    state.store.write_async(move |tx| settings::set(tx, NOTIFICATIONS_KEY, value)).await
}

/// Start at login (in the tray). Refused in the sandbox: the entry starts the real app
/// (`switchboard --tray`), which is not what someone trying the sandbox asked for.
#[tauri::command]
#[specta::specta]
pub fn set_autostart(state: State<'_, DesktopState>, enabled: bool) -> Result<()> {
    if state.sandbox {
        return Err(Error::InvalidInput(
            "start at login is set from your real Switchboard, not from the sandbox".into(),
        ));
    }
    crate::desktop::autostart::set(enabled)
}

/// Writes everything (`json`) or the messages (`csv`) to the file the owner chose in the
/// save dialog: `target` is the token `pick_save_path` returned, never a path.
#[tauri::command]
#[specta::specta]
pub async fn export_data(state: State<'_, DesktopState>, target: String, format: String) -> Result<()> {
    crate::picked::export::export_to(&state.store, &state.picked, &target, &format).await.map(|_| ())
}

#[tauri::command]
#[specta::specta]
pub async fn credentials_status(state: State<'_, DesktopState>) -> Result<CredentialsStatus> {
    if state.sandbox {
        return Ok(CredentialsStatus::sandbox());
    }
    account::status(Keychain::default()).await
}

/// Removes the Twilio and ngrok secrets from the keychain (the local data stays) and stops
/// the core, which has nothing left to authenticate with; the wizard shows again.
///
/// With `restore_numbers`, every managed number first gets back the webhooks it had before
/// Switchboard managed it (`tunnel::numbers::restore_all`); if any restore fails, nothing
/// is removed and the error names the numbers.
#[tauri::command]
#[specta::specta]
pub async fn remove_credentials(
    state: State<'_, DesktopState>,
    live: State<'_, super::super::live::Live>,
    restore_numbers: bool,
) -> Result<()> {
    if state.sandbox {
        return Err(Error::InvalidInput("the sandbox has no credentials to remove".into()));
    }
    if restore_numbers {
        crate::tunnel::numbers::restore_all(&state.store, &live.client().await?).await?;
    }
    account::forget(Keychain::default()).await?;
    live.restart().await
}
