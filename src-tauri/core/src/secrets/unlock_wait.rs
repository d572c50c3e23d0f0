//! Waiting for the keychain at login. Started at login in the tray, Switchboard can ask for
//! its credentials before the desktop session has unlocked the keychain (GNOME Keyring and
//! KWallet are unlocked by the login, but not always before autostart entries run; an
//! auto-login never unlocks them). A start that then gave up would leave the owner with a
//! tray icon and nothing listening, with no window to say why, for the whole day. So a
//! start that failed only because the keychain could not be read is tried again: quickly
//! at first, then once a minute, until it starts or fails for another reason.

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};

/// The wait before attempt `n + 1` after `n` failed ones: 2 s doubled each time, at most a
/// minute (one keychain read a minute is nothing, and an owner who unlocks it later is
/// listened for within that minute).
pub fn delay(failed: u32) -> Duration {
    let factor = 2u32.saturating_pow(failed.saturating_sub(1).min(16));
    Duration::from_secs(2).saturating_mul(factor).min(Duration::from_secs(60))
}

/// Runs `start` until it succeeds or fails for a reason other than the keychain, waiting
/// [`delay`] between attempts, and returns that last outcome. `on_wait` hears each keychain
/// failure with the wait that follows it (to log it and show it). `start` itself decides
/// whether there is still anything to start (the owner may have started it meanwhile).
pub async fn retry_while_locked<F, Fut>(mut start: F, mut on_wait: impl FnMut(&Error, u32, Duration)) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut failed = 0u32;
    loop {
        match start().await {
            Err(e @ Error::Keychain(_)) => {
                failed = failed.saturating_add(1);
                let wait = delay(failed);
                on_wait(&e, failed, wait);
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn the_waits_start_short_and_settle_at_a_minute() {
        let waits: Vec<u64> = (1..=8).map(|n| delay(n).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(delay(u32::MAX), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_locked_keychain_is_tried_again_until_it_opens() {
        let attempts = AtomicU32::new(0);
        let mut heard = Vec::new();
        let started = tokio::time::Instant::now();
        let outcome = retry_while_locked(
            || async {
                match attempts.fetch_add(1, Ordering::SeqCst) {
                    0..=2 => Err(Error::Keychain("the keychain is locked".into())),
                    _ => Ok(()),
                }
            },
            |e, failed, wait| heard.push((e.to_string(), failed, wait.as_secs())),
        )
        .await;
        assert!(outcome.is_ok());
        assert_eq!(attempts.load(Ordering::SeqCst), 4, "three locked reads, then the start");
        assert_eq!(heard.iter().map(|h| (h.1, h.2)).collect::<Vec<_>>(), vec![(1, 2), (2, 4), (3, 8)]);
        assert!(heard[0].0.contains("locked"), "the reason is passed on: {heard:?}");
        assert_eq!(started.elapsed(), Duration::from_secs(14), "2 + 4 + 8 s of waiting, nothing more");
    }

    #[tokio::test(start_paused = true)]
    async fn any_other_failure_ends_the_waiting_at_once() {
        let attempts = AtomicU32::new(0);
        let outcome = retry_while_locked(
            || async {
                match attempts.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(Error::Keychain("locked".into())),
                    _ => Err(Error::InvalidInput("the saved settings are not valid".into())),
                }
            },
            |_, _, _| {},
        )
        .await;
        assert!(matches!(outcome, Err(Error::InvalidInput(_))), "{outcome:?}");
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }
}
