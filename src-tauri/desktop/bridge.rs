//! Forwards the core's events to the webview under one event name, raises native
//! notifications for new messages and voicemails, and keeps the tray count current.

use std::collections::HashSet;

use tauri::{AppHandle, Emitter, Manager, Runtime};
#[cfg(not(target_os = "linux"))]
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

use super::commands::settings::notifications_enabled;
use super::DesktopState;
use crate::events::{Event, Events};
use crate::store::{conversations, messages, voicemails};

/// The single Tauri event the UI listens to (`ui/src/lib/events.ts` uses the same name).
pub const EVENT: &str = "switchboard:event";

/// What the webview receives: a core event, or `{"type":"resync"}` when this subscriber
/// fell behind and some events were lost (the UI then reloads what it shows).
#[derive(Clone, serde::Serialize)]
#[serde(untagged)]
enum Payload<'a> {
    Core(&'a Event),
    Resync {
        #[serde(rename = "type")]
        kind: &'static str,
    },
    /// The owner clicked a notification: open what it was about.
    Open {
        #[serde(rename = "type")]
        kind: &'static str,
        conversation_id: Option<i64>,
    },
}

/// What a clicked notification opens.
#[derive(Clone, Copy)]
enum Target {
    Conversation(i64),
    Voicemail,
}

pub fn spawn<R: Runtime>(app: AppHandle<R>, events: &Events) {
    let mut rx = events.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut notified_voicemails = HashSet::new();
        loop {
            match rx.recv().await {
                Ok(event) => {
                    let _ = app.emit(EVENT, Payload::Core(&event));
                    react(&app, &event, &mut notified_voicemails).await;
                }
                Err(RecvError::Lagged(_)) => {
                    let _ = app.emit(EVENT, Payload::Resync { kind: "resync" });
                    super::tray::refresh(&app);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

async fn react<R: Runtime>(app: &AppHandle<R>, event: &Event, notified_voicemails: &mut HashSet<i64>) {
    match event {
        Event::MessageReceived { conversation_id, message_id } => {
            super::tray::refresh(app);
            let (conversation_id, message_id) = (*conversation_id, *message_id);
            let found =
                read(app, move |c| Ok((conversations::get(c, conversation_id)?, messages::get(c, message_id)?))).await;
            if let Some((conv, msg)) = found.filter(|(_, m)| m.direction == "inbound") {
                let who = if conv.contact_name.is_empty() { conv.customer } else { conv.contact_name };
                let body = if msg.body.is_empty() { "(picture)".to_string() } else { msg.body };
                notify(app, &who, &body, Target::Conversation(conv.id)).await;
            }
        }
        Event::VoicemailUpdated { voicemail_id } => {
            super::tray::refresh(app);
            // A voicemail is updated again when its file and transcript arrive: notify once.
            if notified_voicemails.insert(*voicemail_id) {
                let id = *voicemail_id;
                if let Some(vm) = read(app, move |c| voicemails::get(c, id)).await.filter(|v| !v.listened) {
                    notify(app, "New voicemail", &format!("From {}", vm.from), Target::Voicemail).await;
                }
            }
        }
        Event::ContactUpdated { .. } | Event::MessageUpdated { .. } => super::tray::refresh(app),
        _ => {}
    }
}

async fn read<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    f: impl FnOnce(&rusqlite::Connection) -> crate::Result<T> + Send + 'static,
) -> Option<T> {
    let state = app.try_state::<DesktopState>()?;
    state.store.read_async(f).await.ok()
}

/// Shows a notification unless the owner turned them off. Some Linux notification servers
/// interpret a markup subset in the body, so angle brackets and ampersands from customer
/// text are replaced by look-alikes: a message can never become a link or a remote image.
async fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str, target: Target) {
    if read(app, notifications_enabled).await != Some(true) {
        return;
    }
    let clean = |s: &str| s.replace('<', "‹").replace('>', "›").replace('&', "＆");
    let preview: String = clean(body).chars().take(180).collect();
    show(app, clean(title), preview, target);
}

/// On Linux the notification is shown through notify-rust directly, because the Tauri
/// plugin offers no click callback there: clicking it (the freedesktop "default" action)
/// brings the window back and opens the thread or the voicemail list. A thread waits for
/// the click and ends when the notification closes.
#[cfg(target_os = "linux")]
fn show<R: Runtime>(app: &AppHandle<R>, title: String, body: String, target: Target) {
    let app = app.clone();
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Switchboard")
            .summary(&title)
            .body(&body)
            .action("default", "Open")
            .show();
        match shown {
            Ok(handle) => handle.wait_for_action(|action| {
                if action == "default" {
                    open(&app, target);
                }
            }),
            Err(e) => tracing::debug!("notification not shown: {e}"),
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn show<R: Runtime>(app: &AppHandle<R>, title: String, body: String, _target: Target) {
    let _ = app.notification().builder().title(title).body(body).show();
}

/// Brings the window back and tells the UI what to open.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn open<R: Runtime>(app: &AppHandle<R>, target: Target) {
    super::tray::show_main(app);
    let payload = match target {
        Target::Conversation(id) => Payload::Open { kind: "open_conversation", conversation_id: Some(id) },
        Target::Voicemail => Payload::Open { kind: "open_voicemail", conversation_id: None },
    };
    let _ = app.emit(EVENT, payload);
}
