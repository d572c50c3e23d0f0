//! The main window, and the light tray mode.
//!
//! Switchboard runs all day, mostly closed to the tray. A hidden window keeps WebKit's web
//! process alive (about two thirds of the app's memory), so by default closing the window
//! destroys it: the tray, the listener, the tunnel, notifications, catch-up and campaigns
//! all live in the app process and keep running, and the window is created again from the
//! tray or a notification. The owner can keep the old behaviour (hide, for an instant
//! reopen) with the `desktop.tray_keeps_window` setting.
//!
//! A new window knows why it was opened through a small initialisation script
//! (`window.__SWITCHBOARD_OPENED__`): the UI then restores the screen the owner left, or
//! opens the conversation a notification was about.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, WebviewWindow, WebviewWindowBuilder};

use super::bridge::{emit, CoreEvent, ShellNotice};

/// The label of the one window, as in `tauri.conf.json`.
pub const MAIN: &str = "main";

/// The setting ("1" or absent) that keeps the window alive, hidden, when it is closed.
pub use crate::store::settings::keys::TRAY_KEEPS_WINDOW as KEEP_WINDOW_SETTING;

/// Whether closing the window only hides it (the owner's choice; default: destroy it).
pub static KEEP_WINDOW: AtomicBool = AtomicBool::new(false);

/// When the window was last asked back from the tray, for the "tray to inbox" figure
/// logged by the `inbox_painted` command.
static REOPENED: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);

/// How long ago the window was asked back from the tray (once per reopening).
pub fn take_reopened() -> Option<std::time::Duration> {
    REOPENED.lock().ok()?.take().map(|at| at.elapsed())
}

/// Why the window is being shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Opened {
    /// The app was started with its window: start on the inbox.
    Start,
    /// From the tray or a second launch: back to where the owner was.
    Restore,
    /// A notification about a conversation was clicked.
    Conversation { conversation_id: i64 },
    /// A voicemail notification was clicked.
    Voicemail,
}

/// Shows the main window, creating it if light tray mode destroyed it, and tells the UI
/// what to open. Failures are logged: there is nobody to show them to.
pub fn show<R: Runtime>(app: &AppHandle<R>, opened: Opened) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
        // An existing UI is listening: the event opens the conversation in place.
        let notice = match opened {
            Opened::Conversation { conversation_id } => ShellNotice::OpenConversation { conversation_id },
            Opened::Voicemail => ShellNotice::OpenVoicemail,
            Opened::Start | Opened::Restore => return,
        };
        emit(app, CoreEvent::Shell(notice));
        return;
    }
    if let Ok(mut at) = REOPENED.lock() {
        *at = Some(std::time::Instant::now());
    }
    match create(app, opened) {
        Ok(w) => {
            let _ = w.set_focus();
        }
        Err(e) => tracing::error!("the window could not be opened: {e}"),
    }
}

/// Creates the main window from its configuration in `tauri.conf.json`.
pub fn create<R: Runtime>(app: &AppHandle<R>, opened: Opened) -> tauri::Result<WebviewWindow<R>> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let started = std::time::Instant::now();
    let opened_json = serde_json::to_string(&opened).unwrap_or_else(|_| "{\"kind\":\"start\"}".into());
    let window = WebviewWindowBuilder::from_config(app, &config)?
        .initialization_script(format!("window.__SWITCHBOARD_OPENED__ = {opened_json};"))
        .build()?;
    tracing::info!(ms = started.elapsed().as_millis() as u64, ?opened, "window created");
    Ok(window)
}

/// The window's close button: hide it (the owner kept the window) or let it be destroyed.
/// Either way the app stays in the tray; without a tray the close quits as usual.
pub fn close_requested<R: Runtime>(window: &tauri::Window<R>, api: &tauri::CloseRequestApi) {
    if window.app_handle().tray_by_id(super::tray::TRAY_ID).is_none() {
        return;
    }
    if KEEP_WINDOW.load(Ordering::Relaxed) {
        api.prevent_close();
        let _ = window.hide();
    }
}

/// After the window is gone: give back what only the window needed. The store's page
/// caches are filled by the screens' queries, and freed heap stays with the process
/// unless it is returned to the OS.
pub fn trim<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // Give WebKit a moment to tear the web process down first.
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        if app.get_webview_window(MAIN).is_some() {
            return;
        }
        if let Some(state) = app.try_state::<super::DesktopState>() {
            if let Err(e) = state.store.release_memory().await {
                tracing::warn!("could not release the store's caches: {e}");
            }
        }
        release_heap();
        tracing::info!("window closed: running in the tray");
    });
}

/// Returns the allocator's free pages to the OS (glibc keeps them otherwise).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_heap() {
    // SAFETY: malloc_trim only walks glibc's own arenas; it takes no pointers from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_heap() {}
