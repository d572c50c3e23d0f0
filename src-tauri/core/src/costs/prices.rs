//! The price worker: asks Twilio for the price of each message queued in
//! `store::costs` (a final status or an arrival queues it), off the webhook's path so a
//! status callback is answered at once. Twilio often has no price yet in the first seconds
//! after the final status, so a message is asked again after growing delays
//! ([`BACKOFF`]), and given up after [`MAX_ATTEMPTS`]; a later catch-up that lists it still
//! records its price.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::store::{costs, messages, Store};
use crate::twilio::api::messages::MessageResource;
use crate::twilio::client::TwilioClient;

/// How often the queue is looked at (one indexed query when nothing is due).
pub const POLL: Duration = Duration::from_secs(3);
/// Messages fetched per round, so one round never holds the worker for long.
pub const BATCH: i64 = 25;
/// The wait after the n-th fetch that found no price (the last one repeats).
pub const BACKOFF: [Duration; 5] = [
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
];
/// Fetches per message before giving up (about seven hours after the final status).
pub const MAX_ATTEMPTS: i64 = 6;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// Prices recorded.
    pub recorded: usize,
    /// Asked again later: Twilio had no price yet (or could not be asked).
    pub later: usize,
    /// Given up: asked [`MAX_ATTEMPTS`] times, or Twilio no longer has the message.
    pub gave_up: usize,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// When a message asked `attempts` times so far (this one included) is asked next, or None
/// when that was the last try.
pub fn next_try(now: DateTime<Utc>, attempts: i64) -> Option<DateTime<Utc>> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let i = usize::try_from(attempts.max(1) - 1).unwrap_or(0).min(BACKOFF.len() - 1);
    Some(now + chrono::Duration::from_std(BACKOFF[i]).unwrap_or_default())
}

/// Fetches the price of every message due at `now` (at most [`BATCH`]). Stops at the first
/// network failure, counting that try, so an outage does not use up every message's tries.
pub async fn fetch_due(store: &Store, client: &TwilioClient, events: &Events, now: DateTime<Utc>) -> Result<Round> {
    let at = rfc3339(now);
    let due = store.read_async(move |c| costs::due(c, &at, BATCH)).await?;
    let mut round = Round::default();
    for check in due {
        let id = check.message_id;
        let tried = check.attempts + 1;
        let fetched = client.fetch_message(&check.sid).await;
        let price = match &fetched {
            Ok(m) => m.price.clone().filter(|p| crate::domain::money::parse_micros(p).is_some()),
            Err(_) => None,
        };
        if let (Ok(m), Some(price)) = (&fetched, price) {
            let unit = m.price_unit.clone();
            let recorded = store
                .write_async(move |tx| {
                    let changed = costs::record(tx, id, &price, unit.as_deref())?;
                    changed.then(|| messages::get(tx, id)).transpose()
                })
                .await?;
            round.recorded += 1;
            if let Some(m) = recorded {
                events.publish(Event::MessageUpdated {
                    conversation_id: m.conversation_id,
                    message_id: m.id,
                    status: m.status,
                });
            }
            continue;
        }
        let gone = matches!(fetched, Err(Error::Twilio { status: 404, .. }));
        match next_try(now, tried).filter(|_| !gone) {
            Some(next) => {
                let next = rfc3339(next);
                store.write_async(move |tx| costs::retry_at(tx, id, &next)).await?;
                round.later += 1;
            }
            None => {
                store.write_async(move |tx| costs::give_up(tx, id)).await?;
                round.gave_up += 1;
            }
        }
        if let Err(e @ Error::Network(_)) = fetched {
            tracing::debug!(error = %e, "Twilio unreachable: prices are fetched later");
            break;
        }
    }
    Ok(round)
}

/// (SID, price, currency) of each listed message Twilio has priced.
pub fn priced_in(listed: &[MessageResource]) -> Vec<(String, String, Option<String>)> {
    listed
        .iter()
        .filter_map(|m| Some((m.sid.clone(), m.price.clone().filter(|p| !p.trim().is_empty())?, m.price_unit.clone())))
        .collect()
}

/// Records the prices a catch-up listed for messages stored before it, in one write; each
/// without that price gets it (and leaves the queue). One update per conversation is
/// published (its newest priced message), so a large catch-up does not flood the event bus.
pub async fn record_listed(
    store: &Store,
    events: &Events,
    priced: Vec<(String, String, Option<String>)>,
) -> Result<usize> {
    if priced.is_empty() {
        return Ok(0);
    }
    let changed = store
        .write_async(move |tx| {
            let mut changed = Vec::new();
            for (sid, price, unit) in &priced {
                if let Some((id, _)) = costs::record_by_sid(tx, sid, price, unit.as_deref())? {
                    changed.push(messages::get(tx, id)?);
                }
            }
            Ok(changed)
        })
        .await?;
    let mut newest: std::collections::BTreeMap<i64, &messages::Message> = std::collections::BTreeMap::new();
    for m in &changed {
        newest.entry(m.conversation_id).and_modify(|n| *n = if m.id > n.id { m } else { n }).or_insert(m);
    }
    for m in newest.values() {
        events.publish(Event::MessageUpdated {
            conversation_id: m.conversation_id,
            message_id: m.id,
            status: m.status.clone(),
        });
    }
    Ok(changed.len())
}

/// The worker: a round every [`POLL`]. Never panics; a failed round is logged and the next
/// one tries again.
pub async fn run(store: Store, client: TwilioClient, events: Events) {
    loop {
        if let Err(e) = fetch_due(&store, &client, &events, Utc::now()).await {
            tracing::warn!(error = %e, "could not fetch message prices");
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_are_spaced_out_and_bounded() {
        let now = Utc::now();
        assert_eq!(next_try(now, 1), Some(now + chrono::Duration::seconds(30)));
        assert_eq!(next_try(now, 2), Some(now + chrono::Duration::seconds(120)));
        assert_eq!(next_try(now, 5), Some(now + chrono::Duration::hours(6)));
        assert_eq!(next_try(now, MAX_ATTEMPTS), None);
    }
}
