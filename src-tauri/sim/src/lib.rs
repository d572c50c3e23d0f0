//! A stateful, in-memory stand-in for the part of Twilio Switchboard uses, so the whole app
//! can be tried (`switchboard sandbox`) and tested without a Twilio account.
//!
//! One axum server on `127.0.0.1:0` answers both the 2010 REST paths (`/2010-04-01/...`)
//! and the numbers v2 paths (`/v2/RegulatoryCompliance/...`): they do not collide, so
//! `SWITCHBOARD_TWILIO_API_BASE` and `SWITCHBOARD_TWILIO_NUMBERS_BASE` can both point at
//! [`Simulator::base_url`]. Towards the app it behaves like Twilio: it posts signed status
//! callbacks after a send, it plays a customer who texts and calls the business number and
//! follows the TwiML the app answers, and it reviews compliance bundles after a delay.
//!
//! State lives behind one `std::sync::Mutex` held only for short, non-async sections; every
//! HTTP call the simulator makes happens with the lock released.

// The core's modules under their own names, so `crate::twilio::…` reads as it did when the
// simulator was a module of the one crate.
use switchboard_core::{domain, error, twilio};

mod a2p;
mod callflow;
mod calls;
mod compliance;
mod customer;
mod faults;
mod media;
mod messages;
mod multipart;
mod numbers;
mod pricing;
mod recordings;
mod regulation_table;
mod regulations;
mod scheduling;
mod server;
mod state;
mod studio;
mod tollfree;
mod trusthub;
mod twiml;
mod us_state;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

pub use faults::Faults;
pub use media::{png_image, wav_tone};
pub use switchboard_core::twilio::callflow::LegAnswer;
pub use us_state::UsOutcomes;

/// How the simulated Twilio behaves. `Default` gives a random account and quick callbacks.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// `AC` + 32 hex digits; the only account the simulator knows.
    pub account_sid: String,
    /// Checked in Basic auth and used to sign every webhook, as Twilio does.
    pub auth_token: String,
    /// Pause between successive status callbacks of one message or call.
    pub callback_delay: Duration,
    /// How long a submitted compliance bundle stays in `pending-review`.
    pub bundle_review_delay: Duration,
    /// What the (simulated) Twilio reviewers decide about a submitted bundle.
    pub bundle_outcome: BundleOutcome,
    /// Whether the owner picks up when a call is forwarded to them with `<Dial>`.
    pub owner_answers: bool,
    /// The text the simulated transcription service "hears" in a voicemail.
    pub voicemail_transcript: String,
    /// How long each US registration review takes (Trust Hub objects, brand, campaign,
    /// toll-free verification).
    pub us_review_delay: Duration,
    /// What the simulated reviewers decide for US registration.
    pub us_outcomes: UsOutcomes,
}

/// The review decision for every bundle submitted to this simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleOutcome {
    Approve,
    /// Rejected with this failure reason (shown to the owner).
    Reject(String),
}

impl BundleOutcome {
    /// The status word this decision gives in one Twilio API (`approved` or `rejected`), and
    /// the rejection's reason.
    pub(crate) fn decision(self, approved: &'static str, rejected: &'static str) -> (&'static str, Option<String>) {
        match self {
            BundleOutcome::Approve => (approved, None),
            BundleOutcome::Reject(why) => (rejected, Some(why)),
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            account_sid: state::new_sid("AC"),
            auth_token: hex::encode(rand::random::<[u8; 16]>()),
            callback_delay: Duration::from_millis(50),
            bundle_review_delay: Duration::from_millis(300),
            bundle_outcome: BundleOutcome::Approve,
            owner_answers: false,
            voicemail_transcript: "Hi, this is a customer calling about my booking. Please call me back when you can."
                .to_string(),
            us_review_delay: us_state::DEFAULT_US_REVIEW_DELAY,
            us_outcomes: UsOutcomes::default(),
        }
    }
}

/// A message as the simulator knows it (sent by the app, or texted by a simulated customer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename = "SimPhoneMessage")] // the name the UI knows it by (bindings.ts)
pub struct SimMessage {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// Twilio's status name (`queued`, `sent`, `delivered`, `undelivered`, `received`…).
    pub status: String,
    /// `inbound`, `outbound-api` or `outbound-reply`.
    pub direction: String,
    /// Media URLs as the sender gave them (app sends) or as the simulator serves them.
    pub media_urls: Vec<String>,
    pub error_code: Option<u32>,
    /// RFC 2822, as in Twilio's JSON.
    pub date_created: String,
}

/// One webhook the simulator posted to the app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebhookDelivery {
    /// The exact URL posted to (and signed).
    pub url: String,
    /// The form parameters, in the order sent.
    pub params: Vec<(String, String)>,
    /// The `X-Twilio-Signature` sent with it.
    pub signature: String,
    /// The app's HTTP status, or `None` when the app could not be reached.
    pub status: Option<u16>,
    /// The app's response body (TwiML for voice/SMS webhooks).
    pub response_body: String,
}

/// What happened on a simulated customer call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallOutcome {
    pub call_sid: String,
    /// Final status of the customer's call (`completed`, `busy`, `no-answer`, `failed`).
    pub status: String,
    /// `DialCallStatus` of the forwarded leg, when the TwiML dialled someone.
    pub dial_status: Option<String>,
    /// The number the app forwarded the call to, when it dialled.
    pub dialed: Option<String>,
    /// Text of every `<Say>` the caller heard, in order.
    pub said: Vec<String>,
    /// The voicemail recording, when the caller left one.
    pub recording_sid: Option<String>,
    /// The recording of the conversation, when a `<Dial record>` was answered.
    pub call_recording_sid: Option<String>,
    /// Seconds the call lasted (as reported in the status callback).
    pub duration_secs: u32,
    /// Whether the forwarded leg was connected to the caller (`DialBridged`).
    pub bridged: Option<bool>,
    /// What the forwarded leg heard before being connected (screening prompts).
    pub screened: Vec<String>,
    /// Which host answered: `app` (the TwiML webhook) or `studio` (the fallback flow).
    pub host: String,
    /// Text-backs the hosted flow sent during the call (message SIDs).
    pub texts_sent: Vec<String>,
}

impl CallOutcome {
    /// A call that completed and did nothing yet; the call flow fills in the rest.
    fn completed(call_sid: String) -> Self {
        CallOutcome {
            call_sid,
            status: "completed".into(),
            dial_status: None,
            dialed: None,
            said: Vec::new(),
            recording_sid: None,
            call_recording_sid: None,
            duration_secs: 0,
            bridged: None,
            screened: Vec::new(),
            host: "app".into(),
            texts_sent: Vec::new(),
        }
    }
}

/// The running simulator. Dropping it stops it (the server and every pending callback),
/// so a test that fails half-way tears its simulator down with it; [`Simulator::shutdown`]
/// also waits for the server to finish.
pub struct Simulator {
    shared: Arc<state::Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    /// Taken by `shutdown`, which awaits it.
    server: Option<JoinHandle<()>>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Simulator {
    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start(config: SimConfig) -> Result<Simulator> {
        if !crate::domain::sid::is_sid(&config.account_sid, "AC") {
            return Err(Error::InvalidInput(format!("{:?} is not an account SID (AC + 32 hex)", config.account_sid)));
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Internal(format!("simulator HTTP client: {e}")))?;
        let shared = Arc::new(state::Shared {
            config,
            base_url: format!("http://{addr}"),
            state: Mutex::new(state::State::default()),
            faults: Faults::default(),
            http,
            tasks: Mutex::new(Vec::new()),
        });
        let (stop, stop_rx) = watch::channel(false);
        let app = server::router(shared.clone());
        let server = tokio::spawn(server::serve(listener, app, stop_rx));
        Ok(Simulator { shared, addr, stop, server: Some(server) })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn account_sid(&self) -> &str {
        &self.shared.config.account_sid
    }

    pub fn auth_token(&self) -> &str {
        &self.shared.config.auth_token
    }

    /// Adds an IncomingPhoneNumber owned by the account (as if bought earlier); returns its PN sid.
    /// Adding a number the account already owns returns the existing sid.
    pub fn add_number(&self, e164: &str, friendly_name: &str) -> String {
        self.shared.with(|s| s.add_number(e164, friendly_name, None, None))
    }

    /// Points the number's SmsUrl, VoiceUrl and StatusCallback at `public_base` as wiring does:
    /// `<base>/twilio/sms`, `<base>/twilio/voice`, `<base>/twilio/voice/status`.
    pub fn point_number_at(&self, e164: &str, public_base: &str) {
        let base = public_base.trim_end_matches('/');
        self.shared.with(|s| {
            if let Some(n) = s.numbers.iter_mut().find(|n| n.phone_number == e164) {
                n.sms_url = Some(format!("{base}/twilio/sms"));
                n.voice_url = Some(format!("{base}/twilio/voice"));
                n.status_callback = Some(format!("{base}/twilio/voice/status"));
                n.date_updated = chrono::Utc::now();
            }
        });
    }

    /// Adds an API key (SK…) whose secret is accepted in Basic auth like the auth token;
    /// returns `(key_sid, secret)`.
    pub fn add_api_key(&self) -> (String, String) {
        let key = (state::new_sid("SK"), hex::encode(rand::random::<[u8; 16]>()));
        self.shared.with(|s| s.api_keys.push(key.clone()));
        key
    }

    /// Puts a message into the simulated Twilio log as if it had happened `ago` earlier,
    /// without any webhook: what the app's backfill finds when it syncs (the sandbox seeds
    /// its history this way). `inbound` is customer → our number (`received`); otherwise
    /// our number → customer (`delivered`, and on the customer's phone). Returns the SID.
    pub fn seed_message(&self, from: &str, to: &str, body: &str, inbound: bool, ago: Duration) -> String {
        let at = chrono::Utc::now() - chrono::Duration::from_std(ago).unwrap_or_default();
        let (status, direction) = if inbound { ("received", "inbound") } else { ("delivered", "outbound-api") };
        let mut rec = state::MessageRec::new(state::new_sid("SM"), from, to, body, status, direction);
        rec.date_created = at;
        rec.date_updated = at;
        rec.date_sent = Some(at);
        let sid = rec.sid.clone();
        self.shared.with(|s| {
            if !inbound {
                let on_phone = rec.to_sim();
                s.phones.entry(to.to_string()).or_default().push(on_phone);
            }
            // Keep the log in time order: lists are served newest first.
            let at = s.messages.partition_point(|m| m.date_created <= rec.date_created);
            s.messages.insert(at, rec);
        });
        sid
    }

    /// Puts a voicemail into the account as the Twilio-hosted fallback flow leaves it while
    /// the app is closed: a completed inbound call from `from` to `to`, its recording of
    /// `secs` seconds and, with `transcript`, a completed transcription; no webhook is sent.
    /// Returns `(call SID, recording SID)`.
    pub fn seed_voicemail(
        &self,
        from: &str,
        to: &str,
        secs: u32,
        transcript: Option<&str>,
        ago: Duration,
    ) -> (String, String) {
        calls::seed_voicemail(&self.shared, from, to, secs, transcript, ago)
    }

    /// What a forwarded call the owner answered and Twilio recorded (`<Dial record>`) leaves
    /// in the account while the app is closed: the completed call and its `DialVerb`
    /// recording of `secs` seconds, `ago` back; no webhook. Returns `(call SID, recording SID)`.
    pub fn seed_recorded_call(&self, from: &str, to: &str, secs: u32, ago: Duration) -> (String, String) {
        recordings::seed_recorded_call(&self.shared, from, to, secs, ago)
    }

    /// Twilio finishes transcribing `recording_sid` now: `completed` with `text`, or
    /// `failed` with `None`. Dated when the recording was made, as Twilio dates them; no
    /// callback is sent. False when the recording is unknown.
    pub fn finish_transcription(&self, recording_sid: &str, text: Option<&str>) -> bool {
        recordings::finish_transcription(&self.shared, recording_sid, text)
    }

    /// Whether the account still has recording `sid` (deleting it over REST removes it).
    pub fn has_recording(&self, sid: &str) -> bool {
        self.shared.with(|s| s.recordings.iter().any(|r| r.sid == sid))
    }

    /// The SIDs of the recordings of call `call_sid`, oldest first.
    pub fn recordings_of_call(&self, call_sid: &str) -> Vec<String> {
        self.shared.with(|s| s.recordings.iter().filter(|r| r.call_sid == call_sid).map(|r| r.sid.clone()).collect())
    }

    /// Seeds a short history for the sandbox's first run: `business_number` is added to the
    /// account (if needed) and three customers' conversations are put in the message log, as
    /// backfill will find them. Returns the customers' numbers.
    pub fn seed_demo(&self, business_number: &str, friendly_name: &str) -> Vec<String> {
        self.add_number(business_number, friendly_name);
        let hour = Duration::from_secs(3600);
        let customers = ["+61412555101", "+61412555102", "+61412555103"];
        let history: [(usize, bool, &str, u32); 7] = [
            (0, true, "Hi, do you have any appointments free on Saturday?", 50),
            (0, false, "We do! 10am or 2pm. Which suits you?", 49),
            (0, true, "2pm please", 48),
            (1, true, "Is my order ready to pick up?", 26),
            (1, false, "Yes, it's at the front desk. See you soon.", 25),
            (2, true, "Thanks for today, great service!", 3),
            (2, false, "Thank you, see you next time :)", 2),
        ];
        for (who, inbound, body, hours_ago) in history {
            let customer = customers[who];
            let (from, to) = if inbound { (customer, business_number) } else { (business_number, customer) };
            self.seed_message(from, to, body, inbound, hour * hours_ago);
        }
        customers.iter().map(|c| c.to_string()).collect()
    }

    /// A simulated customer texts `to` (one of the account's numbers): a signed POST to its
    /// SmsUrl. Any `<Message>` in the TwiML reply is delivered to the customer's phone.
    pub async fn customer_sms(&self, from: &str, to: &str, body: &str, with_image: bool) -> Result<String> {
        customer::sms(&self.shared, from, to, body, with_image).await
    }

    /// A simulated customer calls `to`, and the simulator follows the app's TwiML until the
    /// call ends. With `leave_voicemail_secs`, the caller speaks that long at a `<Record>`.
    pub async fn customer_call(&self, from: &str, to: &str, leave_voicemail_secs: Option<u32>) -> Result<CallOutcome> {
        let answer = if self.shared.config.owner_answers { LegAnswer::Accept } else { LegAnswer::NoAnswer };
        calls::customer_call(&self.shared, from, to, leave_voicemail_secs, answer).await
    }

    /// [`Simulator::customer_call`], choosing for this one call whether the owner picks up
    /// a forwarded call (the sandbox's "call and I answer" / "call and leave a voicemail").
    pub async fn customer_call_answered(
        &self,
        from: &str,
        to: &str,
        owner_answers: bool,
        leave_voicemail_secs: Option<u32>,
    ) -> Result<CallOutcome> {
        let answer = if owner_answers { LegAnswer::Accept } else { LegAnswer::NoAnswer };
        calls::customer_call(&self.shared, from, to, leave_voicemail_secs, answer).await
    }

    /// [`Simulator::customer_call`] where the forwarded leg (the owner's mobile) does
    /// `answer`: accepts (presses 1 when screened), declines, rings out, or is answered by
    /// the mobile's own voicemail, which presses nothing (the sandbox's call controls).
    pub async fn customer_call_with(
        &self,
        from: &str,
        to: &str,
        answer: LegAnswer,
        leave_voicemail_secs: Option<u32>,
    ) -> Result<CallOutcome> {
        calls::customer_call(&self.shared, from, to, leave_voicemail_secs, answer).await
    }

    /// The Studio flows in the account: `(sid, definition)`, as the app last wrote them.
    pub fn studio_flows(&self) -> Vec<(String, serde_json::Value)> {
        self.shared.with(|s| s.flows.iter().map(|f| (f.sid.clone(), f.definition.clone())).collect())
    }

    /// The number's voice fallback URL, as the app wired it (a Studio flow's URL while managed).
    pub fn voice_fallback_url(&self, e164: &str) -> Option<String> {
        self.shared.with(|s| s.number(e164).and_then(|n| n.voice_fallback_url.clone()))
    }

    /// The fault switches (a cloneable handle; changes apply to the running simulator).
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Every request received so far, counted by `"METHOD /path"` (raw path, SIDs included).
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.shared.with(|s| s.requests.clone())
    }

    /// How many `method` requests had a path ending with `suffix` (`"GET", "/Messages.json"`).
    pub fn requests_ending(&self, method: &str, suffix: &str) -> u64 {
        let prefix = format!("{method} ");
        self.shared.with(|s| {
            s.requests.iter().filter(|(k, _)| k.starts_with(&prefix) && k.ends_with(suffix)).map(|(_, n)| n).sum()
        })
    }

    /// Starts counting requests from zero.
    pub fn reset_request_counts(&self) {
        self.shared.with(|s| s.requests.clear());
    }

    /// Messages created through the REST API (what the app sent), oldest first.
    pub fn sent_messages(&self) -> Vec<SimMessage> {
        self.shared.with(|s| s.messages.iter().filter(|m| m.direction == "outbound-api").map(|m| m.to_sim()).collect())
    }

    /// Every message the simulator knows, oldest first (sent, received, auto-replies).
    pub fn all_messages(&self) -> Vec<SimMessage> {
        self.shared.with(|s| s.messages.iter().map(|m| m.to_sim()).collect())
    }

    /// What reached the simulated customer's phone (delivered messages), oldest first.
    pub fn phone_inbox(&self, customer: &str) -> Vec<SimMessage> {
        self.shared.with(|s| s.phones.get(customer).cloned().unwrap_or_default())
    }

    /// Every TwiML document the app answered: `(url, twiml)`, in order.
    pub fn received_twiml(&self) -> Vec<(String, String)> {
        self.shared.with(|s| s.twiml.clone())
    }

    /// Every webhook posted to the app, in order.
    pub fn webhook_log(&self) -> Vec<WebhookDelivery> {
        self.shared.with(|s| s.webhooks.clone())
    }

    /// The file uploaded with a SupportingDocument (multipart), as `(content type, bytes)`.
    pub fn document_upload(&self, document_sid: &str) -> Option<(String, Vec<u8>)> {
        self.shared.with(|s| {
            let d = s.documents.iter().find(|d| d.sid == document_sid)?;
            Some((d.mime_type.clone().unwrap_or_default(), d.file.as_ref()?.to_vec()))
        })
    }

    /// Status of a compliance bundle, as the simulator holds it.
    pub fn bundle_status(&self, bundle_sid: &str) -> Option<String> {
        self.shared.with(|s| s.bundles.iter().find(|b| b.sid == bundle_sid).map(|b| b.status.clone()))
    }

    /// The regulation SID for a country, number type and end-user type (e.g. "AU", "local", "business").
    pub fn regulation_sid(&self, iso_country: &str, number_type: &str, end_user_type: &str) -> Option<String> {
        regulations::all()
            .into_iter()
            .find(|r| r.iso_country == iso_country && r.number_type == number_type && r.end_user_type == end_user_type)
            .map(|r| r.sid)
    }

    /// The simulated owner replies to the brand's one-time code text from their `mobile`
    /// with `text`. Returns whether it was the pending code (the brand then goes to review).
    pub fn reply_to_brand_otp(&self, mobile: &str, text: &str) -> bool {
        a2p::reply_to_otp(&self.shared, mobile, text)
    }

    /// How many A2P brands the account has registered (a second one is a second fee).
    pub fn brand_count(&self) -> usize {
        self.shared.with(|s| s.us.brands.len())
    }

    /// The Messaging Services and, for each, the numbers in it: `(friendly name, [E.164])`.
    pub fn messaging_services(&self) -> Vec<(String, Vec<String>)> {
        self.shared.with(|s| {
            s.us.services
                .iter()
                .map(|x| (x.friendly_name.clone(), x.numbers.iter().map(|(_, e)| e.clone()).collect()))
                .collect()
        })
    }

    /// Adds a Messaging Service made outside the app (`keep_inbound_on_numbers` is its
    /// `UseInboundWebhookOnNumber`); returns its MG sid.
    pub fn add_messaging_service(&self, friendly_name: &str, keep_inbound_on_numbers: bool) -> String {
        let rec = us_state::ServiceRec {
            sid: state::new_sid("MG"),
            friendly_name: friendly_name.to_string(),
            use_inbound_webhook_on_number: keep_inbound_on_numbers,
            numbers: Vec::new(),
            date_created: chrono::Utc::now(),
        };
        let sid = rec.sid.clone();
        self.shared.with(|s| s.us.services.push(rec));
        sid
    }

    /// Moves the simulator's clock forward by `by`: every scheduled message now due is sent
    /// (callbacks posted whether or not the app listens). Returns how many were due.
    pub fn advance_clock(&self, by: Duration) -> usize {
        scheduling::advance_clock(&self.shared, chrono::Duration::from_std(by).unwrap_or_default())
    }

    /// The simulator's "now" (the real clock plus every [`Simulator::advance_clock`]).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.with(|s| s.now())
    }

    /// The sender of the brand's one-time code texts on the owner's phone.
    pub const OTP_SENDER: &'static str = a2p::OTP_SENDER;

    /// Stops the server and every pending callback task.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Stops serving and aborts every pending callback at once, without waiting for the
    /// server to finish: what a test harness can do from `Drop`, where it cannot await.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
        let tasks = self.shared.with_tasks(std::mem::take);
        for t in tasks {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sandbox keeps a `Simulator` in shared state and drives it from async commands
    /// on other tasks: it and its futures must be `Send` (and it `Sync`).
    #[test]
    fn simulator_and_its_futures_are_send() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        send_sync::<Simulator>();
        send_sync::<Faults>();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let sim = Simulator::start(SimConfig::default()).await.unwrap();
            send(&sim.customer_sms("+61412345678", "+61291234567", "hi", false));
            send(&sim.customer_call("+61412345678", "+61291234567", None));
            let bad = Simulator::start(SimConfig { account_sid: "AC123".into(), ..SimConfig::default() }).await;
            assert!(bad.is_err(), "an account SID that is not AC + 32 hex is refused");
            sim.shutdown().await;
        });
    }
}
