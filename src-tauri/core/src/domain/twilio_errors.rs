//! Twilio's error codes: the ones the app branches on, by name ([`code`]), and plain-language
//! explanations of those an owner actually meets. In the domain, not the Twilio client,
//! because the store words a failed message's code too.

/// Twilio error codes by name (<https://www.twilio.com/docs/api/errors>).
pub mod code {
    /// The Account SID and Auth Token (or API key) were not accepted.
    pub const AUTHENTICATION_FAILED: u32 = 20003;
    pub const NOT_FOUND: u32 = 20404;
    pub const TOO_MANY_REQUESTS: u32 = 20429;
    pub const INVALID_TO_NUMBER: u32 = 21211;
    pub const GEO_PERMISSION: u32 = 21408;
    pub const INVALID_NUMBER_FOR_PURCHASE: u32 = 21421;
    pub const NUMBER_NOT_AVAILABLE: u32 = 21422;
    pub const FROM_NOT_SMS_CAPABLE: u32 = 21606;
    /// "Attempt to send to unsubscribed recipient": the customer said STOP to Twilio.
    /// A send that fails with it marks the address opted out (DESIGN.md, pitfall 8).
    pub const UNSUBSCRIBED: u32 = 21610;
    pub const NOT_SMS_ROUTE: u32 = 21612;
    pub const NOT_MOBILE: u32 = 21614;
    pub const BODY_TOO_LONG: u32 = 21617;
    /// Buying the number needs an address (`AddressSid`).
    pub const ADDRESS_REQUIRED: u32 = 21631;
    /// Buying the number needs an approved regulatory bundle (`BundleSid`).
    pub const BUNDLE_REQUIRED: u32 = 21649;
    pub const QUEUE_OVERFLOW: u32 = 30001;
    pub const ACCOUNT_SUSPENDED: u32 = 30002;
    pub const UNREACHABLE_HANDSET: u32 = 30003;
    pub const MESSAGE_BLOCKED: u32 = 30004;
    pub const UNKNOWN_HANDSET: u32 = 30005;
    pub const LANDLINE_OR_UNREACHABLE: u32 = 30006;
    pub const FILTERED: u32 = 30007;
    pub const UNKNOWN_ERROR: u32 = 30008;
    /// "Toll-Free Number Has Not Been Verified": US carriers block texts from an
    /// unverified toll-free number.
    pub const TOLL_FREE_UNVERIFIED: u32 = 30032;
    /// "US A2P 10DLC - Message from an Unregistered Number": US carriers block texts from a
    /// US local number that is not in a registered campaign.
    pub const UNREGISTERED_10DLC: u32 = 30034;
}

/// What fixes a failed send, for the UI to link to: the form or the screen that helps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Remedy {
    /// Register the sending number for US A2P 10DLC (the guided US registration).
    UsRegistration { number: String },
    /// Verify the toll-free sending number (the toll-free verification form).
    TollfreeVerification { number: String },
    /// Nothing to fill in: the customer opted out and must text START.
    CustomerOptedOut,
}

/// The remedy for a send from `from` that failed with `code`, when there is one. 30007
/// (filtered as spam) from a US number is most often unregistered or off-campaign content,
/// so it points at the registration too.
pub fn remedy(code: u32, from: &str) -> Option<Remedy> {
    use super::nanp::{sender_kind, UsSenderKind};
    let number = from.to_string();
    match code {
        code::UNREGISTERED_10DLC => Some(Remedy::UsRegistration { number }),
        code::TOLL_FREE_UNVERIFIED => Some(Remedy::TollfreeVerification { number }),
        code::UNSUBSCRIBED => Some(Remedy::CustomerOptedOut),
        code::FILTERED => match sender_kind(from) {
            UsSenderKind::Local10dlc => Some(Remedy::UsRegistration { number }),
            UsSenderKind::TollFree => Some(Remedy::TollfreeVerification { number }),
            _ => None,
        },
        _ => None,
    }
}

/// What a Twilio error code means for a shop owner, in one sentence.
pub fn explain(code: u32) -> String {
    let text = match code {
        code::AUTHENTICATION_FAILED => "Twilio did not accept your Account SID and Auth Token. Check them in Settings.",
        code::NOT_FOUND => "Twilio could not find that item. It may have been deleted in the Twilio console.",
        code::TOO_MANY_REQUESTS => "Twilio is receiving too many requests from your account right now. Wait a minute, then send again.",
        code::INVALID_TO_NUMBER => "That phone number is not valid. Check the number and include the country code.",
        code::GEO_PERMISSION => "Your Twilio account is not allowed to send to that country. Enable it under Messaging > Geo permissions in the Twilio console.",
        code::INVALID_NUMBER_FOR_PURCHASE => "That phone number is not valid for purchase. Search again and pick a number from the results.",
        code::NUMBER_NOT_AVAILABLE => "That number is no longer available: someone else bought it. Search again and pick another.",
        code::FROM_NOT_SMS_CAPABLE => "This Twilio number cannot send text messages. Use a number with SMS capability.",
        code::UNSUBSCRIBED => "This customer replied STOP and has opted out. They must text START before you can message them again.",
        code::NOT_SMS_ROUTE => "Twilio cannot send messages between these two numbers.",
        code::NOT_MOBILE => "That number is not a mobile number, so it cannot receive text messages.",
        code::BODY_TOO_LONG => "The message is too long. Keep it under 1,600 characters.",
        code::ADDRESS_REQUIRED => "This country requires an address on your account before you can buy this number. Add the address in the Compliance screen.",
        code::BUNDLE_REQUIRED => "This country requires an approved regulatory bundle before you can buy this number. Complete the Compliance form first.",
        code::QUEUE_OVERFLOW => "The message could not be sent because too many messages were queued. Try again later.",
        code::ACCOUNT_SUSPENDED => "Your Twilio account is suspended. Contact Twilio support.",
        code::UNREACHABLE_HANDSET => "The customer's phone is unreachable: it may be switched off or out of coverage.",
        code::MESSAGE_BLOCKED => "The message was blocked: the customer may have blocked your number, or their carrier blocks it.",
        code::UNKNOWN_HANDSET => "The number does not exist or is no longer in service.",
        code::LANDLINE_OR_UNREACHABLE => "The number is a landline or cannot receive texts.",
        code::FILTERED => "The carrier filtered this message as spam. From a US number this usually means the number is not registered or the text does not match your registered campaign; avoid link shorteners and all-caps text.",
        code::TOLL_FREE_UNVERIFIED => "US carriers block texts from toll-free numbers that are not verified. Fill in the toll-free verification form for this number; once Twilio approves it, your texts go through.",
        code::UNREGISTERED_10DLC => "US carriers block texts from US numbers that are not registered for A2P 10DLC. Register your business and this number (US registration); once the campaign is approved, your texts go through.",
        code::UNKNOWN_ERROR => "The message could not be delivered for an unknown reason at the carrier.",
        _ => return format!("Twilio reported error {code}."),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn common_codes_have_plain_explanations() {
        for code in [
            21211, 21408, 21610, 21614, 21617, 30003, 30004, 30005, 30006, 30007, 30008, 30032, 30034, 21631, 21649,
            20003, 20429,
        ] {
            assert!(!explain(code).starts_with("Twilio reported error"), "{code} needs an explanation");
        }
        assert_eq!(explain(99999), "Twilio reported error 99999.");
    }

    #[test]
    fn us_carrier_errors_point_at_the_form_that_fixes_them() {
        use super::{remedy, Remedy};
        let us = "+14155550123".to_string();
        let tf = "+18885550123".to_string();
        assert_eq!(remedy(30034, &us), Some(Remedy::UsRegistration { number: us.clone() }));
        assert_eq!(remedy(30032, &tf), Some(Remedy::TollfreeVerification { number: tf.clone() }));
        assert_eq!(remedy(30007, &us), Some(Remedy::UsRegistration { number: us.clone() }));
        assert_eq!(remedy(30007, &tf), Some(Remedy::TollfreeVerification { number: tf }));
        assert_eq!(remedy(30007, "+61291234567"), None, "no US form fixes an Australian number's filtering");
        assert_eq!(remedy(21610, &us), Some(Remedy::CustomerOptedOut));
        assert_eq!(remedy(30003, &us), None);
    }
}
