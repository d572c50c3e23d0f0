//! Messages: create (send), list with filters, fetch, media, and backfill.
//!
//! Sending is the one request that must never happen twice. It is sent once; when the
//! connection drops after the request may have reached Twilio, `outbound::send` lists
//! the recent messages between the same numbers and adopts only one that is provably
//! ours ([`MessageResource::is_provably`]) before sending again.

use std::collections::HashSet;
use std::time::Duration;

use super::{lenient, lenient_i64};
use crate::error::Result;
use crate::twilio::client::{Host, Params, TwilioClient};

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct MessageResource {
    pub sid: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub body: Option<String>,
    pub status: Option<String>,
    /// inbound, outbound-api, outbound-call, outbound-reply.
    pub direction: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub num_segments: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub num_media: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    pub price: Option<String>,
    pub price_unit: Option<String>,
    /// RFC 2822, as Twilio sends it; see `api::to_rfc3339`.
    pub date_created: Option<String>,
    pub date_sent: Option<String>,
    pub date_updated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct MediaResource {
    pub sid: String,
    pub content_type: Option<String>,
    pub parent_sid: Option<String>,
    /// `/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME….json`; the file is this without `.json`.
    pub uri: Option<String>,
}

/// A message to create.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub from: String,
    pub to: String,
    pub body: String,
    /// Public URLs Twilio fetches the attachments from (up to 10).
    pub media_urls: Vec<String>,
    /// `<public_url>/twilio/sms/status`, or None to receive no status callbacks.
    pub status_callback: Option<String>,
    /// Our idempotency key (the outbox `client_ref`), sent as `I-Twilio-Idempotency-Token`
    /// so a simulator (or a future Twilio) can de-duplicate; we never rely on it alone.
    pub client_ref: Option<String>,
    /// Sent through this Messaging Service (MG…): Twilio schedules only such messages.
    /// `From` is still sent, so the customer hears from the same number as always.
    pub messaging_service_sid: Option<String>,
    /// Twilio sends it at this time (`ScheduleType=fixed`, `SendAt`, ISO 8601 UTC) instead
    /// of now; see `domain::schedule` for the bounds.
    pub send_at: Option<String>,
}

/// Filters for listing messages; all optional.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub to: Option<String>,
    pub from: Option<String>,
    /// `DateSent>` this date-time (`2026-11-20T00:00:00Z`).
    pub date_sent_after: Option<String>,
    pub page_size: Option<u32>,
}

impl MessageFilter {
    fn params(&self) -> Params {
        Params::new()
            .opt("To", self.to.clone())
            .opt("From", self.from.clone())
            .opt("DateSent>", self.date_sent_after.clone())
            .opt("PageSize", self.page_size.map(|n| n.to_string()))
    }
}

/// The prefix Twilio puts before the body of every message sent from a trial account.
pub const TRIAL_PREFIX: &str = "Sent from your Twilio trial account - ";

/// How far Twilio's clock may be behind ours when we compare its `date_created` with the
/// moment our request started (its dates also have whole seconds only).
pub const CLOCK_SKEW: Duration = Duration::from_secs(30);

impl MessageResource {
    /// Whether this message in Twilio's log is provably the one `m` asked for, sent by a
    /// request that started at `not_before`: the exact body (Twilio's trial-account prefix
    /// is the only difference allowed), the same From and To, the same number of
    /// attachments, and created no earlier than the request (less [`CLOCK_SKEW`]). A body
    /// that merely ends like ours ("Thanks, OK" for "OK"), or an empty one, is not enough.
    pub fn is_provably(&self, m: &NewMessage, not_before: chrono::DateTime<chrono::Utc>) -> bool {
        let body = self.body.as_deref().unwrap_or_default();
        let same_body = body == m.body || body.strip_prefix(TRIAL_PREFIX) == Some(m.body.as_str());
        let same_ends = self.from.as_deref() == Some(m.from.as_str()) && self.to.as_deref() == Some(m.to.as_str());
        let same_media = self.num_media.unwrap_or(0) == m.media_urls.len() as i64;
        let outbound = self.direction.as_deref().is_none_or(|d| d.starts_with("outbound"));
        let since = not_before - chrono::Duration::from_std(CLOCK_SKEW).unwrap_or_default();
        let created = self
            .date_created
            .as_deref()
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        same_body && same_ends && same_media && outbound && created.is_some_and(|c| c >= since)
    }
}

impl TwilioClient {
    /// One POST to Messages.json, never retried: a lost answer is reconciled by the caller
    /// (`outbound::send`), which knows which SIDs are already stored.
    pub async fn create_message(&self, m: &NewMessage) -> Result<MessageResource> {
        let mut p = Params::new().add("To", &m.to).add("From", &m.from);
        if !m.body.is_empty() {
            p = p.add("Body", &m.body);
        }
        for u in &m.media_urls {
            p = p.add("MediaUrl", u);
        }
        p = p.opt("StatusCallback", m.status_callback.clone());
        p = p.opt("MessagingServiceSid", m.messaging_service_sid.clone());
        if let Some(at) = &m.send_at {
            p = p.add("ScheduleType", "fixed").add("SendAt", at);
        }
        let url = self.account_url("Messages.json");
        match &m.client_ref {
            Some(r) => self.post_form_with_header(&url, p.as_slice(), ("I-Twilio-Idempotency-Token", r)).await,
            None => self.post_form(&url, p.as_slice(), crate::twilio::client::Retry::Never).await,
        }
    }

    /// The message `m` if Twilio provably has it (see [`MessageResource::is_provably`]) and
    /// it is not one of `known_sids` (messages we already recorded); the oldest such one.
    /// Used after a lost answer and on resume after a crash between writing the outbox row
    /// and recording the SID.
    ///
    /// Listed by To/From only: a queued message has no `date_sent` yet, so a `DateSent>`
    /// filter would hide exactly the message we are looking for.
    pub async fn find_sent(
        &self,
        m: &NewMessage,
        not_before: chrono::DateTime<chrono::Utc>,
        known_sids: &HashSet<String>,
    ) -> Result<Option<MessageResource>> {
        let filter = MessageFilter {
            to: Some(m.to.clone()),
            from: Some(m.from.clone()),
            page_size: Some(50),
            ..Default::default()
        };
        let recent = self.list_messages(&filter, 50).await?;
        // Newest first from Twilio: the last match is the oldest, the one our first try made.
        Ok(recent.into_iter().rev().find(|r| r.is_provably(m, not_before) && !known_sids.contains(&r.sid)))
    }

    /// Messages matching `filter`, newest first, up to `max` (paging via `next_page_uri`).
    pub async fn list_messages(&self, filter: &MessageFilter, max: usize) -> Result<Vec<MessageResource>> {
        let url = self.account_url("Messages.json");
        self.list(Host::Api, &url, filter.params().as_slice(), "messages", max).await
    }

    /// Cancels a scheduled message (`Status=canceled`). Safe to repeat: canceling a message
    /// already canceled changes nothing; one already sent is refused by Twilio.
    pub async fn cancel_message(&self, sid: &str) -> Result<MessageResource> {
        let p = Params::new().add("Status", "canceled");
        let url = self.account_url(&format!("Messages/{sid}.json"));
        self.post_form(&url, p.as_slice(), crate::twilio::client::Retry::Safe).await
    }

    pub async fn fetch_message(&self, sid: &str) -> Result<MessageResource> {
        self.get_json(&self.account_url(&format!("Messages/{sid}.json")), &[]).await
    }

    /// The attachments of a message (inbound MMS found by backfill).
    pub async fn list_media(&self, message_sid: &str) -> Result<Vec<MediaResource>> {
        let url = self.account_url(&format!("Messages/{message_sid}/Media.json"));
        self.list(Host::Api, &url, &[], "media_list", 10).await
    }

    /// The download URL of one attachment on the configured host (Twilio redirects to its CDN).
    pub fn media_content_url(&self, media: &MediaResource) -> Option<String> {
        let uri = media.uri.as_deref()?;
        Some(self.url(Host::Api, uri.strip_suffix(".json").unwrap_or(uri)))
    }

    /// Backfill: every message sent or received since `watermark` (RFC 3339), with a day
    /// of overlap, each SID once even when it moves between pages while they are read.
    /// Which of them are already stored is for the caller to check (`sync::backfill`
    /// asks the store's unique index rather than holding every SID in memory).
    pub async fn backfill_messages(&self, watermark: Option<&str>, max: usize) -> Result<Vec<MessageResource>> {
        let filter = MessageFilter {
            date_sent_after: watermark.and_then(super::day_before),
            page_size: Some(100),
            ..Default::default()
        };
        let all = self.list_messages(&filter, max).await?;
        Ok(unique_by_sid(all, |m| &m.sid))
    }
}

/// Keeps the first of each SID: a page boundary that moves while Twilio is paged (a new
/// message arriving) lists the same resource twice.
pub fn unique_by_sid<T>(items: Vec<T>, sid: impl Fn(&T) -> &String) -> Vec<T> {
    let mut seen: HashSet<String> = HashSet::new();
    items.into_iter().filter(|i| seen.insert(sid(i).clone())).collect()
}
