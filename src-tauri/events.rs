//! In-process events: every change the core stores is published here, so the desktop
//! shell can update the UI and notify without the core knowing about Tauri.
//! A broadcast channel: slow subscribers miss old events (they re-read the store), and
//! publishing never blocks or fails a webhook.

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    MessageReceived { conversation_id: i64, message_id: i64 },
    MessageUpdated { conversation_id: i64, message_id: i64, status: String },
    CallUpdated { call_sid: String },
    VoicemailUpdated { voicemail_id: i64 },
    ContactUpdated { contact_id: i64 },
    ComplianceUpdated { compliance_id: i64 },
    MediaDownloaded { message_id: i64 },
    DownloadFailed { kind: String, target_id: i64, error: String },
}

#[derive(Debug, Clone)]
pub struct Events {
    tx: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Events { tx }
    }

    /// Publishes `event`; having no subscriber is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
