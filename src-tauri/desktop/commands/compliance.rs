//! Regulatory bundles: the drafts the owner fills in, with Twilio's evaluation and status.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::{Error, Result};
use crate::store::compliance::{self, Compliance, Draft};

#[tauri::command]
#[specta::specta]
pub async fn list_compliance(state: State<'_, DesktopState>) -> Result<Vec<Compliance>> {
    state.store.read_async(compliance::list).await
}

/// Stores a new draft (not yet sent to Twilio) after checking the fields a person can get
/// wrong, so the form can point at them before a round trip to Twilio.
#[tauri::command]
#[specta::specta]
pub async fn save_compliance_draft(state: State<'_, DesktopState>, draft: Draft) -> Result<Compliance> {
    if draft.country.trim().len() != 2 {
        return Err(Error::InvalidInput("country must be a two-letter code such as AU or GB".into()));
    }
    if draft.business_name.trim().is_empty() {
        return Err(Error::InvalidInput("the business name is required".into()));
    }
    if !draft.business_email.contains('@') {
        return Err(Error::InvalidInput(format!("{:?} is not an email address", draft.business_email)));
    }
    state
        .store
        .write_async(move |tx| {
            let id = compliance::create(tx, &draft)?;
            compliance::get(tx, id)
        })
        .await
}
