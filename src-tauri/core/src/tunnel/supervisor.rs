//! Keeps one tunnel session open: opens it, watches it, reopens it with exponential
//! backoff when it drops (laptop sleep, Wi-Fi change), and gives up with the reason after
//! too many failed attempts in a row. State is published on a watch channel; the UI shows
//! it and the wiring re-points numbers whenever the online URL changes. A [`Reconnect`]
//! handle asks it to reopen now (after the computer wakes, when a check through the public
//! URL fails), skipping any backoff wait and even a give-up that was not permanent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch, Notify};

use super::{is_permanent, Tunnel};

/// Defined with the events that publish it (events sit below the tunnel in the layers).
pub use crate::events::TunnelState;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Consecutive failed opens before giving up.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { initial: Duration::from_secs(1), max: Duration::from_secs(60), max_attempts: 20 }
    }
}

impl RetryPolicy {
    /// Delay before attempt `n` (1-based): initial × 2^(n-1), capped at `max`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// The running supervisor: read its state, or stop it.
pub struct TunnelHandle {
    state: watch::Receiver<TunnelState>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    reconnect: Reconnect,
}

/// Asks the supervisor to reopen the session now. Cheap to clone; a request made while it
/// is already connecting is dropped (it is doing just that).
#[derive(Debug, Clone, Default)]
pub struct Reconnect(Arc<Notify>);

impl Reconnect {
    /// Online: closes the session and opens a new one at once. Waiting to retry: retries
    /// now. Given up after too many attempts: starts again. Failed for a reason that needs
    /// the owner (a wrong authtoken): nothing.
    pub fn now(&self) {
        self.0.notify_waiters();
    }
}

impl TunnelHandle {
    pub fn state(&self) -> TunnelState {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<TunnelState> {
        self.state.clone()
    }

    pub fn reconnector(&self) -> Reconnect {
        self.reconnect.clone()
    }

    /// Closes the session and waits for the supervisor to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts supervising `tunnel` forwarding to `local`.
pub fn spawn(tunnel: Arc<dyn Tunnel>, local: SocketAddr, policy: RetryPolicy) -> TunnelHandle {
    let (state_tx, state_rx) = watch::channel(TunnelState::Stopped { reason: None });
    let (stop_tx, stop_rx) = oneshot::channel();
    let reconnect = Reconnect::default();
    let task = tokio::spawn(run(tunnel, local, policy, state_tx, stop_rx, reconnect.clone()));
    TunnelHandle { state: state_rx, stop: Some(stop_tx), task, reconnect }
}

async fn run(
    tunnel: Arc<dyn Tunnel>,
    local: SocketAddr,
    policy: RetryPolicy,
    state: watch::Sender<TunnelState>,
    mut stop: oneshot::Receiver<()>,
    reconnect: Reconnect,
) {
    let nudge = &reconnect.0;
    let kind = tunnel.kind().to_string();
    let mut failures: u32 = 0;
    state.send_replace(TunnelState::Connecting { kind: kind.clone() });
    loop {
        let opened = tokio::select! {
            r = tunnel.open(local) => r,
            _ = &mut stop => break,
        };
        let reason = match opened {
            Ok(mut session) => {
                failures = 0;
                state.send_replace(TunnelState::Online { kind: kind.clone(), url: session.public_url() });
                tokio::select! {
                    reason = session.closed() => reason,
                    _ = nudge.notified() => {
                        // Asked to reopen (the session may be a ghost after a sleep):
                        // at once, not as a failure.
                        tracing::info!("reopening the tunnel on request");
                        session.close().await;
                        state.send_replace(TunnelState::Connecting { kind: kind.clone() });
                        continue;
                    }
                    _ = &mut stop => {
                        session.close().await;
                        break;
                    }
                }
            }
            Err(e) => {
                let reason = e.to_string();
                if is_permanent(&reason) {
                    tracing::warn!(%reason, "tunnel failed permanently");
                    state.send_replace(TunnelState::Failed { kind: kind.clone(), reason });
                    // Stay failed until stopped; the owner must fix the setting (a wake
                    // does not fix a wrong token, so a reconnect request is ignored).
                    let _ = (&mut stop).await;
                    break;
                }
                reason
            }
        };
        failures += 1;
        if failures > policy.max_attempts {
            state.send_replace(TunnelState::Failed {
                kind: kind.clone(),
                reason: format!("gave up after {} attempts: {reason}", policy.max_attempts),
            });
            // The network may come back (a wake, a new Wi-Fi): start again when asked.
            tokio::select! {
                _ = nudge.notified() => {
                    failures = 0;
                    state.send_replace(TunnelState::Connecting { kind: kind.clone() });
                    continue;
                }
                _ = &mut stop => break,
            }
        }
        let delay = policy.delay(failures);
        tracing::info!(%reason, attempt = failures, ?delay, "tunnel lost; reconnecting");
        state.send_replace(TunnelState::Reconnecting {
            kind: kind.clone(),
            attempt: failures,
            reason,
            retry_in_secs: delay.as_secs(),
        });
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = nudge.notified() => {}
            _ = &mut stop => break,
        }
    }
    state.send_replace(TunnelState::Stopped { reason: None });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, Result};
    use crate::tunnel::TunnelSession;
    use async_trait::async_trait;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// What the fake does on each `open`: succeed with a URL (then drop after the
    /// session's lifetime, if given) or fail with a message.
    enum Step {
        Online { url: &'static str, lives_for: Option<Duration> },
        Fail(&'static str),
    }

    struct FakeTunnel {
        steps: Mutex<VecDeque<Step>>,
        closed_on_purpose: Arc<Mutex<u32>>,
    }

    struct FakeSession {
        url: &'static str,
        lives_for: Option<Duration>,
        closed_on_purpose: Arc<Mutex<u32>>,
    }

    #[async_trait]
    impl Tunnel for FakeTunnel {
        fn kind(&self) -> &'static str {
            "fake"
        }
        async fn open(&self, _local: SocketAddr) -> Result<Box<dyn TunnelSession>> {
            let step = self.steps.lock().unwrap().pop_front();
            match step {
                Some(Step::Online { url, lives_for }) => {
                    Ok(Box::new(FakeSession { url, lives_for, closed_on_purpose: self.closed_on_purpose.clone() }))
                }
                Some(Step::Fail(why)) => Err(Error::Tunnel(why.into())),
                None => Err(Error::Tunnel("network unreachable".into())),
            }
        }
    }

    #[async_trait]
    impl TunnelSession for FakeSession {
        fn public_url(&self) -> String {
            self.url.into()
        }
        async fn closed(&mut self) -> String {
            match self.lives_for {
                Some(d) => {
                    tokio::time::sleep(d).await;
                    "connection reset (laptop slept)".into()
                }
                None => std::future::pending().await,
            }
        }
        async fn close(self: Box<Self>) {
            *self.closed_on_purpose.lock().unwrap() += 1;
        }
    }

    fn fake(steps: Vec<Step>) -> (Arc<FakeTunnel>, Arc<Mutex<u32>>) {
        let closed = Arc::new(Mutex::new(0));
        (Arc::new(FakeTunnel { steps: Mutex::new(steps.into()), closed_on_purpose: closed.clone() }), closed)
    }

    fn local() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8787))
    }

    /// Waits (in paused time) until the state satisfies `pred`, returning it.
    async fn wait_for(rx: &mut watch::Receiver<TunnelState>, pred: impl Fn(&TunnelState) -> bool) -> TunnelState {
        loop {
            if pred(&rx.borrow()) {
                return rx.borrow().clone();
            }
            rx.changed().await.expect("supervisor alive");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn start_online_then_stop_closes_the_session() {
        let (t, closed) = fake(vec![Step::Online { url: "https://a.ngrok.app", lives_for: None }]);
        let h = spawn(t, local(), RetryPolicy::default());
        let mut rx = h.subscribe();
        let s = wait_for(&mut rx, |s| matches!(s, TunnelState::Online { .. })).await;
        assert_eq!(s.url(), Some("https://a.ngrok.app"));
        h.stop().await;
        assert_eq!(*closed.lock().unwrap(), 1, "stop must close the open session");
        assert_eq!(*rx.borrow(), TunnelState::Stopped { reason: None });
    }

    #[tokio::test(start_paused = true)]
    async fn reconnects_after_a_drop_and_reports_the_new_url() {
        let (t, _) = fake(vec![
            Step::Online { url: "https://first.ngrok.app", lives_for: Some(Duration::from_secs(30)) },
            Step::Fail("dns lookup failed"),
            Step::Online { url: "https://second.ngrok.app", lives_for: None },
        ]);
        let h = spawn(t, local(), RetryPolicy::default());
        let mut rx = h.subscribe();
        wait_for(&mut rx, |s| s.url() == Some("https://first.ngrok.app")).await;
        let r = wait_for(&mut rx, |s| matches!(s, TunnelState::Reconnecting { .. })).await;
        assert!(matches!(r, TunnelState::Reconnecting { attempt: 1, .. }), "{r:?}");
        let r = wait_for(&mut rx, |s| matches!(s, TunnelState::Reconnecting { attempt: 2, .. })).await;
        assert!(matches!(r, TunnelState::Reconnecting { retry_in_secs: 2, .. }), "backoff doubles: {r:?}");
        let s = wait_for(&mut rx, |s| matches!(s, TunnelState::Online { .. })).await;
        assert_eq!(s.url(), Some("https://second.ngrok.app"), "the new URL is published");
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_with_the_reason() {
        let (t, _) = fake(vec![]);
        let policy = RetryPolicy { initial: Duration::from_secs(1), max: Duration::from_secs(4), max_attempts: 3 };
        let h = spawn(t, local(), policy);
        let mut rx = h.subscribe();
        let s = wait_for(&mut rx, |s| matches!(s, TunnelState::Failed { .. })).await;
        match s {
            TunnelState::Failed { reason, .. } => {
                assert!(
                    reason.contains("gave up after 3 attempts") && reason.contains("network unreachable"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_bad_authtoken_fails_at_once() {
        let (t, _) = fake(vec![Step::Fail("ERR_NGROK_105: The authtoken you specified is invalid")]);
        let h = spawn(t, local(), RetryPolicy::default());
        let mut rx = h.subscribe();
        let s = wait_for(&mut rx, |s| !matches!(s, TunnelState::Stopped { .. } | TunnelState::Connecting { .. })).await;
        assert!(matches!(s, TunnelState::Failed { .. }), "no retries for a wrong token: {s:?}");
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_reconnect_request_reopens_an_online_session_at_once() {
        let (t, closed) = fake(vec![
            Step::Online { url: "https://before-sleep.ngrok.app", lives_for: None },
            Step::Online { url: "https://after-sleep.ngrok.app", lives_for: None },
        ]);
        let h = spawn(t, local(), RetryPolicy::default());
        let mut rx = h.subscribe();
        wait_for(&mut rx, |s| s.url() == Some("https://before-sleep.ngrok.app")).await;
        let asked = tokio::time::Instant::now();
        h.reconnector().now();
        let s = wait_for(&mut rx, |s| s.url() == Some("https://after-sleep.ngrok.app")).await;
        assert!(asked.elapsed() < Duration::from_millis(1), "no backoff wait: {:?}", asked.elapsed());
        assert!(matches!(s, TunnelState::Online { .. }));
        assert_eq!(*closed.lock().unwrap(), 1, "the old session is closed, not leaked");
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_reconnect_request_skips_the_backoff_wait_and_revives_a_give_up() {
        let (t, _) = fake(vec![
            Step::Fail("network unreachable"),
            Step::Online { url: "https://back.ngrok.app", lives_for: None },
        ]);
        let policy = RetryPolicy { initial: Duration::from_secs(600), max: Duration::from_secs(600), max_attempts: 5 };
        let h = spawn(t, local(), policy);
        let mut rx = h.subscribe();
        wait_for(&mut rx, |s| matches!(s, TunnelState::Reconnecting { retry_in_secs: 600, .. })).await;
        let asked = tokio::time::Instant::now();
        h.reconnector().now();
        wait_for(&mut rx, |s| s.url() == Some("https://back.ngrok.app")).await;
        assert!(asked.elapsed() < Duration::from_secs(1), "retried at once: {:?}", asked.elapsed());
        h.stop().await;

        let (t, _) = fake(vec![
            Step::Fail("network unreachable"),
            Step::Online { url: "https://revived.ngrok.app", lives_for: None },
        ]);
        let policy = RetryPolicy { initial: Duration::from_secs(1), max: Duration::from_secs(1), max_attempts: 0 };
        let h = spawn(t, local(), policy);
        let mut rx = h.subscribe();
        wait_for(&mut rx, |s| matches!(s, TunnelState::Failed { .. })).await;
        h.reconnector().now();
        wait_for(&mut rx, |s| s.url() == Some("https://revived.ngrok.app")).await;
        h.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_reconnect_request_does_not_retry_a_wrong_token() {
        let (t, _) = fake(vec![
            Step::Fail("ERR_NGROK_105: The authtoken you specified is invalid"),
            Step::Online { url: "https://never.ngrok.app", lives_for: None },
        ]);
        let h = spawn(t, local(), RetryPolicy::default());
        let mut rx = h.subscribe();
        wait_for(&mut rx, |s| matches!(s, TunnelState::Failed { .. })).await;
        h.reconnector().now();
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(matches!(h.state(), TunnelState::Failed { .. }), "{:?}", h.state());
        h.stop().await;
    }

    #[test]
    fn backoff_is_capped() {
        let p = RetryPolicy { initial: Duration::from_secs(1), max: Duration::from_secs(60), max_attempts: 99 };
        assert_eq!(p.delay(1), Duration::from_secs(1));
        assert_eq!(p.delay(4), Duration::from_secs(8));
        assert_eq!(p.delay(30), Duration::from_secs(60));
    }
}
