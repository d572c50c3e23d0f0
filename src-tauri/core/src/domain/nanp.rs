//! Which kind of North American number an E.164 is, for the US carrier rules: a US local
//! (10DLC) number must be registered for A2P 10DLC and a toll-free number verified before
//! US carriers let its texts through. No I/O: the area code decides.

/// The US carrier rule a sending number falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum UsSenderKind {
    /// A US local number: A2P 10DLC registration (brand + campaign) is required.
    Local10dlc,
    /// A +1 toll-free number (800, 833, 844, 855, 866, 877, 888): toll-free verification.
    TollFree,
    /// A Canadian number: no US registration applies to it as a sender.
    Canadian,
    /// Not a North American number.
    NotNanp,
}

const TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// Canada's geographic area codes (NANPA), so a Canadian number is not mistaken for a US one.
const CANADA: [&str; 56] = [
    "204", "226", "236", "249", "250", "263", "289", "306", "343", "354", "365", "367", "368", "382", "387", "403",
    "416", "418", "428", "431", "437", "438", "450", "460", "468", "474", "506", "514", "519", "548", "579", "581",
    "584", "587", "604", "613", "639", "647", "672", "683", "705", "709", "742", "753", "778", "780", "782", "807",
    "819", "825", "867", "873", "879", "902", "905", "942",
];

/// The kind of sender `e164` is (`+1` and ten digits for NANP; anything else is not NANP).
pub fn sender_kind(e164: &str) -> UsSenderKind {
    let Some(national) = e164.strip_prefix("+1") else { return UsSenderKind::NotNanp };
    if national.len() != 10 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return UsSenderKind::NotNanp;
    }
    let area = &national[..3];
    if TOLL_FREE.contains(&area) {
        UsSenderKind::TollFree
    } else if CANADA.contains(&area) {
        UsSenderKind::Canadian
    } else {
        UsSenderKind::Local10dlc
    }
}

/// Whether a text to `e164` travels over US/Canadian carriers, where the A2P rules apply.
pub fn is_nanp_destination(e164: &str) -> bool {
    sender_kind(e164) != UsSenderKind::NotNanp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_decide_the_kind() {
        assert_eq!(sender_kind("+14155550123"), UsSenderKind::Local10dlc);
        assert_eq!(sender_kind("+18885550123"), UsSenderKind::TollFree);
        assert_eq!(sender_kind("+14165550123"), UsSenderKind::Canadian);
        assert_eq!(sender_kind("+61291234567"), UsSenderKind::NotNanp);
        assert_eq!(sender_kind("+1415555012"), UsSenderKind::NotNanp, "nine digits is not a number");
        assert!(is_nanp_destination("+14165550123"));
        assert!(!is_nanp_destination("+447700900123"));
    }
}
