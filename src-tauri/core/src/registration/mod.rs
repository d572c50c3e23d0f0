//! US carrier registration: what a US owner must do before US carriers let their texts
//! through. A US local number needs A2P 10DLC (a Trust Hub customer profile and A2P trust
//! product, a brand, a Messaging Service holding the number, and an approved campaign: see
//! [`a2p`]); a toll-free number needs a verification ([`tollfree`]). [`overview`] says, per
//! number, where it stands and whether it can text US phones today.
//!
//! Both workflows are resumable state machines persisted in the store: every Twilio object
//! is recorded the moment it exists, and each create is preceded by a look-up of what an
//! earlier, interrupted run may have made, so a lost answer never makes a second brand.
//! Status moves by Twilio's status callback where Twilio offers one (Trust Hub objects) and
//! by polling ([`a2p::poll_all`], [`tollfree::poll_all`]) everywhere else.

pub mod a2p;
pub mod overview;
pub mod service;
pub mod suggest;
pub mod tollfree;

/// Twilio's `errors` array (brands, campaigns, trust objects) as one line for the owner:
/// each entry's description or message, de-duplicated.
pub(crate) fn errors_text(v: Option<&serde_json::Value>) -> Option<String> {
    let items = v?.as_array()?;
    let mut out: Vec<String> = Vec::new();
    for e in items {
        let text = ["description", "message", "reason", "failure_reason"]
            .iter()
            .find_map(|k| e.get(*k).and_then(|x| x.as_str()))
            .map(str::to_string)
            .or_else(|| e.as_str().map(str::to_string));
        if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    (!out.is_empty()).then(|| out.join("; "))
}

#[cfg(test)]
mod tests {
    use super::errors_text;
    use serde_json::json;

    #[test]
    fn twilio_error_lists_become_one_line() {
        let v =
            json!([{"code": 30886, "description": "Sample messages do not match the use case"}, {"message": "x"}, "y"]);
        assert_eq!(errors_text(Some(&v)).as_deref(), Some("Sample messages do not match the use case; x; y"));
        assert_eq!(errors_text(Some(&json!([]))), None);
        assert_eq!(errors_text(None), None);
    }
}
