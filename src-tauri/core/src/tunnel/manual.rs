//! The owner's own public URL (a reverse proxy, Cloudflare Tunnel, a VPS): nothing to
//! open, the URL is simply there. Whether it really reaches the listener is what the
//! wiring self-test checks.

use std::net::SocketAddr;

use async_trait::async_trait;

use super::{Tunnel, TunnelSession};
use crate::error::{Error, Result};

/// A public URL without a trailing slash; only http(s). It lives with the tunnel, not the
/// command line, because the runtime and the desktop settings normalise the same way as
/// `serve --public-url`, and the core must not import the CLI.
pub fn normalise_public_url(raw: &str) -> Result<String> {
    let url =
        url::Url::parse(raw.trim()).map_err(|e| Error::Usage(format!("--public-url {raw:?} is not a URL: {e}")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(Error::Usage(format!("--public-url must be http(s), not {}", url.scheme())));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

pub struct ManualTunnel {
    url: String,
}

impl ManualTunnel {
    /// `url` must be an http(s) URL; it is normalised without a trailing slash.
    pub fn new(url: &str) -> Result<Self> {
        Ok(ManualTunnel { url: normalise_public_url(url)? })
    }
}

#[async_trait]
impl Tunnel for ManualTunnel {
    fn kind(&self) -> &'static str {
        "manual"
    }
    async fn open(&self, _local: SocketAddr) -> Result<Box<dyn TunnelSession>> {
        Ok(Box::new(ManualSession { url: self.url.clone() }))
    }
}

struct ManualSession {
    url: String,
}

#[async_trait]
impl TunnelSession for ManualSession {
    fn public_url(&self) -> String {
        self.url.clone()
    }
    async fn closed(&mut self) -> String {
        std::future::pending().await
    }
    async fn close(self: Box<Self>) {}
}
