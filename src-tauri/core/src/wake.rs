//! "The computer woke up" and "the network is back": the moments when webhooks were most
//! likely lost (a laptop that slept with its tunnel session still nominally open, a Wi-Fi
//! change) and a catch-up with Twilio should run at once instead of at the next tick.
//!
//! A [`ResumeSource`] yields [`Resumed`] events; the reconciliation loop
//! (`crate::sync::reconcile`) reacts to them, and is tested with the fake from [`channel`].
//! [`system`] combines what this platform offers:
//! - Linux: logind's `PrepareForSleep(false)` and NetworkManager's `StateChanged` to
//!   "connected (global)" on the system D-Bus, through the `dbus` crate that keyring's
//!   Secret Service backend already links (so the headless build has it too). Without a
//!   system bus (containers, CI) this is logged once and skipped.
//! - Every platform: a wall-clock watcher. The monotonic clock behind timers stops (Linux,
//!   macOS) or at least is not what a ticking task sees while suspended, but the wall clock
//!   keeps going, so a tick that finds much more wall time passed than it slept means the
//!   machine was asleep. This is the resume source on macOS and Windows, where the native
//!   notifications (IOKit's `IORegisterForSystemPower`, `WM_POWERBROADCAST`) need a run
//!   loop or window this GUI-free core does not own; it notices a wake within one tick
//!   ([`CLOCK_TICK`]) rather than at once. A wall-clock change by the owner or NTP looks
//!   the same and only costs one extra catch-up.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::sync::mpsc;

/// Why the loop is told to look again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// The operating system resumed from sleep (logind).
    Wake,
    /// The network came back (NetworkManager reached "connected, global").
    NetworkUp,
    /// The wall clock jumped ahead of the timer: the machine was most likely asleep.
    ClockJump { gap_secs: u64 },
}

/// Something that says when the computer resumed. `None` means it ended and will say no
/// more (the loop then carries on without it).
#[async_trait]
pub trait ResumeSource: Send + 'static {
    async fn next(&mut self) -> Option<Resumed>;
}

/// A source fed through a channel: the system watchers send into it, and tests use it as
/// the fake. Dropping it stops the watchers (they notice the closed channel).
pub struct ChannelSource {
    rx: mpsc::Receiver<Resumed>,
}

#[async_trait]
impl ResumeSource for ChannelSource {
    async fn next(&mut self) -> Option<Resumed> {
        self.rx.recv().await
    }
}

/// A sender and the source it feeds. Few events ever queue: a burst of wakes is one wake.
pub fn channel() -> (mpsc::Sender<Resumed>, ChannelSource) {
    let (tx, rx) = mpsc::channel(8);
    (tx, ChannelSource { rx })
}

/// How often the wall-clock watcher looks.
pub const CLOCK_TICK: Duration = Duration::from_secs(15);
/// How much more wall time than [`CLOCK_TICK`] must pass to count as a sleep: generous, so
/// a busy machine that runs the tick late is not taken for one that slept.
pub const CLOCK_SLACK: Duration = Duration::from_secs(45);

/// The resume signals this platform offers (see the module doc). Must be called inside a
/// tokio runtime.
pub fn system() -> ChannelSource {
    let (tx, source) = channel();
    #[cfg(target_os = "linux")]
    linux::spawn(tx.clone());
    tokio::spawn(watch_clock(tx, CLOCK_TICK, CLOCK_SLACK));
    source
}

/// The sleep a tick saw, if the wall clock moved by more than `tick + slack` since the last
/// one (a clock set backwards counts as no time).
pub fn slept(previous: SystemTime, now: SystemTime, tick: Duration, slack: Duration) -> Option<Duration> {
    let gap = now.duration_since(previous).unwrap_or_default();
    (gap > tick + slack).then_some(gap)
}

async fn watch_clock(tx: mpsc::Sender<Resumed>, tick: Duration, slack: Duration) {
    let mut last = SystemTime::now();
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            _ = tokio::time::sleep(tick) => {}
        }
        let now = SystemTime::now();
        if let Some(gap) = slept(last, now, tick, slack) {
            tracing::info!(gap_secs = gap.as_secs(), "the wall clock jumped: resumed from sleep");
            let _ = tx.try_send(Resumed::ClockJump { gap_secs: gap.as_secs() });
        }
        last = now;
    }
}

#[cfg(target_os = "linux")]
mod linux {
    //! logind and NetworkManager on the system bus. `dbus` is a blocking libdbus binding,
    //! so it runs on its own thread, polling once a second so it ends soon after the
    //! receiving side is dropped.

    use std::time::Duration;

    use dbus::blocking::Connection;
    use dbus::message::MatchRule;
    use tokio::sync::mpsc;

    use super::Resumed;

    /// NetworkManager's `NM_STATE_CONNECTED_GLOBAL`.
    const NM_CONNECTED_GLOBAL: u32 = 70;

    pub(super) fn spawn(tx: mpsc::Sender<Resumed>) {
        let started = std::thread::Builder::new().name("wake-dbus".into()).spawn(move || {
            if let Err(e) = listen(&tx) {
                // No system bus (a container, CI) or no logind: the clock watcher remains.
                tracing::info!("no resume signal from the system bus ({e}); relying on the clock");
            }
        });
        if let Err(e) = started {
            tracing::warn!("could not start the resume listener: {e}");
        }
    }

    fn listen(tx: &mpsc::Sender<Resumed>) -> Result<(), dbus::Error> {
        let conn = Connection::new_system()?;
        let wake = tx.clone();
        conn.add_match(
            MatchRule::new_signal("org.freedesktop.login1.Manager", "PrepareForSleep"),
            move |(going_to_sleep,): (bool,), _, _| {
                if !going_to_sleep {
                    tracing::info!("resumed from sleep (logind)");
                    let _ = wake.try_send(Resumed::Wake);
                }
                true
            },
        )?;
        let net = tx.clone();
        let mut last = None;
        // NetworkManager may be absent; logind alone is still worth listening to.
        if let Err(e) = conn.add_match(
            MatchRule::new_signal("org.freedesktop.NetworkManager", "StateChanged"),
            move |(state,): (u32,), _, _| {
                if state == NM_CONNECTED_GLOBAL && last != Some(state) {
                    tracing::info!("the network is back (NetworkManager)");
                    let _ = net.try_send(Resumed::NetworkUp);
                }
                last = Some(state);
                true
            },
        ) {
            tracing::debug!("not listening to NetworkManager: {e}");
        }
        while !tx.is_closed() {
            conn.process(Duration::from_secs(1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_wall_clock_gap_is_a_sleep_and_a_late_tick_is_not() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let tick = Duration::from_secs(15);
        let slack = Duration::from_secs(45);
        assert_eq!(slept(t0, t0 + Duration::from_secs(16), tick, slack), None, "a tick a second late");
        assert_eq!(slept(t0, t0 + Duration::from_secs(59), tick, slack), None, "a busy machine");
        assert_eq!(slept(t0, t0 + Duration::from_secs(3600), tick, slack), Some(Duration::from_secs(3600)));
        assert_eq!(slept(t0, t0 - Duration::from_secs(3600), tick, slack), None, "a clock set back");
    }

    #[tokio::test]
    async fn the_fake_source_yields_what_is_sent_and_ends_when_the_sender_goes() {
        let (tx, mut source) = channel();
        tx.send(Resumed::Wake).await.unwrap();
        assert_eq!(source.next().await, Some(Resumed::Wake));
        drop(tx);
        assert_eq!(source.next().await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_watcher_ends_when_its_source_is_dropped() {
        let (tx, source) = channel();
        let watcher = tokio::spawn(watch_clock(tx, CLOCK_TICK, CLOCK_SLACK));
        tokio::time::sleep(CLOCK_TICK * 3).await;
        assert!(!watcher.is_finished(), "it keeps watching while someone listens");
        drop(source);
        tokio::time::timeout(Duration::from_secs(1), watcher).await.expect("it stops").unwrap();
    }
}
