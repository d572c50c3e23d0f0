//! Text the owner types (a greeting, a voicemail prompt, an auto-reply, a template) ends
//! up inside TwiML. XML 1.0 forbids most control characters outright (§2.2 `Char`), even
//! escaped, so one pasted NUL or U+FFFF makes every answer for that number malformed and
//! Twilio fails the call (error 12100). Such characters carry no meaning in speech or
//! SMS, so they are removed: when the text is saved and again when TwiML is written.

use std::borrow::Cow;

/// Whether `c` may appear in an XML 1.0 document (the `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `c` is removed: forbidden by XML 1.0, or one of the controls it discourages
/// (DEL and the C1 range U+0080–U+009F), which no owner means to type either.
fn is_removed(c: char) -> bool {
    !is_xml_char(c) || ('\u{7F}'..='\u{9F}').contains(&c)
}

/// `s` without the characters TwiML cannot carry; borrowed when nothing had to go.
pub fn xml_safe(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_removed) {
        Cow::Owned(s.chars().filter(|&c| !is_removed(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// [`xml_safe`] for an owned string (what the store saves).
pub fn xml_safe_owned(s: String) -> String {
    match xml_safe(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(clean) => clean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_non_characters_go_text_stays() {
        assert_eq!(xml_safe("Hi\u{0}there\u{1B}\u{FFFE}\u{FFFF}\u{85}!"), "Hithere!");
        assert_eq!(xml_safe("Tab\tline\r\nend ✓ 🙏 \u{10FFFF}"), "Tab\tline\r\nend ✓ 🙏 \u{10FFFF}");
        assert!(matches!(xml_safe("plain"), Cow::Borrowed(_)));
    }
}
