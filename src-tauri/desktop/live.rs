//! The running core behind the window: the runtime on the owner's Twilio account, or the
//! sandbox, or nothing yet (no credentials: the first-run wizard is showing). Commands
//! clone what they need (a client, a sender) out of it and never hold its lock while
//! talking to Twilio, except the sandbox panel's calls into the simulator.

use tokio::sync::RwLock;

use crate::error::{Error, Result};
use crate::events::Events;
use crate::outbound::Outbound;
use crate::runtime::{Runtime, RuntimeConfig};
use crate::sandbox::Sandbox;
use crate::secrets::{keys, Keychain, TwilioCredentials};
use crate::store::{settings, Store};
use crate::tunnel::settings::TUNNEL_KIND;
use crate::tunnel::TunnelState;
use crate::twilio::client::TwilioClient;

pub enum Mode {
    /// Not running; the reason is shown (e.g. "no credentials yet").
    Stopped(String),
    Real(Box<Runtime>),
    Sandbox(Box<Sandbox>),
}

pub struct Live {
    pub mode: RwLock<Mode>,
    /// The window's store (settings such as the tunnel kind are read from it).
    pub store: Store,
    pub events: Events,
    pub sandbox: bool,
    /// What the latest catch-up with Twilio brought in, kept for a window that opens
    /// (or subscribes) after the startup backfill already finished.
    pub last_sync: std::sync::Arc<std::sync::Mutex<Option<AwaySummary>>>,
}

/// "While you were away": the counts of the latest backfill run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct AwaySummary {
    pub messages: usize,
    pub calls: usize,
    pub voicemails: usize,
}

/// How the owner chose to be reached (the `tunnel_kind` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    Ngrok,
    Manual,
    /// Not set up yet: nothing is opened.
    None,
}

/// The tunnel as the settings screen shows it: the chosen kind, and the core's own
/// [`TunnelState`] (the same value a `tunnel_changed` event carries), so the UI has one
/// model of the tunnel rather than a second, stringly one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct TunnelStatus {
    pub kind: TunnelKind,
    pub state: TunnelState,
}

impl Live {
    pub fn new(store: Store, events: Events, sandbox: bool) -> Self {
        Live {
            mode: RwLock::new(Mode::Stopped("starting".into())),
            store,
            events,
            sandbox,
            last_sync: Default::default(),
        }
    }

    /// Records each backfill's counts as they are published; spawn it once, before the
    /// core starts, so the startup backfill is never missed.
    pub fn remember_syncs(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.events.subscribe();
        let slot = self.last_sync.clone();
        async move {
            loop {
                match rx.recv().await {
                    // Periodic reconciliation runs that found nothing must not erase the
                    // summary of the one that did.
                    Ok(crate::events::Event::SyncCompleted { messages, calls, voicemails })
                        if messages + calls + voicemails > 0 =>
                    {
                        let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
                        *s = Some(AwaySummary { messages, calls, voicemails });
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        }
    }

    /// The latest backfill's counts, if it brought anything in.
    pub fn away_summary(&self) -> Option<AwaySummary> {
        let s = *self.last_sync.lock().unwrap_or_else(|p| p.into_inner());
        s.filter(|a| a.messages + a.calls + a.voicemails > 0)
    }

    /// (Re)starts the core: the sandbox, or the runtime when credentials exist.
    pub async fn restart(&self) -> Result<()> {
        let mut mode = self.mode.write().await;
        match std::mem::replace(&mut *mode, Mode::Stopped("restarting".into())) {
            Mode::Real(rt) => rt.shutdown().await?,
            Mode::Sandbox(sb) => sb.shutdown().await?,
            Mode::Stopped(_) => {}
        }
        *mode = if self.sandbox {
            let sb =
                Sandbox::start_with_events(self.store.clone(), crate::sim::SimConfig::default(), self.events.clone())
                    .await?;
            Mode::Sandbox(Box::new(sb))
        } else {
            // Keychain and settings reads block: off the async workers.
            let store = self.store.clone();
            let cfg = tokio::task::spawn_blocking(move || Self::real_config(&store))
                .await
                .map_err(|e| Error::Internal(format!("reading the settings failed: {e}")))??;
            match cfg {
                Some(cfg) => Mode::Real(Box::new(Runtime::start_with_events(cfg, self.events.clone()).await?)),
                None => Mode::Stopped("Enter your Twilio credentials to start".into()),
            }
        };
        Ok(())
    }

    /// Starts the core unless it already runs (the owner saved credentials or restarted it
    /// while the start waited for the keychain). A keychain failure is left showing, with
    /// the promise of another try, for a window that opens meanwhile.
    pub async fn start_unless_running(&self) -> Result<()> {
        if matches!(*self.mode.read().await, Mode::Real(_) | Mode::Sandbox(_)) {
            return Ok(());
        }
        let started = self.restart().await;
        if let Err(e @ Error::Keychain(_)) = &started {
            *self.mode.write().await = Mode::Stopped(format!("{e} (Switchboard tries again by itself)"));
        }
        started
    }

    /// The runtime the settings and the keychain describe; None without credentials.
    fn real_config(store: &Store) -> Result<Option<RuntimeConfig>> {
        let keychain = Keychain::default();
        let Some(creds) = TwilioCredentials::from_keychain(&keychain)? else { return Ok(None) };
        RuntimeConfig::from_settings(store, creds, || keychain.get(keys::NGROK_AUTHTOKEN)).map(Some)
    }

    fn not_running(why: &str) -> Error {
        Error::InvalidInput(format!("Switchboard is not connected to Twilio yet: {why}"))
    }

    /// The sender, with the current public URL.
    pub async fn outbound(&self) -> Result<Outbound> {
        match &*self.mode.read().await {
            Mode::Real(rt) => Ok(rt.outbound()),
            Mode::Sandbox(sb) => Ok(sb.runtime.outbound()),
            Mode::Stopped(why) => Err(Self::not_running(why)),
        }
    }

    /// The store and the download worker's wake-up of the running core (a Retry on a
    /// failed download queues it and wakes the worker).
    pub async fn downloads(&self) -> Result<(crate::store::Store, crate::media::Wake)> {
        match &*self.mode.read().await {
            Mode::Real(rt) => Ok((rt.store.clone(), rt.state.downloads.clone())),
            Mode::Sandbox(sb) => Ok((sb.runtime.store.clone(), sb.runtime.state.downloads.clone())),
            Mode::Stopped(why) => Err(Self::not_running(why)),
        }
    }

    pub async fn client(&self) -> Result<TwilioClient> {
        match &*self.mode.read().await {
            Mode::Real(rt) => Ok(rt.client.clone()),
            Mode::Sandbox(sb) => Ok(sb.runtime.client.clone()),
            Mode::Stopped(why) => Err(Self::not_running(why)),
        }
    }

    /// Points managed numbers and their fallback flows at the current URL now.
    pub async fn rewire(&self) {
        match &*self.mode.read().await {
            Mode::Real(rt) => rt.rewire().await,
            Mode::Sandbox(sb) => sb.runtime.rewire().await,
            Mode::Stopped(_) => {}
        }
    }

    /// The public base URL Twilio calls, when online.
    pub async fn public_url(&self) -> Option<String> {
        let url = match &*self.mode.read().await {
            Mode::Real(rt) => rt.state.public_url(),
            Mode::Sandbox(sb) => sb.runtime.state.public_url(),
            Mode::Stopped(_) => String::new(),
        };
        (!url.is_empty()).then_some(url)
    }

    /// When the app last heard from Twilio, while the core runs.
    pub async fn reconcile_status(&self) -> Option<crate::sync::reconcile::ReconcileStatus> {
        match &*self.mode.read().await {
            Mode::Real(rt) => Some(rt.reconcile_status()),
            Mode::Sandbox(sb) => Some(sb.runtime.reconcile_status()),
            Mode::Stopped(_) => None,
        }
    }

    pub async fn tunnel_status(&self) -> TunnelStatus {
        let stored = self.store.read_async(|c| settings::get(c, TUNNEL_KIND)).await.ok().flatten();
        let kind = match stored.as_deref() {
            Some("ngrok") => TunnelKind::Ngrok,
            Some("manual") => TunnelKind::Manual,
            Some(_) => TunnelKind::None,
            None if self.sandbox => TunnelKind::Manual,
            None => TunnelKind::None,
        };
        let state = match &*self.mode.read().await {
            // Why the core is not running is worth showing whatever the kind.
            Mode::Stopped(why) => TunnelState::Stopped { reason: Some(why.clone()) },
            _ if kind == TunnelKind::None => TunnelState::Stopped { reason: None },
            Mode::Real(rt) => rt.tunnel_state(),
            Mode::Sandbox(sb) => sb.runtime.tunnel_state(),
        };
        TunnelStatus { kind, state }
    }

    pub async fn shutdown(&self) {
        let mut mode = self.mode.write().await;
        let result = match std::mem::replace(&mut *mode, Mode::Stopped("closed".into())) {
            Mode::Real(rt) => rt.shutdown().await,
            Mode::Sandbox(sb) => sb.shutdown().await,
            Mode::Stopped(_) => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "shutting down");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings screen gets the core's own tunnel state, and the chosen kind; while the
    /// core is not running, why not (the old stringly status showed that as `off` + error).
    #[tokio::test]
    async fn tunnel_status_is_the_kind_and_the_core_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let live = Live::new(store.clone(), Events::new(), false);
        let status = live.tunnel_status().await;
        assert_eq!(status.kind, TunnelKind::None, "nothing chosen yet");
        assert_eq!(status.state, TunnelState::Stopped { reason: Some("starting".into()) });

        store.write(|tx| settings::set(tx, TUNNEL_KIND, "ngrok")).unwrap();
        *live.mode.write().await = Mode::Stopped("no credentials".into());
        let status = live.tunnel_status().await;
        assert_eq!(status.kind, TunnelKind::Ngrok);
        assert_eq!(status.state, TunnelState::Stopped { reason: Some("no credentials".into()) });
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "ngrok", "state": {"state": "stopped", "reason": "no credentials"}}),
            "the shape bindings.ts declares"
        );
    }
}
