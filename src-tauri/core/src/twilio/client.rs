//! The one REST client for everything Switchboard asks of Twilio.
//!
//! Hosts are configurable so the same code talks to Twilio, to Prism serving Twilio's
//! OpenAPI specs, and to the built-in simulator. Reads are retried with backoff (honouring
//! `Retry-After`) on 429, 5xx and network failures; creating requests are never retried
//! here, because a retried send can text a customer twice — the callers that create
//! (messages, calls, purchases) decide what is safe (see `api::messages::create`).

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::secrets::TwilioCredentials;

/// Where the client sends its requests, with whose credentials, and how patiently.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The 2010-04-01 REST API (`https://api.twilio.com`).
    pub api_base: String,
    /// numbers.twilio.com v2: Regulatory Compliance.
    pub numbers_base: String,
    /// numbers-upload.twilio.com: supporting documents are uploaded here as multipart.
    pub upload_base: String,
    /// studio.twilio.com v2: the fallback flow that answers calls while the app is closed.
    pub studio_base: String,
    /// messaging.twilio.com v1: Messaging Services, A2P 10DLC brands and campaigns,
    /// toll-free verifications.
    pub messaging_base: String,
    /// trusthub.twilio.com v1: customer profiles and trust products (US registration).
    pub trusthub_base: String,
    /// pricing.twilio.com v1: what a text to each country costs (bulk-send estimates).
    pub pricing_base: String,
    pub credentials: TwilioCredentials,
    /// Per-request timeout; Twilio answers in well under a second normally.
    pub timeout: Duration,
    /// How many times a read is retried after the first try.
    pub max_retries: u32,
    /// First backoff delay, doubled per retry, when the server gives no `Retry-After`.
    pub retry_base_delay: Duration,
    /// Upper bound on any one wait, so a hostile or buggy `Retry-After` cannot stall us.
    pub max_retry_delay: Duration,
}

pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";
pub const DEFAULT_NUMBERS_BASE: &str = "https://numbers.twilio.com";
pub const DEFAULT_UPLOAD_BASE: &str = "https://numbers-upload.twilio.com";
pub const DEFAULT_STUDIO_BASE: &str = "https://studio.twilio.com";
pub const DEFAULT_MESSAGING_BASE: &str = "https://messaging.twilio.com";
pub const DEFAULT_TRUSTHUB_BASE: &str = "https://trusthub.twilio.com";
pub const DEFAULT_PRICING_BASE: &str = "https://pricing.twilio.com";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().trim_end_matches('/').to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

impl ClientConfig {
    /// Twilio's real hosts.
    pub fn new(credentials: TwilioCredentials) -> Self {
        ClientConfig {
            api_base: DEFAULT_API_BASE.into(),
            numbers_base: DEFAULT_NUMBERS_BASE.into(),
            upload_base: DEFAULT_UPLOAD_BASE.into(),
            studio_base: DEFAULT_STUDIO_BASE.into(),
            messaging_base: DEFAULT_MESSAGING_BASE.into(),
            trusthub_base: DEFAULT_TRUSTHUB_BASE.into(),
            pricing_base: DEFAULT_PRICING_BASE.into(),
            credentials,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(500),
            max_retry_delay: Duration::from_secs(30),
        }
    }

    /// Hosts from `SWITCHBOARD_TWILIO_API_BASE`, `SWITCHBOARD_TWILIO_NUMBERS_BASE`,
    /// `SWITCHBOARD_TWILIO_UPLOAD_BASE`, `SWITCHBOARD_TWILIO_MESSAGING_BASE` and
    /// `SWITCHBOARD_TWILIO_TRUSTHUB_BASE` and `SWITCHBOARD_TWILIO_PRICING_BASE`, each
    /// defaulting to Twilio's own.
    pub fn from_env(credentials: TwilioCredentials) -> Self {
        ClientConfig {
            api_base: env_or("SWITCHBOARD_TWILIO_API_BASE", DEFAULT_API_BASE),
            numbers_base: env_or("SWITCHBOARD_TWILIO_NUMBERS_BASE", DEFAULT_NUMBERS_BASE),
            upload_base: env_or("SWITCHBOARD_TWILIO_UPLOAD_BASE", DEFAULT_UPLOAD_BASE),
            studio_base: env_or("SWITCHBOARD_TWILIO_STUDIO_BASE", DEFAULT_STUDIO_BASE),
            messaging_base: env_or("SWITCHBOARD_TWILIO_MESSAGING_BASE", DEFAULT_MESSAGING_BASE),
            trusthub_base: env_or("SWITCHBOARD_TWILIO_TRUSTHUB_BASE", DEFAULT_TRUSTHUB_BASE),
            pricing_base: env_or("SWITCHBOARD_TWILIO_PRICING_BASE", DEFAULT_PRICING_BASE),
            ..Self::new(credentials)
        }
    }

    /// Every host at one base URL (a simulator or stub that serves every path).
    pub fn with_base(credentials: TwilioCredentials, base: &str) -> Self {
        let base = base.trim_end_matches('/').to_string();
        ClientConfig {
            api_base: base.clone(),
            numbers_base: base.clone(),
            upload_base: base.clone(),
            studio_base: base.clone(),
            messaging_base: base.clone(),
            trusthub_base: base.clone(),
            pricing_base: base,
            ..Self::new(credentials)
        }
    }
}

/// Which Twilio host a path lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Api,
    Numbers,
    Upload,
    Messaging,
    TrustHub,
    Pricing,
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads and idempotent updates: retried on 429/5xx/network errors.
    Safe,
    /// Creates: sent once; the caller reconciles an unknown outcome.
    Never,
}

/// Twilio's error body: `{code, message, more_info, status}`.
#[derive(Debug, Clone, serde::Deserialize)]
struct TwilioErrorBody {
    code: Option<u32>,
    message: Option<String>,
}

/// Cheap to clone: one connection pool shared by every clone.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    cfg: Arc<ClientConfig>,
}

impl TwilioClient {
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        Ok(TwilioClient { http, cfg: Arc::new(cfg) })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The account whose resources every 2010-04-01 path names.
    /// The base URL of the REST API this client talks to (Twilio, or a simulator).
    pub fn api_base(&self) -> &str {
        &self.cfg.api_base
    }

    /// The Studio v2 API this client talks to (Twilio, or a simulator).
    pub fn studio_base(&self) -> &str {
        &self.cfg.studio_base
    }

    pub fn account_sid(&self) -> &str {
        &self.cfg.credentials.account_sid
    }

    fn base(&self, host: Host) -> &str {
        match host {
            Host::Api => &self.cfg.api_base,
            Host::Numbers => &self.cfg.numbers_base,
            Host::Upload => &self.cfg.upload_base,
            Host::Messaging => &self.cfg.messaging_base,
            Host::TrustHub => &self.cfg.trusthub_base,
            Host::Pricing => &self.cfg.pricing_base,
        }
    }

    /// `<api_base>/2010-04-01/Accounts/<AccountSid>/<rest>`.
    pub fn account_url(&self, rest: &str) -> String {
        format!("{}/2010-04-01/Accounts/{}/{}", self.cfg.api_base, self.account_sid(), rest.trim_start_matches('/'))
    }

    /// `path` (starting with `/`) on `host`.
    pub fn url(&self, host: Host, path: &str) -> String {
        format!("{}{}", self.base(host), path)
    }

    /// A follow-up page link as Twilio gives it: a path (`next_page_uri`, 2010 API) or an
    /// absolute URL on Twilio's host (`meta.next_page_url`, v2). Either way it is re-rooted
    /// on our configured host, so paging through a simulator never escapes to Twilio.
    pub fn page_url(&self, host: Host, link: &str) -> String {
        if link.starts_with('/') {
            return self.url(host, link);
        }
        match url::Url::parse(link) {
            Ok(u) => {
                let mut path = u.path().to_string();
                if let Some(q) = u.query() {
                    path.push('?');
                    path.push_str(q);
                }
                self.url(host, &path)
            }
            Err(_) => self.url(host, &format!("/{link}")),
        }
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let c = &self.cfg.credentials;
        self.http
            .request(method, url)
            .basic_auth(&c.username, Some(c.password.expose()))
            .header("Accept", "application/json")
    }

    /// GET `url` with `query`, retried when safe; the body parsed as `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str, query: &[(String, String)]) -> Result<T> {
        let resp = self.send_with_retry(Retry::Safe, || self.request(Method::GET, url).query(query)).await?;
        parse_json(resp).await
    }

    /// POST a form to `url`. With [`Retry::Never`] a failure is returned as is, never resent.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        url: &str,
        form: &[(String, String)],
        retry: Retry,
    ) -> Result<T> {
        let resp = self.send_with_retry(retry, || self.request(Method::POST, url).form(form)).await?;
        parse_json(resp).await
    }

    /// POST a form, adding one header (our idempotency key on sends).
    pub async fn post_form_with_header<T: DeserializeOwned>(
        &self,
        url: &str,
        form: &[(String, String)],
        header: (&str, &str),
    ) -> Result<T> {
        let resp = self
            .send_with_retry(Retry::Never, || self.request(Method::POST, url).form(form).header(header.0, header.1))
            .await?;
        parse_json(resp).await
    }

    /// POST a multipart form (documents to the upload host); sent once.
    pub async fn post_multipart<T: DeserializeOwned>(&self, url: &str, form: reqwest::multipart::Form) -> Result<T> {
        let resp = self.request(Method::POST, url).multipart(form).send().await.map_err(network)?;
        parse_json(check(resp).await?).await
    }

    /// DELETE `url`; deleting is idempotent (a second try finds 404, treated as done).
    pub async fn delete(&self, url: &str) -> Result<()> {
        match self.send_with_retry(Retry::Safe, || self.request(Method::DELETE, url)).await {
            Ok(_) => Ok(()),
            Err(Error::Twilio { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sends what `build` makes, retrying a [`Retry::Safe`] request on 429, 5xx and network
    /// errors. Returns the successful response or the mapped error.
    async fn send_with_retry(&self, retry: Retry, build: impl Fn() -> RequestBuilder) -> Result<Response> {
        let mut attempt: u32 = 0;
        loop {
            let outcome = build().send().await;
            let retriable_wait = match &outcome {
                Ok(resp) if is_retriable(resp.status()) => Some(retry_after(resp)),
                Ok(_) => None,
                Err(_) => Some(None),
            };
            match retriable_wait {
                Some(wait) if retry == Retry::Safe && attempt < self.cfg.max_retries => {
                    let backoff = self.cfg.retry_base_delay.saturating_mul(2u32.saturating_pow(attempt));
                    let delay = wait.unwrap_or(backoff).min(self.cfg.max_retry_delay);
                    tracing::debug!(attempt, ?delay, "retrying a Twilio read");
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                }
                _ => return check(outcome.map_err(network)?).await,
            }
        }
    }
}

fn is_retriable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds (Twilio sends seconds; an HTTP date is treated as absent).
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// A transport failure. `Error::Network` tells the caller Twilio's answer is unknown.
pub(crate) fn network(e: reqwest::Error) -> Error {
    // reqwest's Display omits the cause ("error sending request"); the source says why.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    Error::Network(text)
}

/// Turns a non-2xx answer into [`Error::Twilio`] with the plain-language explanation.
async fn check(resp: Response) -> Result<Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    Err(twilio_error(status.as_u16(), &text))
}

/// Maps Twilio's `{code, message, more_info, status}`; anything else (a proxy's HTML, a
/// mock's problem+json) still becomes a clear error naming the HTTP status.
pub fn twilio_error(status: u16, body: &str) -> Error {
    let parsed: Option<TwilioErrorBody> = serde_json::from_str(body).ok();
    let mut code = parsed.as_ref().and_then(|b| b.code);
    // A bare 401 is a credentials problem even without Twilio's JSON.
    if code.is_none() && status == 401 {
        code = Some(super::errors::code::AUTHENTICATION_FAILED);
    }
    let message =
        parsed.and_then(|b| b.message).unwrap_or_else(|| body.chars().take(300).collect::<String>().trim().to_string());
    let explanation = match code {
        Some(c) => super::errors::explain(c),
        None if status == 429 => super::errors::explain(super::errors::code::TOO_MANY_REQUESTS),
        None => format!(
            "Twilio answered HTTP {status}{}",
            if message.is_empty() { String::new() } else { format!(": {message}") }
        ),
    };
    Error::Twilio { status, code, message, explanation }
}

async fn parse_json<T: DeserializeOwned>(resp: Response) -> Result<T> {
    let bytes = resp.bytes().await.map_err(network)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let head: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
        Error::Network(format!("Twilio answered something unexpected ({e}): {head}"))
    })
}

/// One page of a 2010-04-01 list: the items under `key`, and the next page's path.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl TwilioClient {
    /// Every item of a list under `key`, following next-page links until `max_items`
    /// (a cap, so a huge account or a misbehaving server cannot page forever); stops if a
    /// server repeats a page link.
    pub async fn list<T: DeserializeOwned>(
        &self,
        host: Host,
        first_url: &str,
        query: &[(String, String)],
        key: &str,
        max_items: usize,
    ) -> Result<Vec<T>> {
        let mut out: Vec<T> = Vec::new();
        let mut seen_links: Vec<String> = Vec::new();
        let mut page = self.page::<T>(first_url, query, key).await?;
        loop {
            out.extend(page.items);
            if out.len() >= max_items {
                out.truncate(max_items);
                break;
            }
            let Some(next) = page.next.filter(|n| !seen_links.contains(n)) else { break };
            seen_links.push(next.clone());
            page = self.page::<T>(&self.page_url(host, &next), &[], key).await?;
        }
        Ok(out)
    }

    /// One page: `key` holds the items; the next link is `next_page_uri` (2010-04-01) or
    /// `meta.next_page_url` (v2).
    pub async fn page<T: DeserializeOwned>(&self, url: &str, query: &[(String, String)], key: &str) -> Result<Page<T>> {
        let mut v: serde_json::Value = self.get_json(url, query).await?;
        let next = v
            .get("next_page_uri")
            .and_then(|n| n.as_str())
            .or_else(|| v.get("meta").and_then(|m| m.get("next_page_url")).and_then(|n| n.as_str()))
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let items = match v.get_mut(key).map(serde_json::Value::take) {
            Some(serde_json::Value::Array(a)) => a,
            _ => return Err(Error::Network(format!("Twilio's list answer has no {key:?} array"))),
        };
        let items = items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<std::result::Result<Vec<T>, _>>()
            .map_err(|e| Error::Network(format!("Twilio listed {key} in an unexpected shape: {e}")))?;
        Ok(Page { items, next })
    }
}

/// Helper for building form and query lists: only the fields that are set.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn new() -> Self {
        Params(Vec::new())
    }
    pub fn add(mut self, key: &str, value: impl Into<String>) -> Self {
        self.0.push((key.to_string(), value.into()));
        self
    }
    pub fn opt(self, key: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.add(key, v),
            None => self,
        }
    }
    pub fn as_slice(&self) -> &[(String, String)] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_twilio_error_json_and_bare_401() {
        let e = twilio_error(
            400,
            r#"{"code":21211,"message":"The 'To' number +1 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#,
        );
        match e {
            Error::Twilio { status, code, explanation, .. } => {
                assert_eq!((status, code), (400, Some(21211)));
                assert!(explanation.contains("not valid"), "{explanation}");
            }
            other => panic!("expected a Twilio error, got {other:?}"),
        }
        match twilio_error(401, "Unauthorized") {
            Error::Twilio { code: Some(20003), .. } => {}
            other => panic!("a bare 401 is bad credentials: {other:?}"),
        }
    }

    #[test]
    fn page_links_are_rerooted_on_the_configured_host() {
        let creds = TwilioCredentials {
            account_sid: "AC00000000000000000000000000000000".into(),
            username: "AC00000000000000000000000000000000".into(),
            password: crate::secrets::Secret::new("t".into()),
            auth_token: None,
        };
        let c = TwilioClient::new(ClientConfig::with_base(creds, "http://127.0.0.1:9")).unwrap();
        assert_eq!(
            c.page_url(Host::Numbers, "https://numbers.twilio.com/v2/RegulatoryCompliance/Regulations?Page=1"),
            "http://127.0.0.1:9/v2/RegulatoryCompliance/Regulations?Page=1"
        );
        assert_eq!(c.page_url(Host::Api, "/2010-04-01/x.json?Page=2"), "http://127.0.0.1:9/2010-04-01/x.json?Page=2");
    }
}
