//! Helpers for the tests against the simulator: a fast simulator (owning our numbers), the
//! app's client, runtime config and webhook listener pointed at it, the demo sandbox, an
//! authenticated REST client, a poll-until helper, and a tiny stand-in for the app's
//! webhook listener that checks every signature it receives.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use serde_json::Value;
use switchboard::events::Events;
use switchboard::media::MediaConfig;
use switchboard::runtime::{Reach, RuntimeConfig};
use switchboard::sandbox::{Sandbox, BUSINESS_NUMBER};
use switchboard::secrets::{Secret, TwilioCredentials};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{numbers, Store};
use switchboard::tunnel::RetryPolicy;
use switchboard::twilio::client::{ClientConfig, TwilioClient};
use switchboard::twilio::signature::{validate, Algorithm, Payload};
use switchboard::webhook::{self, AppState};

pub type Error = Box<dyn std::error::Error>;

/// A simulator with short delays, so tests do not sleep long.
pub fn fast_config() -> SimConfig {
    SimConfig {
        callback_delay: Duration::from_millis(10),
        bundle_review_delay: Duration::from_millis(80),
        ..SimConfig::default()
    }
}

pub async fn start(config: SimConfig) -> Result<Simulator, Error> {
    Ok(Simulator::start(config).await?)
}

/// A simulator started with `config` that owns `numbers` (each named "Shop").
pub async fn start_owning(config: SimConfig, numbers: &[&str]) -> Result<Simulator, Error> {
    let sim = start(config).await?;
    for number in numbers {
        sim.add_number(number, "Shop");
    }
    Ok(sim)
}

/// A simulator (callbacks after `callback_delay`, the rest as Twilio's defaults) that owns
/// `number`: what most app-level tests begin with.
pub async fn sim_owning(callback_delay: Duration, number: &str) -> Result<Simulator, Error> {
    start_owning(SimConfig { callback_delay, ..SimConfig::default() }, &[number]).await
}

/// The app before its first start: a simulator owning `number` (callbacks after 10 ms) and
/// a fresh store in its own folder.
pub async fn sim_and_store(number: &str) -> Result<(Simulator, tempfile::TempDir, Store), Error> {
    let sim = sim_owning(Duration::from_millis(10), number).await?;
    let (dir, store) = crate::common::temp_store()?;
    Ok((sim, dir, store))
}

/// The demo sandbox (simulator and running app, see `switchboard::sandbox`) in a fresh
/// folder, with its store and its business number as the store has it.
pub async fn sandbox(config: SimConfig) -> Result<(tempfile::TempDir, Sandbox, Store, numbers::Number), Error> {
    let dir = tempfile::tempdir()?;
    let sb = Sandbox::start(dir.path(), config).await?;
    let store = sb.runtime.store.clone();
    let number = store.read(|c| numbers::find_by_e164(c, BUSINESS_NUMBER))?.ok_or("the sandbox number is missing")?;
    Ok((dir, sb, store, number))
}

/// The simulator's account credentials, as the app holds them.
pub fn creds(sim: &Simulator) -> TwilioCredentials {
    TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token())
}

/// The app's Twilio client, pointed at the simulator.
pub fn client(sim: &Simulator) -> Result<TwilioClient, switchboard::Error> {
    TwilioClient::new(ClientConfig::with_base(creds(sim), &sim.base_url()))
}

/// The runtime as the tests run it against the simulator: loopback reach, no wiring, no
/// fallback flows, no start catch-up, no reconciliation, media polled every 200 ms and
/// short tunnel retries. A test changes what it is about with `..runtime_config(..)`.
pub fn runtime_config(sim: &Simulator, store: Store) -> RuntimeConfig {
    let mut media = MediaConfig::new(&sim.base_url(), Some(&creds(sim)));
    media.poll_interval = Duration::from_millis(200);
    RuntimeConfig {
        store,
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        reach: Reach::Loopback,
        credentials: creds(sim),
        client: ClientConfig::with_base(creds(sim), &sim.base_url()),
        media,
        wire_numbers: false,
        fallback_flows: false,
        backfill: false,
        retry: RetryPolicy { initial: Duration::from_millis(50), max: Duration::from_millis(200), max_attempts: 3 },
        reconcile_interval: None,
    }
}

/// The app's full webhook listener (`webhook::start`, media worker included) over `store`,
/// on a free loopback port, trusted at its own address (no tunnel), with the simulator's
/// `number` pointed at it. Returns the listener and its base URL.
pub async fn open_listener(
    sim: &Simulator,
    number: &str,
    store: &Store,
    events: Events,
) -> Result<(webhook::Running, String), Error> {
    let state = AppState::new(store.clone(), "http://127.0.0.1:1", Secret::new(sim.auth_token().to_string()), events);
    let running = webhook::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        state.clone(),
        MediaConfig::new(&sim.base_url(), None),
    )
    .await?;
    let base = format!("http://{}", running.addr);
    state.set_public_url(&base);
    sim.point_number_at(number, &base);
    Ok((running, base))
}

/// The app's webhook router alone (no media worker) over `store`, on a free loopback port
/// and checking signatures with the simulator's token, until [`RouterOnly::stop`].
pub struct RouterOnly {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<switchboard::Result<()>>,
}

impl RouterOnly {
    pub async fn start(sim: &Simulator, store: &Store) -> Result<RouterOnly, Error> {
        let listener = webhook::bind("127.0.0.1:0".parse()?).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = AppState::new(store.clone(), &base, Secret::new(sim.auth_token().to_string()), Events::new());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(webhook::serve(listener, webhook::router(state), async move {
            let _ = stopped.await;
        }));
        Ok(RouterOnly { base, stop, server })
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

/// Serves `app` on a free loopback port until the returned task is aborted; its base URL.
pub async fn serve(app: Router) -> Result<(String, tokio::task::JoinHandle<()>), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((base, task))
}

/// The setup most simulator tests share: a simulator, a stub app for its webhooks, and one
/// managed number pointing at the stub. Torn down when dropped, also when a test fails
/// half-way with `?`, so no server or pending callback outlives its test.
pub struct Harness {
    pub sim: Simulator,
    pub app: StubApp,
}

impl Harness {
    /// `number` is added to the simulator and pointed at the stub, which answers `replies`
    /// (see [`StubApp::start`]) and checks signatures with the simulator's own token.
    pub async fn start(config: SimConfig, number: &str, replies: &[(&str, &str)]) -> Result<Harness, Error> {
        let sim = start(config).await?;
        let app = StubApp::start(sim.auth_token(), replies).await?;
        sim.add_number(number, "Shop");
        sim.point_number_at(number, &app.base);
        Ok(Harness { sim, app })
    }
}

/// The simulator stops itself when dropped; the stub app is stopped here.
impl Drop for Harness {
    fn drop(&mut self) {
        self.app.abort();
    }
}

/// A REST client authenticated as the simulator's account.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub account: String,
    pub token: String,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Api {
    pub fn new(sim: &Simulator) -> Result<Api, Error> {
        Ok(Api {
            http: reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build()?,
            base: sim.base_url(),
            account: sim.account_sid().to_string(),
            token: sim.auth_token().to_string(),
        })
    }

    /// `rest` is appended to `/2010-04-01/Accounts/AC…` unless it starts with `/`.
    pub fn url(&self, rest: &str) -> String {
        if rest.starts_with("http") {
            rest.to_string()
        } else if rest.starts_with('/') {
            format!("{}{rest}", self.base)
        } else {
            format!("{}/2010-04-01/Accounts/{}/{rest}", self.base, self.account)
        }
    }

    pub async fn get(&self, rest: &str) -> Result<Reply, Error> {
        let resp = self.http.get(self.url(rest)).basic_auth(&self.account, Some(&self.token)).send().await?;
        Self::reply(resp).await
    }

    pub async fn post(&self, rest: &str, form: &[(&str, &str)]) -> Result<Reply, Error> {
        let resp =
            self.http.post(self.url(rest)).basic_auth(&self.account, Some(&self.token)).form(form).send().await?;
        Self::reply(resp).await
    }

    pub async fn delete(&self, rest: &str) -> Result<Reply, Error> {
        let resp = self.http.delete(self.url(rest)).basic_auth(&self.account, Some(&self.token)).send().await?;
        Self::reply(resp).await
    }

    /// Creates the business address the compliance tests use (Acme Pty Ltd, Sydney, AU).
    pub async fn create_au_address(&self) -> Result<Reply, Error> {
        let address = [
            ("CustomerName", "Acme Pty Ltd"),
            ("Street", "1 George St"),
            ("City", "Sydney"),
            ("Region", "NSW"),
            ("PostalCode", "2000"),
            ("IsoCountry", "AU"),
        ];
        self.post("Addresses.json", &address).await
    }

    async fn reply(resp: reqwest::Response) -> Result<Reply, Error> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? };
        Ok(Reply { status, headers, json })
    }
}

/// One webhook the stub app received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub params: Vec<(String, String)>,
    /// Whether `X-Twilio-Signature` verified against the stub's public URL + path + query.
    pub signature_valid: bool,
    pub idempotency_token: Option<String>,
}

impl Hit {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct StubState {
    base: String,
    token: String,
    replies: Arc<HashMap<String, String>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

/// A tiny app standing in for Switchboard's listener: answers configured TwiML per path
/// (an empty `<Response/>` otherwise) and records each request with its signature check.
pub struct StubApp {
    pub base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl StubApp {
    /// `replies` maps a path (e.g. `/twilio/voice`) to TwiML; `{base}` in it is replaced by
    /// the stub's own base URL.
    pub async fn start(auth_token: &str, replies: &[(&str, &str)]) -> Result<StubApp, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let replies: HashMap<String, String> =
            replies.iter().map(|(p, t)| (p.to_string(), t.replace("{base}", &base))).collect();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let state = StubState {
            base: base.clone(),
            token: auth_token.to_string(),
            replies: Arc::new(replies),
            hits: hits.clone(),
        };
        let app = Router::new().fallback(record).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StubApp { base, hits, task })
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }

    pub fn hits_on(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }

    pub fn stop(self) {
        self.abort();
    }

    fn abort(&self) {
        self.task.abort();
    }
}

async fn record(
    State(st): State<StubState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let path_and_query = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let url = format!("{}{}", st.base, path_and_query);
    let signature = headers.get("X-Twilio-Signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let signature_valid = validate(&st.token, &url, Payload::Form(&params), signature, Algorithm::Sha1);
    let idempotency_token = headers.get("I-Twilio-Idempotency-Token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let path = uri.path().to_string();
    if let Ok(mut h) = st.hits.lock() {
        h.push(Hit { path: path.clone(), params, signature_valid, idempotency_token });
    }
    let twiml = st.replies.get(&path).cloned().unwrap_or_else(|| "<Response/>".to_string());
    (StatusCode::OK, [("Content-Type", "text/xml")], twiml)
}

/// Polls `check` until it is true (up to 10 s); the error names what never happened.
pub async fn wait_until<F, Fut>(what: &str, mut check: F) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..500 {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("timed out waiting for: {what}").into())
}

/// Polls `check` every 20 ms until it holds or `limit` passes; returns how long it took, or
/// an error that names what never happened. For conditions read synchronously (the store,
/// the simulator's state); [`wait_until`] is its async-check sibling with a fixed 10 s.
pub async fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Result<Duration, Error> {
    let start = std::time::Instant::now();
    while start.elapsed() <= limit {
        if check() {
            return Ok(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("not within {limit:?}: {what}").into())
}

/// Every webhook the simulator posted, a line each (its status or `unreachable`, the path,
/// `MessageStatus`/`CallStatus` if any, the app's answer): what a timed-out wait for a
/// callback names, so a failure says whether the callback was lost, refused or never sent.
pub fn webhooks_posted(sim: &Simulator) -> String {
    let lines: Vec<String> = sim
        .webhook_log()
        .iter()
        .map(|d| {
            let status = d.status.map_or("unreachable".to_string(), |s| s.to_string());
            let what = param(&d.params, "MessageStatus").or(param(&d.params, "CallStatus")).unwrap_or("-");
            let answer: String = d.response_body.chars().take(120).collect();
            format!(" [{status} {} {what} {answer:?}]", d.url)
        })
        .collect();
    if lines.is_empty() {
        "nothing".to_string()
    } else {
        lines.concat()
    }
}

/// The form value `name` in `params`.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
