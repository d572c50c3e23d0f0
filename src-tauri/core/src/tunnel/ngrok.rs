//! The ngrok tunnel the app opens itself: a session from the owner's authtoken, an HTTP
//! endpoint (on the account's static/dev domain when given, so the URL survives restarts)
//! forwarding to the loopback listener. ngrok's session reconnects by itself after short
//! network blips; when the forwarder ends for good the supervisor opens a new session.
//!
//! ngrok's servers cannot be reached from our test machines: this file is exercised by
//! hand (README, "Trying the real tunnel"); the lifecycle around it is tested with a fake.

use std::net::SocketAddr;

use async_trait::async_trait;
use ngrok::config::ForwarderBuilder;
use ngrok::prelude::*;

use super::{Tunnel, TunnelSession};
use crate::error::{Error, Result};
use crate::secrets::Secret;

pub struct NgrokTunnel {
    authtoken: Secret<String>,
    /// The account's static/dev domain ("shop.ngrok.app"), if the owner gave one.
    domain: Option<String>,
}

impl NgrokTunnel {
    pub fn new(authtoken: Secret<String>, domain: Option<String>) -> Self {
        let domain = domain.map(|d| d.trim().trim_start_matches("https://").trim_end_matches('/').to_string());
        NgrokTunnel { authtoken, domain: domain.filter(|d| !d.is_empty()) }
    }
}

#[async_trait]
impl Tunnel for NgrokTunnel {
    fn kind(&self) -> &'static str {
        "ngrok"
    }

    async fn open(&self, local: SocketAddr) -> Result<Box<dyn TunnelSession>> {
        let session = ngrok::Session::builder()
            .authtoken(self.authtoken.expose().clone())
            .connect()
            .await
            .map_err(|e| Error::Tunnel(format!("could not connect to ngrok: {e}")))?;
        let mut endpoint = session.http_endpoint();
        if let Some(domain) = &self.domain {
            endpoint.domain(domain.clone());
        }
        let to = url::Url::parse(&format!("http://{local}"))
            .map_err(|e| Error::Tunnel(format!("bad local address {local}: {e}")))?;
        let forwarder = endpoint
            .listen_and_forward(to)
            .await
            .map_err(|e| Error::Tunnel(format!("ngrok refused the endpoint: {e}")))?;
        let url = forwarder.url().trim_end_matches('/').to_string();
        Ok(Box::new(NgrokSession { _session: session, forwarder, url }))
    }
}

struct NgrokSession {
    /// Kept alive for as long as the tunnel is wanted: dropping it ends the session.
    _session: ngrok::Session,
    forwarder: ngrok::forwarder::Forwarder<ngrok::tunnel::HttpTunnel>,
    url: String,
}

#[async_trait]
impl TunnelSession for NgrokSession {
    fn public_url(&self) -> String {
        self.url.clone()
    }

    async fn closed(&mut self) -> String {
        match self.forwarder.join().await {
            Ok(Ok(())) => "ngrok closed the tunnel".into(),
            Ok(Err(e)) => format!("ngrok tunnel ended: {e}"),
            Err(e) => format!("ngrok forwarder stopped: {e}"),
        }
    }

    async fn close(mut self: Box<Self>) {
        if let Err(e) = self.forwarder.close().await {
            tracing::debug!(error = %e, "closing the ngrok tunnel");
        }
    }
}
