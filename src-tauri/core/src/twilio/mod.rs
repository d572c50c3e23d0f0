//! Everything about speaking Twilio: error codes, and (in later layers) the REST client,
//! webhook signatures, TwiML and webhook payload types.

pub mod api;
pub mod callflow;
pub mod client;
/// The error codes and their explanations live in the domain (the store words them too).
pub use crate::domain::twilio_errors as errors;
pub mod onboarding;
pub mod payloads;
pub mod signature;
pub mod twiml;
