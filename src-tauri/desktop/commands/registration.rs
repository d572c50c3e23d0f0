//! US carrier registration (issue 16): the guided A2P 10DLC registration, the toll-free
//! verification form, and each number's US status. The workflows are
//! `crate::registration`; these commands only run them with the live client, passing the
//! Trust Hub callback URL while the tunnel is online (otherwise the sync polls).

use tauri::State;

use super::super::live::Live;
use crate::desktop::DesktopState;
use crate::domain::us_registration::{BrandKind, BusinessDetails, CampaignForm};
use crate::error::Result;
use crate::registration::overview::{self, NumberUsStatus};
use crate::registration::{a2p, suggest, tollfree};
use crate::store::us_registration::{self as records, TollfreeRecord, UsRegistration};
use crate::twilio::api::messaging::NewTollfreeVerification;

/// Each number of the account with its registration state and whether it can text US
/// phones today (the Numbers screen).
#[tauri::command]
#[specta::specta]
pub async fn us_numbers_status(state: State<'_, DesktopState>) -> Result<Vec<NumberUsStatus>> {
    state.store.read_async(overview::all).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_us_registrations(state: State<'_, DesktopState>) -> Result<Vec<UsRegistration>> {
    state.store.read_async(records::list).await
}

async fn run(live: &Live, id: i64) -> Result<UsRegistration> {
    let client = live.client().await?;
    let status_callback = live.public_url().await.map(|u| format!("{u}{}", crate::webhook::paths::TRUSTHUB));
    a2p::advance(&a2p::Ctx { store: &live.store, client: &client, status_callback }, id).await
}

/// Starts a registration from the details entered once, and runs it as far as it goes.
#[tauri::command]
#[specta::specta]
pub async fn start_us_registration(
    live: State<'_, Live>,
    kind: BrandKind,
    details: BusinessDetails,
    numbers: Vec<String>,
) -> Result<UsRegistration> {
    let r = a2p::start(&live.store, kind, details, numbers).await?;
    run(&live, r.id).await
}

/// Runs the registration on from where it stands (the screen's Refresh, and after an error).
#[tauri::command]
#[specta::specta]
pub async fn advance_us_registration(live: State<'_, Live>, id: i64) -> Result<UsRegistration> {
    run(&live, id).await
}

/// The campaign form pre-filled from the owner's templates.
#[tauri::command]
#[specta::specta]
pub async fn suggest_us_campaign(state: State<'_, DesktopState>, id: i64) -> Result<CampaignForm> {
    state
        .store
        .read_async(move |c| {
            let r = records::get(c, id)?;
            let templates = crate::store::templates::list(c)?;
            Ok(suggest::campaign(r.brand_kind, &r.details, &templates))
        })
        .await
}

/// Records the owner's campaign and registers it.
#[tauri::command]
#[specta::specta]
pub async fn set_us_campaign(live: State<'_, Live>, id: i64, form: CampaignForm) -> Result<UsRegistration> {
    a2p::set_campaign(&live.store, id, form).await?;
    run(&live, id).await
}

/// Sole Proprietor: a new one-time code texted to the owner's mobile.
#[tauri::command]
#[specta::specta]
pub async fn resend_us_otp(live: State<'_, Live>, id: i64) -> Result<UsRegistration> {
    let client = live.client().await?;
    a2p::resend_otp(&a2p::Ctx { store: &live.store, client: &client, status_callback: None }, id).await
}

/// Submits (or corrects and resubmits) a toll-free number's verification.
#[tauri::command]
#[specta::specta]
pub async fn submit_tollfree_verification(
    live: State<'_, Live>,
    e164: String,
    form: NewTollfreeVerification,
) -> Result<TollfreeRecord> {
    let client = live.client().await?;
    tollfree::submit(&live.store, &client, &e164, form).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_tollfree_verification(state: State<'_, DesktopState>, e164: String) -> Result<Option<TollfreeRecord>> {
    state.store.read_async(move |c| records::get_tollfree(c, &e164)).await
}

/// Asks Twilio where toll-free verifications under review stand (the screen's polling
/// while it is open; the sync does the same otherwise), then reads `e164`'s.
#[tauri::command]
#[specta::specta]
pub async fn refresh_tollfree_verification(live: State<'_, Live>, e164: String) -> Result<Option<TollfreeRecord>> {
    let client = live.client().await?;
    tollfree::poll_all(&live.store, &client).await?;
    live.store.read_async(move |c| records::get_tollfree(c, &e164)).await
}
