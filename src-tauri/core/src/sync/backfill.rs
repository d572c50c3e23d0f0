//! Catch-up: Twilio keeps every message, call, recording and transcription in the
//! account's logs, so whatever happened while Switchboard could not be reached is fetched
//! from there and stored by SID (nothing twice, whether it also came by webhook or not).
//!
//! Complete: each list is paged back ([`super::pages`]) until it reaches the resource's
//! watermark, however many thousands of items were missed, and applied oldest first in
//! chunks. The watermark only ever moves over what is stored: after each committed chunk
//! to that chunk's newest item, and never past an item still in progress (a call not yet
//! over, a transcription not yet done) so that it is listed again. Progress is published
//! as [`Event::SyncProgress`]. Cheap when nothing is new (one list request per resource),
//! because the reconciliation loop runs this every minute; [`Event::SyncCompleted`] (the
//! "while you were away" summary) is published only when a run added something.
//! Status callbacks missed while closed are repaired by fetching each outbound message
//! still in a non-final status.

use chrono::{DateTime, Utc};

use crate::domain::status::MessageStatus;
use crate::error::Result;
use crate::events::{Event, Events};
use crate::store::{messages, settings, Store};
use crate::twilio::api::to_rfc3339;
use crate::twilio::client::TwilioClient;

/// How far back the very first sync looks, so a new install shows recent history.
pub const FIRST_SYNC_DAYS: i64 = 30;
/// Listing goes this far behind the watermark: an item Twilio shows a little late (its
/// log is eventually consistent) is still found. It costs no extra request: the first page
/// covers far more than this unless a thousand items arrived in these minutes.
pub const OVERLAP_MINUTES: i64 = 10;
/// Items stored per transaction: the watermark moves after each, so an interrupted
/// catch-up resumes where it stopped, and webhooks are not held up behind one huge write.
pub const CHUNK: usize = 500;
/// An item still in progress this long is taken as final (so it cannot hold the
/// watermark back for ever).
pub const SETTLE_HOURS: i64 = 24;

/// "While you were away": what the run added.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub messages: usize,
    pub calls: usize,
    pub voicemails: usize,
    /// Outbound messages whose final status was fetched because its callback was missed.
    pub statuses_repaired: usize,
    /// Voicemail transcripts fetched because their callback was missed.
    pub transcriptions: usize,
}

/// Keeps what one resource's catch-up counted, or its error when it is the run's first.
fn tally(result: Result<usize>, count: &mut usize, first_error: &mut Option<crate::error::Error>) {
    match result {
        Ok(n) => *count = n,
        Err(e) => {
            first_error.get_or_insert(e);
        }
    }
}

/// One full catch-up. Each resource is independent: a failure in one is returned after
/// the others have run, so a Recordings outage does not hide new messages.
pub async fn run(store: &Store, client: &TwilioClient, events: &Events) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut first_error = None;
    tally(super::messages::catch_up(store, client, events).await, &mut summary.messages, &mut first_error);
    tally(super::voice::calls(store, client, events).await, &mut summary.calls, &mut first_error);
    tally(super::voice::recordings(store, client, events).await, &mut summary.voicemails, &mut first_error);
    tally(super::voice::transcriptions(store, client, events).await, &mut summary.transcriptions, &mut first_error);
    tally(repair_statuses(store, client, events).await, &mut summary.statuses_repaired, &mut first_error);
    if let Err(e) = crate::compliance::refresh_pending(store, client).await {
        first_error = first_error.or(Some(e));
    }
    // US registrations resume here after a restart, and move on by polling where Twilio
    // has no callback (brands, campaigns, toll-free verifications).
    let ctx = crate::registration::a2p::Ctx { store, client, status_callback: None };
    if let Err(e) = crate::registration::a2p::poll_all(&ctx).await {
        first_error = first_error.or(Some(e));
    }
    if let Err(e) = crate::registration::tollfree::poll_all(store, client).await {
        first_error = first_error.or(Some(e));
    }
    if summary.messages + summary.calls + summary.voicemails > 0 {
        events.publish(Event::SyncCompleted {
            messages: summary.messages,
            calls: summary.calls,
            voicemails: summary.voicemails,
        });
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

/// RFC 3339 as the store writes times (and compares them, as text).
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Where `resource` is stored up to: everything listed at or before it is in the store.
pub async fn watermark(store: &Store, resource: &'static str) -> Result<DateTime<Utc>> {
    let stored = store.read_async(move |c| settings::watermark(c, resource)).await?;
    Ok(stored
        .and_then(|w| chrono::DateTime::parse_from_rfc3339(&w).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc::now() - chrono::Duration::days(FIRST_SYNC_DAYS)))
}

/// Where listing stops for a watermark: [`OVERLAP_MINUTES`] before it.
pub fn stop_before(mark: DateTime<Utc>) -> DateTime<Utc> {
    mark - chrono::Duration::minutes(OVERLAP_MINUTES)
}

/// The `DateSent>`/`StartTime>` filter for a watermark: a safety bound only (paging stops
/// at the watermark by itself), a day early because Twilio may apply it by day.
pub fn day_filter(mark: DateTime<Utc>) -> String {
    (mark - chrono::Duration::days(1)).format("%Y-%m-%dT00:00:00Z").to_string()
}

/// Where the watermark may move after a run over `listed` (oldest first): the newest item,
/// but not past an item still `unsettled` (less a millisecond, so it is listed again).
pub fn next_mark<T: super::pages::Listed>(listed: &[T], unsettled: impl Fn(&T) -> bool) -> Option<DateTime<Utc>> {
    let newest = listed.iter().filter_map(|i| i.created()).max()?;
    let settle = Utc::now() - chrono::Duration::hours(SETTLE_HOURS);
    let hold = listed
        .iter()
        .filter(|i| unsettled(i))
        .filter_map(|i| i.created())
        .filter(|c| *c > settle)
        .min()
        .map(|c| c - chrono::Duration::milliseconds(1));
    Some(hold.map_or(newest, |h| h.min(newest)))
}

/// Publishes catch-up progress for `resource`.
pub fn progress(events: &Events, resource: &str, listed: usize, stored: usize) {
    events.publish(Event::SyncProgress { resource: resource.to_string(), listed, stored });
}

async fn repair_statuses(store: &Store, client: &TwilioClient, events: &Events) -> Result<usize> {
    let open = store.read_async(messages::open_outbound_sids).await?;
    let mut repaired = 0;
    for sid in open {
        let m = client.fetch_message(&sid).await?;
        let Some(status) = m.status.as_deref().map(MessageStatus::parse) else { continue };
        let at = to_rfc3339(m.date_updated.as_deref());
        let code = m.error_code;
        let price = m.price.clone().map(|p| (p, m.price_unit.clone()));
        let outcome = store
            .write_async(move |tx| {
                // A 21610 failure: the recipient had said STOP to Twilio, never try them again.
                let (outcome, _) = messages::apply_status_and_opt_out(tx, &sid, &status, code, at.as_deref())?;
                if let Some((price, unit)) = &price {
                    crate::store::costs::record_by_sid(tx, &sid, price, unit.as_deref())?;
                }
                Ok(outcome)
            })
            .await?;
        if let messages::StatusOutcome::Applied { message_id, conversation_id } = outcome {
            repaired += 1;
            let status = m.status.clone().unwrap_or_default();
            events.publish(Event::MessageUpdated { conversation_id, message_id, status });
        }
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::pages::Listed;

    struct At(DateTime<Utc>, bool);
    impl Listed for At {
        fn sid(&self) -> &str {
            "x"
        }
        fn created(&self) -> Option<DateTime<Utc>> {
            Some(self.0)
        }
    }

    #[test]
    fn the_watermark_stops_short_of_an_item_in_progress() {
        let now = Utc::now();
        let items = [
            At(now - chrono::Duration::minutes(5), false),
            At(now - chrono::Duration::minutes(3), true),
            At(now, false),
        ];
        let mark = next_mark(&items, |i| i.1).unwrap();
        assert_eq!(mark, now - chrono::Duration::minutes(3) - chrono::Duration::milliseconds(1));
        let old = [At(now - chrono::Duration::days(3), true), At(now, false)];
        assert_eq!(next_mark(&old, |i| i.1), Some(now), "an item in progress for days no longer holds it back");
        assert_eq!(next_mark::<At>(&[], |_| false), None);
    }
}
