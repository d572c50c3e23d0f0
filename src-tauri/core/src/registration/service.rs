//! The account's one Switchboard Messaging Service, shared by A2P 10DLC registration
//! ([`super::a2p`]: the campaign is registered on it) and scheduled messages
//! (`outbound::scheduled`: Twilio schedules only messages sent through a service).
//!
//! The service is found by its name before one is made, so a lost answer, a second path or
//! a second install never makes two. It always leaves inbound texts to each number's own
//! webhook (`UseInboundWebhookOnNumber=true`): joining it must never move where a number's
//! texts arrive, or the app would stop hearing its customers.

use crate::error::{Error, Result};
use crate::twilio::api::messaging::MessagingService;
use crate::twilio::client::TwilioClient;

/// The Messaging Service Switchboard makes, or reuses when one of that name exists.
pub const SERVICE_NAME: &str = "Switchboard";

/// Twilio's error for a number already in the service ("Phone Number is already in the Messaging Service").
const ALREADY_IN_SERVICE: u32 = 21710;

/// The account's service named [`SERVICE_NAME`], if any; one found that would take inbound
/// texts away from the numbers' webhooks is set to leave them there first.
pub async fn find(client: &TwilioClient) -> Result<Option<MessagingService>> {
    let found =
        client.list_messaging_services().await?.into_iter().find(|s| s.friendly_name.as_deref() == Some(SERVICE_NAME));
    match found {
        Some(s) if s.use_inbound_webhook_on_number == Some(false) => {
            Ok(Some(client.keep_inbound_webhooks_on_numbers(&s.sid).await?))
        }
        other => Ok(other),
    }
}

/// Makes the service (keeping inbound webhooks on the numbers). Call [`find`] first: a
/// create is sent once and never retried.
pub async fn create(client: &TwilioClient) -> Result<MessagingService> {
    client.create_messaging_service(SERVICE_NAME).await
}

/// [`find`], else [`create`].
pub async fn ensure(client: &TwilioClient) -> Result<MessagingService> {
    match find(client).await? {
        Some(s) => Ok(s),
        None => create(client).await,
    }
}

/// Whether number `phone_number_sid` (PN…) is in the service's sender pool.
pub async fn has_number(client: &TwilioClient, service_sid: &str, phone_number_sid: &str) -> Result<bool> {
    Ok(client.list_service_numbers(service_sid).await?.iter().any(|n| n.sid == phone_number_sid))
}

/// Adds the number to the sender pool; a number already there is fine.
pub async fn add_number(client: &TwilioClient, service_sid: &str, phone_number_sid: &str) -> Result<()> {
    match client.add_service_number(service_sid, phone_number_sid).await {
        Ok(_) | Err(Error::Twilio { code: Some(ALREADY_IN_SERVICE), .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
