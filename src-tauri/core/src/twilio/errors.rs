//! Plain-language explanations of the Twilio error codes an owner actually meets.

/// What a Twilio error code means for a shop owner, in one sentence.
pub fn explain(code: u32) -> String {
    let text = match code {
        20003 => "Twilio did not accept your Account SID and Auth Token. Check them in Settings.",
        20404 => "Twilio could not find that item. It may have been deleted in the Twilio console.",
        20429 => "Twilio is receiving too many requests from your account right now. Wait a minute, then send again.",
        21211 => "That phone number is not valid. Check the number and include the country code.",
        21408 => "Your Twilio account is not allowed to send to that country. Enable it under Messaging > Geo permissions in the Twilio console.",
        21421 => "That phone number is not valid for purchase. Search again and pick a number from the results.",
        21422 => "That number is no longer available: someone else bought it. Search again and pick another.",
        21606 => "This Twilio number cannot send text messages. Use a number with SMS capability.",
        21610 => "This customer replied STOP and has opted out. They must text START before you can message them again.",
        21612 => "Twilio cannot send messages between these two numbers.",
        21614 => "That number is not a mobile number, so it cannot receive text messages.",
        21617 => "The message is too long. Keep it under 1,600 characters.",
        21631 => "This country requires an address on your account before you can buy this number. Add the address in the Compliance screen.",
        21649 => "This country requires an approved regulatory bundle before you can buy this number. Complete the Compliance form first.",
        30001 => "The message could not be sent because too many messages were queued. Try again later.",
        30002 => "Your Twilio account is suspended. Contact Twilio support.",
        30003 => "The customer's phone is unreachable: it may be switched off or out of coverage.",
        30004 => "The message was blocked: the customer may have blocked your number, or their carrier blocks it.",
        30005 => "The number does not exist or is no longer in service.",
        30006 => "The number is a landline or cannot receive texts.",
        30007 => "The carrier filtered this message as spam. Avoid link shorteners and all-caps text.",
        30008 => "The message could not be delivered for an unknown reason at the carrier.",
        _ => return format!("Twilio reported error {code}."),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn common_codes_have_plain_explanations() {
        for code in
            [21211, 21408, 21610, 21614, 21617, 30003, 30004, 30005, 30006, 30007, 30008, 21631, 21649, 20003, 20429]
        {
            assert!(!explain(code).starts_with("Twilio reported error"), "{code} needs an explanation");
        }
        assert_eq!(explain(99999), "Twilio reported error 99999.");
    }
}
