//! Catching up with Twilio: what happened while the app was closed or the tunnel down.
//! Run on start, after every reconnect, on wake and periodically while running
//! ([`reconcile`]); see [`backfill::run`].

pub mod backfill;
pub mod reconcile;

pub use backfill::{run, Summary};
