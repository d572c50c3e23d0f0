//! A proxy between the client and the simulator that also sends every request to Prism
//! serving Twilio's official spec, so a stateful flow (evaluate, review, resubmit) runs
//! against the simulator while each request it makes is checked by Twilio's own spec.
//!
//! Requests under `/v2/` go to Prism over `twilio_numbers_v2.json`, those under
//! `/2010-04-01/` to Prism over `twilio_api_v2010.json`. A document upload is multipart to
//! Twilio's upload host, which the spec does not describe; its text fields (FriendlyName,
//! Type, Attributes) are checked as the spec's form request on numbers.twilio.com, and the
//! file part is not sent to Prism.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::prism;

pub type Error = Box<dyn std::error::Error>;

/// One request as Prism judged it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub method: String,
    pub path: String,
    /// Prism's status: 2xx when the spec accepts the request.
    pub status: u16,
    pub body: String,
}

#[derive(Clone)]
struct Tee {
    sim: String,
    numbers: String,
    api: String,
    http: reqwest::Client,
    checked: Arc<Mutex<Vec<Checked>>>,
}

pub struct PrismTee {
    /// Point the client here.
    pub base: String,
    checked: Arc<Mutex<Vec<Checked>>>,
    task: tokio::task::JoinHandle<()>,
}

impl PrismTee {
    /// Starts both Prism processes (once per test binary) and the proxy to `sim_base`.
    pub async fn start(sim_base: &str) -> Result<PrismTee, Error> {
        let (numbers, api) = tokio::task::spawn_blocking(|| {
            Ok::<_, String>((prism::numbers()?.base.clone(), prism::api()?.base.clone()))
        })
        .await??;
        let checked = Arc::new(Mutex::new(Vec::new()));
        let tee = Tee {
            sim: sim_base.trim_end_matches('/').to_string(),
            numbers,
            api,
            http: reqwest::Client::new(),
            checked: checked.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = Router::new().fallback(forward).with_state(tee);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(PrismTee { base, checked, task })
    }

    pub fn checked(&self) -> Vec<Checked> {
        self.checked.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Fails unless Prism accepted every request, and at least one of each `kinds`
    /// (`"POST /v2/RegulatoryCompliance/Bundles"`: method and a path prefix) was seen.
    pub fn assert_accepted(&self, kinds: &[&str]) -> Result<(), Error> {
        let checked = self.checked();
        let refused: Vec<String> = checked
            .iter()
            .filter(|c| !(200..300).contains(&c.status))
            .map(|c| format!("{} {} -> {}: {}", c.method, c.path, c.status, c.body))
            .collect();
        if !refused.is_empty() {
            return Err(format!("Twilio's spec refused {} request(s):\n{}", refused.len(), refused.join("\n")).into());
        }
        for kind in kinds {
            let (method, prefix) = kind.split_once(' ').ok_or("a kind is METHOD PATH")?;
            if !checked.iter().any(|c| c.method == method && c.path.starts_with(prefix)) {
                let seen: Vec<String> = checked.iter().map(|c| format!("{} {}", c.method, c.path)).collect();
                return Err(format!("no {kind} was checked; seen: {seen:#?}").into());
            }
        }
        Ok(())
    }
}

impl Drop for PrismTee {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(tee): State<Tee>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path_and_query = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();

    let prism = if uri.path().starts_with("/v2/") {
        Some(&tee.numbers)
    } else if uri.path().starts_with("/2010-04-01/") {
        Some(&tee.api)
    } else {
        None
    };
    if let Some(prism) = prism {
        let (ct, checked_body) = if content_type.starts_with("multipart/form-data") {
            ("application/x-www-form-urlencoded".to_string(), Bytes::from(multipart_text_as_form(&content_type, &body)))
        } else {
            (content_type.clone(), body.clone())
        };
        let mut req =
            tee.http.request(method.clone(), format!("{prism}{path_and_query}")).header("authorization", &auth);
        if !ct.is_empty() {
            req = req.header("content-type", ct);
        }
        let (status, text) = match req.body(checked_body).send().await {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(e) => (0, format!("Prism unreachable: {e}")),
        };
        tee.checked.lock().unwrap_or_else(|p| p.into_inner()).push(Checked {
            method: method.to_string(),
            path: uri.path().to_string(),
            status,
            body: text,
        });
    }

    let mut req = tee.http.request(method, format!("{}{path_and_query}", tee.sim)).header("authorization", auth);
    if !content_type.is_empty() {
        req = req.header("content-type", content_type);
    }
    match req.body(body).send().await {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let bytes = r.bytes().await.unwrap_or_default();
            (status, [("content-type", ct)], bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// The text parts of a multipart body (parts without a filename) as a urlencoded form.
fn multipart_text_as_form(content_type: &str, body: &[u8]) -> String {
    let Some(boundary) = content_type.split("boundary=").nth(1).map(|b| b.trim_matches('"')) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(body);
    let mut pairs = Vec::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else { continue };
        if head.contains("filename=") {
            continue;
        }
        let Some(name) = head.split("name=\"").nth(1).and_then(|n| n.split('"').next()) else { continue };
        pairs.push((name.to_string(), value.trim_end_matches("\r\n").to_string()));
    }
    form_urlencoded_pairs(&pairs)
}

fn form_urlencoded_pairs(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
