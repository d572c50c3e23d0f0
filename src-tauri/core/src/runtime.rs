//! Everything that runs while Switchboard is open, GUI-free, so `switchboard serve` and
//! the desktop app run the same thing: the loopback listener and its download worker, the
//! tunnel (kept open by its supervisor), the wiring of managed numbers to the current
//! public URL, and a backfill after every (re)connect so nothing missed stays missing.
//! Every catch-up goes through one reconciliation loop (`crate::sync::reconcile`), which
//! also runs it periodically and when the computer wakes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::media::MediaConfig;
use crate::outbound::Outbound;
use crate::secrets::{Secret, TwilioCredentials};
use crate::store::{numbers, settings, Store};
use crate::sync::reconcile::{self, ReconcileStatus, Trigger};
use crate::tunnel::manual::ManualTunnel;
use crate::tunnel::ngrok::NgrokTunnel;
use crate::tunnel::selftest::{self, SelfTest};
use crate::tunnel::{self, fallback, supervisor, wiring, RetryPolicy, Tunnel, TunnelState};
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
    /// Keep a Twilio-hosted fallback flow per managed number (the simulator runs them too).
    pub fallback_flows: bool,
    /// Backfill on start and after each reconnect, and reconcile while running.
    pub backfill: bool,
    pub retry: RetryPolicy,
    /// How often to reconcile with Twilio while running; `None`: the environment
    /// (`SWITCHBOARD_RECONCILE_SECS`), the `reconcile_interval_secs` setting, or a minute.
    pub reconcile_interval: Option<Duration>,
}

impl RuntimeConfig {
    /// The owner's runtime as the settings describe it (the desktop app's, when
    /// credentials exist): reach from the stored tunnel choice ([`tunnel::settings::read`],
    /// lenient about odd values), the Twilio and media hosts from the environment.
    /// `ngrok_authtoken` is asked only when ngrok is chosen (the keychain in the app).
    /// Numbers are wired (and fallback flows kept) only when there is a way in; without
    /// one the runtime still catches up and sends, and leaves the numbers alone.
    pub fn from_settings(
        store: &Store,
        credentials: TwilioCredentials,
        ngrok_authtoken: impl FnOnce() -> Result<Option<Secret<String>>>,
    ) -> Result<RuntimeConfig> {
        let (reach, wire) = match store.read(tunnel::settings::read)? {
            tunnel::settings::ReachChoice::Ngrok { domain } => {
                let authtoken = ngrok_authtoken()?
                    .ok_or_else(|| Error::MissingCredentials("the ngrok authtoken (Settings > Tunnel)".into()))?;
                (Reach::Ngrok { authtoken, domain }, true)
            }
            tunnel::settings::ReachChoice::Manual(url) => (Reach::Manual(url), true),
            tunnel::settings::ReachChoice::None => (Reach::Loopback, false),
        };
        Ok(RuntimeConfig {
            store: store.clone(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            reach,
            client: ClientConfig::from_env(credentials.clone()),
            media: MediaConfig::from_env(Some(&credentials))?,
            credentials,
            wire_numbers: wire,
            fallback_flows: wire,
            backfill: true,
            retry: RetryPolicy::default(),
            reconcile_interval: None,
        })
    }
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
    /// The one pacer of this process: every sender handed out by [`Runtime::outbound`]
    /// shares it, so a number keeps its rate across replies, campaigns and runners.
    pacer: crate::outbound::Pacer,
    /// Deletes copies of sent attachments once Twilio fetched them (or after a day).
    media_janitor: JoinHandle<()>,
    reconcile: reconcile::Handle,
    /// Repairs sends the last run left half-done and resumes its campaigns.
    startup: JoinHandle<()>,
    /// Sends missed-call text-backs the call-status webhook decided on.
    text_backs: JoinHandle<()>,
    /// Fetches the prices of messages that reached a final status (`costs::prices`).
    prices: JoinHandle<()>,
    /// Cancels scheduled messages to customers who opted out, after every opt-out.
    scheduled_sweeper: JoinHandle<()>,
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
            Reach::Manual(url) => crate::tunnel::normalise_public_url(url)?,
            _ => store.read_async(|c| settings::get(c, settings::keys::PUBLIC_URL)).await?.unwrap_or_default(),
        };
        let text_back_wake = crate::media::Wake::default();
        let state = AppState::new(store.clone(), &first_url, auth_token, events.clone())
            .with_text_backs(text_back_wake.clone());
        let running = webhook::start(cfg.listen, state.clone(), cfg.media).await?;
        let addr = running.addr;
        let url_known = !matches!(cfg.reach, Reach::Ngrok { .. });
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
        if url_known {
            // The supervisor marks a known URL online at its first turn: wait for it, so a
            // text sent the moment this returns already carries its StatusCallback.
            let mut state = tunnel.subscribe();
            let online = state.wait_for(|s| matches!(s, TunnelState::Online { .. }));
            if tokio::time::timeout(std::time::Duration::from_secs(5), online).await.is_err() {
                tracing::warn!("the tunnel with a known URL was not online within 5 s of the start");
            }
        }
        let reconcile =
            start_reconcile(cfg.reconcile_interval, cfg.backfill, &store, &client, &events, &state, &tunnel).await;
        let follow = Arc::new(Follow {
            store: store.clone(),
            state: state.clone(),
            client: client.clone(),
            events: events.clone(),
            wire: cfg.wire_numbers,
            fallback_flows: cfg.fallback_flows,
            backfill: cfg.backfill,
            catch_up: reconcile.requester(),
        });
        let reach_task = tokio::spawn(follow_reach(tunnel.subscribe(), follow.clone()));
        let media_janitor = crate::outbound::media_links::spawn_janitor(store.clone());
        let pacer = crate::outbound::Pacer::default();
        let startup = tokio::spawn(finish_interrupted_work(sender(&store, &client, &events, &tunnel, &pacer)));
        let scheduled_sweeper =
            crate::outbound::scheduled::spawn_sweeper(sender(&store, &client, &events, &tunnel, &pacer), &events);
        let text_backs = tokio::spawn(crate::outbound::text_back::run(
            sender(&store, &client, &events, &tunnel, &pacer),
            text_back_wake,
        ));
        let prices = tokio::spawn(crate::costs::prices::run(store.clone(), client.clone(), events.clone()));
        Ok(Runtime {
            store,
            events,
            state,
            client,
            addr,
            running,
            tunnel,
            reach_task,
            follow,
            pacer,
            media_janitor,
            reconcile,
            startup,
            text_backs,
            prices,
            scheduled_sweeper,
        })
    }

    pub fn tunnel_state(&self) -> TunnelState {
        self.tunnel.state()
    }

    pub fn subscribe_tunnel(&self) -> watch::Receiver<TunnelState> {
        self.tunnel.subscribe()
    }

    /// When the app last heard from Twilio, and whether it is retrying.
    pub fn reconcile_status(&self) -> ReconcileStatus {
        self.reconcile.status()
    }

    pub fn subscribe_reconcile(&self) -> watch::Receiver<ReconcileStatus> {
        self.reconcile.subscribe()
    }

    /// The sender, with the public URL for status callbacks and MMS links only while the
    /// tunnel is online (a remembered URL nobody answers at is no URL), read at each send,
    /// and the process's one pacer.
    pub fn outbound(&self) -> Outbound {
        sender(&self.store, &self.client, &self.events, &self.tunnel, &self.pacer)
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
        // Each task is awaited after its abort, so nothing holds the Store once this returns.
        self.reconcile.stop().await;
        for task in
            [self.reach_task, self.media_janitor, self.startup, self.text_backs, self.prices, self.scheduled_sweeper]
        {
            task.abort();
            let _ = task.await;
        }
        self.tunnel.stop().await;
        self.running.shutdown().await
    }
}

/// The sender [`Runtime::outbound`] hands out: the public URL only while the tunnel is
/// online, and the process's one pacer.
fn sender(
    store: &Store,
    client: &TwilioClient,
    events: &Events,
    tunnel: &supervisor::TunnelHandle,
    pacer: &crate::outbound::Pacer,
) -> Outbound {
    Outbound::following(store.clone(), client.clone(), events.clone(), tunnel.subscribe()).with_pacer(pacer.clone())
}

/// Sends a previous run left half-done: adopted from Twilio's log, or failed with Retry;
/// then campaigns that were running carry on (each waits for its lease).
async fn finish_interrupted_work(ob: Outbound) {
    match crate::outbound::send::repair_interrupted(&ob, std::time::Duration::from_secs(60)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "repaired sends interrupted by the last shutdown"),
        Err(e) => tracing::warn!(error = %e, "could not repair interrupted sends"),
    }
    let running = ob.store.read_async(crate::store::campaigns::unfinished).await;
    for id in running.unwrap_or_default() {
        let ob = ob.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::outbound::campaign::run(&ob, id).await {
                tracing::warn!(campaign = id, error = %e, "campaign stopped");
            }
        });
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
    /// Catch-ups are asked of the reconciliation loop, so one never overlaps another.
    catch_up: reconcile::Requester,
}

/// The reconciliation loop on this runtime, listening to the system's resume signals.
async fn start_reconcile(
    explicit: Option<Duration>,
    backfill: bool,
    store: &Store,
    client: &TwilioClient,
    events: &Events,
    state: &AppState,
    tunnel: &supervisor::TunnelHandle,
) -> reconcile::Handle {
    let setting = store.read_async(|c| settings::get(c, reconcile::INTERVAL_SETTING)).await.ok().flatten();
    let interval = reconcile::interval(explicit, setting.as_deref());
    if let Err(e) = store.write_async(reconcile::CaughtUp::start).await {
        tracing::warn!(error = %e, "could not start counting what reconciliation brings in");
    }
    let ops = reconcile::RuntimeOps {
        store: store.clone(),
        client: client.clone(),
        events: events.clone(),
        state: state.clone(),
        tunnel: tunnel.subscribe(),
        reconnect: tunnel.reconnector(),
    };
    let schedule = reconcile::Schedule { catch_up: backfill, ..reconcile::Schedule::every(interval) };
    tracing::info!(?interval, enabled = backfill, "reconciling with Twilio while running");
    reconcile::spawn(Arc::new(ops), Box::new(crate::wake::system()), schedule, events.clone())
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
                if let Err(e) = f.store.write_async(move |tx| settings::set(tx, settings::keys::PUBLIC_URL, &u)).await {
                    tracing::warn!(error = %e, "could not remember the public URL");
                }
                if f.wire {
                    rewire(&f, url).await;
                }
            }
            // Every reconnect (same URL or not) may follow a gap: catch up.
            if f.backfill {
                f.catch_up.request(Trigger::Reconnect);
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
    // Every flow refuses the blocked callers, as the open app does.
    let blocked = match f.store.read_async(crate::store::blocked::list).await {
        Ok(list) => list.into_iter().map(|b| b.address).collect::<Vec<_>>(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the block list: the closed-app flows keep their old one");
            return out;
        }
    };
    for n in managed {
        let key = settings::keys::fallback_flow(n.id);
        let k = key.clone();
        let existing = f.store.read_async(move |c| settings::get(c, &k)).await.ok().flatten();
        match fallback::upsert_flow(&f.client, &n, &blocked, existing.as_deref()).await {
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
