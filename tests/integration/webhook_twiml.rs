//! Our TwiML against the official twilio-python builders (`tests/oracles/twiml.py`): the same
//! documents built with `twilio::twiml` must be equivalent (elements, attributes, text).

use std::process::Command;

use switchboard::twilio::twiml::{render, Dial, Record, Verb};

use crate::common::{oracles_dir, TestResult};
use crate::webhook_support::parse_xml;

const FORWARD_TO: &str = "+15005550006";
const BASE: &str = "https://example.com";

/// The same documents as the oracle script's functions, built with our writer.
fn ours(name: &str) -> Option<Vec<Verb>> {
    let say = |text: &str| Verb::Say { text: text.into(), voice: Some("Polly.Joanna".into()) };
    let record_minimal = Record {
        max_length: Some(120),
        play_beep: Some(true),
        transcribe: Some(true),
        recording_status_callback: Some(format!("{BASE}/voice/recording-status")),
        ..Record::default()
    };
    Some(match name {
        "dial_forward" => vec![Verb::Dial(Dial {
            number: FORWARD_TO.into(),
            timeout: Some(20),
            action: Some(format!("{BASE}/voice/dial-status")),
            method: Some("POST".into()),
            ..Dial::default()
        })],
        "dial_forward_number_noun" => vec![Verb::Dial(Dial {
            number: FORWARD_TO.into(),
            number_noun: true,
            timeout: Some(20),
            action: Some(format!("{BASE}/voice/dial-status")),
            caller_id: Some("+15005550001".into()),
            ..Dial::default()
        })],
        "say_polly" => vec![say("Please leave a message after the beep.")],
        "record_voicemail" => vec![Verb::Record(Record {
            transcribe_callback: Some(format!("{BASE}/voice/transcription")),
            recording_status_callback_event: Some("completed".into()),
            action: Some(format!("{BASE}/voice/record-done")),
            ..record_minimal.clone()
        })],
        "record_minimal" => vec![Verb::Record(record_minimal.clone())],
        "voicemail_flow" => vec![
            say("The person you are calling is not available. Please leave a message."),
            Verb::Record(record_minimal),
            Verb::Hangup,
        ],
        "sms_empty" | "voice_empty" => vec![],
        "sms_reply" => vec![Verb::Message("Thanks, we got your message.".into())],
        _ => return None,
    })
}

#[test]
fn twiml_matches_the_official_library() -> TestResult {
    let Some(python) = std::env::var_os("SWITCHBOARD_PYTHON") else {
        eprintln!(
            "SKIPPED twiml_matches_the_official_library: SWITCHBOARD_PYTHON is not set (scripts/test.sh sets it)"
        );
        return Ok(());
    };
    let script = oracles_dir().join("twiml.py");
    let out = Command::new(&python).arg(&script).arg("--json").output()?;
    assert!(out.status.success(), "the oracle script failed: {}", String::from_utf8_lossy(&out.stderr));
    let docs: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out.stdout)?;
    assert!(docs.len() >= 9, "the oracle prints its examples");
    for (name, xml) in &docs {
        let theirs = xml.as_str().ok_or("xml string")?;
        let verbs = ours(name).ok_or_else(|| format!("no counterpart for oracle example {name}"))?;
        let mine = render(&verbs);
        assert_eq!(parse_xml(&mine)?, parse_xml(theirs)?, "{name}: ours {mine} vs official {theirs}");
    }
    Ok(())
}

#[test]
fn escaping_round_trips_through_a_real_parser() -> TestResult {
    let tricky = "Tom & Jerry's <Bakery> \"open\" 👋\nline";
    let xml = render(&[Verb::Say { text: tricky.into(), voice: Some("a&b".into()) }, Verb::Message(tricky.into())]);
    let doc = parse_xml(&xml)?;
    assert_eq!(doc.children[0].text, tricky, "the text comes back exactly");
    assert_eq!(doc.children[0].attr("voice"), Some("a&b"));
    assert_eq!(doc.children[1].text, tricky);
    Ok(())
}
