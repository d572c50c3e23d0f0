//! Scheduled messages ("Send later"): schedule in a conversation or as a bulk send, edit,
//! cancel, and list them. Each calls `crate::outbound::scheduled`, which checks the bounds
//! (15 minutes to 35 days ahead) and talks to Twilio.

use tauri::State;

use super::super::live::Live;
use crate::error::Result;
use crate::outbound::bulk::BulkChoice;
use crate::outbound::scheduled;
use crate::store::messages::Message;

/// The composer's "Send later": `send_at` is RFC 3339 with the owner's offset.
#[tauri::command]
#[specta::specta]
pub async fn schedule_message(
    live: State<'_, Live>,
    conversation_id: i64,
    body: String,
    send_at: String,
) -> Result<Message> {
    scheduled::schedule_in_conversation(&live.outbound().await?, conversation_id, &body, &send_at).await
}

/// Edit a scheduled message: returns the message that replaces it.
#[tauri::command]
#[specta::specta]
pub async fn edit_scheduled(live: State<'_, Live>, message_id: i64, body: String, send_at: String) -> Result<Message> {
    scheduled::edit(&live.outbound().await?, message_id, &body, &send_at).await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_scheduled(live: State<'_, Live>, message_id: i64) -> Result<Message> {
    scheduled::cancel(&live.outbound().await?, message_id).await
}

/// Every message still scheduled, soonest first.
#[tauri::command]
#[specta::specta]
pub async fn list_scheduled(live: State<'_, Live>) -> Result<Vec<Message>> {
    scheduled::list(&live.outbound().await?).await
}

/// Bulk send's "Send later": the campaign schedules each recipient's text for `send_at`.
#[tauri::command]
#[specta::specta]
pub async fn start_bulk_later(
    app: tauri::AppHandle,
    live: State<'_, Live>,
    number_id: i64,
    choice: BulkChoice,
    send_at: String,
) -> Result<i64> {
    let id = scheduled::start_bulk(&live.outbound().await?, number_id, choice, &send_at).await?;
    super::outbound::spawn_campaign(app, id);
    Ok(id)
}
