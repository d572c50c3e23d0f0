//! Types and rules of the business phone, with no I/O: phone numbers, SIDs, message and
//! call status, message direction and channel, campaign state, SMS segments, templates, opt-out keywords, business hours.

pub mod bundle_form;
pub mod hours;
pub mod kinds;
pub mod money;
pub mod nanp;
pub mod optout;
pub mod phone;
pub mod postal;
pub mod schedule;
pub mod segments;
pub mod sid;
pub mod status;
pub mod template;
pub mod tollfree;
pub mod transcript;
pub mod twilio_errors;
pub mod us_registration;
pub mod xmltext;

pub use kinds::{CampaignState, Channel, Direction};
pub use phone::{Address, E164};
pub use sid::*;
pub use status::{CallStatus, MessageStatus};

/// Now as RFC 3339 UTC with milliseconds, the one time format in the store.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
