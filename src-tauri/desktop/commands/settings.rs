//! App settings: notifications, start at login, export, and the stored credentials
//! (whose values never leave the keychain; the UI only learns whether they exist).

use tauri::State;
use tauri_plugin_autostart::ManagerExt;

use crate::desktop::DesktopState;
use crate::error::{Error, Result};
use crate::secrets::{keys, Keychain};
use crate::store::{export, settings};
use crate::tunnel::wiring;

/// The settings key that turns native notifications off ("off"); on by default.
pub use crate::store::settings::keys::NOTIFICATIONS as NOTIFICATIONS_KEY;

#[derive(Debug, Clone, serde::Serialize)]
pub struct DesktopSettings {
    pub notifications: bool,
    pub autostart: bool,
    pub data_dir: String,
    pub sandbox: bool,
}

#[tauri::command]
pub async fn get_settings(app: tauri::AppHandle, state: State<'_, DesktopState>) -> Result<DesktopSettings> {
    let notifications = state.store.read_async(notifications_enabled).await?;
    Ok(DesktopSettings {
        notifications,
        autostart: app.autolaunch().is_enabled().unwrap_or(false),
        data_dir: state.store.data_dir().display().to_string(),
        sandbox: state.sandbox,
    })
}

pub fn notifications_enabled(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(settings::get(conn, NOTIFICATIONS_KEY)?.as_deref() != Some("off"))
}

#[tauri::command]
pub async fn set_notifications(state: State<'_, DesktopState>, enabled: bool) -> Result<()> {
    let value = if enabled { "on" } else { "off" };
    state.store.write_async(move |tx| settings::set(tx, NOTIFICATIONS_KEY, value)).await
}

#[tauri::command]
pub fn set_autostart(app: tauri::AppHandle, enabled: bool) -> Result<()> {
    let launcher = app.autolaunch();
    let done = if enabled { launcher.enable() } else { launcher.disable() };
    done.map_err(|e| Error::Internal(format!("could not change start at login: {e}")))
}

/// Writes everything (`json`) or the messages (`csv`) to `path`, a file the owner chose
/// in the save dialog.
#[tauri::command]
pub async fn export_data(state: State<'_, DesktopState>, path: String, format: String) -> Result<()> {
    let text = match format.as_str() {
        "json" => serde_json::to_string_pretty(&state.store.read_async(export::to_json).await?)?,
        "csv" => state.store.read_async(export::messages_csv).await?,
        other => return Err(Error::InvalidInput(format!("{other:?} is not an export format (json or csv)"))),
    };
    tokio::fs::write(&path, text).await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CredentialsStatus {
    /// In the sandbox the simulator needs no credentials and the real keychain is not touched.
    pub sandbox: bool,
    pub twilio: bool,
    /// The Account SID's last four characters, so the owner can tell accounts apart.
    pub account_hint: Option<String>,
    pub ngrok: bool,
}

#[tauri::command]
pub async fn credentials_status(state: State<'_, DesktopState>) -> Result<CredentialsStatus> {
    if state.sandbox {
        return Ok(CredentialsStatus { sandbox: true, twilio: true, account_hint: None, ngrok: false });
    }
    tokio::task::spawn_blocking(|| {
        let k = Keychain::default();
        let sid = k.get(keys::ACCOUNT_SID)?;
        let ngrok = k.get(keys::NGROK_AUTHTOKEN)?.is_some();
        let account_hint = sid.as_ref().map(|s| {
            let v = s.expose();
            v.chars().skip(v.chars().count().saturating_sub(4)).collect()
        });
        Ok(CredentialsStatus { sandbox: false, twilio: sid.is_some(), account_hint, ngrok })
    })
    .await
    .map_err(|e| Error::Internal(format!("keychain task failed: {e}")))?
}

/// Removes the Twilio and ngrok secrets from the keychain (the local data stays) and stops
/// the core, which has nothing left to authenticate with; the wizard shows again.
///
/// With `restore_numbers`, every managed number first gets back the webhooks it had before
/// Switchboard managed it: once the credentials are gone nothing can point the numbers away
/// from a tunnel that no longer answers. If any restore fails, nothing is removed and the
/// error names the numbers, so the owner can try again or remove without restoring.
#[tauri::command]
pub async fn remove_credentials(
    state: State<'_, DesktopState>,
    live: State<'_, super::super::live::Live>,
    restore_numbers: bool,
) -> Result<()> {
    if state.sandbox {
        return Err(Error::InvalidInput("the sandbox has no credentials to remove".into()));
    }
    if restore_numbers {
        let client = live.client().await?;
        let failed: Vec<String> = wiring::unmanage_all(&state.store, &client)
            .await?
            .into_iter()
            .filter_map(|w| w.error.map(|e| format!("{} ({e})", w.e164)))
            .collect();
        if !failed.is_empty() {
            return Err(Error::InvalidInput(format!(
                "could not restore {}; nothing was removed. Try again, or remove without restoring",
                failed.join(", ")
            )));
        }
    }
    tokio::task::spawn_blocking(|| {
        let k = Keychain::default();
        for key in [keys::ACCOUNT_SID, keys::AUTH_TOKEN, keys::API_KEY, keys::API_SECRET, keys::NGROK_AUTHTOKEN] {
            k.delete(key)?;
        }
        Ok::<(), Error>(())
    })
    .await
    .map_err(|e| Error::Internal(format!("keychain task failed: {e}")))??;
    live.restart().await
}
