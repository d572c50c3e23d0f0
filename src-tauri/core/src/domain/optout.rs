//! Opt-out and opt-in keywords. Twilio's Advanced Opt-Out handles these on its side too;
//! we mirror them so the app refuses to message someone who said STOP, and we honour
//! the `OptOutType` field Twilio adds when it recognised a keyword itself.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptChange {
    OptOut,
    OptIn,
}

const OPT_OUT: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL"];
const OPT_IN: &[&str] = &["START", "UNSTOP", "YES"];

/// What an inbound message means for the sender's subscription, if anything.
/// `opt_out_type` is Twilio's `OptOutType` field (STOP, START, HELP) when present.
pub fn classify(body: &str, opt_out_type: Option<&str>) -> Option<OptChange> {
    match opt_out_type.map(|t| t.trim().to_ascii_uppercase()).as_deref() {
        Some("STOP") => return Some(OptChange::OptOut),
        Some("START") => return Some(OptChange::OptIn),
        _ => {}
    }
    let word = body.trim().trim_end_matches(['.', '!']).to_ascii_uppercase();
    if OPT_OUT.contains(&word.as_str()) {
        Some(OptChange::OptOut)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(OptChange::OptIn)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_alone_change_subscription() {
        for w in ["STOP", "stop", " Unsubscribe ", "end", "QUIT", "stopall", "REVOKE", "optout", "Cancel", "STOP."] {
            assert_eq!(classify(w, None), Some(OptChange::OptOut), "{w}");
        }
        for w in ["START", "unstop", "Yes"] {
            assert_eq!(classify(w, None), Some(OptChange::OptIn), "{w}");
        }
    }

    #[test]
    fn keywords_inside_sentences_do_not() {
        assert_eq!(classify("please stop by tomorrow", None), None);
        assert_eq!(classify("Can I cancel my booking?", None), None);
    }

    #[test]
    fn twilio_opt_out_type_wins() {
        assert_eq!(classify("arrêt", Some("STOP")), Some(OptChange::OptOut));
        assert_eq!(classify("whatever", Some("HELP")), None);
    }
}
