//! Our numbers: list, per-number call/message settings, and the account's numbers (manage,
//! stop managing, search, buy, release). The workflows are `crate::tunnel::numbers`; a
//! change that affects wiring is followed by a rewire, which points managed numbers (and
//! their fallback flows) at the current public URL.

use tauri::State;

use super::super::live::Live;
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::numbers::{self, Number, NumberSettings};
use crate::tunnel::numbers::{self as account, Available};

#[tauri::command]
#[specta::specta]
pub async fn list_numbers(state: State<'_, DesktopState>) -> Result<Vec<Number>> {
    state.store.read_async(numbers::list).await
}

/// Validates and saves a number's settings; returns the number as stored.
#[tauri::command]
#[specta::specta]
pub async fn update_number_settings(
    live: State<'_, Live>,
    id: i64,
    friendly_name: String,
    settings: NumberSettings,
) -> Result<Number> {
    let saved = account::save_settings(&live.store, id, &friendly_name, settings).await?;
    // The Twilio-hosted fallback flow forwards to this number's settings: refresh it.
    if saved.managed {
        live.rewire().await;
    }
    Ok(saved)
}

/// The sentences the number settings show about calls while the app is closed (text-back,
/// business hours, screening), from the code that builds the closed-app flow.
#[tauri::command]
#[specta::specta]
pub fn call_flow_notes() -> crate::tunnel::fallback::ClosedNotes {
    crate::tunnel::fallback::closed_notes()
}

/// What a voicemail maximum of `max_seconds` means for transcripts (Twilio transcribes
/// 2–120 s only), shown beside the setting as the owner changes it.
#[tauri::command]
#[specta::specta]
pub fn voicemail_length_note(max_seconds: i64) -> String {
    crate::domain::transcript::max_length_note(max_seconds)
}

/// Records the account's numbers and starts managing the chosen ones; the runtime wires
/// them now when the tunnel is online, else as soon as it is.
#[tauri::command]
#[specta::specta]
pub async fn manage_numbers(live: State<'_, Live>, sids: Vec<String>) -> Result<Vec<Number>> {
    let list = account::manage(&live.store, &live.client().await?, &sids).await?;
    live.rewire().await;
    Ok(list)
}

/// "Stop managing": the number gets back the webhooks it had before Switchboard managed it.
#[tauri::command]
#[specta::specta]
pub async fn stop_managing_number(live: State<'_, Live>, id: i64) -> Result<Vec<Number>> {
    account::stop_managing(&live.store, &live.client().await?, id).await
}

#[tauri::command]
#[specta::specta]
pub async fn search_available_numbers(
    live: State<'_, Live>,
    country: String,
    number_type: String,
    area_code: String,
) -> Result<Vec<Available>> {
    account::search(&live.client().await?, &country, &number_type, &area_code).await
}

/// Buys `e164` (with the approved bundle and address of `compliance_id` when given) and
/// starts managing it.
#[tauri::command]
#[specta::specta]
pub async fn buy_number(live: State<'_, Live>, e164: String, compliance_id: Option<i64>) -> Result<Number> {
    let number = account::buy_and_manage(&live.store, &live.client().await?, &e164, compliance_id).await?;
    live.rewire().await;
    Ok(number)
}

/// Releases a number back to Twilio (the UI asked for confirmation first).
#[tauri::command]
#[specta::specta]
pub async fn release_number(live: State<'_, Live>, id: i64) -> Result<()> {
    account::release(&live.store, &live.client().await?, id).await
}
