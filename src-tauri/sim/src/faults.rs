//! Fault switches: the ways Twilio misbehaves that the app must survive. A cloneable handle,
//! so a test can flip a switch while the simulator runs.

use std::sync::{Arc, Mutex};

use switchboard_core::twilio::callflow::LegAnswer;

#[derive(Debug, Default, Clone)]
struct FaultState {
    rate_limited: u32,
    retry_after_secs: u32,
    server_errors: u32,
    drop_after_create: u32,
    duplicate_webhooks: bool,
    silent: bool,
    /// Webhooks to URLs starting with this never arrive ("" drops every webhook).
    dropped_webhooks: Option<String>,
    shuffle_status_callbacks: bool,
    fail_delivery: Option<u32>,
    forwarded_leg: Option<LegAnswer>,
    dial_result_after_call_end: bool,
    clock: Option<chrono::DateTime<chrono::Utc>>,
    failed_recording_downloads: u32,
    unrated_fetches: u32,
}

/// Handle on the simulator's fault switches. Counted faults (`*_next`) apply to that many of
/// the next REST requests and then switch themselves off.
#[derive(Debug, Default, Clone)]
pub struct Faults(Arc<Mutex<FaultState>>);

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }

    /// The next `n` REST requests get `429` with `Retry-After: retry_after_secs` (Twilio code 20429).
    pub fn rate_limit_next(&self, n: u32, retry_after_secs: u32) {
        self.with(|f| {
            f.rate_limited = n;
            f.retry_after_secs = retry_after_secs;
        });
    }

    /// The next `n` REST requests get `500` (Twilio code 20500) and change nothing.
    pub fn server_error_next(&self, n: u32) {
        self.with(|f| f.server_errors = n);
    }

    /// The next `n` creations (messages, number purchases, brands) succeed on the simulator's
    /// side, but the connection is dropped before the response is written: the app cannot
    /// know the message exists, or that the number was bought.
    pub fn drop_connection_after_create_next(&self, n: u32) {
        self.with(|f| f.drop_after_create = n);
    }

    /// Deliver every webhook twice, with the same `I-Twilio-Idempotency-Token`.
    pub fn set_duplicate_webhooks(&self, on: bool) {
        self.with(|f| f.duplicate_webhooks = on);
    }

    /// Accept REST requests but never call back (no status callbacks, no bundle callbacks);
    /// resource state still advances, so only polling sees it.
    pub fn set_silent(&self, on: bool) {
        self.with(|f| f.silent = on);
    }

    /// Every webhook the simulator posts is lost on the way, as when the tunnel blips or the
    /// app answers nothing: Twilio logs error 11200, tries the fallback URL (lost too), and
    /// never retries. Unlike [`Faults::set_silent`] this covers inbound texts and calls, so
    /// what happens meanwhile reaches the app only through reconciliation with the REST API.
    pub fn set_drop_webhooks(&self, on: bool) {
        self.with(|f| f.dropped_webhooks = on.then(String::new));
    }

    /// Like [`Faults::set_drop_webhooks`], for webhooks to URLs starting with `prefix` only
    /// (the app's public URL), so a Twilio-hosted fallback (a Studio flow, played by a stub
    /// in tests) still answers calls while the app cannot be reached. `None` restores.
    pub fn drop_webhooks_to(&self, prefix: Option<&str>) {
        self.with(|f| f.dropped_webhooks = prefix.map(str::to_string));
    }

    /// Whether some webhooks are being dropped (the sandbox's toggle shows it).
    pub fn webhooks_dropped(&self) -> bool {
        self.with(|f| f.dropped_webhooks.is_some())
    }

    /// Post each message's status callbacks in a shuffled (never the natural) order.
    pub fn set_shuffle_status_callbacks(&self, on: bool) {
        self.with(|f| f.shuffle_status_callbacks = on);
    }

    /// Fail delivery of every following send with this error code (e.g. 30003), ending `undelivered`.
    pub fn set_fail_delivery(&self, code: Option<u32>) {
        self.with(|f| f.fail_delivery = code);
    }

    /// A bridged forward's dial result (the `<Dial action>` request) reaches the app only
    /// after the call's final status callback, as it can when the caller hangs up on the
    /// conversation: Twilio sends the two as separate requests, in no set order.
    pub fn set_dial_result_after_call_end(&self, on: bool) {
        self.with(|f| f.dial_result_after_call_end = on);
    }

    pub(crate) fn dial_result_after_call_end(&self) -> bool {
        self.with(|f| f.dial_result_after_call_end)
    }

    /// Every forwarded leg (and click-to-call's owner leg) does `answer` whatever the call
    /// asked: accept, decline, ring out, or the mobile's own voicemail picks up and presses
    /// nothing. `None` restores each call's own choice.
    pub fn set_forwarded_leg(&self, answer: Option<LegAnswer>) {
        self.with(|f| f.forwarded_leg = answer);
    }

    /// The time Twilio's side believes it is (Studio's `'now'`), e.g. 3 a.m. for a test of
    /// closed hours; `None` is the real clock.
    pub fn set_clock(&self, now: Option<chrono::DateTime<chrono::Utc>>) {
        self.with(|f| f.clock = now);
    }

    pub(crate) fn forwarded_leg(&self) -> Option<LegAnswer> {
        self.with(|f| f.forwarded_leg)
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.with(|f| f.clock).unwrap_or_else(chrono::Utc::now)
    }

    /// The next `n` downloads of a recording's audio get `500` (the metadata still answers),
    /// as when Twilio's media storage has a bad moment.
    pub fn fail_recording_downloads_next(&self, n: u32) {
        self.with(|f| f.failed_recording_downloads = n);
    }

    /// The next `n` fetches of one message answer with `price: null`, as Twilio does in the
    /// first moments after a message's final status, before it has rated it.
    pub fn price_pending_next(&self, n: u32) {
        self.with(|f| f.unrated_fetches = n);
    }

    pub(crate) fn take_price_pending(&self) -> bool {
        self.with(|f| take_one(&mut f.unrated_fetches))
    }

    /// Switches every fault off.
    pub fn clear(&self) {
        self.with(|f| *f = FaultState::default());
    }

    /// Consumes one 429 if armed; returns its Retry-After.
    pub(crate) fn take_rate_limit(&self) -> Option<u32> {
        self.with(|f| {
            (f.rate_limited > 0).then(|| {
                f.rate_limited -= 1;
                f.retry_after_secs
            })
        })
    }

    pub(crate) fn take_server_error(&self) -> bool {
        self.with(|f| take_one(&mut f.server_errors))
    }

    pub(crate) fn take_drop_after_create(&self) -> bool {
        self.with(|f| take_one(&mut f.drop_after_create))
    }

    pub(crate) fn duplicate_webhooks(&self) -> bool {
        self.with(|f| f.duplicate_webhooks)
    }

    pub(crate) fn take_recording_download_failure(&self) -> bool {
        self.with(|f| take_one(&mut f.failed_recording_downloads))
    }

    pub(crate) fn silent(&self) -> bool {
        self.with(|f| f.silent)
    }

    pub(crate) fn drops_webhook_to(&self, url: &str) -> bool {
        self.with(|f| f.dropped_webhooks.as_deref().is_some_and(|prefix| url.starts_with(prefix)))
    }

    pub(crate) fn shuffle_status_callbacks(&self) -> bool {
        self.with(|f| f.shuffle_status_callbacks)
    }

    pub(crate) fn fail_delivery(&self) -> Option<u32> {
        self.with(|f| f.fail_delivery)
    }
}

/// Uses up one of an armed fault's `remaining` occurrences; whether one was left.
fn take_one(remaining: &mut u32) -> bool {
    let hit = *remaining > 0;
    *remaining = remaining.saturating_sub(1);
    hit
}
