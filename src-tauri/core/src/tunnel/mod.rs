//! Reach: how Twilio's webhooks get from the internet to the loopback listener.
//!
//! A [`Tunnel`] opens one session that forwards a public URL to the listener; the
//! [`supervisor`] keeps one open (connecting, online, reconnecting with backoff, failed)
//! and publishes its state, and [`wiring`] points the managed numbers at the current URL
//! whenever it changes. Two tunnels exist: [`ngrok::NgrokTunnel`] (the app opens it
//! itself) and [`manual::ManualTunnel`] (the owner's own reverse proxy or Cloudflare
//! Tunnel). ngrok cannot be reached from the test machines, so the lifecycle is tested
//! through the trait with a fake.

pub mod fallback;
pub mod manual;
pub mod ngrok;
pub mod numbers;
pub mod selftest;
pub mod settings;
pub mod supervisor;
pub mod twilio_numbers;
pub mod wiring;

use std::net::SocketAddr;

use async_trait::async_trait;

use crate::error::Result;

pub use manual::normalise_public_url;
pub use supervisor::{RetryPolicy, TunnelHandle, TunnelState};

/// Something that can open a public URL forwarding to the listener at `local`.
#[async_trait]
pub trait Tunnel: Send + Sync + 'static {
    /// A short name for the UI and logs ("ngrok", "manual").
    fn kind(&self) -> &'static str;
    /// Opens one session. An error here is retried by the supervisor unless
    /// [`crate::Error::Tunnel`] says it is permanent (see [`is_permanent`]).
    async fn open(&self, local: SocketAddr) -> Result<Box<dyn TunnelSession>>;
}

/// One open tunnel session.
#[async_trait]
pub trait TunnelSession: Send + 'static {
    /// The public base URL (no trailing slash) Twilio should call.
    fn public_url(&self) -> String;
    /// Resolves when the session is lost, with the reason.
    async fn closed(&mut self) -> String;
    /// Closes the session on purpose.
    async fn close(self: Box<Self>);
}

/// Errors worth no retry: a wrong authtoken or a domain the account does not own will
/// not fix themselves, so the owner is told at once instead of watching retries.
pub fn is_permanent(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "authtoken",
        "authentication failed",
        "err_ngrok_105",
        "err_ngrok_107",
        "err_ngrok_4018",
        "not allowed to bind",
        "err_ngrok_313",
        "err_ngrok_320",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}
