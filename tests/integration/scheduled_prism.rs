//! Every request scheduled messages add, against Prism serving Twilio's official specs
//! (`tests/oracles/oai/`): a message created through a Messaging Service with
//! `ScheduleType=fixed` and `SendAt`, its cancel (`Status=canceled`), and the service update
//! that keeps inbound webhooks on the numbers. Prism answers 422 naming a field Twilio
//! would refuse (an unknown parameter, `SendAt` not a date-time, a status not in the enum).

use switchboard::twilio::api::messages::NewMessage;
use switchboard::twilio::client::TwilioClient;

use crate::common::TestResult;
use crate::prism::sid::{MESSAGE, SERVICE};
use crate::prism::{self, Spec};

fn client() -> Result<TwilioClient, Box<dyn std::error::Error>> {
    prism::client(&[Spec::Api, Spec::Messaging])
}

#[tokio::test]
async fn prism_schedule_cancel_and_service_update_requests() -> TestResult {
    let c = client()?;
    let send_at = switchboard::domain::schedule::to_twilio(chrono::Utc::now() + chrono::Duration::hours(2));
    let made = c
        .create_message(&NewMessage {
            from: "+15005550006".into(),
            to: "+61412345678".into(),
            body: "Reminder: your appointment is tomorrow at 9".into(),
            status_callback: Some("https://shop.example/twilio/sms/status".into()),
            client_ref: Some("send-1".into()),
            messaging_service_sid: Some(SERVICE.into()),
            send_at: Some(send_at),
            ..Default::default()
        })
        .await?;
    assert!(made.sid.starts_with("SM") || made.sid.starts_with("MM"), "{made:?}");
    c.cancel_message(MESSAGE).await?;
    c.keep_inbound_webhooks_on_numbers(SERVICE).await?;
    Ok(())
}
