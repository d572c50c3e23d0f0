//! Everything about speaking Twilio: error codes, and (in later layers) the REST client,
//! webhook signatures, TwiML and webhook payload types.

pub mod api;
pub mod client;
pub mod errors;
pub mod payloads;
pub mod signature;
pub mod twiml;
