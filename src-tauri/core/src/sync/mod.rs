//! Catching up with Twilio: what happened while the app was closed or the tunnel down.
//! Run on start, after every reconnect, on wake and periodically while running
//! ([`reconcile`]); see [`backfill::run`]. `pages` pages a list back to a watermark;
//! `messages` and `voice` apply what it finds.

pub mod backfill;
mod messages;
pub mod pages;
pub mod reconcile;
mod voice;

pub use backfill::{run, Summary};
