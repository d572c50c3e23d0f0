//! Everything Switchboard sends: SMS/MMS (`send`, the one path the UI and
//! `switchboard send` share), bulk templated sends (`campaign`), email replies through
//! Resend (`email`), and the expiring links Twilio fetches MMS attachments from
//! (`media_links`).

pub mod campaign;
pub mod email;
pub mod media_links;
pub mod send;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::events::Events;
use crate::store::Store;
use crate::twilio::client::TwilioClient;

/// What sending needs; cheap to clone (every field is a handle).
#[derive(Clone)]
pub struct Outbound {
    pub store: Store,
    pub client: TwilioClient,
    pub events: Events,
    /// The public base URL Twilio reaches us at (no trailing slash). Without it sends carry
    /// no `StatusCallback` and MMS attachments cannot be offered.
    pub public_url: Option<String>,
    /// How long an MMS attachment link stays valid (Twilio fetches within seconds).
    pub media_ttl: Duration,
    /// Paces bulk sends per sending number, shared by every campaign using this context.
    pub pacer: Pacer,
}

impl Outbound {
    pub fn new(store: Store, client: TwilioClient, events: Events, public_url: Option<String>) -> Self {
        Outbound {
            store,
            client,
            events,
            public_url,
            media_ttl: Duration::from_secs(24 * 3600),
            pacer: Pacer::default(),
        }
    }

    /// `<public_url>/twilio/sms/status`, where Twilio reports delivery.
    pub fn sms_status_callback(&self) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{}/twilio/sms/status", u.trim_end_matches('/')))
    }

    /// `<public_url>/twilio/voice/status`, where Twilio reports call progress.
    pub fn voice_status_callback(&self) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{}/twilio/voice/status", u.trim_end_matches('/')))
    }
}

/// Spaces sends from one number: each caller reserves the next free slot for its number,
/// so two campaigns from the same number together still keep that number's rate.
#[derive(Clone, Default)]
pub struct Pacer(Arc<Mutex<HashMap<String, tokio::time::Instant>>>);

impl Pacer {
    /// Waits until `number` may send again, then reserves the slot `interval` later.
    pub async fn wait_turn(&self, number: &str, interval: Duration) {
        let due = {
            // The lock is released before sleeping; a poisoned map only holds instants.
            let mut slots = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            let due = slots.get(number).map_or(now, |t| (*t).max(now));
            slots.insert(number.to_string(), due + interval);
            due
        };
        tokio::time::sleep_until(due).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_sends_per_number_not_globally() {
        let p = Pacer::default();
        let start = tokio::time::Instant::now();
        p.wait_turn("+1", Duration::from_secs(1)).await;
        p.wait_turn("+2", Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "first sends from two numbers go at once");
        p.wait_turn("+1", Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1), "the second from +1 waits its interval");
    }
}
