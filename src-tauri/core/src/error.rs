//! One error type for the whole core. Each variant has a stable `code` that the UI may
//! branch on; the whole thing serialises as `{code, message}` so it crosses IPC intact,
//! and `exit_code` maps it onto the command line's 0/1/2 contract.

use serde::ser::SerializeStruct;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or an IPC call was used wrongly (exit status 2).
    #[error("{0}")]
    Usage(String),

    #[error("{0} is not a valid phone number")]
    InvalidPhoneNumber(String),

    #[error("{0}")]
    InvalidInput(String),

    /// A command that reads or writes the owner's files was given something other than a
    /// file the owner chose in Switchboard's own dialog (see `crate::picked`).
    #[error("{0}")]
    PathNotChosen(String),

    #[error("{what} not found")]
    NotFound { what: String },

    #[error("{0} has opted out of messages (replied STOP); they must text START before you can message them again")]
    OptedOut(String),

    #[error("missing credentials: {0}. Enter them in Settings, or set them in the environment")]
    MissingCredentials(String),

    #[error("the keychain is not available: {0}")]
    Keychain(String),

    /// Twilio answered with an error; `explanation` is the plain-language text for the owner.
    #[error("{explanation}")]
    Twilio { status: u16, code: Option<u32>, message: String, explanation: String },

    /// Twilio (or the mock standing in for it) could not be reached or answered garbage.
    #[error("could not reach Twilio: {0}")]
    Network(String),

    #[error("this data folder was written by a newer Switchboard (schema {found}, this build knows {known}); update Switchboard")]
    SchemaTooNew { found: usize, known: usize },

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("database migration failed: {0}")]
    Migration(String),

    #[error("file error: {0}")]
    Io(#[from] std::io::Error),

    #[error("the tunnel failed: {0}")]
    Tunnel(String),

    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Twilio could not be reached, or could not take the request just now (429, 5xx): not
    /// a refusal, so the same request may succeed later. A campaign pauses on it and a
    /// text-back waits; the client already retries reads on the same statuses itself.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network(_) => true,
            Error::Twilio { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// A stable, machine-readable name for the variant (the UI branches on it).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::InvalidPhoneNumber(_) => "invalid_phone_number",
            Error::InvalidInput(_) => "invalid_input",
            Error::PathNotChosen(_) => "path_not_chosen",
            Error::NotFound { .. } => "not_found",
            Error::OptedOut(_) => "opted_out",
            Error::MissingCredentials(_) => "missing_credentials",
            Error::Keychain(_) => "keychain_unavailable",
            Error::Twilio { .. } => "twilio",
            Error::Network(_) => "network",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Database(_) => "database",
            Error::Migration(_) => "migration",
            Error::Io(_) => "io",
            Error::Tunnel(_) => "tunnel",
            Error::Internal(_) => "internal",
        }
    }

    /// Exit status for the command line: 2 for bad usage, 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }
}

/// An [`Error`] as the UI receives it (`AppError` in `ui/src/lib/bindings.ts`): what
/// `Serialize` below writes, spelled out as a type so the contract can be generated.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct AppError {
    /// [`Error::code`]: the UI branches on it.
    pub code: String,
    /// The plain-language text shown to the owner.
    pub message: String,
}

impl specta::Type for Error {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        AppError::definition(types)
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

impl From<rusqlite_migration::Error> for Error {
    fn from(e: rusqlite_migration::Error) -> Self {
        Error::Migration(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("JSON: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let e = Error::OptedOut("+61412345678".into());
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "opted_out");
        assert!(json["message"].as_str().unwrap().contains("+61412345678"));
    }

    #[test]
    fn usage_exits_2_others_1() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::not_found("message").exit_code(), 1);
    }
}
