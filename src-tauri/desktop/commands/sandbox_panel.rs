//! The sandbox's "simulated customer phone": text, call and read the phone's inbox.

use tauri::State;

use super::super::live::{Live, Mode};
use crate::error::{Error, Result};
use crate::sandbox::BUSINESS_NUMBER;
use crate::sim::{LegAnswer, SimMessage};

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

/// `outcome`: what the owner's mobile does with the forwarded call: "answer" (picks up and,
/// when screened, presses 1), "decline", "voicemail" (rings out), or "carrier-voicemail"
/// (the mobile's own voicemail answers and presses nothing). A caller nobody took leaves a
/// few seconds of message.
#[tauri::command]
#[specta::specta]
pub async fn sim_customer_call(live: State<'_, Live>, from: String, outcome: String) -> Result<()> {
    let answer = match outcome.as_str() {
        "answer" | "accept" => LegAnswer::Accept,
        "decline" => LegAnswer::Decline,
        "carrier-voicemail" => LegAnswer::CarrierVoicemail,
        "voicemail" | "no-answer" => LegAnswer::NoAnswer,
        other => return Err(Error::InvalidInput(format!("unknown call outcome {other:?}"))),
    };
    let message = (answer != LegAnswer::Accept).then_some(4);
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => sb.sim.customer_call_with(&from, BUSINESS_NUMBER, answer, message).await.map(|_| ()),
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

/// The owner's (simulated) mobile answers the Sole Proprietor's one-time-code text with
/// `text`, as the owner does from their own phone with Twilio; answers whether the
/// simulator accepted it (a wrong or stale code changes nothing).
#[tauri::command]
#[specta::specta]
pub async fn sim_reply_brand_otp(live: State<'_, Live>, mobile: String, text: String) -> Result<bool> {
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => Ok(sb.sim.reply_to_brand_otp(&mobile, &text)),
        _ => Err(not_sandbox()),
    }
}

/// Moves the simulated Twilio's clock `minutes` ahead, so scheduled messages due by then
/// are sent (also while the app pretends to be closed). Returns how many were due.
#[tauri::command]
#[specta::specta]
pub async fn sim_advance_clock(live: State<'_, Live>, minutes: u32) -> Result<u32> {
    match &*live.mode.read().await {
        Mode::Sandbox(sb) => {
            let due = sb.sim.advance_clock(std::time::Duration::from_secs(u64::from(minutes) * 60));
            Ok(u32::try_from(due).unwrap_or(u32::MAX))
        }
        _ => Err(not_sandbox()),
    }
}
