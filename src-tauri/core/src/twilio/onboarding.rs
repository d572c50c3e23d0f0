//! The first-run check of the owner's Twilio credentials: the form's text made into
//! credentials (or a sentence saying what is wrong with it), then the account and its
//! numbers fetched, so the wizard can show the account's name and offer its numbers
//! before anything is saved.

use super::client::{ClientConfig, TwilioClient};
use crate::domain::AccountSid;
use crate::error::{Error, Result};
use crate::secrets::TwilioCredentials;

/// Credentials from what the owner typed (spaces around either value are dropped).
pub fn credentials(account_sid: &str, auth_token: &str) -> Result<TwilioCredentials> {
    let sid = AccountSid::parse(account_sid.trim())
        .map_err(|_| Error::InvalidInput("the Account SID starts with AC followed by 32 letters and digits".into()))?;
    let token = auth_token.trim();
    if token.is_empty() {
        return Err(Error::InvalidInput("enter the Auth Token".into()));
    }
    Ok(TwilioCredentials::with_auth_token(sid.as_str(), token))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct AccountNumber {
    pub sid: String,
    pub e164: String,
    pub friendly_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct AccountCheck {
    pub account_name: String,
    pub numbers: Vec<AccountNumber>,
}

/// Fetches the account and its numbers with `config`; saves nothing. Wrong credentials
/// fail with Twilio's explanation.
pub async fn check(config: ClientConfig) -> Result<AccountCheck> {
    let client = TwilioClient::new(config)?;
    let account = client.fetch_account().await?;
    let numbers = client
        .list_numbers(200)
        .await?
        .into_iter()
        .map(|n| AccountNumber {
            friendly_name: n.config.friendly_name.unwrap_or_default(),
            sid: n.sid,
            e164: n.phone_number,
        })
        .collect();
    Ok(AccountCheck { account_name: account.friendly_name.unwrap_or_default(), numbers })
}
