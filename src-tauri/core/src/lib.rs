//! Switchboard's core: everything the app does that needs no window. Domain rules, the
//! store, the Twilio client, the webhook listener, sending, the tunnel, catch-up and the
//! runtime that starts them together.
//!
//! This crate never depends on tauri (CI checks `cargo tree`): `serve`, `send` and
//! `export`, the desktop shell and the tests all drive the same functions, and the tests
//! build on a machine without WebKitGTK. The app package (`switchboard`) re-exports these
//! modules under the same names.

pub mod addressbook;
pub mod compliance;
pub mod costs;
pub mod domain;
pub mod error;
pub mod events;
pub mod inbound;
pub mod media;
pub mod notifications;
pub mod outbound;
pub mod picked;
pub mod recordings;
pub mod registration;
pub mod runtime;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod tunnel;
pub mod twilio;
pub mod wake;
pub mod webhook;

pub use error::{Error, Result};
