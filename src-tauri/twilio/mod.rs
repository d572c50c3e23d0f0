//! Everything about speaking Twilio: error codes, and (in later layers) the REST client,
//! webhook signatures, TwiML and webhook payload types.

pub mod errors;
pub mod signature;
