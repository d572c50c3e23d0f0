//! The OS keychain through `keyring` (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). There is no plain-text fallback: when no keychain is
//! reachable the error says so and how to fix it.

use crate::error::{Error, Result};

use super::Secret;

/// Entries live under one service name; tests use their own to stay apart.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain { service: "switchboard".into() }
    }
}

impl Keychain {
    pub fn with_service(service: impl Into<String>) -> Self {
        Keychain { service: service.into() }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, key).map_err(explain)
    }

    /// The stored value, `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<Secret<String>>> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(explain(e)),
        }
    }

    pub fn set(&self, key: &str, value: &Secret<String>) -> Result<()> {
        self.entry(key)?.set_password(value.expose()).map_err(explain)
    }

    /// Removes the entry; removing what is not there is fine.
    pub fn delete(&self, key: &str) -> Result<()> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(explain(e)),
        }
    }
}

/// Turns keyring's errors into what the owner can act on.
fn explain(e: keyring::Error) -> Error {
    let detail = e.to_string();
    let hint = match &e {
        keyring::Error::PlatformFailure(_) if cfg!(target_os = "linux") => {
            " — no Secret Service is running. Install and start gnome-keyring (or KeePassXC with Secret Service enabled) and log in to your desktop session"
        }
        keyring::Error::NoStorageAccess(_) => " — the keychain is locked. Unlock it (log in to your desktop) and try again",
        _ => "",
    };
    Error::Keychain(format!("{detail}{hint}"))
}
