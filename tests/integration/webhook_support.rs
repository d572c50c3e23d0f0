//! Helpers for the webhook tests: the oracle payloads, signing as Twilio does, and a
//! store + router fixture driven with `oneshot`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use switchboard::events::Events;
use switchboard::secrets::Secret;
use switchboard::store::Store;
use switchboard::twilio::signature::{sign, Algorithm};
use switchboard::webhook::{router, AppState};
use tower::ServiceExt;

use crate::common::{oracles_dir, temp_store};

pub const PUBLIC_URL: &str = "https://switchboard.example.test";
pub const TOKEN: &str = "webhook-test-auth-token";

/// `webhook_payloads.json`'s `payloads` object.
pub fn payloads() -> Result<Value, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(oracles_dir().join("webhook_payloads.json"))?;
    let doc: Value = serde_json::from_str(&text)?;
    Ok(doc["payloads"].clone())
}

/// The exact form body of payload `name`.
pub fn raw_body(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let p = payloads()?;
    Ok(p[name]["raw_body"].as_str().ok_or_else(|| format!("payload {name} has no raw_body"))?.to_string())
}

/// Decodes a form body into pairs, as Twilio signs them.
pub fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// Re-encodes pairs as a form body.
pub fn encode(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Replaces (or adds) `name` in a form body.
pub fn with_field(body: &str, name: &str, value: &str) -> String {
    let mut p = pairs(body);
    match p.iter_mut().find(|(k, _)| k == name) {
        Some(kv) => kv.1 = value.to_string(),
        None => p.push((name.to_string(), value.to_string())),
    }
    encode(&p)
}

/// An inbound SMS form (no media, one segment) from `from` to our number `to`, as Twilio
/// posts it.
pub fn inbound_sms(sid: &str, from: &str, to: &str, body: &str) -> String {
    encode(&[
        ("MessageSid".into(), sid.into()),
        ("From".into(), from.into()),
        ("To".into(), to.into()),
        ("Body".into(), body.into()),
        ("NumMedia".into(), "0".into()),
        ("NumSegments".into(), "1".into()),
    ])
}

/// The signature Twilio sends for `body` posted to `PUBLIC_URL + path_and_query`.
pub fn signature_for(token: &str, path_and_query: &str, body: &str) -> String {
    sign(token, &format!("{PUBLIC_URL}{path_and_query}"), &pairs(body), Algorithm::Sha1)
}

/// A form POST signed with [`TOKEN`].
pub fn signed(path_and_query: &str, body: &str) -> Request<Body> {
    request(path_and_query, body, Some(&signature_for(TOKEN, path_and_query, body)), None)
}

/// A form POST with the given signature (None: no header) and idempotency token.
pub fn request(path_and_query: &str, body: &str, signature: Option<&str>, token: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path_and_query).header("content-type", "application/x-www-form-urlencoded");
    if let Some(s) = signature {
        b = b.header("x-twilio-signature", s);
    }
    if let Some(t) = token {
        b = b.header("i-twilio-idempotency-token", t);
    }
    b.body(Body::from(body.to_string())).unwrap_or_default()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub state: AppState,
    pub events: Events,
}

impl Fixture {
    pub fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let (dir, store) = temp_store()?;
        let events = Events::new();
        let state = AppState::new(store.clone(), PUBLIC_URL, Secret::new(TOKEN.to_string()), events.clone());
        Ok(Fixture { dir, store, state, events })
    }

    /// Sends one request through a fresh router (as each connection would).
    pub async fn send(&self, req: Request<Body>) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
        let resp = router(self.state.clone()).oneshot(req).await?;
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
        Ok((status, String::from_utf8(body.to_vec())?))
    }

    /// Posts a correctly signed form.
    pub async fn post(&self, path: &str, body: &str) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
        self.send(signed(path, body)).await
    }

    /// Rows in `table`.
    pub fn count(&self, table: &str) -> Result<i64, Box<dyn std::error::Error>> {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        Ok(self.store.read(move |c| Ok(c.query_row(&sql, [], |r| r.get::<_, i64>(0))?))?)
    }

    /// Rows in every table a webhook writes, to prove a rejected request changed nothing.
    pub fn footprint(&self) -> Result<Vec<i64>, Box<dyn std::error::Error>> {
        [
            "webhook_journal",
            "messages",
            "message_media",
            "numbers",
            "contacts",
            "conversations",
            "calls",
            "recordings",
            "voicemails",
            "downloads",
            "pending_status",
        ]
        .iter()
        .map(|t| self.count(t))
        .collect()
    }
}

/// An XML element as compared in tests: name, attributes (unordered), text, children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: std::collections::BTreeMap<String, String>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first descendant-or-self named `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    pub fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

/// Parses a document into its root [`Element`], unescaping text and attribute values.
pub fn parse_xml(xml: &str) -> Result<Element, Box<dyn std::error::Error>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let open = |e: &quick_xml::events::BytesStart<'_>| -> Result<Element, Box<dyn std::error::Error>> {
        let mut attrs = std::collections::BTreeMap::new();
        for a in e.attributes() {
            let a = a?;
            attrs.insert(String::from_utf8(a.key.as_ref().to_vec())?, a.unescape_value()?.into_owned());
        }
        Ok(Element {
            name: String::from_utf8(e.name().as_ref().to_vec())?,
            attrs,
            text: String::new(),
            children: vec![],
        })
    };
    loop {
        match reader.read_event()? {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let el = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode()?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let raw: &[u8] = &r;
                    let name = String::from_utf8(raw.to_vec())?;
                    let resolved = quick_xml::escape::unescape(&format!("&{name};"))?.into_owned();
                    top.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced XML")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    root.ok_or_else(|| "no root element".into())
}
