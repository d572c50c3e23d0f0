//! The sandbox's "simulated customer phone": text, call and read the phone's inbox.

use tauri::State;

use super::super::live::{Live, Mode};
use crate::error::{Error, Result};
use crate::sandbox::BUSINESS_NUMBER;
use crate::sim::SimMessage;

fn not_sandbox() -> Error {
    Error::InvalidInput("the simulated phone exists only in the sandbox".into())
}

#[tauri::command]
#[specta::specta]
pub async fn sim_customer_text(live: State<'_, Live>, from: String, body: String, with_image: bool) -> Result<()> {
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => sb.sim.customer_sms(&from, BUSINESS_NUMBER, &body, with_image).await.map(|_| ()),
        _ => Err(not_sandbox()),
    }
}

/// `outcome`: "answer" (the owner picks up the forwarded call) or "voicemail" (nobody
/// answers and the caller leaves a few seconds of message).
#[tauri::command]
#[specta::specta]
pub async fn sim_customer_call(live: State<'_, Live>, from: String, outcome: String) -> Result<()> {
    let answered = outcome == "answer";
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => {
            sb.sim.customer_call_answered(&from, BUSINESS_NUMBER, answered, (!answered).then_some(4)).await.map(|_| ())
        }
        _ => Err(not_sandbox()),
    }
}

/// The "drop webhooks" switch: with `on`, sets it (every webhook the simulator posts is lost,
/// as in a tunnel blip, so what happens meanwhile arrives only by reconciliation); answers
/// whether webhooks are being dropped.
#[tauri::command]
#[specta::specta]
pub async fn sim_drop_webhooks(live: State<'_, Live>, on: Option<bool>) -> Result<bool> {
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => {
            let faults = sb.sim.faults();
            if let Some(on) = on {
                faults.set_drop_webhooks(on);
            }
            Ok(faults.webhooks_dropped())
        }
        _ => Err(not_sandbox()),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn sim_phone_inbox(live: State<'_, Live>, phone: String) -> Result<Vec<SimMessage>> {
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => Ok(sb.sim.phone_inbox(&phone)),
        _ => Err(not_sandbox()),
    }
}
