//! How many SMS segments a body costs. GSM-7 fits 160 characters in one segment and 153
//! per segment when split; one character outside GSM-7 switches the whole message to
//! UCS-2 (70, then 67 per segment). The meter shows which characters forced UCS-2.

/// Twilio refuses bodies longer than this (error 21617).
pub const MAX_BODY_CHARS: usize = 1600;

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the GSM-7 extension table: each costs two septets (escape + char).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentInfo {
    pub encoding: Encoding,
    /// Units used: septets for GSM-7, UTF-16 code units for UCS-2.
    pub units: usize,
    pub segments: usize,
    /// Characters the current segment can still take before another starts.
    pub remaining_in_segment: usize,
    /// The distinct characters that forced UCS-2, in order of first appearance.
    pub ucs2_chars: Vec<String>,
    /// Number of characters (Unicode scalar values) in the body.
    pub chars: usize,
    pub too_long: bool,
}

pub fn count(body: &str) -> SegmentInfo {
    let mut septets = 0usize;
    let mut ucs2_chars: Vec<String> = Vec::new();
    for c in body.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENDED.contains(c) {
            septets += 2;
        } else {
            let s = c.to_string();
            if !ucs2_chars.contains(&s) {
                ucs2_chars.push(s);
            }
        }
    }
    let chars = body.chars().count();
    let (encoding, units, single, multi) = if ucs2_chars.is_empty() {
        (Encoding::Gsm7, septets, 160, 153)
    } else {
        (Encoding::Ucs2, body.encode_utf16().count(), 70, 67)
    };
    // An empty body still costs one segment.
    let segments = if units <= single { 1 } else { units.div_ceil(multi) };
    let capacity = if segments == 1 { single } else { segments * multi };
    SegmentInfo {
        encoding,
        units,
        segments,
        remaining_in_segment: capacity.saturating_sub(units),
        ucs2_chars,
        chars,
        too_long: chars > MAX_BODY_CHARS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_boundaries() {
        assert_eq!(count(&"a".repeat(160)).segments, 1);
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        assert_eq!(count("").segments, 1);
    }

    #[test]
    fn extension_characters_cost_two() {
        let info = count(&"€".repeat(80));
        assert_eq!(info.encoding, Encoding::Gsm7);
        assert_eq!(info.units, 160);
        assert_eq!(info.segments, 1);
        assert_eq!(count(&"€".repeat(81)).segments, 2);
    }

    #[test]
    fn one_emoji_switches_everything_to_ucs2() {
        let body = format!("{}😀", "a".repeat(60));
        let info = count(&body);
        assert_eq!(info.encoding, Encoding::Ucs2);
        assert_eq!(info.units, 62, "the emoji is a surrogate pair");
        assert_eq!(info.segments, 1);
        assert_eq!(info.ucs2_chars, vec!["😀".to_string()]);
        assert_eq!(count(&"é".repeat(10)).encoding, Encoding::Gsm7);
        assert_eq!(count(&"ê".repeat(71)).segments, 2);
        assert_eq!(count(&"ê".repeat(134)).segments, 2);
        assert_eq!(count(&"ê".repeat(135)).segments, 3);
    }

    #[test]
    fn flags_bodies_twilio_refuses() {
        assert!(!count(&"a".repeat(1600)).too_long);
        assert!(count(&"a".repeat(1601)).too_long);
    }
}
