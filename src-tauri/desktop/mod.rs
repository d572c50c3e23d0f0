//! The Tauri shell: the only module that imports `tauri`. It opens the store, starts the
//! core, and exposes thin commands to the UI; all logic lives in the core.

pub mod autostart;
mod bridge;
#[cfg(test)]
mod command_names;
mod commands;
pub(crate) mod contract;
mod files;
mod live;
#[cfg(target_os = "linux")]
mod notify_dbus;
mod tray;
pub(crate) mod window;

use std::path::PathBuf;

use tauri::{Manager, WindowEvent};

use crate::error::{Error, Result};
use crate::events::Events;
use crate::store::Store;

pub use bridge::EVENT;

/// What every command can reach.
pub struct DesktopState {
    pub store: Store,
    pub sandbox: bool,
    /// The bus the listener, workers and simulator publish to; the bridge forwards it to
    /// the webview. Clone it to hand it to the core.
    pub events: Events,
    /// When `run` began, for the startup figure logged by `inbox_painted`.
    pub started: std::time::Instant,
    pub inbox_painted: std::sync::atomic::AtomicBool,
    /// Paths the owner chose in a file dialog; the only paths commands read or write.
    pub picked: crate::picked::PickedPaths,
    /// Signalled at the first paint of the inbox: the core's start waits for it.
    pub first_paint: tokio::sync::Notify,
}

/// How long the core's start waits for the first paint before going ahead anyway (a window
/// that opens on the setup wizard never paints the inbox).
const FIRST_PAINT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The data directory: `SWITCHBOARD_DATA_DIR` (tests), else the platform one; the
/// sandbox always uses a separate folder so simulated data never mixes with real data.
fn data_dir(sandbox: bool) -> Result<PathBuf> {
    let base = match std::env::var_os("SWITCHBOARD_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => crate::store::default_data_dir(None)?,
    };
    Ok(if sandbox { base.join("sandbox") } else { base })
}

/// One app per login: a second launch shows the first one's window (one started at login
/// with `--tray` while the app already runs changes nothing). On Linux the sandbox has a
/// lock of its own, so it can be tried next to the real app (their data folders are
/// separate); elsewhere the plugin's lock is per app identifier, so the sandbox goes
/// without one.
fn single_instance<R: tauri::Runtime>(sandbox: bool) -> tauri::plugin::TauriPlugin<R> {
    let builder = tauri_plugin_single_instance::Builder::new().callback(|app, args, _cwd| {
        if !args.iter().any(|a| a == IN_TRAY_ARG) {
            tray::show_main(app);
        }
    });
    #[cfg(target_os = "linux")]
    let builder = if sandbox { builder.dbus_id("app.switchboard.desktop.sandbox") } else { builder };
    #[cfg(not(target_os = "linux"))]
    if sandbox {
        return tauri::plugin::Builder::new("single-instance-sandbox").build();
    }
    builder.build()
}

/// Starts the core (runtime or sandbox) in the background, then resumes campaigns that
/// were running when the app last stopped. A failure is shown in the UI, not fatal.
/// With a window, nothing that can wait (listener, tunnel, catch-up, wiring, downloads)
/// competes with the first paint of the inbox: it starts right after it.
fn start_core(app: tauri::AppHandle, with_window: bool) {
    tauri::async_runtime::spawn(async move {
        if with_window {
            let state = app.state::<DesktopState>();
            let _ = tokio::time::timeout(FIRST_PAINT_WAIT, state.first_paint.notified()).await;
        }
        let live = app.state::<live::Live>();
        tauri::async_runtime::spawn(live.remember_syncs());
        // A keychain still locked at login is waited for (secrets::unlock_wait), so a start
        // in the tray does not leave nothing listening all day.
        let started = crate::secrets::unlock_wait::retry_while_locked(
            || live.start_unless_running(),
            |e, failed, wait| {
                if failed == 1 || failed % 10 == 0 {
                    tracing::warn!(error = %e, failed, "the core waits for the keychain; trying again in {}s", wait.as_secs());
                }
            },
        )
        .await;
        if let Err(e) = started {
            tracing::error!(error = %e, "the core did not start");
            *live.mode.write().await = live::Mode::Stopped(e.to_string());
            return;
        }
        let unfinished = app.state::<DesktopState>().store.read_async(crate::store::campaigns::unfinished).await;
        for id in unfinished.unwrap_or_default() {
            commands::outbound::spawn_campaign(app.clone(), id);
        }
    });
}

/// What a launch at login passes (`autostart`): start in the tray.
pub const IN_TRAY_ARG: &str = "--tray";

/// Opens the desktop app: its window, or only the tray with `in_tray` (a start at login).
pub fn run(sandbox: bool, in_tray: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let data_dir = data_dir(sandbox)?;
    let store = Store::open(&data_dir)?;
    let keep_window = store.read(|c| crate::store::settings::get(c, window::KEEP_WINDOW_SETTING))?;
    window::KEEP_WINDOW.store(keep_window.as_deref() == Some("1"), std::sync::atomic::Ordering::Relaxed);
    let events = Events::new();
    // The commands and the event of the UI contract (contract.rs), one list for the
    // invoke handler and the generated bindings.
    let contract = contract::builder();
    let invoke_handler = contract.invoke_handler();
    let mut builder = tauri::Builder::default();
    builder = builder.plugin(single_instance(sandbox));
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(DesktopState {
            store: store.clone(),
            sandbox,
            events: events.clone(),
            started,
            inbox_painted: Default::default(),
            picked: Default::default(),
            first_paint: tokio::sync::Notify::new(),
        })
        .manage(live::Live::new(store, events.clone(), sandbox))
        .manage(tray::RefreshAsked::default())
        .setup(move |app| {
            contract.mount_events(app);
            bridge::spawn(app.handle().clone(), &events);
            // No tray host (a bare X server, some Wayland desktops) is not fatal: the app
            // then behaves like an ordinary window, and always opens one.
            let tray = tray::build(app.handle());
            tray::spawn_refresher(app.handle().clone());
            if let Err(e) = &tray {
                tracing::warn!("no tray icon: {e}");
            }
            let with_window = !in_tray || tray.is_err();
            if with_window {
                window::create(app.handle(), window::Opened::Start)?;
            } else {
                tracing::info!("started in the tray: no window until it is asked for");
            }
            start_core(app.handle().clone(), with_window);
            Ok(())
        })
        .on_window_event(|window, event| match event {
            // Closing the window leaves the app in the tray so webhooks keep flowing (quit
            // from the tray menu); by default the webview goes with the window.
            WindowEvent::CloseRequested { api, .. } => window::close_requested(window, api),
            WindowEvent::Destroyed if window.label() == window::MAIN => window::trim(window.app_handle()),
            _ => {}
        })
        .invoke_handler(invoke_handler)
        .build(tauri::generate_context!())
        .map_err(|e| Error::Internal(format!("the window could not start: {e}")))?
        .run(|app, event| match event {
            // The last window closed: stay in the tray (quitting from its menu passes a code).
            tauri::RunEvent::ExitRequested { code: None, api, .. } if app.tray_by_id(tray::TRAY_ID).is_some() => {
                api.prevent_exit();
            }
            // On quit, finish in-flight webhooks and close the tunnel before exiting.
            tauri::RunEvent::Exit => {
                let live = app.state::<live::Live>();
                tauri::async_runtime::block_on(live.shutdown());
            }
            _ => {}
        });
    Ok(())
}
