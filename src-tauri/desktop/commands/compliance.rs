//! Regulatory bundles: the form of the regulation for a country, number type and end user,
//! the drafts the owner fills in from it (files by `pick_files` token only), a rejected
//! bundle's corrected copy, Twilio's evaluation and status, and submission
//! (`crate::compliance`). Records of the old fixed form can still be listed and submitted;
//! new ones all start from the regulation.

use tauri::State;

use super::super::live::Live;
use crate::compliance::{FormInput, RegulationForm};
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::compliance::{self, Compliance};

#[tauri::command]
#[specta::specta]
pub async fn list_compliance(state: State<'_, DesktopState>) -> Result<Vec<Compliance>> {
    state.store.read_async(compliance::list).await
}

/// Creates (or resumes) the bundle at Twilio and submits it for review; the review result
/// arrives at `/twilio/compliance` while the tunnel is online, else by the next sync.
#[tauri::command]
#[specta::specta]
pub async fn submit_compliance(live: State<'_, Live>, id: i64) -> Result<Compliance> {
    let client = live.client().await?;
    let callback = live.public_url().await.map(|u| format!("{u}/twilio/compliance"));
    crate::compliance::submit(&live.store, &client, id, callback).await
}

/// The form Twilio's regulation describes for this country, number type and end user
/// (`crate::compliance::load_form`): what the Compliance screen renders.
#[tauri::command]
#[specta::specta]
pub async fn compliance_form(
    live: State<'_, Live>,
    country: String,
    number_type: String,
    end_user_type: String,
) -> Result<RegulationForm> {
    let client = live.client().await?;
    crate::compliance::load_form(&client, &country, &number_type, &end_user_type).await
}

/// Begins a draft from the regulation's form. The form is fetched here again rather than
/// taken from the webview, so the stored checks are Twilio's; document files are
/// `pick_files` tokens, never paths.
#[tauri::command]
#[specta::specta]
pub async fn start_compliance_form(
    live: State<'_, Live>,
    state: State<'_, DesktopState>,
    country: String,
    number_type: String,
    end_user_type: String,
    input: FormInput,
) -> Result<Compliance> {
    let client = live.client().await?;
    let form = crate::compliance::load_form(&client, &country, &number_type, &end_user_type).await?;
    crate::compliance::begin(&state.store, &state.picked, form, input).await
}

/// Changes the answers of a draft or a non-compliant registration.
#[tauri::command]
#[specta::specta]
pub async fn update_compliance_form(state: State<'_, DesktopState>, id: i64, input: FormInput) -> Result<Compliance> {
    crate::compliance::update(&state.store, &state.picked, id, input).await
}

/// A new draft with the answers of a rejected or non-compliant registration, showing
/// Twilio's reasons next to the fields, to be corrected and submitted as a new bundle.
#[tauri::command]
#[specta::specta]
pub async fn copy_compliance_for_resubmission(live: State<'_, Live>, id: i64) -> Result<Compliance> {
    let client = live.client().await?;
    crate::compliance::copy_for_resubmission(&live.store, &client, id).await
}

/// Asks Twilio where bundles under review stand, and fetches the review's field-level
/// findings of a rejected one (the callback carries only one line of reason).
#[tauri::command]
#[specta::specta]
pub async fn refresh_compliance(live: State<'_, Live>) -> Result<Vec<Compliance>> {
    let client = live.client().await?;
    crate::compliance::refresh_pending(&live.store, &client).await?;
    live.store.read_async(compliance::list).await
}
