//! The account's secrets as a whole: saving the Twilio credentials, whether they (and the
//! ngrok authtoken) exist, and forgetting them all. The keychain blocks (it talks to a
//! desktop service over IPC), so the async helpers run it off the async workers.

use super::{keys, Keychain, Secret, TwilioCredentials};
use crate::error::{Error, Result};

/// What the settings screen may know about the stored secrets: whether they exist, never
/// their values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct CredentialsStatus {
    /// In the sandbox the simulator needs no credentials and the real keychain is not touched.
    pub sandbox: bool,
    pub twilio: bool,
    /// The Account SID's last four characters, so the owner can tell accounts apart.
    pub account_hint: Option<String>,
    pub ngrok: bool,
}

impl CredentialsStatus {
    /// The sandbox's answer: the simulator is always "connected", nothing is stored.
    pub fn sandbox() -> Self {
        CredentialsStatus { sandbox: true, twilio: true, account_hint: None, ngrok: false }
    }
}

/// The last four characters of an Account SID (all of it when shorter).
pub fn account_hint(account_sid: &str) -> String {
    account_sid.chars().skip(account_sid.chars().count().saturating_sub(4)).collect()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(format!("keychain task failed: {e}")))?
}

/// Whether the Twilio credentials and the ngrok authtoken are stored in `k`.
pub async fn status(k: Keychain) -> Result<CredentialsStatus> {
    blocking(move || {
        let sid = k.get(keys::ACCOUNT_SID)?;
        let ngrok = k.get(keys::NGROK_AUTHTOKEN)?.is_some();
        let account_hint = sid.as_ref().map(|s| account_hint(s.expose()));
        Ok(CredentialsStatus { sandbox: false, twilio: sid.is_some(), account_hint, ngrok })
    })
    .await
}

/// Stores the Account SID and Auth Token in `k` (never anywhere else).
pub async fn save_twilio(k: Keychain, creds: TwilioCredentials) -> Result<()> {
    blocking(move || {
        k.set(keys::ACCOUNT_SID, &Secret::new(creds.account_sid.clone()))?;
        k.set(keys::AUTH_TOKEN, &creds.password)
    })
    .await
}

/// Removes the Twilio and ngrok secrets from `k` (the Resend key and the local data stay).
pub async fn forget(k: Keychain) -> Result<()> {
    blocking(move || {
        for key in [keys::ACCOUNT_SID, keys::AUTH_TOKEN, keys::API_KEY, keys::API_SECRET, keys::NGROK_AUTHTOKEN] {
            k.delete(key)?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_the_last_four_characters() {
        assert_eq!(account_hint("AC0123456789abcdef0123456789abcdef"), "cdef");
        assert_eq!(account_hint("AC1"), "AC1", "a short value is shown whole, not a panic");
    }
}
