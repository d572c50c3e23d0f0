//! The client against small local stub servers over real HTTP: error mapping, paging,
//! retries with `Retry-After`, no retry of creates, no double send on a dropped
//! connection, multipart uploads, and the repeated form keys Prism wrongly rejects.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use switchboard::secrets::TwilioCredentials;
use switchboard::twilio::api::calls::ClickToCall;
use switchboard::twilio::api::compliance::DocumentUpload;
use switchboard::twilio::api::messages::{MessageFilter, NewMessage};
use switchboard::twilio::client::{ClientConfig, TwilioClient};
use switchboard::Error;

use crate::common::{temp_store, unpaced_outbound, TestResult};
use crate::sim_support::serve;

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

pub fn creds() -> TwilioCredentials {
    TwilioCredentials::with_auth_token(ACCOUNT, "test-auth-token")
}

/// A client whose every host is `base`, retrying quickly.
pub fn client_at(base: &str) -> Result<TwilioClient, Error> {
    let mut cfg = ClientConfig::with_base(creds(), base);
    cfg.retry_base_delay = Duration::from_millis(10);
    cfg.timeout = Duration::from_secs(10);
    TwilioClient::new(cfg)
}

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    /// Form fields of the body, in order, repeated keys kept.
    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).unwrap_or_default()
    }
    pub fn field(&self, key: &str) -> Option<String> {
        self.form().into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// (status, headers, body) for a request, given those before it.
pub type Responder = Arc<dyn Fn(&Recorded, &[Recorded]) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync>;

#[derive(Clone)]
struct StubState {
    log: Arc<Mutex<Vec<Recorded>>>,
    respond: Responder,
}

/// An axum server on 127.0.0.1:0 answering every request through a responder.
pub struct Stub {
    pub base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Stub {
    pub async fn start(respond: Responder) -> Result<Stub, Box<dyn std::error::Error>> {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = StubState { log: log.clone(), respond };
        let (base, task) = serve(axum::Router::new().fallback(handle).with_state(state)).await?;
        Ok(Stub { base, log, _task: task })
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// How many `method` requests hit a path ending in `suffix`.
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        self.requests().iter().filter(|r| r.method == method && r.path.ends_with(suffix)).count()
    }
}

async fn handle(State(s): State<StubState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 20 * 1024 * 1024).await.map(|b| b.to_vec()).unwrap_or_default();
    let rec = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body,
    };
    let (status, headers, text) = {
        let mut log = s.log.lock().unwrap_or_else(|p| p.into_inner());
        let out = (s.respond)(&rec, &log);
        log.push(rec);
        out
    };
    let mut b = Response::builder().status(status).header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b.body(Body::from(text)).unwrap_or_default()
}

/// A message resource as Twilio returns it, created now.
pub fn message_json(sid: &str, from: &str, to: &str, body: &str, status: &str) -> String {
    let now = chrono::Utc::now().to_rfc2822();
    serde_json::json!({
        "sid": sid, "account_sid": ACCOUNT, "from": from, "to": to, "body": body, "status": status,
        "direction": "outbound-api", "num_segments": "1", "num_media": "0", "error_code": null,
        "date_created": now, "date_updated": now, "date_sent": null, "price": null,
    })
    .to_string()
}

pub fn twilio_error(code: u32, status: u16, message: &str) -> String {
    serde_json::json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}).to_string()
}

const SM1: &str = "SM00000000000000000000000000000001";
const SM2: &str = "SM00000000000000000000000000000002";

#[tokio::test]
async fn twilio_error_json_becomes_a_plain_language_error() -> TestResult {
    let stub = Stub::start(Arc::new(|r, _| {
        if r.path.ends_with("Messages.json") {
            (400, vec![], twilio_error(21211, 400, "The 'To' number 123 is not a valid phone number."))
        } else {
            (401, vec![], twilio_error(20003, 401, "Authenticate"))
        }
    }))
    .await?;
    let c = client_at(&stub.base)?;
    let m =
        NewMessage { from: "+15005550006".into(), to: "+15005550001".into(), body: "hi".into(), ..Default::default() };
    match c.create_message(&m).await {
        Err(Error::Twilio { status: 400, code: Some(21211), explanation, .. }) => {
            assert!(explanation.contains("not valid"), "21211 is explained plainly: {explanation}")
        }
        other => return Err(format!("expected Twilio 21211, got {other:?}").into()),
    }
    assert_eq!(stub.count("POST", "Messages.json"), 1, "a refused create is not retried");
    match c.fetch_account().await {
        Err(e @ Error::Twilio { code: Some(20003), .. }) => {
            assert!(e.to_string().contains("Wrong credentials"), "the credentials check says so: {e}")
        }
        other => return Err(format!("expected wrong credentials, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn lists_follow_next_page_uri_and_dedup_by_sid() -> TestResult {
    let stub = Stub::start(Arc::new(|r, _| {
        let page = if r.query.contains("Page=1") { 1 } else { 0 };
        let path = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
        let body = if page == 0 {
            assert!(r.query.contains("DateSent%3E=2026-11-19T00%3A00%3A00Z"), "the watermark's day before is the filter: {}", r.query);
            serde_json::json!({
                "messages": [serde_json::from_str::<serde_json::Value>(&message_json(SM1, "+1", "+2", "a", "sent")).unwrap()],
                "next_page_uri": format!("{path}?PageSize=1&Page=1&PageToken=PA1"),
            })
        } else {
            serde_json::json!({
                "messages": [
                    serde_json::from_str::<serde_json::Value>(&message_json(SM1, "+1", "+2", "a", "sent")).unwrap(),
                    serde_json::from_str::<serde_json::Value>(&message_json(SM2, "+1", "+2", "b", "sent")).unwrap(),
                ],
                "next_page_uri": null,
            })
        };
        (200, vec![], body.to_string())
    }))
    .await?;
    let c = client_at(&stub.base)?;
    let got = c.backfill_messages(Some("2026-11-20T10:00:00.000Z"), 100).await?;
    let sids: Vec<&str> = got.iter().map(|m| m.sid.as_str()).collect();
    assert_eq!(sids, vec![SM1, SM2], "both pages read, the repeated SID kept once");
    assert_eq!(stub.count("GET", "Messages.json"), 2, "the second page was fetched from next_page_uri");
    Ok(())
}

#[tokio::test]
async fn reads_retry_429_and_5xx_honouring_retry_after_but_creates_do_not() -> TestResult {
    let stub = Stub::start(Arc::new(|r, before| {
        let same = before.iter().filter(|b| b.method == r.method && b.path == r.path).count();
        if r.method == "POST" {
            return (503, vec![], twilio_error(20500, 503, "unavailable"));
        }
        match same {
            0 => (429, vec![("retry-after", "0".to_string())], twilio_error(20429, 429, "Too Many Requests")),
            1 => (503, vec![], "{}".into()),
            _ => (200, vec![], message_json(SM1, "+1", "+2", "x", "delivered")),
        }
    }))
    .await?;
    let c = client_at(&stub.base)?;
    let m = c.fetch_message(SM1).await?;
    assert_eq!(m.status.as_deref(), Some("delivered"));
    assert_eq!(stub.count("GET", &format!("{SM1}.json")), 3, "429 and 503 were each retried once");
    let new =
        NewMessage { from: "+15005550006".into(), to: "+15005550001".into(), body: "hi".into(), ..Default::default() };
    assert!(matches!(c.create_message(&new).await, Err(Error::Twilio { status: 503, .. })));
    assert_eq!(stub.count("POST", "Messages.json"), 1, "a create that got an answer is never resent");
    Ok(())
}

#[tokio::test]
async fn retries_give_up_after_the_limit_with_the_twilio_error() -> TestResult {
    let stub =
        Stub::start(Arc::new(|_, _| (429, vec![("retry-after", "0".into())], twilio_error(20429, 429, "slow down"))))
            .await?;
    let c = client_at(&stub.base)?;
    match c.fetch_message(SM1).await {
        Err(Error::Twilio { code: Some(20429), explanation, .. }) => assert!(explanation.contains("too many")),
        other => return Err(format!("expected 20429 after retries, got {other:?}").into()),
    }
    assert_eq!(stub.count("GET", ".json"), 4, "one try and three retries");
    Ok(())
}

/// The request lines a raw server saw, in order.
type RequestLines = Arc<Mutex<Vec<String>>>;

/// A raw TCP server: the first POST to Messages.json is read and the connection dropped
/// without an answer. Listing then shows the message when `twilio_got_it`, and a second
/// POST succeeds with another SID.
fn dropping_server(twilio_got_it: bool) -> Result<(String, RequestLines), Box<dyn std::error::Error>> {
    let log: RequestLines = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    let base = raw_twilio(move |line, _body| {
        let posts_before = log2.lock().map(|l| l.iter().filter(|x| x.starts_with("POST")).count()).unwrap_or(0);
        if let Ok(mut l) = log2.lock() {
            l.push(line.to_string());
        }
        if line.starts_with("POST") {
            if posts_before == 0 {
                return None; // the request reached "Twilio"; the answer is lost
            }
            Some((201, message_json(SM2, "+15005550006", "+15005550001", "hello", "queued")))
        } else if twilio_got_it {
            let m: serde_json::Value =
                serde_json::from_str(&message_json(SM1, "+15005550006", "+15005550001", "hello", "queued"))
                    .unwrap_or_default();
            Some((200, serde_json::json!({"messages": [m], "next_page_uri": null}).to_string()))
        } else {
            Some((200, serde_json::json!({"messages": [], "next_page_uri": null}).to_string()))
        }
    })?;
    Ok((base, log))
}

/// A raw TCP "Twilio" on a free loopback port, for what an HTTP framework will not do:
/// each request (request line, body) goes to `answer`, which gives (status, JSON body), or
/// `None` to drop the connection unanswered (the request reached Twilio; its answer is
/// lost). Returns its base URL.
pub fn raw_twilio(
    mut answer: impl FnMut(&str, &[u8]) -> Option<(u16, String)> + Send + 'static,
) -> Result<String, Box<dyn std::error::Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let Some((line, body)) = read_request(&mut s) else { continue };
            let Some((status, json)) = answer(&line, &body) else { continue };
            let resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
            let _ = s.write_all(resp.as_bytes());
        }
    });
    Ok(base)
}

/// Reads one HTTP request (request line, body) from a raw connection.
fn read_request(s: &mut std::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).ok()?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let line = head.lines().next().unwrap_or_default().to_string();
            return Some((line, buf[end + 4..].to_vec()));
        }
    }
}

/// Sends "hello" through the send path over a [`dropping_server`] (the lost answer is
/// reconciled there, where the store knows which SIDs are already ours): the outcome, and
/// the request lines "Twilio" received.
async fn send_hello(
    twilio_got_it: bool,
) -> Result<(switchboard::outbound::send::SendOutcome, Vec<String>), Box<dyn std::error::Error>> {
    let (base, log) = dropping_server(twilio_got_it)?;
    let (_dir, store) = temp_store()?;
    let ob = unpaced_outbound(store, "+15005550006", client_at(&base)?, None)?;
    let req = switchboard::outbound::send::SendRequest::text("+15005550006", "+15005550001", "hello");
    let got = switchboard::outbound::send::send(&ob, req).await?;
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    Ok((got, log))
}

#[tokio::test]
async fn a_dropped_connection_on_send_adopts_the_message_twilio_already_has() -> TestResult {
    let (got, log) = send_hello(true).await?;
    assert_eq!(got.sid.as_deref(), Some(SM1), "the message Twilio had was adopted");
    assert_eq!(log.iter().filter(|l| l.starts_with("POST")).count(), 1, "no second send: {log:?}");
    assert!(log.iter().any(|l| l.starts_with("GET") && l.contains("To=%2B15005550001")), "it listed by To: {log:?}");
    Ok(())
}

#[tokio::test]
async fn a_dropped_connection_on_send_is_resent_once_when_twilio_does_not_have_it() -> TestResult {
    let (got, log) = send_hello(false).await?;
    assert_eq!(got.sid.as_deref(), Some(SM2), "sent again after checking Twilio's log");
    let kinds: Vec<&str> = log.iter().map(|l| l.split(' ').next().unwrap_or("")).collect();
    assert_eq!(kinds, vec!["POST", "GET", "POST"], "check before the resend: {log:?}");
    Ok(())
}

/// Prism wrongly rejects repeated `MediaUrl` and `StatusCallbackEvent` ("must be array"),
/// so these two requests are checked here against a stub instead.
#[tokio::test]
async fn repeated_media_url_and_status_callback_event_are_sent_as_repeated_keys() -> TestResult {
    let stub = Stub::start(Arc::new(|r, _| {
        if r.path.ends_with("Calls.json") {
            (
                201,
                vec![],
                serde_json::json!({"sid": "CA00000000000000000000000000000001", "status": "queued"}).to_string(),
            )
        } else {
            (201, vec![], message_json(SM1, "+15005550006", "+15005550001", "", "queued"))
        }
    }))
    .await?;
    let c = client_at(&stub.base)?;
    let m = NewMessage {
        from: "+15005550006".into(),
        to: "+15005550001".into(),
        body: "two pictures".into(),
        media_urls: vec!["https://pub.example/media/a".into(), "https://pub.example/media/b".into()],
        status_callback: Some("https://pub.example/twilio/sms/status".into()),
        client_ref: Some("ref-1".into()),
        ..Default::default()
    };
    c.create_message(&m).await?;
    let call = ClickToCall {
        our_number: "+15005550006".into(),
        owner_phone: "+61412345678".into(),
        customer: "+15005550001".into(),
        status_callback: Some("https://pub.example/twilio/voice/status".into()),
        accept_url: None,
        record: false,
        recording_status_callback: None,
    };
    c.create_call_with_events(&call, &["initiated", "ringing", "answered", "completed"]).await?;
    let reqs = stub.requests();
    let msg = reqs.iter().find(|r| r.path.ends_with("Messages.json")).ok_or("no message request")?;
    let media: Vec<String> = msg.form().into_iter().filter(|(k, _)| k == "MediaUrl").map(|(_, v)| v).collect();
    assert_eq!(media, vec!["https://pub.example/media/a", "https://pub.example/media/b"], "one MediaUrl per file");
    assert_eq!(msg.headers.get("I-Twilio-Idempotency-Token").and_then(|v| v.to_str().ok()), Some("ref-1"));
    assert!(msg.headers.get("authorization").is_some_and(|v| v.to_str().unwrap_or("").starts_with("Basic ")));
    let call_req = reqs.iter().find(|r| r.path.ends_with("Calls.json")).ok_or("no call request")?;
    let events: Vec<String> =
        call_req.form().into_iter().filter(|(k, _)| k == "StatusCallbackEvent").map(|(_, v)| v).collect();
    assert_eq!(events, vec!["initiated", "ringing", "answered", "completed"]);
    let twiml = call_req.field("Twiml").ok_or("no Twiml")?;
    assert!(
        twiml.contains(r#"<Dial callerId="+15005550006"><Number>+15005550001</Number></Dial>"#),
        "the owner is bridged to the customer with our number as caller ID: {twiml}"
    );
    assert_eq!(call_req.field("To").as_deref(), Some("+61412345678"), "the owner's phone rings first");
    Ok(())
}

#[tokio::test]
async fn supporting_documents_upload_as_multipart_to_the_upload_host() -> TestResult {
    let stub = Stub::start(Arc::new(|_, _| {
        (201, vec![], serde_json::json!({"sid": "RD00000000000000000000000000000001", "status": "draft"}).to_string())
    }))
    .await?;
    let mut cfg = ClientConfig::with_base(creds(), "http://127.0.0.1:9");
    cfg.upload_base = stub.base.clone();
    let c = TwilioClient::new(cfg)?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("registration.pdf");
    std::fs::write(&file, b"%PDF-1.4 test document")?;
    let doc = c
        .upload_supporting_document(&DocumentUpload {
            friendly_name: "Registration".into(),
            kind: "business_registration".into(),
            attributes: serde_json::json!({"business_name": "Ana's Bakery"}),
            file: &file,
            mime_type: "application/pdf".into(),
        })
        .await?;
    assert_eq!(doc.sid, "RD00000000000000000000000000000001");
    let req = stub.requests().into_iter().next().ok_or("no upload request")?;
    assert_eq!(req.path, "/v2/RegulatoryCompliance/SupportingDocuments");
    let ct = req.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ct.starts_with("multipart/form-data"), "uploaded as multipart, got {ct}");
    let body = String::from_utf8_lossy(&req.body);
    for needle in [
        "name=\"File\"",
        "filename=\"registration.pdf\"",
        "%PDF-1.4 test document",
        "name=\"Attributes\"",
        "Ana's Bakery",
    ] {
        assert!(body.contains(needle), "multipart body carries {needle}");
    }
    Ok(())
}

#[tokio::test]
async fn find_sent_ignores_messages_we_already_know() -> TestResult {
    let stub = Stub::start(Arc::new(|_, _| {
        let m: serde_json::Value =
            serde_json::from_str(&message_json(SM1, "+15005550006", "+15005550001", "hello", "sent"))
                .unwrap_or_default();
        (200, vec![], serde_json::json!({"messages": [m], "next_page_uri": null}).to_string())
    }))
    .await?;
    let c = client_at(&stub.base)?;
    let m = NewMessage {
        from: "+15005550006".into(),
        to: "+15005550001".into(),
        body: "hello".into(),
        ..Default::default()
    };
    let since = chrono::Utc::now();
    assert!(c.find_sent(&m, since, &HashSet::new()).await?.is_some());
    let known: HashSet<String> = [SM1.to_string()].into();
    assert!(c.find_sent(&m, since, &known).await?.is_none(), "a message we recorded is never adopted twice");
    let other = NewMessage { body: "different".into(), ..m };
    assert!(c.find_sent(&other, since, &HashSet::new()).await?.is_none(), "a different body is not a match");
    let _ = MessageFilter::default();
    Ok(())
}
