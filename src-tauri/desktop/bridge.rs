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
#[cfg(not(target_os = "linux"))]
use crate::notifications::NotificationSink;
use crate::notifications::{Notice, Notifier, NotifierPolicy, Topic};
use crate::store::{conversations, messages, voicemails};

/// The single Tauri event the UI listens to (`events.coreEvent` in the generated
/// `ui/src/lib/bindings.ts` listens under this name).
pub const EVENT: &str = "switchboard:event";

/// What the webview receives on [`EVENT`]: a core event, or a notice from the shell. Both
/// are tagged by `type`, so the UI narrows one union (`CoreEvent` in bindings.ts).
#[derive(Debug, Clone, serde::Serialize, specta::Type, tauri_specta::Event)]
#[serde(untagged)]
#[tauri_specta(event_name = "switchboard:event")]
pub enum CoreEvent {
    Core(Event),
    Shell(ShellNotice),
}

/// What the shell itself tells the webview.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShellNotice {
    /// This subscriber fell behind and some events were lost: reload what is shown.
    Resync,
    /// The owner clicked a notification about a conversation: open it.
    OpenConversation { conversation_id: i64 },
    /// The owner clicked a voicemail notification: open the voicemail list.
    OpenVoicemail,
}

/// Sends `event` to the webview under [`EVENT`]. Through Tauri's emitter rather than
/// tauri-specta's `Event::emit`, which panics when the event was not mounted: this runs
/// in a background task, and a lost event only means the UI re-reads on the next one.
pub(super) fn emit<R: Runtime>(app: &AppHandle<R>, event: CoreEvent) {
    if let Err(e) = app.emit(<CoreEvent as tauri_specta::Event>::NAME, event) {
        tracing::debug!("event not delivered to the webview: {e}");
    }
}

pub fn spawn<R: Runtime>(app: AppHandle<R>, events: &Events) {
    let mut rx = events.subscribe();
    tauri::async_runtime::spawn(async move {
        let notifier = notifier(&app).await;
        let mut notified_voicemails = HashSet::new();
        loop {
            match rx.recv().await {
                Ok(event) => {
                    emit(&app, CoreEvent::Core(event.clone()));
                    react(&app, &event, &mut notified_voicemails, notifier.as_ref()).await;
                }
                Err(RecvError::Lagged(_)) => {
                    emit(&app, CoreEvent::Shell(ShellNotice::Resync));
                    super::tray::refresh(&app);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

async fn react<R: Runtime>(
    app: &AppHandle<R>,
    event: &Event,
    notified_voicemails: &mut HashSet<i64>,
    notifier: Option<&Notifier>,
) {
    match event {
        Event::MessageReceived { conversation_id, message_id } => {
            super::tray::refresh(app);
            let (conversation_id, message_id) = (*conversation_id, *message_id);
            let found =
                read(app, move |c| Ok((conversations::get(c, conversation_id)?, messages::get(c, message_id)?))).await;
            if let Some((conv, msg)) = found.filter(|(_, m)| m.direction == crate::domain::Direction::Inbound) {
                let who = if conv.contact_name.is_empty() { conv.customer } else { conv.contact_name };
                let body = if msg.body.is_empty() { "(picture)".to_string() } else { msg.body };
                notify(app, notifier, &who, &body, Topic::Conversation(conv.id)).await;
            }
        }
        Event::VoicemailUpdated { voicemail_id } => {
            super::tray::refresh(app);
            // A voicemail is updated again when its file and transcript arrive: notify once.
            if notified_voicemails.insert(*voicemail_id) {
                let id = *voicemail_id;
                if let Some(vm) = read(app, move |c| voicemails::get(c, id)).await.filter(|v| !v.listened) {
                    notify(app, notifier, "New voicemail", &format!("From {}", vm.from), Topic::Voicemail).await;
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
/// The [`Notifier`] coalesces and replaces per conversation; nothing here blocks.
async fn notify<R: Runtime>(app: &AppHandle<R>, notifier: Option<&Notifier>, title: &str, body: &str, topic: Topic) {
    let Some(notifier) = notifier else { return };
    if read(app, notifications_enabled).await != Some(true) {
        return;
    }
    let clean = |s: &str| s.replace('<', "‹").replace('>', "›").replace('&', "＆");
    let preview: String = clean(body).chars().take(180).collect();
    if !notifier.notify(Notice { topic, title: clean(title), body: preview }) {
        tracing::debug!("notification dropped: too many at once");
    }
}

/// The one notification worker of the app. On Linux it talks to the notification server
/// over one D-Bus connection, which also carries the clicks (the Tauri plugin offers no
/// click callback there): clicking brings the window back and opens the thread or the
/// voicemail list. None when there is no notification service (a bare session).
#[cfg(target_os = "linux")]
async fn notifier<R: Runtime>(app: &AppHandle<R>) -> Option<Notifier> {
    let sink = match super::notify_dbus::DbusSink::connect().await {
        Ok(sink) => sink,
        Err(e) => {
            tracing::info!("no desktop notifications: {e}");
            return None;
        }
    };
    let conn = sink.connection();
    let for_clicks = app.clone();
    let (notifier, _worker) = Notifier::spawn(sink, NotifierPolicy::default(), move |topic| open(&for_clicks, topic));
    if let Err(e) = super::notify_dbus::listen(&conn, notifier.clone()).await {
        tracing::info!("notification clicks will not open threads: {e}");
    }
    Some(notifier)
}

/// Elsewhere the Tauri plugin shows them (no click callback, no replacement id); the
/// notifier still coalesces bursts.
#[cfg(not(target_os = "linux"))]
async fn notifier<R: Runtime>(app: &AppHandle<R>) -> Option<Notifier> {
    struct PluginSink<R: Runtime>(AppHandle<R>);
    #[async_trait::async_trait]
    impl<R: Runtime> NotificationSink for PluginSink<R> {
        async fn show(&mut self, n: &Notice, _replaces: Option<u32>) -> crate::Result<u32> {
            self.0
                .notification()
                .builder()
                .title(&n.title)
                .body(&n.body)
                .show()
                .map_err(|e| crate::Error::Internal(format!("notification not shown: {e}")))?;
            Ok(0)
        }
    }
    let (notifier, _worker) = Notifier::spawn(PluginSink(app.clone()), NotifierPolicy::default(), |_| {});
    Some(notifier)
}

/// Brings the window back (creating it in light tray mode) and opens what the clicked
/// notification was about.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn open<R: Runtime>(app: &AppHandle<R>, topic: Topic) {
    let opened = match topic {
        Topic::Conversation(id) => super::window::Opened::Conversation { conversation_id: id },
        Topic::Voicemail => super::window::Opened::Voicemail,
    };
    super::window::show(app, opened);
}
