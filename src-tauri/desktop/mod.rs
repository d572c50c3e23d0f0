//! The Tauri shell: the only module that imports `tauri`. It opens the store, starts the
//! core, and exposes thin commands to the UI; all logic lives in the core.

mod bridge;
mod commands;
mod files;
mod live;
#[cfg(target_os = "linux")]
mod notify_dbus;
mod tray;

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

/// Starts the core (runtime or sandbox) in the background, then resumes campaigns that
/// were running when the app last stopped. A failure is shown in the UI, not fatal.
fn start_core(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        let live = app.state::<live::Live>();
        tauri::async_runtime::spawn(live.remember_syncs());
        if let Err(e) = live.restart().await {
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

pub fn run(sandbox: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let data_dir = data_dir(sandbox)?;
    let store = Store::open(&data_dir)?;
    let events = Events::new();
    let mut builder = tauri::Builder::default();
    // One real app per login (a second launch focuses the first). The sandbox stays out of
    // the lock so it can be tried next to the real app; their data folders are separate.
    if !sandbox {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| tray::show_main(app)));
    }
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .manage(DesktopState {
            store: store.clone(),
            sandbox,
            events: events.clone(),
            started,
            inbox_painted: Default::default(),
        })
        .manage(live::Live::new(store, events.clone(), sandbox))
        .setup(move |app| {
            start_core(app.handle().clone());
            bridge::spawn(app.handle().clone(), &events);
            // No tray host (a bare X server, some Wayland desktops) is not fatal: the app
            // then behaves like an ordinary window.
            if let Err(e) = tray::build(app.handle()) {
                tracing::warn!("no tray icon: {e}");
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window hides it: the app keeps running in the tray so webhooks
            // keep flowing. Quit from the tray menu.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.app_handle().tray_by_id("main").is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::conversations::list_conversations,
            commands::conversations::get_conversation,
            commands::conversations::start_conversation,
            commands::conversations::get_thread,
            commands::conversations::mark_conversation_read,
            commands::conversations::set_reply_channel,
            commands::conversations::search_messages,
            commands::contacts::list_contacts,
            commands::contacts::save_contact,
            commands::contacts::set_opt_out,
            commands::calls::list_calls,
            commands::numbers::list_numbers,
            commands::numbers::update_number_settings,
            commands::voicemail::list_voicemails,
            commands::voicemail::voicemail_audio,
            commands::voicemail::set_voicemail_listened,
            commands::voicemail::delete_voicemail,
            commands::media::media_bytes,
            commands::templates::list_templates,
            commands::templates::save_template,
            commands::templates::delete_template,
            commands::templates::preview_bulk,
            commands::compliance::list_compliance,
            commands::compliance::save_compliance_draft,
            commands::settings::get_settings,
            commands::settings::set_notifications,
            commands::settings::set_autostart,
            commands::settings::export_data,
            commands::settings::credentials_status,
            commands::settings::remove_credentials,
            commands::onboarding::open_sandbox,
            commands::outbound::send_message,
            commands::outbound::retry_message,
            commands::outbound::start_call,
            commands::outbound::start_bulk,
            commands::outbound::campaign_progress,
            commands::outbound::pause_campaign,
            commands::outbound::resume_campaign,
            commands::account::check_twilio_credentials,
            commands::account::save_credentials,
            commands::reach::configure_tunnel,
            commands::reach::tunnel_status,
            commands::reach::test_webhooks,
            commands::account::save_email_settings,
            commands::reach::away_summary,
            commands::inbox_painted,
            commands::numbers::manage_numbers,
            commands::numbers::stop_managing_number,
            commands::numbers::search_available_numbers,
            commands::numbers::buy_number,
            commands::numbers::release_number,
            commands::compliance::submit_compliance,
            commands::sandbox_panel::sim_customer_text,
            commands::sandbox_panel::sim_customer_call,
            commands::sandbox_panel::sim_phone_inbox,
            commands::sandbox_panel::sim_drop_webhooks,
            commands::reach::reconcile_status,
        ])
        .build(tauri::generate_context!())
        .map_err(|e| Error::Internal(format!("the window could not start: {e}")))?
        .run(|app, event| {
            // On quit, finish in-flight webhooks and close the tunnel before exiting.
            if let tauri::RunEvent::Exit = event {
                let live = app.state::<live::Live>();
                tauri::async_runtime::block_on(live.shutdown());
            }
        });
    Ok(())
}
