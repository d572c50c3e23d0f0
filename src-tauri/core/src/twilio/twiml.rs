//! TwiML: the XML Switchboard answers Twilio's webhooks with.
//!
//! Written with `quick-xml`'s writer so every text and attribute value is escaped by the
//! library (a greeting or auto-reply typed by the owner may contain `<`, `&` or quotes),
//! never by hand. Only the verbs the call and message flows use are modelled; the output
//! is equivalent (same elements, attributes and text) to what the official twilio-python
//! builders print, which `tests/integration/webhook_twiml.rs` checks.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::domain::xmltext::xml_safe;

/// One TwiML verb inside `<Response>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `<Say voice=…>text</Say>`: text-to-speech.
    Say { text: String, voice: Option<String> },
    /// `<Dial …>`: connect the caller to another number.
    Dial(Dial),
    /// `<Record …/>`: record a voicemail.
    Record(Record),
    /// `<Hangup/>`.
    Hangup,
    /// `<Reject/>`: refuse the call before it is answered (a blocked caller), so it is
    /// never billed as answered and never reaches the owner or voicemail.
    Reject,
    /// `<Message>text</Message>`: a reply to an inbound SMS.
    Message(String),
    /// `<Gather …><Say>…</Say></Gather>`: waits for a key (call screening).
    Gather(Gather),
}

/// `<Gather>` with one prompt inside: what the screened leg hears.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gather {
    pub num_digits: Option<u32>,
    pub timeout: Option<u32>,
    pub action: Option<String>,
    pub method: Option<String>,
    /// Said while waiting for the key.
    pub say: String,
    pub voice: Option<String>,
}

/// `<Dial>` with the attributes the forwarding flow needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dial {
    /// The number to ring.
    pub number: String,
    /// Wrap the number in a `<Number>` noun instead of plain text (needed for per-number options).
    pub number_noun: bool,
    /// Seconds to ring before giving up (`timeout`).
    pub timeout: Option<i64>,
    /// Where Twilio posts `DialCallStatus` when the dial ends.
    pub action: Option<String>,
    pub method: Option<String>,
    pub caller_id: Option<String>,
    /// `<Number url=…>`: TwiML the dialled party hears before being connected (screening);
    /// only with `number_noun`.
    pub number_url: Option<String>,
    /// `record="record-from-answer-dual"` when the owner records calls.
    pub record: Option<String>,
    pub recording_status_callback: Option<String>,
}

/// `<Record>` for voicemail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub max_length: Option<i64>,
    pub play_beep: Option<bool>,
    pub transcribe: Option<bool>,
    pub transcribe_callback: Option<String>,
    pub recording_status_callback: Option<String>,
    pub recording_status_callback_event: Option<String>,
    /// Where Twilio goes when recording ends. Without it Twilio re-requests the current
    /// document, which for a call flow means starting the flow again.
    pub action: Option<String>,
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Renders `<?xml …?><Response>verbs</Response>` as a string. Every text and attribute
/// value is passed through [`xml_safe`] first: characters XML 1.0 forbids (a control
/// character pasted into a greeting) would make the whole document malformed and fail
/// the call at Twilio (12100), so they are dropped here even if the store let one by.
pub fn render(verbs: &[Verb]) -> String {
    // Writing into a Vec cannot fail; the error arm keeps the signature honest anyway.
    match try_render(verbs) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("TwiML could not be written: {e}");
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".to_string()
        }
    }
}

fn try_render(verbs: &[Verb]) -> std::io::Result<String> {
    let mut w = Writer::new(Vec::with_capacity(256));
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    if verbs.is_empty() {
        w.create_element("Response").write_empty()?;
    } else {
        w.create_element("Response").write_inner_content(|w| {
            for verb in verbs {
                write_verb(w, verb)?;
            }
            Ok::<(), std::io::Error>(())
        })?;
    }
    String::from_utf8(w.into_inner()).map_err(std::io::Error::other)
}

fn write_verb(w: &mut Writer<Vec<u8>>, verb: &Verb) -> std::io::Result<()> {
    match verb {
        Verb::Say { text, voice } => {
            let mut el = w.create_element("Say");
            if let Some(v) = voice.as_deref().map(xml_safe).filter(|v| !v.is_empty()) {
                el = el.with_attribute(("voice", v.as_ref()));
            }
            el.write_text_content(BytesText::new(&xml_safe(text)))?;
        }
        Verb::Message(text) => {
            w.create_element("Message").write_text_content(BytesText::new(&xml_safe(text)))?;
        }
        Verb::Hangup => {
            w.create_element("Hangup").write_empty()?;
        }
        Verb::Reject => {
            w.create_element("Reject").write_empty()?;
        }
        Verb::Dial(d) => {
            let timeout = d.timeout.map(|t| t.to_string());
            let mut el = w.create_element("Dial");
            let attrs: [(&str, Option<&str>); 6] = [
                ("action", d.action.as_deref()),
                ("callerId", d.caller_id.as_deref()),
                ("method", d.method.as_deref()),
                ("record", d.record.as_deref()),
                ("recordingStatusCallback", d.recording_status_callback.as_deref()),
                ("timeout", timeout.as_deref()),
            ];
            for (name, value) in attrs {
                if let Some(v) = value {
                    el = el.with_attribute((name, xml_safe(v).as_ref()));
                }
            }
            let number = xml_safe(&d.number);
            if d.number_noun {
                let url = d.number_url.as_deref().map(xml_safe);
                el.write_inner_content(|w| {
                    let mut n = w.create_element("Number");
                    if let Some(u) = url.as_deref() {
                        n = n.with_attribute(("url", u)).with_attribute(("method", "POST"));
                    }
                    n.write_text_content(BytesText::new(&number))?;
                    Ok::<(), std::io::Error>(())
                })?;
            } else {
                el.write_text_content(BytesText::new(&number))?;
            }
        }
        Verb::Gather(g) => {
            let num_digits = g.num_digits.map(|n| n.to_string());
            let timeout = g.timeout.map(|t| t.to_string());
            let attrs: [(&str, Option<&str>); 4] = [
                ("action", g.action.as_deref()),
                ("method", g.method.as_deref()),
                ("numDigits", num_digits.as_deref()),
                ("timeout", timeout.as_deref()),
            ];
            let mut el = w.create_element("Gather");
            for (name, value) in attrs {
                if let Some(v) = value {
                    el = el.with_attribute((name, xml_safe(v).as_ref()));
                }
            }
            let say = Verb::Say { text: g.say.clone(), voice: g.voice.clone() };
            el.write_inner_content(|w| write_verb(w, &say))?;
        }
        Verb::Record(r) => {
            let max_length = r.max_length.map(|m| m.to_string());
            let attrs: [(&str, Option<&str>); 7] = [
                ("action", r.action.as_deref()),
                ("maxLength", max_length.as_deref()),
                ("playBeep", r.play_beep.map(bool_text)),
                ("recordingStatusCallback", r.recording_status_callback.as_deref()),
                ("recordingStatusCallbackEvent", r.recording_status_callback_event.as_deref()),
                ("transcribe", r.transcribe.map(bool_text)),
                ("transcribeCallback", r.transcribe_callback.as_deref()),
            ];
            let mut el = w.create_element("Record");
            for (name, value) in attrs {
                if let Some(v) = value {
                    el = el.with_attribute((name, xml_safe(v).as_ref()));
                }
            }
            el.write_empty()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_response_is_self_closing() {
        assert_eq!(render(&[]), r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#);
    }

    #[test]
    fn text_and_attributes_are_escaped_by_the_writer() {
        let xml = render(&[
            Verb::Say { text: "Tom & Jerry's <shop>".into(), voice: Some("a\"b".into()) },
            Verb::Message("1 < 2 & \"ok\"".into()),
        ]);
        assert!(xml.contains("Tom &amp; Jerry"), "{xml}");
        assert!(xml.contains("&lt;shop&gt;"), "{xml}");
        assert!(xml.contains("voice=\"a&quot;b\""), "{xml}");
        assert!(!xml.contains("<shop>"), "raw markup must never pass through: {xml}");
    }
}
