//! How many SMS segments a body costs, counted the way Twilio's own calculator
//! (`sms-segments-calculator`, TwilioDevEd) counts them, so the meter, the bulk preview and
//! the cost estimate match Twilio's bill. GSM-7 fits 160 septets in one segment; one
//! character outside GSM-7 switches the whole message to UCS-2 (70 UTF-16 units). A split
//! message gives 6 octets of each part to the concatenation header (153 septets or 67
//! units left), and a part never splits a character: neither a GSM-7 escape pair (€, {, [ …)
//! nor a character made of several units (an emoji, a flag, a letter with a combining
//! accent), so a part may hold one unit fewer. Checked against the calculator over 2,500
//! bodies in `tests/integration/segments_oracle.rs`.

use unicode_segmentation::UnicodeSegmentation;

/// Twilio refuses bodies longer than this (error 21617).
pub const MAX_BODY_CHARS: usize = 1600;

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the GSM-7 extension table: each costs two septets (escape + char).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

/// One SMS part: 140 octets.
const PART_BITS: usize = 1120;
/// The concatenation header Twilio puts in each part of a split message: 6 octets.
const HEADER_BITS: usize = 48;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// The name Twilio's calculator gives it.
    pub fn twilio_name(&self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentInfo {
    pub encoding: Encoding,
    /// Units used: septets for GSM-7, UTF-16 code units for UCS-2.
    pub units: usize,
    pub segments: usize,
    /// Units the last part can still take before another part starts.
    pub remaining_in_segment: usize,
    /// The distinct characters that forced UCS-2, in order of first appearance.
    pub ucs2_chars: Vec<String>,
    /// Number of characters (Unicode scalar values) in the body.
    pub chars: usize,
    pub too_long: bool,
}

/// Septets a user-perceived character costs in GSM-7, or `None` when it has no GSM-7 form
/// (which forces UCS-2). A character of more than one UTF-16 unit never has one.
fn gsm7_septets(grapheme: &str) -> Option<usize> {
    let mut chars = grapheme.chars();
    let c = chars.next()?;
    if chars.next().is_some() || c.len_utf16() != 1 {
        return None;
    }
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The body's characters as the calculator sees them: grapheme clusters, except that a
/// CR LF pair counts as two.
fn characters(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for g in body.graphemes(true) {
        if g == "\r\n" {
            out.extend(["\r", "\n"]);
        } else {
            out.push(g);
        }
    }
    out
}

/// Packs characters of the given sizes (in bits) into parts as Twilio does: into one
/// part while they fit; once they do not, the first part makes room for its header (its
/// last characters move on) and every later part carries one. Returns the number of parts
/// and the bits used in the last one.
fn pack(sizes: impl IntoIterator<Item = usize>) -> (usize, usize) {
    // Sizes of the characters in the current part, and whether it carries a header.
    let mut current: Vec<usize> = Vec::new();
    let mut current_header = false;
    let mut parts = 1;
    let used = |part: &[usize], header: bool| part.iter().sum::<usize>() + if header { HEADER_BITS } else { 0 };
    for size in sizes {
        if PART_BITS.saturating_sub(used(&current, current_header)) < size {
            let mut next = Vec::new();
            if !current_header {
                // Only the first part gets here: it makes room for its header.
                while used(&current, true) > PART_BITS {
                    let Some(moved) = current.pop() else { break };
                    next.insert(0, moved);
                }
            }
            current = next;
            current_header = true;
            parts += 1;
        }
        current.push(size);
    }
    (parts, used(&current, current_header))
}

pub fn count(body: &str) -> SegmentInfo {
    let characters = characters(body);
    let mut ucs2_chars: Vec<String> = Vec::new();
    for g in &characters {
        if gsm7_septets(g).is_none() && !ucs2_chars.iter().any(|c| c == g) {
            ucs2_chars.push((*g).to_string());
        }
    }
    let (encoding, unit_bits) = if ucs2_chars.is_empty() { (Encoding::Gsm7, 7) } else { (Encoding::Ucs2, 16) };
    let units_of = |g: &str| match encoding {
        Encoding::Gsm7 => gsm7_septets(g).unwrap_or(1),
        Encoding::Ucs2 => g.encode_utf16().count(),
    };
    let units = characters.iter().map(|g| units_of(g)).sum();
    let (segments, last_bits) = pack(characters.iter().map(|g| units_of(g) * unit_bits));
    let chars = body.chars().count();
    SegmentInfo {
        encoding,
        units,
        segments,
        remaining_in_segment: PART_BITS.saturating_sub(last_bits) / unit_bits,
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
    fn a_part_never_splits_an_escape_pair_or_an_emoji() {
        // 306 septets, but the € at 153 cannot straddle parts 1 and 2.
        let body = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(count(&body).units, 306);
        assert_eq!(count(&body).segments, 3);
        let body = format!("{}😀{}", "ê".repeat(66), "ê".repeat(66));
        assert_eq!(count(&body).segments, 3);
        assert_eq!(count(&"a".repeat(150)).remaining_in_segment, 10);
        assert_eq!(count(&"ê".repeat(60)).remaining_in_segment, 10);
    }

    #[test]
    fn flags_bodies_twilio_refuses() {
        assert!(!count(&"a".repeat(1600)).too_long);
        assert!(count(&"a".repeat(1601)).too_long);
    }
}
