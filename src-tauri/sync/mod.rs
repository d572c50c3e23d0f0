//! Catching up with Twilio: what happened while the app was closed or the tunnel down.
//! Run on start and after every reconnect; see [`backfill::run`].

pub mod backfill;

pub use backfill::{run, Summary};
