//! Closed sets of words that are stored as text in SQLite and sent to the UI: a message's
//! direction, the channel a message travels or a reply goes by, a bulk campaign's state,
//! where a conversation stands.
//! Each is an enum so a typo is a compile error rather than a row the UI cannot show;
//! its text form (`as_str`, serde, the SQL column) is the word used before they were
//! enums, so stored data and the UI keep working. `store::kinds` maps them to and from
//! SQLite; `ui/src/lib/bindings.ts` gets them as string unions.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Defines a text-backed enum: `as_str`, `Display`, `FromStr` (an unknown word is an
/// `InvalidInput` naming the choices), serde and specta as the same lower-case words;
/// `as "Name"` gives the TypeScript name where the Rust one is taken there.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident $(as $ts:literal)?, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, specta::Type)]
        $(#[serde(rename = $ts)])?
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialised word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => {
                        let choices = [$($text),+].join(", ");
                        Err(Error::InvalidInput(format!("{s:?} is not a {} ({choices})", $what)))
                    }
                }
            }
        }
    };
}

text_enum! {
    /// Which way a message went. Twilio's finer outbound kinds (`outbound-api`,
    /// `outbound-reply`) are folded into `outbound` when a message is stored.
    Direction, "message direction" {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

text_enum! {
    /// How a message travels, and how the owner's replies in a conversation go out.
    // `Channel` in TypeScript is Tauri's IPC channel, so bindings.ts calls it `MessageChannel`.
    Channel as "MessageChannel", "channel" {
        Sms => "sms",
        Email => "email",
    }
}

text_enum! {
    /// Where a bulk send is: only `running` sends; `paused` can resume; `done` and
    /// `cancelled` are final.
    CampaignState, "campaign state" {
        Running => "running",
        Paused => "paused",
        Done => "done",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// Where a conversation stands for the owner: still to deal with, or dealt with. A done
    /// conversation reopens by itself when the customer writes again.
    ConversationState, "conversation state" {
        Open => "open",
        Done => "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are what the database CHECK constraints and the UI already use; a
    /// renamed variant must not change them.
    #[test]
    fn text_forms_round_trip_and_match_serde() {
        macro_rules! round_trip {
            ($($kind:ty),+) => {$(
                for v in <$kind>::ALL {
                    assert_eq!(v.as_str().parse::<$kind>().unwrap(), *v);
                    assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(v.as_str()));
                }
            )+};
        }
        round_trip!(Direction, Channel, CampaignState, ConversationState);
        let words: Vec<_> = CampaignState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words, ["running", "paused", "done", "cancelled"]);
        assert_eq!(ConversationState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["open", "done"]);
        assert_eq!(Channel::Sms.to_string(), "sms");
        assert_eq!(Direction::Outbound.to_string(), "outbound");
    }

    #[test]
    fn an_unknown_word_is_invalid_input_naming_the_choices() {
        let e = "fax".parse::<Channel>().unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().contains("sms, email"), "{e}");
        assert!(serde_json::from_str::<Channel>("\"SMS\"").is_err());
    }
}
