//! The subject and threading headers of an email reply, so the customer's mail program
//! files it in the same conversation: "Re: <their subject>" (never "Re: Re:"),
//! `In-Reply-To` naming the email answered and `References` continuing its chain.
//!
//! Everything here ends up in a header line, and a subject comes from the customer's mail
//! or the owner's typing: control characters (CR and LF above all, which would start a
//! header of their own) are turned into spaces, and lengths are capped.

use crate::store::email_thread::Answering;

/// Longest subject sent, in characters. Mail programs show far less; RFC 5322 allows 998
/// bytes a line, and a long subject is folded by the provider.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// At most this many Message-IDs in `References`: RFC 5322 lets a long chain be trimmed
/// from the middle; we keep the most recent ones.
const MAX_REFERENCES: usize = 20;

/// `s` as one header line: every control character a space, runs of white space one
/// space, trimmed, cut to [`MAX_SUBJECT_CHARS`].
pub fn clean_subject(s: &str) -> String {
    let spaced: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let one_line = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_SUBJECT_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_SUBJECT_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// "Re: <subject>" for a reply to `subject`, with any "Re:" already there (in any case,
/// any number) taken off first. None when nothing is left.
pub fn reply_subject(subject: &str) -> Option<String> {
    let mut rest = clean_subject(subject);
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(after) = lower.strip_prefix("re").map(str::trim_start).and_then(|r| r.strip_prefix(':')) else {
            break;
        };
        let skip = rest.len() - after.len();
        rest = rest[skip..].trim_start().to_string();
    }
    (!rest.is_empty()).then(|| clean_subject(&format!("Re: {rest}")))
}

/// The subject the composer offers for the next email: a reply to the customer's last
/// email, else what our last email said, else a plain "Message from <sender>".
pub fn suggested_subject(answering: &Answering, from: &str) -> String {
    let previous = answering.subject.as_deref().and_then(|s| {
        if answering.from_customer {
            reply_subject(s)
        } else {
            Some(clean_subject(s)).filter(|s| !s.is_empty())
        }
    });
    previous.unwrap_or_else(|| {
        let name = from.split('<').next().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(from);
        clean_subject(&format!("Message from {}", name.trim_matches('"')))
    })
}

/// The subject actually sent: the owner's (cleaned) when they wrote one, else the
/// suggestion.
pub fn subject_to_send(owner: Option<&str>, answering: &Answering, from: &str) -> String {
    owner.map(clean_subject).filter(|s| !s.is_empty()).unwrap_or_else(|| suggested_subject(answering, from))
}

/// A Message-ID as it may appear in a header: `<…>`, no white space or controls inside.
fn valid_message_id(id: &str) -> bool {
    id.len() > 2
        && id.len() <= 250
        && id.starts_with('<')
        && id.ends_with('>')
        && !id[1..id.len() - 1].chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// `In-Reply-To` and `References` for a reply, when the email answered has a usable
/// Message-ID.
pub fn threading_headers(answering: &Answering) -> Option<(String, String)> {
    let id = answering.message_id.as_deref().map(str::trim).filter(|id| valid_message_id(id))?;
    let mut chain: Vec<&str> = answering
        .references
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .filter(|r| valid_message_id(r) && *r != id)
        .collect();
    chain.push(id);
    let keep = chain.len().saturating_sub(MAX_REFERENCES);
    Some((id.to_string(), chain[keep..].join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(subject: &str) -> Answering {
        Answering { subject: Some(subject.into()), from_customer: true, ..Default::default() }
    }

    #[test]
    fn a_reply_says_re_once() {
        assert_eq!(reply_subject("Booking for Friday").as_deref(), Some("Re: Booking for Friday"));
        assert_eq!(reply_subject("Re: Booking").as_deref(), Some("Re: Booking"));
        assert_eq!(reply_subject("RE: re:Re : Booking").as_deref(), Some("Re: Booking"));
        assert_eq!(
            reply_subject("Regarding my order").as_deref(),
            Some("Re: Regarding my order"),
            "only a real Re: prefix"
        );
        assert_eq!(reply_subject("   ").as_deref(), None);
        assert_eq!(reply_subject("Re:").as_deref(), None);
    }

    #[test]
    fn line_breaks_never_make_a_header() {
        let s = reply_subject("Hi\r\nBcc: victim@example.com\r\n\r\nbody").unwrap();
        assert!(!s.contains('\r') && !s.contains('\n'), "{s:?}");
        assert_eq!(s, "Re: Hi Bcc: victim@example.com body");
        assert_eq!(clean_subject("a\u{0}b\u{85}c\td"), "a b c d");
    }

    #[test]
    fn long_subjects_are_cut_on_a_character() {
        let long = "é".repeat(1000);
        let s = reply_subject(&long).unwrap();
        assert_eq!(s.chars().count(), MAX_SUBJECT_CHARS);
        assert!(s.starts_with("Re: é") && s.ends_with('…'));
    }

    #[test]
    fn the_suggestion_follows_the_conversation() {
        assert_eq!(suggested_subject(&customer("Order 42"), "Shop <s@x.com>"), "Re: Order 42");
        let ours = Answering { subject: Some("Your hours".into()), ..Default::default() };
        assert_eq!(suggested_subject(&ours, "Shop <s@x.com>"), "Your hours", "our own subject is kept as is");
        assert_eq!(suggested_subject(&Answering::default(), "\"Ana's Bakery\" <s@x.com>"), "Message from Ana's Bakery");
        assert_eq!(
            suggested_subject(&customer(""), "s@x.com"),
            "Message from s@x.com",
            "an empty subject is no subject"
        );
        assert_eq!(subject_to_send(Some(" \r\n "), &customer("Order"), "s@x.com"), "Re: Order", "blank: suggested");
        assert_eq!(subject_to_send(Some("Quote\nfor you"), &customer("Order"), "s@x.com"), "Quote for you");
    }

    #[test]
    fn threading_continues_the_chain() {
        let a = Answering {
            message_id: Some("<b@mail.example>".into()),
            references: Some("<a@mail.example> junk <x\r\n@y> <b@mail.example>".into()),
            ..Default::default()
        };
        assert_eq!(
            threading_headers(&a),
            Some(("<b@mail.example>".into(), "<a@mail.example> <b@mail.example>".into()))
        );
        let bad = Answering { message_id: Some("<a@b>\r\nBcc: x@y".into()), ..Default::default() };
        assert_eq!(threading_headers(&bad), None, "an id with a line break is not used");
        assert_eq!(threading_headers(&Answering::default()), None);
        let many: Vec<String> = (0..50).map(|i| format!("<{i}@m>")).collect();
        let long =
            Answering { message_id: Some("<last@m>".into()), references: Some(many.join(" ")), ..Default::default() };
        let (_, refs) = threading_headers(&long).unwrap();
        assert_eq!(refs.split(' ').count(), MAX_REFERENCES);
        assert!(refs.ends_with("<last@m>"));
    }
}
