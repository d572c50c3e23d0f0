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
    checked_public_url(raw).map_err(|problem| {
        Error::Usage(match problem {
            UrlProblem::NotAUrl(e) => format!("--public-url {raw:?} is not a URL: {e}"),
            UrlProblem::NotHttp(scheme) => format!("--public-url must be http(s), not {scheme}"),
            UrlProblem::QueryOrFragment => {
                format!("--public-url {raw:?} must not have a query (?…) or a fragment (#…)")
            }
        })
    })
}

/// Why a public URL was refused, for each caller to say in its own words (the command
/// line names its flag; the settings form does not).
pub(crate) enum UrlProblem {
    NotAUrl(url::ParseError),
    NotHttp(String),
    QueryOrFragment,
}

/// The one rule for a public URL, normalised without a trailing slash.
pub(crate) fn checked_public_url(raw: &str) -> std::result::Result<String, UrlProblem> {
    let url = url::Url::parse(raw.trim()).map_err(UrlProblem::NotAUrl)?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(UrlProblem::NotHttp(url.scheme().to_string()));
    }
    // The webhook paths are appended to it: "https://shop.example/?src=x/twilio/sms" would
    // send every text and call to the query's page.
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlProblem::QueryOrFragment);
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Whether Twilio, on the internet, could reach `url`'s host: not this computer
/// (localhost, 127.0.0.1, ::1) and not a private, link-local or `.local` network address.
pub fn reachable_from_the_internet(url: &str) -> bool {
    let Some(host) = url::Url::parse(url).ok().and_then(|u| u.host().map(|h| h.to_owned())) else { return false };
    match host {
        url::Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            !(d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local") || !d.contains('.'))
        }
        url::Host::Ipv4(ip) => !(ip.is_loopback() || ip.is_unspecified() || ip.is_private() || ip.is_link_local()),
        url::Host::Ipv6(ip) => !(ip.is_loopback() || ip.is_unspecified() || ip.is_unicast_link_local()),
    }
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
