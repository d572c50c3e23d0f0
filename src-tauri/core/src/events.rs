//! In-process events: every change the core stores is published here, so the desktop
//! shell can update the UI and notify without the core knowing about Tauri.
//! A broadcast channel: slow subscribers miss old events (they re-read the store), and
//! publishing never blocks or fails a webhook.

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The tunnel's state changed (connecting, online with its URL, reconnecting, failed).
    TunnelChanged {
        state: crate::tunnel::TunnelState,
    },
    /// A backfill run finished: what arrived while the app could not be reached.
    SyncCompleted {
        messages: usize,
        calls: usize,
        voicemails: usize,
    },
    /// Catch-up is under way: how many items of `resource` (messages, calls, recordings,
    /// transcriptions) it has listed from Twilio so far, and how many of them it has stored.
    SyncProgress {
        resource: String,
        listed: usize,
        stored: usize,
    },
    /// A reconciliation with Twilio finished: when it last succeeded, whether it is
    /// retrying and why, when it tries next (the status line shows it).
    ReconcileChanged {
        status: crate::sync::reconcile::ReconcileStatus,
    },
    MessageReceived {
        conversation_id: i64,
        message_id: i64,
    },
    MessageUpdated {
        conversation_id: i64,
        message_id: i64,
        status: String,
    },
    CallUpdated {
        call_sid: String,
    },
    VoicemailUpdated {
        voicemail_id: i64,
    },
    ContactUpdated {
        contact_id: i64,
    },
    ComplianceUpdated {
        compliance_id: i64,
    },
    MediaDownloaded {
        message_id: i64,
    },
    /// `kind` (media or recording) is sent as `download_kind`: the enum's own tag is `kind`.
    DownloadFailed {
        #[serde(rename = "download_kind")]
        kind: String,
        target_id: i64,
        error: String,
    },
    /// A bulk send moved on: counts so far, and the campaign's state (running, paused, done…).
    CampaignProgress {
        campaign_id: i64,
        sent: i64,
        skipped: i64,
        failed: i64,
        pending: i64,
        state: String,
    },
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
