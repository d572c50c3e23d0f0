//! Click-to-call: Twilio rings the owner's phone (the number's forwarding number) first,
//! then connects the owner to the customer showing our number as caller ID. Kept in the
//! core so `serve`, a CLI or a test places exactly the call the desktop button does.

use super::Outbound;
use crate::domain::{now_rfc3339, E164};
use crate::error::{Error, Result};
use crate::store::{calls, numbers};
use crate::twilio::api::calls::ClickToCall;

/// Places the two-leg call from our number `number_id` to `to` and records it in the call
/// log (`outbound-api`, forwarded to the owner's phone). Refuses, before asking Twilio,
/// when the number has no forwarding number (there is nobody to ring first) or `to` is not
/// a phone number. Sent once: a retry could ring the owner twice. With `record`, or when
/// the number's "record calls" setting is on, Twilio records the conversation and the
/// recording reaches the call log like a forwarded call's (its callback, or catch-up).
pub async fn click_to_call(ob: &Outbound, number_id: i64, to: &str, record: bool) -> Result<calls::Call> {
    let number = ob.store.read_async(move |c| numbers::get(c, number_id)).await?;
    let owner = number.settings.forwarding_number.clone().ok_or_else(|| {
        Error::InvalidInput(format!(
            "set a forwarding number for {} first: Twilio rings it before the customer",
            number.e164
        ))
    })?;
    let customer = E164::parse(to)?.as_str().to_string();
    let call = ob
        .client
        .click_to_call(&ClickToCall {
            our_number: number.e164.clone(),
            owner_phone: owner.clone(),
            customer: customer.clone(),
            status_callback: ob.voice_status_callback(),
            // Screened like a forwarded call: the owner's leg must press 1 first.
            accept_url: ob.click_accept_url().filter(|_| number.settings.screening_enabled),
            record: record || number.settings.record_calls,
            recording_status_callback: ob.recording_status_callback(),
        })
        .await?;
    let row = calls::NewCall {
        sid: call.sid.clone(),
        number_id: Some(number_id),
        direction: "outbound-api".into(),
        from: number.e164,
        to: customer,
        status: call.status.unwrap_or_else(|| "queued".into()),
        forwarded_to: Some(owner),
        created_at: now_rfc3339(),
    };
    ob.store
        .write_async(move |tx| {
            calls::insert(tx, &row)?;
            calls::find_by_sid(tx, &row.sid)?.ok_or_else(|| Error::not_found("call"))
        })
        .await
}
