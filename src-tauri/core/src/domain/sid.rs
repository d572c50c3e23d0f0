//! Twilio resource identifiers as typed newtypes: a two-letter prefix and 32 hex digits.
//! Typing them keeps a CallSid from being passed where a MessageSid belongs.

use crate::error::{Error, Result};

/// True when `s` is `prefix` followed by exactly 32 hex digits.
pub fn is_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

macro_rules! sid_type {
    ($(#[$doc:meta])* $name:ident, [$($prefix:literal),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIXES: &'static [&'static str] = &[$($prefix),+];
            pub fn parse(s: &str) -> Result<Self> {
                if Self::PREFIXES.iter().any(|p| is_sid(s, p)) {
                    Ok(Self(s.to_string()))
                } else {
                    Err(Error::InvalidInput(format!(
                        "{s:?} is not a {} (expected {} + 32 hex digits)",
                        stringify!($name),
                        Self::PREFIXES.join(" or ")
                    )))
                }
            }
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> { Self::parse(&s) }
        }
        impl From<$name> for String {
            fn from(s: $name) -> String { s.0 }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }
    };
}

sid_type!(/// An account (AC…).
    AccountSid, ["AC"]);
sid_type!(/// An SMS or MMS (SM…, MM…).
    MessageSid, ["SM", "MM"]);
sid_type!(/// A call (CA…).
    CallSid, ["CA"]);
sid_type!(/// A recording (RE…).
    RecordingSid, ["RE"]);
sid_type!(/// An incoming phone number (PN…).
    PhoneNumberSid, ["PN"]);
sid_type!(/// A regulatory bundle (BU…).
    BundleSid, ["BU"]);
sid_type!(/// An API key (SK…).
    ApiKeySid, ["SK"]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_prefix_and_32_hex() {
        assert!(MessageSid::parse("SMa56324aa4a31735561b7205472192d68").is_ok());
        assert!(MessageSid::parse("MMa56324aa4a31735561b7205472192d68").is_ok());
        assert!(AccountSid::parse("ACe4885a100ac907f66a8f694350e8f6f3").is_ok());
    }

    #[test]
    fn rejects_wrong_prefix_length_or_digits() {
        assert!(CallSid::parse("SMa56324aa4a31735561b7205472192d68").is_err());
        assert!(CallSid::parse("CA123").is_err());
        assert!(CallSid::parse("CAz56324aa4a31735561b7205472192d68").is_err());
    }
}
