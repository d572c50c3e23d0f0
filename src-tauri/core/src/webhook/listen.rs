//! The accept loop: what keeps the listener from being held. Anyone who knows the tunnel
//! URL can open connections without a signature, so every connection is bounded in time
//! and in number before any of our code runs:
//! - its request headers must arrive within [`ListenerLimits::header_timeout`] (hyper's
//!   http1 header read timeout, also while an idle keep-alive connection waits for its
//!   next request), else the connection is closed;
//! - from its headers to our answer (reading the body included) a request has
//!   [`ListenerLimits::request_timeout`]; past it the answer is 408 and the connection is
//!   closed;
//! - at most [`ListenerLimits::max_connections`] connections are served at once; further
//!   ones wait in the kernel's backlog until a slot frees.
//!
//! Both timeouts are under Twilio's own 15 s, so a stalled request is gone before Twilio
//! would have given up on it, and a signed webhook never queues behind hostile clients
//! (each connection is its own task). Shutdown stops accepting, lets in-flight requests
//! finish (bounded by the same timeouts) and closes idle connections at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::error::{Error, Result};

/// How long and how many: see the module documentation.
#[derive(Debug, Clone)]
pub struct ListenerLimits {
    /// The most time a client has to send a request's headers. Default 10 s.
    pub header_timeout: Duration,
    /// The most time from a request's headers to our answer, reading its body included.
    /// Default 10 s: webhooks are small forms that arrive at once, and Twilio itself
    /// gives up after 15 s.
    pub request_timeout: Duration,
    /// Connections served at once. Default 512: far above what Twilio opens, far below the
    /// process's file descriptor limit, so a flood cannot starve the store or the media
    /// worker of descriptors.
    pub max_connections: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then finishes
/// in-flight requests and returns.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: ListenerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = app.layer(axum::middleware::from_fn_with_state(limits.request_timeout, deadline));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first: past the cap, new connections stay in the kernel's backlog.
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            s = slots.clone().acquire_owned() => {
                s.map_err(|_| Error::Internal("the listener's connection slots were closed".into()))?
            }
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors (or a connection reset before accept): not fatal.
                    // Wait a moment so a persistent error does not spin the loop.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        let app = app.clone();
        let mut closing = closing_rx.clone();
        let header_timeout = limits.header_timeout;
        connections.spawn(async move {
            let _slot = slot;
            let svc =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| app.clone().oneshot(req));
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = http.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            let served = tokio::select! {
                r = conn.as_mut() => r,
                // (The watch guard is dropped inside: it must not live across an await.)
                _ = async { let _ = closing.wait_for(|c| *c).await; } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = served {
                tracing::debug!("listener connection ended: {e}");
            }
        });
    }
    let _ = closing.send(true);
    // In-flight requests finish within their own limits; past both, nothing left is worth
    // waiting for (a client that stopped reading its answer).
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.header_timeout + limits.request_timeout, drain).await.is_err() {
        tracing::debug!("closing {} connections that outlived the shutdown", connections.len());
        connections.shutdown().await;
    }
    Ok(())
}

/// Answers 408 (and closes the connection) when the request is not read and handled
/// within the limit: a client that sends headers and then trickles or stops its body.
async fn deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::debug!("a request did not complete within {limit:?}; closing its connection");
            (StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")], "request timeout").into_response()
        }
    }
}
