//! Commands that talk to Twilio on the owner's behalf: replies, calls, campaigns. Each
//! calls a core workflow in `crate::outbound`.

use tauri::State;

use super::super::live::Live;
use super::super::DesktopState;
use crate::error::Result;
use crate::outbound::bulk::{self, BulkChoice, CampaignProgress};
use crate::outbound::click_to_call::click_to_call;
use crate::outbound::{campaign, composer, email, history, reply};
use crate::secrets::Keychain;
use crate::store::campaign_history::{CampaignSummary, RecipientOutcome, ResendPlan};
use crate::store::{calls, messages};

/// The composer's Send. `media` are the tokens `pick_files` returned for the pictures the
/// owner chose (never paths); `subject` is the email subject the owner edited, if any.
#[tauri::command]
#[specta::specta]
pub async fn send_message(
    live: State<'_, Live>,
    state: State<'_, DesktopState>,
    conversation_id: i64,
    body: String,
    channel: crate::domain::kinds::Channel,
    subject: Option<String>,
    media: Vec<String>,
) -> Result<messages::Message> {
    let ob = live.outbound().await?;
    let from = reply::email_from(&ob.store).await;
    let msg = composer::ComposerMessage { conversation_id, body, channel, subject, media };
    let message_id = composer::send_from_composer(&ob, &state.picked, msg, || {
        Ok(composer::EmailSetup { resend: email::ResendConfig::load(&Keychain::default())?, from: from? })
    })
    .await?;
    ob.store.read_async(move |c| messages::get(c, message_id)).await
}

/// The subject the composer offers for an email reply in this conversation: "Re:" the
/// customer's last email, else our last subject, else "Message from <sender>".
#[tauri::command]
#[specta::specta]
pub async fn email_reply_subject(state: State<'_, DesktopState>, conversation_id: i64) -> Result<String> {
    let from = reply::email_from(&state.store).await.unwrap_or_default();
    email::suggested_subject(&state.store, conversation_id, from).await
}

/// Retry on a failed message Twilio never accepted (never sent twice: see `reply::retry`).
#[tauri::command]
#[specta::specta]
pub async fn retry_message(live: State<'_, Live>, message_id: i64) -> Result<messages::Message> {
    reply::retry(&live.outbound().await?, message_id).await
}

/// Click-to-call: Twilio rings the owner's phone, then connects them to `to`.
#[tauri::command]
#[specta::specta]
pub async fn start_call(live: State<'_, Live>, number_id: i64, to: String) -> Result<calls::Call> {
    // Recorded when the number's "record calls" setting is on (the core reads it).
    click_to_call(&live.outbound().await?, number_id, &to, false).await
}

/// Starts a bulk send from `number_id` to the contacts chosen and everyone with one of the tags.
#[tauri::command]
#[specta::specta]
pub async fn start_bulk(
    app: tauri::AppHandle,
    live: State<'_, Live>,
    number_id: i64,
    choice: BulkChoice,
) -> Result<i64> {
    let id = bulk::start(&live.outbound().await?, number_id, choice).await?;
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

#[tauri::command]
#[specta::specta]
pub async fn campaign_progress(state: State<'_, DesktopState>, id: i64) -> Result<CampaignProgress> {
    state.store.read_async(move |c| bulk::progress(c, id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn pause_campaign(live: State<'_, Live>, id: i64) -> Result<()> {
    campaign::pause(&live.outbound().await?, id).await.map(|_| ())
}

#[tauri::command]
#[specta::specta]
pub async fn resume_campaign(app: tauri::AppHandle, live: State<'_, Live>, id: i64) -> Result<()> {
    if campaign::resume(&live.outbound().await?, id).await? {
        spawn_campaign(app, id);
    }
    Ok(())
}

/// The campaign history, newest first.
#[tauri::command]
#[specta::specta]
pub async fn list_campaigns(live: State<'_, Live>, limit: Option<i64>) -> Result<Vec<CampaignSummary>> {
    history::list(&live.outbound().await?, limit.unwrap_or(0)).await
}

/// One campaign and what became of each recipient.
#[derive(Debug, serde::Serialize, specta::Type)]
pub struct CampaignDetail {
    pub summary: CampaignSummary,
    pub recipients: Vec<RecipientOutcome>,
}

#[tauri::command]
#[specta::specta]
pub async fn campaign_detail(live: State<'_, Live>, id: i64) -> Result<CampaignDetail> {
    let (summary, recipients) = history::detail(&live.outbound().await?, id).await?;
    Ok(CampaignDetail { summary, recipients })
}

/// Cancel: stops before the next recipient, for good. False when it had already ended.
#[tauri::command]
#[specta::specta]
pub async fn cancel_campaign(live: State<'_, Live>, id: i64) -> Result<bool> {
    history::cancel(&live.outbound().await?, id).await
}

/// Who "send again to those who failed" would text, for the confirmation.
#[tauri::command]
#[specta::specta]
pub async fn preview_resend(live: State<'_, Live>, id: i64) -> Result<ResendPlan> {
    history::resend_preview(&live.outbound().await?, id).await
}

/// Sends campaign `id`'s failed recipients their text again (never an opted-out number,
/// never anyone already sent to); returns the new campaign's id.
#[tauri::command]
#[specta::specta]
pub async fn resend_failed(app: tauri::AppHandle, live: State<'_, Live>, id: i64) -> Result<i64> {
    let (new_id, _) = history::resend_failed(&live.outbound().await?, id).await?;
    spawn_campaign(app, new_id);
    Ok(new_id)
}
