//! The tray icon: the app keeps running there when its window is closed (so webhooks keep
//! flowing), shows the unread count, and brings the window back.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use super::DesktopState;
use crate::store::{conversations, voicemails};

pub const TRAY_ID: &str = "main";

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Switchboard", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Switchboard", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Switchboard")
        // Windows and macOS open the menu on a left click by default; there a left click
        // brings the window back (below) and the menu is on the right button, as on Linux.
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_main(app),
            // Quitting from the tray is the one way to stop receiving webhooks on purpose.
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
                show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    refresh(app);
    Ok(())
}

/// Back from the tray (or a second launch): the window as the owner left it.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    super::window::show(app, super::window::Opened::Restore);
}

/// A write that changes what is unread or unheard, then the tray's count brought up to date
/// (the commands that mark read, unread, done or heard).
pub async fn write_then_refresh<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    store: &crate::store::Store,
    write: impl FnOnce(&rusqlite::Connection) -> crate::error::Result<T> + Send + 'static,
) -> crate::error::Result<T> {
    let written = store.write_async(write).await?;
    refresh(app);
    Ok(written)
}

/// Asks for the tray's count to be read again. A burst of texts asks thousands of times in
/// a few seconds; each ask used to be its own read of the store on a blocking thread (382
/// threads after 10,000 texts in the tray, and a window reopened then waited 18 s behind
/// them for its first reads). Now one task reads at a time, and the asks that arrive while it
/// reads become one more read after it: the count shown is always the latest.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    if let Some(asked) = app.try_state::<RefreshAsked>() {
        asked.0.notify_one();
    }
}

/// The pending ask of [`refresh`] (`Notify` keeps at most one permit: asks coalesce).
#[derive(Default)]
pub struct RefreshAsked(tokio::sync::Notify);

/// The one task that reads the unread messages and unheard voicemails and shows them on the
/// tray icon, whenever [`refresh`] asked. Started once, beside the tray.
pub fn spawn_refresher<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let Some(asked) = app.try_state::<RefreshAsked>() else { return };
            asked.0.notified().await;
            show_counts(&app).await;
        }
    });
}

async fn show_counts<R: Runtime>(app: &AppHandle<R>) {
    // No tray (no tray host): nothing to show, so nothing to read.
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let Some(state) = app.try_state::<DesktopState>() else { return };
    let counts = state.store.read_async(|c| Ok((conversations::total_unread(c)?, voicemails::unheard_count(c)?))).await;
    let Ok((unread, unheard)) = counts else { return };
    let tooltip = match (unread, unheard) {
        (0, 0) => "Switchboard — nothing new".to_string(),
        (m, v) => format!("Switchboard — {m} unread, {v} new voicemail"),
    };
    let _ = tray.set_tooltip(Some(&tooltip));
    let total = unread + unheard;
    // Linux (app indicator) and macOS show the title beside the icon.
    let _ = tray.set_title((total > 0).then(|| total.to_string()));
}
