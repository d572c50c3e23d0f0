//! Secrets: the Twilio credentials, the ngrok authtoken and the Resend API key.
//! They live in the OS keychain (or, for `serve` on a server, the environment); never in
//! SQLite, logs, config files or exports. [`Secret`] prints `<redacted>` and has no
//! `Serialize`, so it cannot leak through `{:?}` or serde by accident.

pub mod account;
mod keychain;
pub mod unlock_wait;

pub use keychain::Keychain;

use std::fmt;

use crate::error::{Error, Result};

/// A value that must not be printed or serialised. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    /// The secret itself; call only where it is sent to its one destination.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How Switchboard authenticates to Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioCredentials {
    /// The account whose resources we use (AC…); not secret, but kept beside the token.
    pub account_sid: String,
    /// Basic-auth user: the Account SID, or an API key SID (SK…).
    pub username: String,
    /// Basic-auth password: the Auth Token, or the API key secret.
    pub password: Secret<String>,
    /// The Auth Token, which alone signs webhooks. With an API key it must still be known
    /// to validate `X-Twilio-Signature`.
    pub auth_token: Option<Secret<String>>,
}

/// Names of the keychain entries (service "switchboard").
pub mod keys {
    pub const ACCOUNT_SID: &str = "twilio-account-sid";
    pub const AUTH_TOKEN: &str = "twilio-auth-token";
    pub const API_KEY: &str = "twilio-api-key";
    pub const API_SECRET: &str = "twilio-api-secret";
    pub const NGROK_AUTHTOKEN: &str = "ngrok-authtoken";
    pub const RESEND_API_KEY: &str = "resend-api-key";
}

/// Reads one value from the environment, treating empty as absent.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl TwilioCredentials {
    /// Account SID + Auth Token: the token is both the Basic-auth password and the key
    /// that checks webhook signatures.
    pub fn with_auth_token(account_sid: &str, auth_token: &str) -> Self {
        TwilioCredentials {
            account_sid: account_sid.to_string(),
            username: account_sid.to_string(),
            password: Secret::new(auth_token.to_string()),
            auth_token: Some(Secret::new(auth_token.to_string())),
        }
    }

    /// From `TWILIO_ACCOUNT_SID` with `TWILIO_AUTH_TOKEN` (or `TWILIO_API_KEY` +
    /// `TWILIO_API_SECRET`). `Ok(None)` when none is set; an error naming what is missing
    /// when only some are.
    pub fn from_env() -> Result<Option<Self>> {
        let sid = env("TWILIO_ACCOUNT_SID");
        let token = env("TWILIO_AUTH_TOKEN");
        let key = env("TWILIO_API_KEY");
        let secret = env("TWILIO_API_SECRET");
        if sid.is_none() && token.is_none() && key.is_none() && secret.is_none() {
            return Ok(None);
        }
        Self::assemble(sid, token, key, secret, "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN").map(Some)
    }

    /// From the keychain; `Ok(None)` when nothing is stored.
    pub fn from_keychain(k: &Keychain) -> Result<Option<Self>> {
        let sid = k.get(keys::ACCOUNT_SID)?.map(|s| s.expose().clone());
        let token = k.get(keys::AUTH_TOKEN)?;
        let key = k.get(keys::API_KEY)?.map(|s| s.expose().clone());
        let secret = k.get(keys::API_SECRET)?;
        if sid.is_none() && token.is_none() && key.is_none() {
            return Ok(None);
        }
        Self::assemble(
            sid,
            token.map(|t| t.expose().clone()),
            key,
            secret.map(|s| s.expose().clone()),
            "Account SID",
            "Auth Token",
        )
        .map(Some)
    }

    fn assemble(
        sid: Option<String>,
        token: Option<String>,
        key: Option<String>,
        secret: Option<String>,
        sid_name: &str,
        token_name: &str,
    ) -> Result<Self> {
        let Some(account_sid) = sid else {
            return Err(Error::MissingCredentials(sid_name.into()));
        };
        match (key, secret, token) {
            (Some(key), Some(secret), token) => Ok(TwilioCredentials {
                account_sid,
                username: key,
                password: Secret::new(secret),
                auth_token: token.map(Secret::new),
            }),
            (Some(_), None, _) => Err(Error::MissingCredentials("the API key secret".into())),
            (None, _, Some(token)) => Ok(TwilioCredentials {
                username: account_sid.clone(),
                account_sid,
                password: Secret::new(token.clone()),
                auth_token: Some(Secret::new(token)),
            }),
            (None, _, None) => Err(Error::MissingCredentials(token_name.into())),
        }
    }

    /// Credentials for `serve`: the environment first (servers, CI), then the keychain.
    /// A missing keychain is not an error here when the environment has them.
    pub fn load(k: &Keychain) -> Result<Self> {
        if let Some(c) = Self::from_env()? {
            return Ok(c);
        }
        match Self::from_keychain(k) {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(Error::MissingCredentials(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET), none in the keychain or environment".into(),
            )),
            Err(Error::Keychain(why)) => Err(Error::MissingCredentials(format!(
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the keychain could not be read: {why})"
            ))),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        let c = TwilioCredentials {
            account_sid: "AC1".into(),
            username: "AC1".into(),
            password: Secret::new("s3cr3t-value".into()),
            auth_token: Some(Secret::new("s3cr3t-value".into())),
        };
        assert!(!format!("{c:?}").contains("s3cr3t"), "{c:?}");
    }

    #[test]
    fn assembles_token_or_api_key_and_names_what_is_missing() {
        let c = TwilioCredentials::assemble(Some("AC1".into()), Some("t".into()), None, None, "sid", "token").unwrap();
        assert_eq!(c.username, "AC1");
        let k =
            TwilioCredentials::assemble(Some("AC1".into()), None, Some("SK1".into()), Some("s".into()), "sid", "token")
                .unwrap();
        assert_eq!(k.username, "SK1");
        assert!(k.auth_token.is_none());
        let e = TwilioCredentials::assemble(Some("AC1".into()), None, None, None, "sid", "token").unwrap_err();
        assert!(e.to_string().contains("token"));
        let e = TwilioCredentials::assemble(None, Some("t".into()), None, None, "sid", "token").unwrap_err();
        assert!(e.to_string().contains("sid"));
    }
}
