//! The built-in listener: the one door through which Twilio reaches Switchboard.
//! `router(state)` builds the routes and `serve(listener, app, shutdown)` runs them, so
//! tests bind `127.0.0.1:0` and drive the same router with `oneshot`.
//!
//! Every route but `/healthz` goes through [`verify::signed`] first (signature, size,
//! content type), then stores what it carries in ONE transaction (journal row + domain
//! rows), and only then answers 2xx and publishes events. A request that cannot be stored
//! gets 503 so Twilio falls back; downloads happen after the commit in `crate::media`.

pub mod compliance;
pub mod error;
pub mod listen;
pub mod media;
pub mod recording;
pub mod screen;
pub mod selftest;
pub mod sms;
pub mod status;
pub mod trusthub;
#[cfg(test)]
mod twiml_props;
pub mod verify;
pub mod voice;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::error::{Error, Result};
use crate::events::Events;
use crate::media::Wake;
use crate::secrets::Secret;
use crate::store::Store;
use crate::twilio::twiml::{self, Verb};
pub use listen::ListenerLimits;

/// What every handler needs. Cheap to clone (all handles).
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The public base URL Twilio calls (tunnel or manual), without a trailing slash.
    /// Shared and replaceable: a tunnel may come up (or change) after the listener started.
    public_url: Arc<RwLock<String>>,
    /// The account Auth Token: the HMAC key of `X-Twilio-Signature`. Never logged.
    pub auth_token: Secret<String>,
    /// Where stored changes are published (the desktop shell subscribes).
    pub events: Events,
    /// Nudges the media worker right after a commit that queued a download.
    pub downloads: Wake,
    /// Nudges the missed-call text-back sender after a commit that decided one.
    pub text_backs: Wake,
}

impl AppState {
    /// `public_url` may end with `/`; it is trimmed. The download worker is woken through
    /// a fresh [`Wake`]; pass the worker's own with [`AppState::with_downloads`].
    pub fn new(store: Store, public_url: &str, auth_token: Secret<String>, events: Events) -> Self {
        AppState {
            store,
            public_url: Arc::new(RwLock::new(public_url.trim_end_matches('/').to_string())),
            auth_token,
            events,
            downloads: Wake::default(),
            text_backs: Wake::default(),
        }
    }

    /// The wake of the text-back sender the runtime runs (`outbound::text_back::run`).
    pub fn with_text_backs(mut self, wake: Wake) -> Self {
        self.text_backs = wake;
        self
    }

    pub fn with_downloads(mut self, wake: Wake) -> Self {
        self.downloads = wake;
        self
    }

    pub fn public_url(&self) -> String {
        self.public_url.read().map(|u| u.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Replaces the public base URL (e.g. when the tunnel reconnects with a new domain).
    pub fn set_public_url(&self, url: &str) {
        let url = url.trim_end_matches('/').to_string();
        match self.public_url.write() {
            Ok(mut u) => *u = url,
            Err(poisoned) => *poisoned.into_inner() = url,
        }
    }

    /// An absolute callback URL on our public base, e.g. `url("/twilio/voice/dial")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url(), path)
    }
}

/// Route paths, so TwiML callbacks and tests name them the same way.
pub mod paths {
    pub const SMS: &str = "/twilio/sms";
    pub const SMS_STATUS: &str = "/twilio/sms/status";
    pub const VOICE: &str = "/twilio/voice";
    pub const VOICE_DIAL: &str = "/twilio/voice/dial";
    pub const VOICE_STATUS: &str = "/twilio/voice/status";
    pub const VOICE_RECORDING: &str = "/twilio/voice/recording";
    pub const VOICE_TRANSCRIPTION: &str = "/twilio/voice/transcription";
    /// `<Record action>`: where Twilio goes when the caller finishes the voicemail.
    /// Without an action Twilio re-requests the current document and the flow would loop.
    pub const VOICE_RECORDED: &str = "/twilio/voice/recorded";
    /// `<Number url>`: what the screened (forwarded) leg hears before being connected.
    pub const VOICE_SCREEN: &str = "/twilio/voice/screen";
    /// The screened leg's `<Gather action>`: 1 takes the call, anything else drops the leg.
    pub const VOICE_SCREEN_ANSWER: &str = "/twilio/voice/screen/answer";
    /// Click-to-call: the owner's leg pressed a key (accept) before the customer is dialled.
    pub const VOICE_CLICK_ACCEPT: &str = "/twilio/voice/click/accept";
    pub const COMPLIANCE: &str = "/twilio/compliance";
    /// Trust Hub status callbacks (US registration's customer profile and trust product).
    pub const TRUSTHUB: &str = "/twilio/trusthub";
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route(paths::SMS, post(sms::inbound))
        .route(paths::SMS_STATUS, post(status::message_status))
        .route(paths::VOICE, post(voice::inbound))
        .route(paths::VOICE_DIAL, post(voice::dial_action))
        .route(paths::VOICE_STATUS, post(voice::call_status))
        .route(paths::VOICE_RECORDED, post(voice::recorded))
        .route(paths::VOICE_SCREEN, post(screen::screen))
        .route(paths::VOICE_SCREEN_ANSWER, post(screen::answer))
        .route(paths::VOICE_CLICK_ACCEPT, post(screen::click_accept))
        .route(paths::VOICE_RECORDING, post(recording::recording_status))
        .route(paths::VOICE_TRANSCRIPTION, post(recording::transcription))
        .route(paths::COMPLIANCE, post(compliance::bundle_status))
        .route(paths::TRUSTHUB, post(trusthub::trust_status))
        .route(crate::tunnel::selftest::PATH, post(selftest::probe))
        // Outbound MMS attachments Twilio fetches: unsigned, protected by a 256-bit
        // expiring token (see outbound::media_links).
        .route("/media/{token}", get(media::serve_outbound_media))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers 200 with no body worth reading: it reveals nothing about the app or its data.
async fn healthz() -> &'static str {
    "ok"
}

/// A TwiML response (`text/xml`).
pub(crate) fn twiml_response(verbs: &[Verb]) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml::render(verbs)).into_response()
}

/// Binds loopback only. Refuses any other address: the listener is reached through the
/// tunnel, never directly from the network.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(Error::Usage(format!("the listener binds loopback only (127.0.0.1 or ::1), not {}", addr.ip())));
    }
    Ok(TcpListener::bind(addr).await?)
}

/// The listener and the download worker, running together (what `switchboard serve` and
/// the desktop shell start). Dropping it does not stop them; call [`Running::shutdown`].
pub struct Running {
    /// The bound loopback address (useful with port 0).
    pub addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<()>>,
    worker: tokio::task::JoinHandle<()>,
}

/// Binds `addr` (loopback only), then serves `state`'s router and runs the media worker
/// with `media` until [`Running::shutdown`]. `state.downloads` is wired to the worker.
/// The listener runs with the default [`ListenerLimits`].
pub async fn start(addr: SocketAddr, state: AppState, media: crate::media::MediaConfig) -> Result<Running> {
    start_with(addr, state, media, ListenerLimits::default()).await
}

/// [`start`] with other limits (tests use short timeouts or a small connection cap).
pub async fn start_with(
    addr: SocketAddr,
    state: AppState,
    media: crate::media::MediaConfig,
    limits: ListenerLimits,
) -> Result<Running> {
    let listener = bind(addr).await?;
    let addr = listener.local_addr()?;
    let wake = crate::media::Wake::default();
    let worker = crate::media::Worker::new(state.store.clone(), state.events.clone(), media)?;
    let state = state.with_downloads(wake.clone());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let worker = worker.spawn(wake, stopped(stop_rx.clone()));
    let server = tokio::spawn(listen::serve_with(listener, router(state), limits, stopped(stop_rx)));
    Ok(Running { addr, stop, server, worker })
}

impl Running {
    /// Stops accepting, finishes in-flight requests, lets the worker finish its current
    /// write (waiting at most 5 s for it), and returns the server's result.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(true);
        let served = self.server.await.map_err(|e| Error::Internal(format!("the listener task failed: {e}")))?;
        // A download still running after 5 s is abandoned (it stays queued for next time),
        // and the worker is awaited after its abort, so it no longer holds the Store.
        let mut worker = self.worker;
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut worker).await.is_err() {
            worker.abort();
            let _ = worker.await;
        }
        served
    }

    /// Resolves if the listener stops by itself (an accept error); the caller then shuts down.
    pub fn is_finished(&self) -> bool {
        self.server.is_finished()
    }
}

/// Serves `router` on `listener` with the default [`ListenerLimits`] until `shutdown`
/// resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    listen::serve_with(listener, app, ListenerLimits::default(), shutdown).await
}
