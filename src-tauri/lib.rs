//! Switchboard: a local-first business phone on the owner's own Twilio account.
//!
//! The core (everything but `desktop`) builds and is tested without a GUI; the Tauri
//! shell in `desktop` is the only module that imports `tauri`.

pub mod cli;
pub mod compliance;
pub mod domain;
pub mod error;
pub mod events;
pub mod inbound;
pub mod media;
pub mod notifications;
pub mod outbound;
pub mod picked;
pub mod runtime;
pub mod sandbox;
pub mod secrets;
pub mod sim;
pub mod store;
pub mod sync;
pub mod tunnel;
pub mod twilio;
pub mod wake;
pub mod webhook;

#[cfg(feature = "desktop")]
pub mod desktop;

pub use error::{Error, Result};
