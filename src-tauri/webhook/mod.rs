//! The built-in listener: the one door through which Twilio reaches Switchboard.
//! `router(state)` builds the routes and `serve(listener, shutdown)` runs them, so tests
//! bind `127.0.0.1:0` and drive the same router with `oneshot`.

use std::future::Future;
use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::error::{Error, Result};
use crate::store::Store;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The public base URL Twilio calls (tunnel or manual), without a trailing slash.
    pub public_url: String,
}

pub fn router(state: AppState) -> Router {
    Router::new().route("/healthz", get(healthz)).with_state(state)
}

/// Answers 200 with no body worth reading: it reveals nothing about the app or its data.
async fn healthz() -> &'static str {
    "ok"
}

/// Binds loopback only. Refuses any other address: the listener is reached through the
/// tunnel, never directly from the network.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(Error::Usage(format!("the listener binds loopback only (127.0.0.1 or ::1), not {}", addr.ip())));
    }
    Ok(TcpListener::bind(addr).await?)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
