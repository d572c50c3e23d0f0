//! Commands for the owner's accounts: the Twilio credentials (checked, then kept in the
//! keychain) and the email provider for email replies.

use tauri::State;

use super::super::live::Live;
use crate::error::Result;
use crate::outbound::reply;
use crate::secrets::{account, keys, Keychain};
use crate::twilio::client::ClientConfig;
use crate::twilio::onboarding::{self, AccountCheck};

/// Checks the credentials against Twilio (fetches the account and its numbers); saves nothing.
#[tauri::command]
#[specta::specta]
pub async fn check_twilio_credentials(account_sid: String, auth_token: String) -> Result<AccountCheck> {
    onboarding::check(ClientConfig::from_env(onboarding::credentials(&account_sid, &auth_token)?)).await
}

/// Stores the credentials in the keychain (never anywhere else) and starts the core.
#[tauri::command]
#[specta::specta]
pub async fn save_credentials(live: State<'_, Live>, account_sid: String, auth_token: String) -> Result<()> {
    account::save_twilio(Keychain::default(), onboarding::credentials(&account_sid, &auth_token)?).await?;
    live.restart().await
}

/// Saves the Resend API key (keychain) and the sender address (settings) for email replies.
#[tauri::command]
#[specta::specta]
pub async fn save_email_settings(live: State<'_, Live>, api_key: String, from: String) -> Result<()> {
    reply::save_email_settings(&live.store, &api_key, &from, |key| Keychain::default().set(keys::RESEND_API_KEY, &key))
        .await
}
