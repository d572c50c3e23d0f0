//! Everything that runs while Switchboard is open, GUI-free, so `switchboard serve` and
//! the desktop app run the same thing: the loopback listener and its download worker, the
//! tunnel (kept open by its supervisor), the wiring of managed numbers to the current
//! public URL, and a backfill after every (re)connect so nothing missed stays missing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::media::MediaConfig;
use crate::outbound::Outbound;
use crate::secrets::{Secret, TwilioCredentials};
use crate::store::{numbers, settings, Store};
use crate::tunnel::manual::ManualTunnel;
use crate::tunnel::ngrok::NgrokTunnel;
use crate::tunnel::selftest::{self, SelfTest};
use crate::tunnel::{fallback, supervisor, wiring, RetryPolicy, Tunnel, TunnelState};
use crate::twilio::client::{ClientConfig, TwilioClient};
use crate::webhook::{self, AppState};

/// How Twilio reaches the listener.
#[derive(Debug, Clone)]
pub enum Reach {
    /// The owner's own public URL (reverse proxy, Cloudflare Tunnel…).
    Manual(String),
    /// An ngrok tunnel opened by the app; `domain` is the account's static/dev domain.
    Ngrok { authtoken: Secret<String>, domain: Option<String> },
    /// The listener's own loopback URL: only for the built-in simulator (sandbox, tests).
    Loopback,
}

pub struct RuntimeConfig {
    /// The process's one Store (its one writer), opened by the caller: the desktop keeps
    /// using it for its commands, so the runtime must never open a second one.
    pub store: Store,
    pub listen: SocketAddr,
    pub reach: Reach,
    pub credentials: TwilioCredentials,
    pub client: ClientConfig,
    pub media: MediaConfig,
    /// Point managed numbers at the public URL (and keep them pointed) as it changes.
    pub wire_numbers: bool,
    /// Keep a Twilio-hosted fallback flow per managed number (off for the simulator,
    /// which has no Studio).
    pub fallback_flows: bool,
    /// Backfill on start and after each reconnect.
    pub backfill: bool,
    pub retry: RetryPolicy,
}

pub struct Runtime {
    pub store: Store,
    pub events: Events,
    pub state: AppState,
    pub client: TwilioClient,
    pub addr: SocketAddr,
    running: webhook::Running,
    tunnel: supervisor::TunnelHandle,
    reach_task: JoinHandle<()>,
    follow: Arc<Follow>,
}

impl Runtime {
    pub async fn start(cfg: RuntimeConfig) -> Result<Runtime> {
        Self::start_with_events(cfg, Events::new()).await
    }

    /// [`Runtime::start`] publishing on `events` (the desktop forwards them to the window).
    pub async fn start_with_events(cfg: RuntimeConfig, events: Events) -> Result<Runtime> {
        let auth_token = cfg.credentials.auth_token.clone().ok_or_else(|| {
            Error::MissingCredentials("the Auth Token (it signs webhooks; an API key alone cannot check them)".into())
        })?;
        let store = cfg.store.clone();
        let client = TwilioClient::new(cfg.client)?;
        // A manual URL is known now, so it is checked from the first request on: waiting
        // for the tunnel task to adopt it would refuse (403) whatever Twilio sends in the
        // first moments after a restart. An ngrok URL is only known once the tunnel is up;
        // until then signatures are checked against the last known URL.
        let first_url = match &cfg.reach {
            Reach::Manual(url) => crate::cli::normalise_public_url(url)?,
            _ => store.read_async(|c| settings::get(c, "public_url")).await?.unwrap_or_default(),
        };
        let state = AppState::new(store.clone(), &first_url, auth_token, events.clone());
        let running = webhook::start(cfg.listen, state.clone(), cfg.media).await?;
        let addr = running.addr;
        let tunnel: Arc<dyn Tunnel> = match cfg.reach {
            Reach::Manual(url) => Arc::new(ManualTunnel::new(&url)?),
            Reach::Ngrok { authtoken, domain } => Arc::new(NgrokTunnel::new(authtoken, domain)),
            Reach::Loopback => {
                // Nobody knows the port before this returns, so no request can race this.
                let own = format!("http://{addr}");
                state.set_public_url(&own);
                Arc::new(ManualTunnel::new(&own)?)
            }
        };
        let tunnel = supervisor::spawn(tunnel, addr, cfg.retry);
        let follow = Arc::new(Follow {
            store: store.clone(),
            state: state.clone(),
            client: client.clone(),
            events: events.clone(),
            wire: cfg.wire_numbers,
            fallback_flows: cfg.fallback_flows,
            backfill: cfg.backfill,
        });
        let reach_task = tokio::spawn(follow_reach(tunnel.subscribe(), follow.clone()));
        Ok(Runtime { store, events, state, client, addr, running, tunnel, reach_task, follow })
    }

    pub fn tunnel_state(&self) -> TunnelState {
        self.tunnel.state()
    }

    pub fn subscribe_tunnel(&self) -> watch::Receiver<TunnelState> {
        self.tunnel.subscribe()
    }

    /// The sender, with the current public URL for status callbacks and MMS links.
    pub fn outbound(&self) -> Outbound {
        let url = self.state.public_url();
        Outbound::new(self.store.clone(), self.client.clone(), self.events.clone(), (!url.is_empty()).then_some(url))
    }

    /// Points the managed numbers, and their fallback flows, at the current public URL now:
    /// after a number starts being managed or its call settings change (the fallback flow
    /// forwards to its forwarding number). Does nothing while offline or unwired; the next
    /// time the tunnel comes up does it then.
    pub async fn rewire(&self) {
        let url = self.state.public_url();
        if self.follow.wire && !url.is_empty() {
            rewire(&self.follow, &url).await;
        }
    }

    /// Sends ourselves a signed request through the public URL.
    pub async fn selftest(&self) -> SelfTest {
        let url = self.state.public_url();
        if url.is_empty() {
            return SelfTest { ok: false, message: "No public URL yet: the tunnel is not online".into() };
        }
        selftest::run(&url, &self.state.auth_token).await
    }

    /// Stops the tunnel, then the listener (finishing in-flight requests) and the worker.
    pub async fn shutdown(self) -> Result<()> {
        self.reach_task.abort();
        self.tunnel.stop().await;
        self.running.shutdown().await
    }
}

struct Follow {
    store: Store,
    state: AppState,
    client: TwilioClient,
    events: Events,
    wire: bool,
    fallback_flows: bool,
    backfill: bool,
}

/// Reacts to the tunnel: a new public URL is adopted for signature checks, remembered,
/// pushed to every managed number, and followed by a backfill of what was missed.
async fn follow_reach(mut rx: watch::Receiver<TunnelState>, f: Arc<Follow>) {
    let mut last_online: Option<String> = None;
    loop {
        let current = rx.borrow_and_update().clone();
        f.events.publish(Event::TunnelChanged { state: current.clone() });
        // Offline (reconnecting, failed): keep last_online, so the same URL coming back
        // needs no rewiring, only a catch-up.
        if let Some(url) = current.url() {
            let changed = last_online.as_deref() != Some(url);
            if changed {
                f.state.set_public_url(url);
                let u = url.to_string();
                if let Err(e) = f.store.write_async(move |tx| settings::set(tx, "public_url", &u)).await {
                    tracing::warn!(error = %e, "could not remember the public URL");
                }
                if f.wire {
                    rewire(&f, url).await;
                }
            }
            // Every reconnect (same URL or not) may follow a gap: catch up.
            if f.backfill {
                match crate::sync::run(&f.store, &f.client, &f.events).await {
                    Ok(s) => tracing::info!(?s, "backfill done"),
                    Err(e) => tracing::warn!(error = %e, "backfill failed; it runs again on the next reconnect"),
                }
            }
            last_online = Some(url.to_string());
        }
        if rx.changed().await.is_err() {
            break;
        }
    }
}

async fn rewire(f: &Follow, url: &str) {
    let fallbacks = if f.fallback_flows { ensure_fallback_flows(f).await } else { HashMap::new() };
    match wiring::rewire_all(&f.store, &f.client, url, &fallbacks).await {
        Ok(report) => {
            for w in report.iter().filter(|w| w.error.is_some()) {
                tracing::warn!(number = %w.e164, error = ?w.error, "could not point the number at Switchboard");
            }
        }
        Err(e) => tracing::warn!(error = %e, "rewiring failed"),
    }
}

/// The fallback flow of each managed number (created or updated to match its settings),
/// by number id. A number whose flow cannot be made still gets wired, without fallback.
async fn ensure_fallback_flows(f: &Follow) -> HashMap<i64, String> {
    let mut out = HashMap::new();
    let managed =
        match f.store.read_async(|c| Ok(numbers::list(c)?.into_iter().filter(|n| n.managed).collect::<Vec<_>>())).await
        {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "could not list managed numbers");
                return out;
            }
        };
    for n in managed {
        let key = format!("fallback_flow:{}", n.id);
        let k = key.clone();
        let existing = f.store.read_async(move |c| settings::get(c, &k)).await.ok().flatten();
        match fallback::upsert_flow(&f.client, &n, existing.as_deref()).await {
            Ok(flow) => {
                let sid = flow.sid.clone();
                let _ = f.store.write_async(move |tx| settings::set(tx, &key, &sid)).await;
                if let Ok(url) = fallback::webhook_url(&flow, f.client.account_sid()) {
                    out.insert(n.id, url);
                }
            }
            Err(e) => tracing::warn!(number = %n.e164, error = %e, "no fallback flow: calls while closed will fail"),
        }
    }
    out
}
