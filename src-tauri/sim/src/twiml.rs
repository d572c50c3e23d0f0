//! Reading the TwiML the app answers with (quick-xml), into the verbs the simulator acts on.
//! Unknown verbs and attributes are kept as `Other` and skipped, as Twilio would warn and
//! continue; a document that is not XML is an error the caller reports (Twilio's 12100).

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// One element directly under `<Response>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verb {
    /// Element name as written (`Dial`, `Record`, `Message`…).
    pub name: String,
    pub attrs: HashMap<String, String>,
    /// Text directly inside the verb (trimmed), e.g. the number in `<Dial>+61…</Dial>`.
    pub text: String,
    /// Child elements (nouns) with their attributes and text: `<Number>`, `<Body>`, `<Media>`.
    pub children: Vec<(String, HashMap<String, String>, String)>,
}

impl Verb {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn attr_bool(&self, name: &str) -> bool {
        self.attr(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub fn attr_u32(&self, name: &str, default: u32) -> u32 {
        self.attr(name).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// The first child with this name's text.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.children.iter().find(|(n, _, _)| n == name).map(|(_, _, t)| t.as_str())
    }

    pub fn children_text(&self, name: &str) -> Vec<String> {
        self.children.iter().filter(|(n, _, _)| n == name).map(|(_, _, t)| t.clone()).collect()
    }
}

/// Parses a TwiML document into its verbs. An empty body is an empty `<Response>`.
pub(crate) fn parse(doc: &str) -> Result<Vec<Verb>, String> {
    if doc.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut reader = Reader::from_str(doc);
    let mut verbs: Vec<Verb> = Vec::new();
    let mut depth = 0usize;
    let mut saw_response = false;
    // The child being read (depth 3): name, attributes, text so far.
    let mut child: Option<(String, HashMap<String, String>, String)> = None;
    loop {
        let event = reader.read_event().map_err(|e| format!("not valid XML: {e}"))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                open(&e, depth, &mut verbs, &mut child, &mut saw_response)?;
            }
            Event::Empty(e) => {
                open(&e, depth + 1, &mut verbs, &mut child, &mut saw_response)?;
                close(depth + 1, &mut verbs, &mut child);
            }
            Event::End(_) => {
                close(depth, &mut verbs, &mut child);
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                let s = t.xml_content().map_err(|e| format!("bad text: {e}"))?;
                push_text(depth, &s, &mut verbs, &mut child);
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| format!("bad CDATA: {e}"))?;
                push_text(depth, &s, &mut verbs, &mut child);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| format!("bad entity: {e}"))?;
                let s = match name.as_ref() {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    _ => match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(format!("unknown entity &{name};")),
                    },
                };
                push_text(depth, &s, &mut verbs, &mut child);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_response {
        return Err("the document has no <Response> root".into());
    }
    for v in &mut verbs {
        v.text = v.text.trim().to_string();
        for c in &mut v.children {
            c.2 = c.2.trim().to_string();
        }
    }
    Ok(verbs)
}

fn open(
    e: &BytesStart<'_>,
    depth: usize,
    verbs: &mut Vec<Verb>,
    child: &mut Option<(String, HashMap<String, String>, String)>,
    saw_response: &mut bool,
) -> Result<(), String> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
    let mut attrs = HashMap::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute: {err}"))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).to_string();
        let value = a.unescape_value().map_err(|err| format!("bad attribute value: {err}"))?.to_string();
        attrs.insert(key, value);
    }
    match depth {
        1 if name == "Response" => *saw_response = true,
        1 => return Err(format!("the root element is <{name}>, not <Response>")),
        2 => verbs.push(Verb { name, attrs, text: String::new(), children: Vec::new() }),
        3 => *child = Some((name, attrs, String::new())),
        _ => {}
    }
    Ok(())
}

fn close(depth: usize, verbs: &mut [Verb], child: &mut Option<(String, HashMap<String, String>, String)>) {
    if depth == 3 {
        if let (Some(c), Some(v)) = (child.take(), verbs.last_mut()) {
            v.children.push(c);
        }
    }
}

fn push_text(depth: usize, s: &str, verbs: &mut [Verb], child: &mut Option<(String, HashMap<String, String>, String)>) {
    match depth {
        2 => {
            if let Some(v) = verbs.last_mut() {
                v.text.push_str(s);
            }
        }
        3 => {
            if let Some(c) = child.as_mut() {
                c.2.push_str(s);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dial_with_number_noun_and_attributes() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna">Hello &amp; welcome</Say><Dial timeout="20" action="https://x/voice/dial-status"><Number>+15005550006</Number></Dial></Response>"#;
        let verbs = parse(doc).unwrap();
        assert_eq!(verbs.len(), 2);
        assert_eq!(verbs[0].name, "Say");
        assert_eq!(verbs[0].text, "Hello & welcome");
        assert_eq!(verbs[1].attr("action"), Some("https://x/voice/dial-status"));
        assert_eq!(verbs[1].attr_u32("timeout", 30), 20);
        assert_eq!(verbs[1].child_text("Number"), Some("+15005550006"));
    }

    #[test]
    fn reads_self_closing_record_and_empty_response() {
        let verbs = parse(r#"<Response><Record maxLength="120" transcribe="true"/><Hangup/></Response>"#).unwrap();
        assert_eq!(verbs.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["Record", "Hangup"]);
        assert!(verbs[0].attr_bool("transcribe"));
        assert!(parse("<Response/>").unwrap().is_empty());
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn rejects_non_twiml() {
        assert!(parse("<html><body>oops</body></html>").is_err());
        assert!(parse("<Response><Say>unclosed</Response>").is_err());
    }
}
