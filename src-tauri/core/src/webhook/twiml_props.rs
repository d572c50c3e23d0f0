//! Issue 13 item 8: whatever the owner typed into a number's settings (greeting, voice,
//! voicemail prompt, forwarding number, auto-reply; any unicode, C0/C1 controls,
//! U+FFFE/U+FFFF), every TwiML document the listener answers with is well-formed XML 1.0.
//! The settings go through the real call-flow code and the real response writer, and each
//! result is parsed by quick-xml and checked against XML's `Char` production (quick-xml
//! alone does not reject forbidden characters, Twilio's parser does).

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use quick_xml::events::Event;

use super::twiml_response;
use super::voice::{call_flow, voicemail, Callbacks};
use crate::domain::hours::{BusinessHours, Span};
use crate::domain::xmltext::is_xml_char;
use crate::store::numbers::NumberSettings;
use crate::twilio::callflow::{screen_prompt, CallFlow};
use crate::twilio::twiml::Verb;

/// Text with a good share of what breaks XML: C0 and C1 controls, DEL, the two
/// non-characters, markup characters, and any other unicode scalar value.
fn hostile_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => prop::char::range('\u{0}', '\u{1F}'),
        1 => prop::char::range('\u{7F}', '\u{9F}'),
        1 => prop::sample::select(vec!['\u{FFFE}', '\u{FFFF}', '<', '&', '"', '\'', '>', ']']),
    ];
    prop::collection::vec(c, 0..40).prop_map(|v| v.into_iter().collect())
}

fn settings() -> impl Strategy<Value = NumberSettings> {
    (
        hostile_text(),
        hostile_text(),
        hostile_text(),
        hostile_text(),
        prop::option::of(hostile_text()),
        any::<(bool, bool, bool)>(),
        hostile_text(),
    )
        .prop_map(|(greeting, voice, prompt, forward, auto_reply, (fwd, vm, hours), prompt2)| NumberSettings {
            forwarding_number: Some(forward),
            forwarding_enabled: fwd,
            greeting,
            voice,
            ring_seconds: 20,
            voicemail_enabled: vm,
            voicemail_prompt: prompt,
            voicemail_max_seconds: 120,
            business_hours: hours.then(|| BusinessHours {
                tz: "Australia/Sydney".into(),
                spans: (0..5).map(|day| Span { day, open: "09:00".into(), close: "17:00".into() }).collect(),
            }),
            auto_reply,
            screening_enabled: fwd,
            closed_greeting: prompt2.clone(),
            record_calls: vm,
            recording_notice: prompt2,
            text_back_enabled: false,
            text_back_body: String::new(),
            text_back_window_hours: 12,
        })
}

/// Parses `xml` completely; Err says why it is not well-formed XML 1.0.
fn well_formed(xml: &str) -> Result<(), String> {
    if let Some(bad) = xml.chars().find(|&c| !is_xml_char(c)) {
        return Err(format!("forbidden character U+{:04X}", bad as u32));
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut depth = 0i32;
    let mut roots = 0;
    loop {
        match reader.read_event().map_err(|e| format!("parse error: {e}"))? {
            Event::Start(e) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                for a in e.attributes() {
                    let a = a.map_err(|e| format!("bad attribute: {e}"))?;
                    let v = a.unescape_value().map_err(|e| format!("bad attribute value: {e}"))?;
                    if let Some(bad) = v.chars().find(|&c| !is_xml_char(c)) {
                        return Err(format!("attribute carries U+{:04X}", bad as u32));
                    }
                }
            }
            Event::Empty(e) => {
                if depth == 0 {
                    roots += 1;
                }
                for a in e.attributes() {
                    let a = a.map_err(|e| format!("bad attribute: {e}"))?;
                    a.unescape_value().map_err(|e| format!("bad attribute value: {e}"))?;
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => {
                let text = t.decode().map_err(|e| format!("bad text: {e}"))?;
                if depth == 0 && !text.trim().is_empty() {
                    return Err("text outside the root element".into());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| format!("bad character reference: {e}"))? {
                    if !is_xml_char(c) {
                        return Err(format!("character reference to U+{:04X}", c as u32));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 || roots != 1 {
        return Err(format!("unbalanced document (depth {depth}, {roots} roots)"));
    }
    Ok(())
}

fn body_of(verbs: &[Verb]) -> String {
    let resp = twiml_response(verbs);
    let bytes = futures_util::FutureExt::now_or_never(axum::body::to_bytes(resp.into_body(), 1 << 20))
        .expect("a TwiML body is ready at once")
        .expect("the TwiML body is readable");
    String::from_utf8(bytes.to_vec()).expect("TwiML is UTF-8")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn twiml_from_arbitrary_settings_is_well_formed(s in settings(), base in hostile_text(), hour in 0u32..24) {
        let cb = Callbacks::new(&format!("https://example.test/{base}"));
        let now = Utc.with_ymd_and_hms(2026, 11, 23, hour, 0, 0).single().expect("a valid time");
        let flow = CallFlow::from_settings(&base, &s);
        let mut documents = vec![
            body_of(&call_flow(&flow, now, &cb, &base)),
            body_of(&voicemail(&flow, &cb)),
            body_of(&super::screen::screen_twiml(&screen_prompt(&base), flow.voice.clone(), &cb.screen_answer)),
        ];
        // The SMS webhook answers with the auto-reply as <Message>.
        documents.push(body_of(&s.auto_reply.iter().cloned().map(Verb::Message).collect::<Vec<_>>()));
        for xml in documents {
            let verdict = well_formed(&xml);
            prop_assert!(verdict.is_ok(), "not well-formed ({:?}): {:?}", verdict, xml);
        }
    }
}
