//! IPC commands: each a few lines that call the core and return `Result<_, Error>`, which
//! reaches the UI as `{code, message}`. One file per area. Every command here must also be
//! listed in `build.rs` (its `allow-*` permission) and in `capabilities/default.json`.

pub mod account;
pub mod calls;
pub mod compliance;
pub mod contacts;
pub mod conversations;
pub mod costs;
pub mod dialogs;
pub mod media;
pub mod numbers;
pub mod onboarding;
pub mod outbound;
pub mod reach;
pub mod registration;
pub mod sandbox_panel;
pub mod scheduled;
pub mod settings;
pub mod templates;
pub mod voicemail;

use tauri::State;

use super::DesktopState;

#[derive(serde::Serialize, specta::Type)]
pub struct AppInfo {
    version: &'static str,
    sandbox: bool,
    data_dir: String,
}

/// Called by the UI once per window, when the inbox's first page has been painted: the
/// log then says how long the app took to show something useful ("startup", the cold-start
/// figure of `benches/desktop.sh`; "reopened", its tray-to-inbox figure).
#[tauri::command]
#[specta::specta]
pub fn inbox_painted(state: State<'_, DesktopState>) {
    if !state.inbox_painted.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::info!(ms = state.started.elapsed().as_millis() as u64, "startup: first paint of the inbox");
        state.first_paint.notify_one();
    } else if let Some(after) = crate::desktop::window::take_reopened() {
        tracing::info!(ms = after.as_millis() as u64, "reopened: inbox painted after the tray asked for the window");
    }
}

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, DesktopState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        sandbox: state.sandbox,
        data_dir: state.store.data_dir().display().to_string(),
    }
}
