//! One send at a time per outbox row, within the process.
//!
//! The outbox makes a send idempotent across crashes (a row before the request, a look in
//! Twilio's log after a lost answer), but two sends of the SAME row running at once (Retry
//! clicked twice, or a command repeated while the first is still waiting for Twilio) would
//! both look in the log before either had created anything, and both send. Every path that
//! may ask Twilio to create a row's message takes this lock on the row's `client_ref` first
//! and reads the row again once it holds it, so the second finds the first one's outcome.
//! The lock is per key and released when its guard is dropped, also when the sending task
//! is aborted (a campaign stopped mid-send), so it never outlives its sender.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Locks = Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

#[derive(Clone, Default)]
pub struct OutboxLocks(Locks);

/// Held while one row is being sent; dropping it lets the next sender of that row in.
pub struct OutboxGuard {
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
    key: String,
    locks: Locks,
}

impl OutboxLocks {
    /// Waits until no other sender in this process holds `key`, then holds it.
    pub async fn lock(&self, key: &str) -> OutboxGuard {
        let entry = {
            // A poisoned map only holds mutex handles; keep using it.
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.to_string()).or_default().clone()
        };
        let guard = entry.lock_owned().await;
        OutboxGuard { guard: Some(guard), key: key.to_string(), locks: self.0.clone() }
    }

    /// How many keys are held or waited for (tests check that guards clean up).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many senders hold or wait for `key`: a test knows a second sender is waiting
    /// when this is 2, without sleeping and hoping.
    pub fn contenders(&self, key: &str) -> usize {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // The map's own handle is not a sender.
        map.get(key).map_or(0, |m| Arc::strong_count(m) - 1)
    }
}

impl Drop for OutboxGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map's own handle left: nobody holds or waits for this key any more.
        if map.get(&self.key).is_some_and(|m| Arc::strong_count(m) == 1) {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_sender_of_the_same_row_waits_for_the_first() {
        let locks = OutboxLocks::default();
        let first = locks.lock("send-1").await;
        let other = locks.lock("send-2").await; // another row is not held up
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("send-1").await })
        };
        while locks.contenders("send-1") < 2 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "the second sender of send-1 waits");
        assert_eq!(locks.contenders("send-2"), 1);
        drop(first);
        let second = waiting.await.unwrap();
        drop((second, other));
        assert!(locks.is_empty(), "released keys are forgotten");
    }
}
