//! Switchboard: a local-first business phone on the owner's own Twilio account.
//!
//! This is the app package: the command line (`cli`), the sandbox wiring (runtime +
//! simulator) and, with the `desktop` feature, the Tauri shell, the only module that
//! imports `tauri`. Everything else lives in the GUI-free `switchboard-core` crate and the
//! simulator in `switchboard-sim`; both are re-exported here under their old module names
//! so `crate::store::…` in the shell and `switchboard::…` in the tests read as before.

pub use switchboard_core::{
    addressbook, compliance, costs, domain, error, events, inbound, media, notifications, outbound, picked, recordings,
    registration, runtime, secrets, store, sync, tunnel, twilio, wake, webhook,
};
pub use switchboard_sim as sim;

pub mod cli;
pub mod sandbox;

#[cfg(feature = "desktop")]
pub mod desktop;

pub use error::{Error, Result};
