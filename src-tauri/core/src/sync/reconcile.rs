//! Continuous reconciliation: while the app runs, the catch-up with Twilio ([`crate::sync::run`])
//! runs every [`Schedule::interval`], at once when the computer wakes or the network returns
//! ([`crate::wake`]), and when the tunnel (re)connects. Twilio does not retry a failed SMS
//! webhook, so without this a text whose webhook was lost (a tunnel blip, a 503 while the
//! disk was full) stayed missing until the next restart.
//!
//! One task owns every catch-up, so two never run at once: the start and reconnect
//! catch-ups are requests to it ([`Requester`]), and requests that pile up during a run
//! become one more run. Failures (Twilio's 429, no network) back off exponentially up to
//! [`Schedule::max_backoff`] and reset on the first success. The loop publishes a
//! [`ReconcileStatus`] ("up to date", or "last checked … — retrying") and counts what
//! periodic runs brought in ([`CaughtUp`]): anything they find is something a webhook
//! should have delivered, so a growing count says the tunnel drops events.
//!
//! A tunnel that is down is not a reason to wait longer: polling Twilio's REST API is then
//! the only way messages arrive. If the network itself is gone, the catch-up fails with a
//! network error and the backoff applies.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Summary;
use crate::domain::now_rfc3339;
use crate::error::Result;
use crate::events::{Event, Events};
use crate::store::{settings, Store};
use crate::tunnel::{supervisor::Reconnect, TunnelState};
use crate::twilio::client::TwilioClient;
use crate::wake::ResumeSource;
use crate::webhook::AppState;

/// About a minute: a missed text shows up within one, at one small list request per
/// resource when nothing is new.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// The longest wait between attempts while Twilio rate-limits us or the network is gone.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Seconds between reconciliations, for tests, the e2e and impatient owners.
pub const INTERVAL_ENV: &str = "SWITCHBOARD_RECONCILE_SECS";
/// The same as a setting (seconds), below the environment variable.
pub const INTERVAL_SETTING: crate::store::settings::Key = crate::store::settings::keys::RECONCILE_INTERVAL_SECS;
/// Where [`CaughtUp`] is kept (JSON in the settings table).
const CAUGHT_UP_KEY: crate::store::settings::Key = crate::store::settings::keys::CAUGHT_UP;
/// Several sources may report one wake (logind now, the clock watcher a tick later).
const RESUME_DEBOUNCE: Duration = Duration::from_secs(30);

/// Why a catch-up runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The tunnel came online (at start, or again after a drop).
    Reconnect,
    /// The interval elapsed.
    Periodic,
    /// The computer woke or the network came back.
    Resume,
}

/// When the loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub interval: Duration,
    pub max_backoff: Duration,
    /// Off for `serve --no-sync`: resume signals then only check the tunnel.
    pub catch_up: bool,
}

impl Schedule {
    pub fn every(interval: Duration) -> Self {
        Schedule { interval, max_backoff: MAX_BACKOFF, catch_up: true }
    }

    /// The wait after `failures` failed attempts in a row: interval × 2^failures, capped
    /// (never below the interval itself, should the owner set one above the cap).
    pub fn retry_delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.min(16));
        self.interval.saturating_mul(factor).min(self.max_backoff.max(self.interval))
    }
}

/// The interval: `explicit` (tests, the sandbox), else [`INTERVAL_ENV`], else the
/// [`INTERVAL_SETTING`] value `setting`, else [`DEFAULT_INTERVAL`]. Values below a second
/// are taken as a second: the owner cannot set Twilio polling to a hammer.
pub fn interval(explicit: Option<Duration>, setting: Option<&str>) -> Duration {
    if let Some(d) = explicit.filter(|d| !d.is_zero()) {
        return d;
    }
    if let Some(d) = env_interval() {
        return d;
    }
    setting.and_then(parse_secs).unwrap_or(DEFAULT_INTERVAL)
}

/// [`INTERVAL_ENV`], when set to a number of seconds.
pub fn env_interval() -> Option<Duration> {
    std::env::var(INTERVAL_ENV).ok().and_then(|v| parse_secs(&v))
}

fn parse_secs(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok().filter(|s: &f64| s.is_finite() && *s > 0.0)?;
    Some(Duration::from_secs_f64(secs.clamp(1.0, 86_400.0)))
}

/// Defined with the events that publish it (events sit below sync in the layers).
pub use crate::events::ReconcileStatus;

/// What periodic runs found that no webhook had delivered, since `since`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct CaughtUp {
    /// RFC 3339: when counting began (the first start with reconciliation).
    pub since: Option<String>,
    pub messages: u64,
    pub calls: u64,
    pub voicemails: u64,
    /// Delivery statuses whose callback never came.
    pub statuses: u64,
}

impl CaughtUp {
    pub fn read(conn: &rusqlite::Connection) -> Result<CaughtUp> {
        let raw = settings::get(conn, CAUGHT_UP_KEY)?;
        // A value this build cannot read starts the count again rather than failing a screen.
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default())
    }

    fn write(&self, conn: &rusqlite::Connection) -> Result<()> {
        settings::set(conn, CAUGHT_UP_KEY, &serde_json::to_string(self)?)
    }

    /// Starts the count now unless it already started.
    pub fn start(conn: &rusqlite::Connection) -> Result<()> {
        let mut c = Self::read(conn)?;
        if c.since.is_none() {
            c.since = Some(now_rfc3339());
            c.write(conn)?;
        }
        Ok(())
    }

    /// Adds what one periodic run brought in.
    pub fn add(conn: &rusqlite::Connection, s: &Summary) -> Result<CaughtUp> {
        let mut c = Self::read(conn)?;
        c.since.get_or_insert_with(now_rfc3339);
        c.messages += s.messages as u64;
        c.calls += s.calls as u64;
        c.voicemails += s.voicemails as u64;
        c.statuses += s.statuses_repaired as u64;
        c.write(conn)?;
        Ok(c)
    }
}

fn added(s: &Summary) -> usize {
    s.messages + s.calls + s.voicemails + s.statuses_repaired
}

/// What the loop does, behind a trait so its timing is tested with fakes in paused time.
#[async_trait]
pub trait Reconcile: Send + Sync + 'static {
    /// One catch-up with Twilio.
    async fn catch_up(&self) -> Result<Summary>;
    /// Makes sure the tunnel still carries webhooks, reopening it when not.
    async fn check_reach(&self);
    /// Remembers what a periodic run brought in.
    async fn record_caught_up(&self, summary: &Summary);
}

/// Asks the loop for a catch-up; cheap to clone.
#[derive(Debug, Clone)]
pub struct Requester(mpsc::UnboundedSender<Trigger>);

impl Requester {
    pub fn request(&self, trigger: Trigger) {
        let _ = self.0.send(trigger);
    }
}

/// The running loop.
pub struct Handle {
    requester: Requester,
    status: watch::Receiver<ReconcileStatus>,
    task: JoinHandle<()>,
}

impl Handle {
    pub fn requester(&self) -> Requester {
        self.requester.clone()
    }

    pub fn status(&self) -> ReconcileStatus {
        self.status.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<ReconcileStatus> {
        self.status.clone()
    }

    /// Stops the loop (a run in progress is dropped; it commits per resource, and what
    /// it did not store the next start finds again).
    /// Stops the loop and waits until it has let go of everything it held (the Store
    /// among them), so a shutdown really closes the database.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Starts the loop. The first periodic run is one interval away: the start catch-up is
/// requested by whoever knows the app is ready (the tunnel coming online).
pub fn spawn(ops: Arc<dyn Reconcile>, resume: Box<dyn ResumeSource>, schedule: Schedule, events: Events) -> Handle {
    let (tx, rx) = mpsc::unbounded_channel();
    let (status_tx, status_rx) = watch::channel(ReconcileStatus::default());
    let task = tokio::spawn(run_loop(ops, resume, schedule, events, rx, status_tx));
    Handle { requester: Requester(tx), status: status_rx, task }
}

/// `at` (on the monotonic clock) as wall-clock RFC 3339, for the UI.
fn wall(at: Instant) -> String {
    let ahead = at.saturating_duration_since(Instant::now());
    let when = chrono::Utc::now() + chrono::Duration::from_std(ahead).unwrap_or_default();
    when.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

async fn run_loop(
    ops: Arc<dyn Reconcile>,
    mut resume: Box<dyn ResumeSource>,
    schedule: Schedule,
    events: Events,
    mut requests: mpsc::UnboundedReceiver<Trigger>,
    status_tx: watch::Sender<ReconcileStatus>,
) {
    let mut status = ReconcileStatus::default();
    let mut next = Instant::now() + schedule.interval;
    let mut resume_open = true;
    let mut last_resume: Option<Instant> = None;
    loop {
        status.next_attempt = schedule.catch_up.then(|| wall(next));
        status_tx.send_replace(status.clone());
        let trigger = tokio::select! {
            _ = tokio::time::sleep_until(next), if schedule.catch_up => Trigger::Periodic,
            t = requests.recv() => match t {
                Some(t) => t,
                None => return,
            },
            r = resume.next(), if resume_open => match r {
                None => {
                    resume_open = false;
                    continue;
                }
                Some(why) => {
                    if last_resume.is_some_and(|at| at.elapsed() < RESUME_DEBOUNCE) {
                        continue;
                    }
                    last_resume = Some(Instant::now());
                    tracing::info!(?why, "resumed: checking the tunnel and catching up");
                    // The check may take seconds (a request through the public URL); the
                    // catch-up goes through the REST API and need not wait for it.
                    let o = ops.clone();
                    tokio::spawn(async move { o.check_reach().await });
                    Trigger::Resume
                }
            },
        };
        if !schedule.catch_up {
            continue;
        }
        // Requests made while waiting are served by this run.
        while requests.try_recv().is_ok() {}
        let result = ops.catch_up().await;
        status.runs += 1;
        match result {
            Ok(summary) => {
                status.failures = 0;
                status.last_ok = Some(now_rfc3339());
                status.last_error = None;
                if trigger == Trigger::Periodic && added(&summary) > 0 {
                    tracing::info!(?summary, "reconciliation found what no webhook delivered");
                    ops.record_caught_up(&summary).await;
                }
                next = Instant::now() + schedule.interval;
            }
            Err(e) => {
                status.failures = status.failures.saturating_add(1);
                status.last_error = Some(e.to_string());
                let delay = schedule.retry_delay(status.failures);
                tracing::warn!(error = %e, ?trigger, retry_in = ?delay, "catch-up with Twilio failed");
                next = Instant::now() + delay;
            }
        }
        status.next_attempt = Some(wall(next));
        events.publish(Event::ReconcileChanged { status: status.clone() });
    }
}

/// The loop's operations on the running app: [`crate::sync::run`] on its store and client,
/// the tunnel checked through its public URL, and the count kept in the settings table.
pub struct RuntimeOps {
    pub store: Store,
    pub client: TwilioClient,
    pub events: Events,
    pub state: AppState,
    pub tunnel: watch::Receiver<TunnelState>,
    pub reconnect: Reconnect,
}

#[async_trait]
impl Reconcile for RuntimeOps {
    async fn catch_up(&self) -> Result<Summary> {
        crate::sync::run(&self.store, &self.client, &self.events).await
    }

    async fn check_reach(&self) {
        let current = self.tunnel.borrow().clone();
        match current {
            TunnelState::Online { url, .. } => {
                // A session that outlived a sleep may look online and carry nothing.
                let test = crate::tunnel::selftest::run(&url, &self.state.auth_token).await;
                if !test.ok {
                    tracing::info!(reason = %test.message, "webhooks do not get through after resume; reopening the tunnel");
                    self.reconnect.now();
                }
            }
            TunnelState::Reconnecting { .. } | TunnelState::Failed { .. } => self.reconnect.now(),
            TunnelState::Connecting { .. } | TunnelState::Stopped { .. } => {}
        }
    }

    async fn record_caught_up(&self, summary: &Summary) {
        let s = summary.clone();
        if let Err(e) = self.store.write_async(move |tx| CaughtUp::add(tx, &s).map(|_| ())).await {
            tracing::warn!(error = %e, "could not count what reconciliation brought in");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::wake::{self, Resumed};
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// Records when each operation ran (paused time), answers catch-ups from a script
    /// (then with success), and tracks how many catch-ups overlap.
    #[derive(Default)]
    struct Fake {
        log: Mutex<Vec<(&'static str, Instant)>>,
        script: Mutex<VecDeque<Result<Summary>>>,
        run_for: Duration,
        running: Mutex<u32>,
        max_running: Mutex<u32>,
        recorded: Mutex<Vec<Summary>>,
    }

    impl Fake {
        fn times(&self, what: &str) -> Vec<Instant> {
            self.log.lock().unwrap().iter().filter(|(w, _)| *w == what).map(|(_, t)| *t).collect()
        }
    }

    #[async_trait]
    impl Reconcile for Fake {
        async fn catch_up(&self) -> Result<Summary> {
            self.log.lock().unwrap().push(("catch_up", Instant::now()));
            {
                let mut r = self.running.lock().unwrap();
                *r += 1;
                let mut m = self.max_running.lock().unwrap();
                *m = (*m).max(*r);
            }
            tokio::time::sleep(self.run_for).await;
            *self.running.lock().unwrap() -= 1;
            self.script.lock().unwrap().pop_front().unwrap_or_else(|| Ok(Summary::default()))
        }
        async fn check_reach(&self) {
            self.log.lock().unwrap().push(("check_reach", Instant::now()));
        }
        async fn record_caught_up(&self, summary: &Summary) {
            self.recorded.lock().unwrap().push(summary.clone());
        }
    }

    fn rate_limited() -> Error {
        Error::Twilio {
            status: 429,
            code: Some(20429),
            message: "Too Many Requests".into(),
            explanation: "slow".into(),
        }
    }

    fn start(fake: &Arc<Fake>, interval: Duration) -> (Handle, tokio::sync::mpsc::Sender<Resumed>) {
        let (tx, source) = wake::channel();
        let h = spawn(fake.clone(), Box::new(source), Schedule::every(interval), Events::new());
        (h, tx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_fake_resume_signal_triggers_a_tunnel_check_and_a_catch_up_within_a_second() {
        let fake = Arc::new(Fake::default());
        let (h, resume) = start(&fake, Duration::from_secs(60));
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert!(fake.times("catch_up").is_empty(), "nothing before the interval or a signal");
        let woke = Instant::now();
        resume.send(Resumed::Wake).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let checks = fake.times("check_reach");
        let runs = fake.times("catch_up");
        assert_eq!(checks.len(), 1, "one tunnel check per wake");
        assert_eq!(runs.len(), 1, "one catch-up per wake, not waiting for the minute");
        assert!(checks[0] - woke < Duration::from_secs(1) && runs[0] - woke < Duration::from_secs(1));
        // The same wake reported again by another source (the clock watcher) is one wake.
        resume.send(Resumed::ClockJump { gap_secs: 3600 }).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(fake.times("catch_up").len(), 1, "a second report of the same wake is ignored");
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn runs_every_interval_and_counts_only_what_periodic_runs_brought_in() {
        let fake = Arc::new(Fake::default());
        fake.script
            .lock()
            .unwrap()
            .extend([Ok(Summary::default()), Ok(Summary { messages: 2, statuses_repaired: 1, ..Summary::default() })]);
        let (h, _resume) = start(&fake, Duration::from_secs(60));
        tokio::time::sleep(Duration::from_secs(3600) + Duration::from_millis(500)).await;
        assert_eq!(fake.times("catch_up").len(), 60, "an hour at one a minute");
        assert_eq!(
            *fake.recorded.lock().unwrap(),
            vec![Summary { messages: 2, statuses_repaired: 1, ..Summary::default() }]
        );
        let s = h.status();
        assert_eq!((s.failures, s.runs), (0, 60));
        assert!(s.last_ok.is_some() && s.last_error.is_none() && s.next_attempt.is_some(), "{s:?}");

        // A catch-up asked for at (re)connect is not a periodic one: not counted.
        fake.script.lock().unwrap().push_back(Ok(Summary { messages: 5, ..Summary::default() }));
        h.requester().request(Trigger::Reconnect);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(fake.times("catch_up").len(), 61);
        assert_eq!(fake.recorded.lock().unwrap().len(), 1, "what the start/reconnect catch-up finds is expected");
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn backs_off_on_429_and_network_errors_up_to_the_cap_and_resets_on_success() {
        let fake = Arc::new(Fake::default());
        fake.script.lock().unwrap().extend([
            Err(rate_limited()),
            Err(rate_limited()),
            Err(Error::Network("connection refused".into())),
            Err(Error::Network("connection refused".into())),
            Err(Error::Network("connection refused".into())),
            Err(Error::Network("connection refused".into())),
            Err(Error::Network("connection refused".into())),
        ]);
        let interval = Duration::from_secs(60);
        let (h, _resume) = start(&fake, interval);
        tokio::time::sleep(Duration::from_secs(4 * 3600)).await;
        let runs = fake.times("catch_up");
        let gaps: Vec<u64> = runs.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
        // 60 s to the first; then 2, 4, 8 minutes, capped at 10, and back to 1 after success.
        assert_eq!(&gaps[..8], &[120, 240, 480, 600, 600, 600, 600, 60], "{gaps:?}");
        let s = h.status();
        assert_eq!(s.failures, 0, "reset by the first success");
        assert!(s.last_error.is_none());
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_status_says_retrying_with_the_error_while_failing() {
        let fake = Arc::new(Fake::default());
        fake.script.lock().unwrap().extend([Ok(Summary::default()), Err(rate_limited())]);
        let (h, _resume) = start(&fake, Duration::from_secs(60));
        tokio::time::sleep(Duration::from_secs(121)).await;
        let s = h.status();
        assert_eq!(s.failures, 1);
        assert!(s.last_ok.is_some(), "the last success is still known: {s:?}");
        assert_eq!(s.last_error.as_deref(), Some("slow"));
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn catch_ups_never_overlap_and_piled_up_requests_become_one_run() {
        let fake = Arc::new(Fake { run_for: Duration::from_secs(5), ..Fake::default() });
        let (h, resume) = start(&fake, Duration::from_secs(60));
        let r = h.requester();
        r.request(Trigger::Reconnect);
        tokio::time::sleep(Duration::from_millis(10)).await;
        // While that run takes 5 s: a reconnect, another, and a wake.
        r.request(Trigger::Reconnect);
        r.request(Trigger::Reconnect);
        resume.send(Resumed::Wake).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(*fake.max_running.lock().unwrap(), 1, "never two catch-ups at once");
        let n = fake.times("catch_up").len();
        assert!((2..=3).contains(&n), "the first run, then at most the wake and the coalesced requests: {n}");
        h.stop().await;
    }

    #[test]
    fn the_interval_comes_from_the_setting_or_the_default() {
        assert_eq!(interval(Some(Duration::from_millis(200)), Some("5")), Duration::from_millis(200));
        if env_interval().is_none() {
            assert_eq!(interval(None, None), DEFAULT_INTERVAL);
            assert_eq!(interval(None, Some("5")), Duration::from_secs(5));
            assert_eq!(interval(None, Some("0.01")), Duration::from_secs(1), "never below a second");
            assert_eq!(interval(None, Some("nonsense")), DEFAULT_INTERVAL);
        }
    }

    #[test]
    fn what_periodic_runs_found_is_totalled_since_a_date() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.write(CaughtUp::start).unwrap();
        let since = store.read(CaughtUp::read).unwrap().since;
        assert!(since.is_some());
        // Field by field: the summary may grow (transcriptions) without this test changing.
        let mut s = Summary::default();
        (s.messages, s.calls, s.voicemails, s.statuses_repaired) = (3, 1, 1, 2);
        store.write(move |tx| CaughtUp::add(tx, &s).map(|_| ())).unwrap();
        store.write(|tx| CaughtUp::add(tx, &Summary { messages: 1, ..Summary::default() }).map(|_| ())).unwrap();
        store.write(CaughtUp::start).unwrap();
        let c = store.read(CaughtUp::read).unwrap();
        assert_eq!((c.messages, c.calls, c.voicemails, c.statuses), (4, 1, 1, 2));
        assert_eq!(c.since, since, "starting again keeps the date counting began");
    }
}
