//! The simulator's memory: one record type per Twilio resource, and the shared handle every
//! handler and background task holds.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::{Faults, SimConfig, SimMessage, WebhookDelivery};

/// Everything the server and its tasks share. The `state` lock is only ever held inside
/// [`Shared::with`], which takes a plain closure, so it cannot be held across an `.await`.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    pub state: Mutex<State>,
    pub faults: Faults,
    pub http: reqwest::Client,
    /// Background tasks (status callbacks, reviews), aborted at shutdown.
    pub tasks: Mutex<Vec<tokio::task::AbortHandle>>,
}

impl Shared {
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    pub fn with_tasks<R>(&self, f: impl FnOnce(&mut Vec<tokio::task::AbortHandle>) -> R) -> R {
        let mut guard = self.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// Spawns a background task that shutdown will abort. The future must not panic: every
    /// task in this module handles its errors by logging them.
    pub fn spawn(self: &Arc<Self>, fut: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(fut);
        self.with_tasks(|t| {
            t.retain(|h| !h.is_finished());
            t.push(handle.abort_handle());
        });
    }

    /// `/2010-04-01/Accounts/AC…` — the prefix of every account resource path.
    pub fn account_path(&self) -> String {
        format!("/2010-04-01/Accounts/{}", self.config.account_sid)
    }
}

/// `prefix` + 32 random hex digits, the shape of every Twilio SID.
pub fn new_sid(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// RFC 2822 as the 2010 API writes dates: `Fri, 24 May 2019 17:44:46 +0000`.
pub fn rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// ISO 8601 as the v2 APIs write dates: `2019-07-30T22:29:24Z`.
pub fn iso8601(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A `<Dial action>` request held back: (parent call SID, action URL, its parameters).
pub(crate) type LateDialResult = (String, String, Vec<(String, String)>);

#[derive(Default)]
pub(crate) struct State {
    pub api_keys: Vec<(String, String)>,
    pub messages: Vec<MessageRec>,
    pub media: HashMap<String, MediaRec>,
    pub calls: Vec<CallRec>,
    pub recordings: Vec<RecordingRec>,
    pub transcriptions: Vec<TranscriptionRec>,
    pub numbers: Vec<NumberRec>,
    pub addresses: Vec<AddressRec>,
    pub end_users: Vec<EntityRec>,
    pub documents: Vec<DocumentRec>,
    pub bundles: Vec<BundleRec>,
    pub items: Vec<ItemRec>,
    pub evaluations: Vec<EvaluationRec>,
    /// US carrier registration: Trust Hub, Messaging Services, brands, campaigns, toll-free.
    pub us: super::us_state::UsState,
    /// What reached each simulated customer's phone.
    pub phones: HashMap<String, Vec<SimMessage>>,
    /// (customer, business number) pairs where the customer texted STOP.
    pub opted_out: Vec<(String, String)>,
    pub twiml: Vec<(String, String)>,
    pub webhooks: Vec<WebhookDelivery>,
    /// Studio flows (the app's fallback flows), executed when a number's voice URL fails.
    pub flows: Vec<FlowRec>,
    /// The parameters of each call's latest return to its Studio flow (`?FlowEvent=return`).
    pub flow_returns: HashMap<String, Vec<(String, String)>>,
    /// Dial results held back by [`super::faults::Faults::set_dial_result_after_call_end`],
    /// posted once the call's end has been.
    pub late_dial_results: Vec<LateDialResult>,
    /// Requests received, by `"METHOD /path"` (the raw path, SIDs included), so tests can
    /// count what the app asks: one list per resource per reconciliation, no download twice.
    pub requests: std::collections::BTreeMap<String, u64>,
    /// How far the simulated clock is ahead of the real one ([`State::now`]); moved only
    /// by `Simulator::advance_clock`, so a test sees a message scheduled 15 minutes ahead
    /// fire without waiting 15 minutes.
    pub clock_offset: chrono::Duration,
}

impl State {
    pub fn add_number(
        &mut self,
        e164: &str,
        friendly_name: &str,
        address_sid: Option<String>,
        bundle_sid: Option<String>,
    ) -> String {
        if let Some(n) = self.numbers.iter().find(|n| n.phone_number == e164) {
            return n.sid.clone();
        }
        let now = Utc::now();
        let rec = NumberRec {
            sid: new_sid("PN"),
            phone_number: e164.to_string(),
            friendly_name: friendly_name.to_string(),
            sms_url: None,
            voice_url: None,
            status_callback: None,
            voice_fallback_url: None,
            sms_fallback_url: None,
            address_sid,
            bundle_sid,
            date_created: now,
            date_updated: now,
        };
        let sid = rec.sid.clone();
        self.numbers.push(rec);
        sid
    }

    /// The simulated "now" that scheduled messages fire by.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub fn number(&self, e164: &str) -> Option<&NumberRec> {
        self.numbers.iter().find(|n| n.phone_number == e164)
    }

    pub fn message_mut(&mut self, sid: &str) -> Option<&mut MessageRec> {
        self.messages.iter_mut().find(|m| m.sid == sid)
    }

    pub fn log_webhook(&mut self, d: WebhookDelivery) {
        self.webhooks.push(d);
    }
}

pub(crate) struct MessageRec {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status: String,
    pub direction: String,
    pub num_segments: usize,
    /// URLs the app asked to send (outbound); served media SIDs are in `media_sids`.
    pub media_urls: Vec<String>,
    pub media_sids: Vec<String>,
    pub error_code: Option<u32>,
    pub status_callback: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub date_sent: Option<DateTime<Utc>>,
    /// Twilio's price ("-0.00790"), set once the message is final (`pricing::message_price`).
    pub price: Option<String>,
    /// A scheduled message (`ScheduleType=fixed`): when it is to be sent, by [`State::now`].
    pub send_at: Option<DateTime<Utc>>,
    pub messaging_service_sid: Option<String>,
}

impl MessageRec {
    pub fn new(sid: String, from: &str, to: &str, body: &str, status: &str, direction: &str) -> Self {
        let now = Utc::now();
        MessageRec {
            sid,
            from: from.to_string(),
            to: to.to_string(),
            body: body.to_string(),
            status: status.to_string(),
            direction: direction.to_string(),
            num_segments: crate::domain::segments::count(body).segments.max(1),
            media_urls: Vec::new(),
            media_sids: Vec::new(),
            error_code: None,
            status_callback: None,
            date_created: now,
            date_updated: now,
            date_sent: None,
            send_at: None,
            messaging_service_sid: None,
            price: None,
        }
        .priced()
    }

    /// Gives the message its price if its status is final (see `pricing::message_price`).
    pub fn priced(mut self) -> Self {
        self.set_price();
        self
    }

    pub fn set_price(&mut self) {
        if self.price.is_none() {
            self.price =
                super::pricing::message_price(&self.from, &self.to, &self.direction, &self.status, self.num_segments);
        }
    }

    pub fn num_media(&self) -> usize {
        self.media_sids.len().max(self.media_urls.len())
    }

    pub fn to_sim(&self) -> SimMessage {
        SimMessage {
            sid: self.sid.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            body: self.body.clone(),
            status: self.status.clone(),
            direction: self.direction.clone(),
            media_urls: self.media_urls.clone(),
            error_code: self.error_code,
            date_created: rfc2822(self.date_created),
        }
    }
}

pub(crate) struct MediaRec {
    pub sid: String,
    pub parent_sid: String,
    pub content_type: String,
    pub bytes: bytes::Bytes,
    pub date_created: DateTime<Utc>,
}

pub(crate) struct CallRec {
    pub sid: String,
    pub parent_sid: Option<String>,
    pub from: String,
    pub to: String,
    pub status: String,
    pub direction: String,
    pub duration: Option<u32>,
    pub phone_number_sid: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
}

pub(crate) struct RecordingRec {
    pub sid: String,
    pub call_sid: String,
    pub duration: u32,
    pub wav: bytes::Bytes,
    pub date_created: DateTime<Utc>,
    /// Twilio's `source`: `RecordVerb` (a voicemail), `DialVerb`, `OutboundAPI`.
    pub source: String,
}

impl RecordingRec {
    /// A recording of `secs` seconds of `call_sid` made by `source`, made at `at`; its audio
    /// is a WAV tone of that length (what the app downloads and plays).
    pub fn new(sid: String, call_sid: String, secs: u32, source: &str, at: DateTime<Utc>) -> Self {
        RecordingRec {
            sid,
            call_sid,
            duration: secs,
            wav: super::media::wav_tone(secs).into(),
            date_created: at,
            source: source.to_string(),
        }
    }
}

/// A transcription of a recording (`<Record transcribe>`, or the hosted flow's voicemail).
pub(crate) struct TranscriptionRec {
    pub sid: String,
    pub recording_sid: String,
    /// in-progress, completed, failed.
    pub status: String,
    pub text: Option<String>,
    pub duration: u32,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct FlowRec {
    pub sid: String,
    pub friendly_name: String,
    pub status: String,
    pub definition: serde_json::Value,
    pub revision: u32,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct NumberRec {
    pub sid: String,
    pub phone_number: String,
    pub friendly_name: String,
    pub sms_url: Option<String>,
    pub voice_url: Option<String>,
    pub status_callback: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub sms_fallback_url: Option<String>,
    pub address_sid: Option<String>,
    pub bundle_sid: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct AddressRec {
    pub sid: String,
    pub customer_name: String,
    pub friendly_name: String,
    pub street: String,
    pub street_secondary: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub iso_country: String,
    pub date_created: DateTime<Utc>,
}

/// An end user (of a regulatory bundle, or of Trust Hub) or a Trust Hub supporting document:
/// both APIs keep and show the same fields for one.
pub(crate) struct EntityRec {
    pub sid: String,
    pub friendly_name: String,
    pub kind: String,
    pub attributes: serde_json::Value,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

/// An entity's JSON as either API shows it; `url` is its address in that API.
pub(crate) fn entity_json(sh: &Shared, e: &EntityRec, url: String) -> serde_json::Value {
    serde_json::json!({
        "sid": e.sid,
        "account_sid": sh.config.account_sid,
        "friendly_name": e.friendly_name,
        "type": e.kind,
        "attributes": e.attributes,
        "date_created": iso8601(e.date_created),
        "date_updated": iso8601(e.date_updated),
        "url": url,
    })
}

pub(crate) struct DocumentRec {
    pub sid: String,
    pub friendly_name: String,
    pub kind: String,
    pub mime_type: Option<String>,
    pub attributes: serde_json::Value,
    /// The uploaded file, when the document was created with a multipart upload.
    pub file: Option<bytes::Bytes>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct BundleRec {
    pub sid: String,
    pub friendly_name: String,
    pub email: String,
    pub status_callback: Option<String>,
    pub regulation_sid: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct ItemRec {
    pub sid: String,
    pub bundle_sid: String,
    pub object_sid: String,
    pub date_created: DateTime<Utc>,
}

pub(crate) struct EvaluationRec {
    pub sid: String,
    pub bundle_sid: String,
    pub regulation_sid: String,
    pub status: String,
    pub results: serde_json::Value,
    pub date_created: DateTime<Utc>,
}
