//! The Tauri shell: the only module that imports `tauri`. It opens the store, starts the
//! core, and exposes thin commands to the UI; all logic lives in the core.

mod commands;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::store::Store;

/// What every command can reach.
pub struct DesktopState {
    pub store: Store,
    pub sandbox: bool,
}

/// The data directory: `SWITCHBOARD_DATA_DIR` (tests), else the platform one; the
/// sandbox always uses a separate folder so simulated data never mixes with real data.
fn data_dir(sandbox: bool) -> Result<PathBuf> {
    let base = match std::env::var_os("SWITCHBOARD_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => crate::store::default_data_dir(None)?,
    };
    Ok(if sandbox { base.join("sandbox") } else { base })
}

pub fn run(sandbox: bool) -> Result<()> {
    let store = Store::open(&data_dir(sandbox)?)?;
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            use tauri::Manager;
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            }
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(DesktopState { store, sandbox })
        .invoke_handler(tauri::generate_handler![commands::app_info, commands::list_conversations])
        .run(tauri::generate_context!())
        .map_err(|e| Error::Internal(format!("the window could not start: {e}")))
}
