//! Commands that talk to Twilio on the owner's behalf: send, call, campaigns.

use std::collections::BTreeMap;

use tauri::State;

use super::super::live::Live;
use super::super::DesktopState;
use crate::error::{Error, Result};
use crate::outbound::{campaign, composer, email, send};
use crate::secrets::Keychain;
use crate::store::{calls, campaigns, contacts, messages, numbers};
use crate::twilio::api::calls::ClickToCall;

/// The composer's Send. `media` are the tokens `pick_files` returned for the pictures the
/// owner chose (never paths); `subject` is the email subject the owner edited, if any.
#[tauri::command]
pub async fn send_message(
    live: State<'_, Live>,
    state: State<'_, DesktopState>,
    conversation_id: i64,
    body: String,
    channel: String,
    subject: Option<String>,
    media: Vec<String>,
) -> Result<messages::Message> {
    let ob = live.outbound().await?;
    let from = email_from(&ob.store).await;
    let msg = composer::ComposerMessage { conversation_id, body, channel, subject, media };
    let message_id = composer::send_from_composer(&ob, &state.picked, msg, || {
        Ok(composer::EmailSetup { resend: email::ResendConfig::load(&Keychain::default())?, from: from? })
    })
    .await?;
    ob.store.read_async(move |c| messages::get(c, message_id)).await
}

/// The sender address for email replies (Settings > Email replies).
async fn email_from(store: &crate::store::Store) -> Result<String> {
    store
        .read_async(|c| crate::store::settings::get(c, super::twilio_account::EMAIL_FROM))
        .await?
        .ok_or_else(|| Error::MissingCredentials("the sender address for email (Settings > Email replies)".into()))
}

/// The subject the composer offers for an email reply in this conversation: "Re:" the
/// customer's last email, else our last subject, else "Message from <sender>".
#[tauri::command]
pub async fn email_reply_subject(state: State<'_, DesktopState>, conversation_id: i64) -> Result<String> {
    let from = email_from(&state.store).await.unwrap_or_default();
    email::suggested_subject(&state.store, conversation_id, from).await
}

/// Retry on a failed message Twilio never accepted: Twilio's log is checked first, so a
/// message that did go out is adopted, never sent twice.
#[tauri::command]
pub async fn retry_message(live: State<'_, Live>, message_id: i64) -> Result<messages::Message> {
    let ob = live.outbound().await?;
    let message_id = match send::retry(&ob, message_id).await {
        Ok(o) => o.message_id,
        // Still unknown: the row says so in plain words, with Retry offered again.
        Err(Error::Network(_)) => message_id,
        Err(e) => return Err(e),
    };
    ob.store.read_async(move |c| messages::get(c, message_id)).await
}

/// Click-to-call: Twilio rings the owner's phone (the number's forwarding number), then
/// connects them to `to` showing our number.
#[tauri::command]
pub async fn start_call(live: State<'_, Live>, number_id: i64, to: String) -> Result<calls::Call> {
    let client = live.client().await?;
    let ob = live.outbound().await?;
    let number = ob.store.read_async(move |c| numbers::get(c, number_id)).await?;
    let owner = number.settings.forwarding_number.clone().ok_or_else(|| {
        Error::InvalidInput(format!(
            "set a forwarding number for {} first: Twilio rings it before the customer",
            number.e164
        ))
    })?;
    let customer = crate::domain::E164::parse(&to)?.as_str().to_string();
    let call = client
        .click_to_call(&ClickToCall {
            our_number: number.e164.clone(),
            owner_phone: owner.clone(),
            customer: customer.clone(),
            status_callback: ob.voice_status_callback(),
        })
        .await?;
    let sid = call.sid.clone();
    ob.store
        .write_async(move |tx| {
            calls::insert(
                tx,
                &calls::NewCall {
                    sid: sid.clone(),
                    number_id: Some(number_id),
                    direction: "outbound-api".into(),
                    from: number.e164.clone(),
                    to: customer,
                    status: call.status.unwrap_or_else(|| "queued".into()),
                    forwarded_to: Some(owner),
                    created_at: crate::domain::now_rfc3339(),
                },
            )?;
            calls::find_by_sid(tx, &sid)?.ok_or_else(|| Error::not_found("call"))
        })
        .await
}

#[tauri::command]
pub async fn start_bulk(
    app: tauri::AppHandle,
    live: State<'_, Live>,
    template_id: i64,
    number_id: i64,
    contact_ids: Vec<i64>,
    vars: BTreeMap<String, String>,
    per_contact: Option<super::templates::PerContactVars>,
) -> Result<i64> {
    let per_contact = per_contact.unwrap_or_default();
    let ob = live.outbound().await?;
    let (from, recipients) = ob
        .store
        .read_async(move |c| {
            let from = numbers::get(c, number_id)?.e164;
            let mut out = Vec::new();
            for id in contact_ids {
                let contact = contacts::get(c, id)?;
                // Opted-out contacts are kept: the campaign records them as skipped.
                let Some(to) = contact.reachable_phone().or(contact.phones.first()).cloned() else { continue };
                let v = campaign::contact_vars(&contact, &vars, per_contact.get(&id));
                out.push(campaign::Recipient { contact_id: Some(id), to, vars: v });
            }
            Ok((from, out))
        })
        .await?;
    let id = campaign::create(&ob, campaign::NewCampaign { template_id, from, recipients, rate_per_sec: None }).await?;
    spawn_campaign(app, id);
    Ok(id)
}

/// Runs a campaign in the background until done, paused or cancelled.
pub fn spawn_campaign(app: tauri::AppHandle, id: i64) {
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        let live = app.state::<Live>();
        let result = match live.outbound().await {
            Ok(ob) => campaign::run(&ob, id).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(campaign = id, error = %e, "campaign stopped");
        }
    });
}

#[derive(serde::Serialize)]
pub struct CampaignProgress {
    id: i64,
    state: String,
    total: i64,
    sent: i64,
    failed: i64,
    skipped: i64,
}

#[tauri::command]
pub async fn campaign_progress(state: State<'_, DesktopState>, id: i64) -> Result<CampaignProgress> {
    state
        .store
        .read_async(move |c| {
            let camp = campaigns::get(c, id)?;
            let p = campaigns::progress(c, id)?;
            Ok(CampaignProgress {
                id,
                state: camp.state,
                total: p.sent + p.failed + p.skipped + p.pending,
                sent: p.sent,
                failed: p.failed,
                skipped: p.skipped,
            })
        })
        .await
}

#[tauri::command]
pub async fn pause_campaign(live: State<'_, Live>, id: i64) -> Result<()> {
    campaign::pause(&live.outbound().await?, id).await.map(|_| ())
}

#[tauri::command]
pub async fn resume_campaign(app: tauri::AppHandle, live: State<'_, Live>, id: i64) -> Result<()> {
    if campaign::resume(&live.outbound().await?, id).await? {
        spawn_campaign(app, id);
    }
    Ok(())
}
