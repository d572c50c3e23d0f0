//! In-process events: every change the core stores is published here, so the desktop
//! shell can update the UI and notify without the core knowing about Tauri.
//! A broadcast channel: slow subscribers miss old events (they re-read the store), and
//! publishing never blocks or fails a webhook.

use tokio::sync::broadcast;

/// The tunnel's state as the supervisor (`crate::tunnel::supervisor`) publishes it. It is
/// defined here, with the bus that carries it, so that events depend on nothing above them.
/// The one model of the tunnel: `tunnel_changed` carries it and the settings screen shows it
/// (inside the desktop's `TunnelStatus`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TunnelState {
    /// Not running. `reason` says why when it was not asked to stop (the desktop sets it
    /// when the core could not start); the supervisor's own stop leaves it empty.
    Stopped {
        reason: Option<String>,
    },
    Connecting {
        kind: String,
    },
    Online {
        kind: String,
        url: String,
    },
    Reconnecting {
        kind: String,
        attempt: u32,
        reason: String,
        retry_in_secs: u64,
    },
    Failed {
        kind: String,
        reason: String,
    },
}

impl TunnelState {
    pub fn url(&self) -> Option<&str> {
        match self {
            TunnelState::Online { url, .. } => Some(url),
            _ => None,
        }
    }
}

/// When the app last heard from Twilio, as the status line shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ReconcileStatus {
    /// RFC 3339 time of the last catch-up that succeeded.
    pub last_ok: Option<String>,
    /// Why the last attempt failed; cleared by a success.
    pub last_error: Option<String>,
    /// RFC 3339 time of the next periodic attempt (later while backing off).
    pub next_attempt: Option<String>,
    /// Failed attempts in a row: 0 is "up to date".
    pub failures: u32,
    /// Catch-ups finished since start (tests count requests per run with it).
    pub runs: u64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
#[serde(rename = "CoreChange")] // in bindings.ts: `Event` would shadow the DOM's
pub enum Event {
    /// The tunnel's state changed (connecting, online with its URL, reconnecting, failed).
    TunnelChanged {
        state: TunnelState,
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
        status: ReconcileStatus,
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
        state: crate::domain::kinds::CampaignState,
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
