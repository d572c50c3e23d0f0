//! First-run actions that need no Twilio account.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;

/// "Try the sandbox": starts `switchboard sandbox` (its own data folder, the simulator
/// instead of Twilio) and closes this window, which has no account to serve yet. The
/// sandbox does not take the single-instance lock, so the two never block each other.
#[tauri::command]
#[specta::specta]
pub fn open_sandbox(app: tauri::AppHandle, state: State<'_, DesktopState>) -> Result<()> {
    if state.sandbox {
        return Ok(());
    }
    std::process::Command::new(std::env::current_exe()?).arg("sandbox").spawn()?;
    app.exit(0);
    Ok(())
}
