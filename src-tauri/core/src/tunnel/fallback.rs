//! What answers calls while the app is closed: a Twilio Studio Flow per managed number,
//! set as its `VoiceFallbackUrl`. It forwards the call to the owner's phone and, when
//! nobody answers, plays the voicemail prompt and records a voicemail with transcription.
//! The recording stays in the account's Recordings, and the next start's backfill
//! downloads it, so a voicemail left while the laptop was shut still shows up.
//!
//! Why Studio and not a Serverless Function: a Flow is one REST call (its definition is
//! JSON we build here), needs no code upload, build polling or deployment, and the owner
//! can see and edit it in the Twilio console. A Function needs a Service, an uploaded
//! Function Version, an asynchronous Build and a Deployment before it answers.

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::store::numbers::Number;
use crate::twilio::client::{Retry, TwilioClient};

pub const DEFAULT_STUDIO_BASE: &str = "https://studio.twilio.com";

/// `SWITCHBOARD_TWILIO_STUDIO_BASE`, else Twilio's Studio host.
pub fn studio_base() -> String {
    std::env::var("SWITCHBOARD_TWILIO_STUDIO_BASE")
        .ok()
        .map(|v| v.trim().trim_end_matches('/').to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_STUDIO_BASE.to_string())
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Flow {
    pub sid: String,
    pub webhook_url: Option<String>,
    pub status: Option<String>,
}

/// The Studio definition for `number`: forward (when forwarding is on and a number is
/// set), then voicemail (when enabled) or a polite goodbye.
pub fn definition(number: &Number) -> Value {
    let s = &number.settings;
    let forward_to = s.forwarding_number.as_deref().filter(|_| s.forwarding_enabled);
    let after_forward = if s.voicemail_enabled { "voicemail_prompt" } else { "goodbye" };
    let mut states = vec![json!({
        "name": "Trigger",
        "type": "trigger",
        "transitions": [
            {"event": "incomingMessage"},
            {"event": "incomingCall", "next": if forward_to.is_some() { "forward" } else { after_forward }},
            {"event": "incomingConversationMessage"},
            {"event": "incomingRequest"},
            {"event": "incomingParent"}
        ],
        "properties": {"offset": {"x": 0, "y": 0}}
    })];
    if let Some(to) = forward_to {
        states.push(json!({
            "name": "forward",
            "type": "connect-call-to",
            "transitions": [{"event": "callCompleted", "next": "answered"}, {"event": "hangup"}],
            "properties": {
                "noun": "number", "to": to, "caller_id": "{{contact.channel.address}}",
                "timeout": s.ring_seconds, "record": false, "offset": {"x": 0, "y": 200}
            }
        }));
        // The owner answered: the call is over. Anything else: voicemail.
        states.push(json!({
            "name": "answered",
            "type": "split-based-on",
            "transitions": [
                {"event": "noMatch", "next": after_forward},
                {"event": "match", "conditions": [{
                    "friendly_name": "answered", "arguments": ["{{widgets.forward.DialCallStatus}}"],
                    "type": "equal_to", "value": "completed"
                }]}
            ],
            "properties": {"input": "{{widgets.forward.DialCallStatus}}", "offset": {"x": 0, "y": 400}}
        }));
    }
    if s.voicemail_enabled {
        states.push(json!({
            "name": "voicemail_prompt",
            "type": "say-play",
            "transitions": [{"event": "audioComplete", "next": "voicemail"}],
            "properties": {"say": s.voicemail_prompt, "voice": s.voice, "loop": 1, "offset": {"x": 0, "y": 600}}
        }));
        states.push(json!({
            "name": "voicemail",
            "type": "record-voicemail",
            "transitions": [{"event": "recordingComplete"}, {"event": "noAudio"}, {"event": "hangup"}],
            "properties": {
                "max_length": s.voicemail_max_seconds, "play_beep": "true", "transcribe": true,
                "trim": "trim-silence", "finish_on_key": "#", "timeout": 5, "offset": {"x": 0, "y": 800}
            }
        }));
    } else {
        states.push(json!({
            "name": "goodbye",
            "type": "say-play",
            "transitions": [{"event": "audioComplete"}],
            "properties": {"say": "Sorry, we cannot take your call right now. Please try again later.", "voice": s.voice, "loop": 1}
        }));
    }
    json!({
        "description": format!("Switchboard fallback for {}: answers calls while the app is closed", number.e164),
        "states": states,
        "initial_state": "Trigger",
        "flags": {"allow_concurrent_calls": true}
    })
}

fn flow_params(number: &Number) -> Vec<(String, String)> {
    vec![
        ("FriendlyName".into(), format!("Switchboard fallback {}", number.e164)),
        ("Status".into(), "published".into()),
        ("Definition".into(), definition(number).to_string()),
        ("CommitMessage".into(), "Updated by Switchboard".into()),
    ]
}

/// Creates the number's fallback flow, or updates it when `existing_sid` is given.
/// Returns the flow, whose `webhook_url` becomes the number's `VoiceFallbackUrl`.
pub async fn upsert_flow(client: &TwilioClient, number: &Number, existing_sid: Option<&str>) -> Result<Flow> {
    upsert_flow_at(client, &studio_base(), number, existing_sid).await
}

/// [`upsert_flow`] against the Studio host at `base`.
pub async fn upsert_flow_at(
    client: &TwilioClient,
    base: &str,
    number: &Number,
    existing_sid: Option<&str>,
) -> Result<Flow> {
    let url = match existing_sid {
        Some(sid) => format!("{base}/v2/Flows/{sid}"),
        None => format!("{base}/v2/Flows"),
    };
    // An update is idempotent; a create is sent once (a retry could make two flows).
    let retry = if existing_sid.is_some() { Retry::Safe } else { Retry::Never };
    let flow: Flow = client.post_form(&url, &flow_params(number), retry).await?;
    Ok(flow)
}

/// The URL Twilio calls for a flow: its `webhook_url`, or the documented form.
pub fn webhook_url(flow: &Flow, account_sid: &str) -> Result<String> {
    match &flow.webhook_url {
        Some(u) if u.starts_with("http") => Ok(u.clone()),
        _ if flow.sid.starts_with("FW") => {
            Ok(format!("https://webhooks.twilio.com/v1/Accounts/{account_sid}/Flows/{}", flow.sid))
        }
        _ => Err(Error::Internal(format!("Studio returned a flow without a usable SID ({:?})", flow.sid))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::numbers::NumberSettings;

    fn number(forwarding: Option<&str>, voicemail: bool) -> Number {
        Number {
            id: 1,
            e164: "+61255501234".into(),
            sid: Some("PN00000000000000000000000000000001".into()),
            friendly_name: "Shop".into(),
            managed: true,
            seen_in_webhook: false,
            settings: NumberSettings {
                forwarding_number: forwarding.map(str::to_string),
                forwarding_enabled: true,
                greeting: String::new(),
                voice: "alice".into(),
                ring_seconds: 25,
                voicemail_enabled: voicemail,
                voicemail_prompt: "Leave a message".into(),
                voicemail_max_seconds: 90,
                business_hours: None,
                auto_reply: None,
            },
            wired_url: None,
            wired_at: None,
            wiring_error: None,
        }
    }

    fn state<'a>(def: &'a Value, name: &str) -> Option<&'a Value> {
        def["states"].as_array()?.iter().find(|s| s["name"] == name)
    }

    /// Every `next` must name a state that exists, or Studio refuses the flow.
    fn assert_transitions_resolve(def: &Value) {
        let states = def["states"].as_array().expect("states");
        for s in states {
            for t in s["transitions"].as_array().expect("transitions") {
                if let Some(next) = t["next"].as_str() {
                    assert!(state(def, next).is_some(), "{} -> {next} does not exist", s["name"]);
                }
            }
        }
    }

    #[test]
    fn forwards_then_takes_a_voicemail() {
        let def = definition(&number(Some("+61412345678"), true));
        assert_transitions_resolve(&def);
        assert_eq!(state(&def, "forward").unwrap()["properties"]["to"], "+61412345678");
        assert_eq!(state(&def, "forward").unwrap()["properties"]["timeout"], 25);
        assert_eq!(state(&def, "voicemail").unwrap()["properties"]["max_length"], 90);
        assert_eq!(state(&def, "voicemail").unwrap()["properties"]["transcribe"], true);
    }

    #[test]
    fn without_forwarding_goes_straight_to_voicemail_and_without_voicemail_says_goodbye() {
        let def = definition(&number(None, true));
        assert_transitions_resolve(&def);
        assert!(state(&def, "forward").is_none());
        let call = &state(&def, "Trigger").unwrap()["transitions"][1];
        assert_eq!(call["next"], "voicemail_prompt");
        let def = definition(&number(Some("+61412345678"), false));
        assert_transitions_resolve(&def);
        assert!(state(&def, "voicemail").is_none() && state(&def, "goodbye").is_some());
    }
}
