//! What texting costs the owner: each message's price as Twilio reports it ([`prices`]:
//! fetched after its final status, since status callbacks carry none, and filled in by
//! catch-up from the pages it lists anyway), totals per conversation, campaign and month
//! (`store::costs`), and the estimate of a bulk send before it goes out ([`estimate`]).

pub mod estimate;
pub mod prices;

pub use crate::store::costs::{CostTotal, Costs, MonthCosts};
