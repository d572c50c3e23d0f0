//! The simulator's HTTP side: routes, the accept loop, Basic auth, faults, Twilio-shaped
//! errors, form/query parsing and list paging shared by the resource handlers.
//!
//! Connections are served with hyper directly (not `axum::serve`) so the "drop the
//! connection after creating a message" fault can close one socket without answering.

use std::sync::Arc;

use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use super::state::{Shared, State};
use super::{a2p, calls, compliance, customer, messages, numbers, tollfree, trusthub};

pub(crate) type Sh = AxState<Arc<Shared>>;

/// Lets a handler close its own connection without responding (see the drop fault).
#[derive(Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

/// After a create that succeeded: when `Faults::drop_connection_after_create_next` is armed,
/// the connection closes before the answer is written (the thing exists; the app never hears
/// so), and this never returns (closing the connection cancels the handler). Otherwise it
/// returns at once and the handler answers as usual.
pub(crate) async fn lose_the_answer_if_faulted(sh: &Shared, kill: Option<axum::Extension<ConnKill>>) {
    if let Some(axum::Extension(kill)) = kill {
        if sh.faults.take_drop_after_create() {
            kill.0.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let acct = "/2010-04-01/Accounts/{account}";
    let v2 = "/v2/RegulatoryCompliance";
    Router::new()
        .route("/2010-04-01/Accounts/{account}", get(account_fetch))
        .route(&format!("{acct}/Messages.json"), get(messages::list).post(messages::create))
        .route(
            &format!("{acct}/Messages/{{sid}}"),
            get(messages::fetch).post(messages::update).delete(messages::delete),
        )
        .route(&format!("{acct}/Messages/{{sid}}/Media.json"), get(messages::media_list))
        .route(&format!("{acct}/Messages/{{sid}}/Media/{{media}}"), get(messages::media_fetch))
        .route("/cdn/media/{media}", get(messages::media_cdn))
        .route(&format!("{acct}/Calls.json"), get(calls::list).post(calls::create))
        // Not Twilio's: the simulated customer's phone, for scripts outside the app (the
        // desktop benchmark and e2e text the app while its window is closed).
        .route(&format!("{acct}/Sandbox/CustomerMessages.json"), axum::routing::post(customer::text_from_script))
        .route(&format!("{acct}/Calls/{{sid}}"), get(calls::fetch))
        .route(&format!("{acct}/Calls/{{sid}}/Recordings.json"), get(calls::call_recordings))
        .route(&format!("{acct}/Recordings.json"), get(calls::recordings_list))
        .route(&format!("{acct}/Recordings/{{sid}}/Transcriptions.json"), get(calls::recording_transcriptions))
        .route(&format!("{acct}/Transcriptions.json"), get(calls::transcriptions_list))
        .route(&format!("{acct}/Transcriptions/{{sid}}"), get(calls::transcription_fetch))
        .route(&format!("{acct}/Recordings/{{sid}}"), get(calls::recording_fetch).delete(calls::recording_delete))
        .route(&format!("{acct}/IncomingPhoneNumbers.json"), get(numbers::list).post(numbers::create))
        .route(
            &format!("{acct}/IncomingPhoneNumbers/{{sid}}"),
            get(numbers::fetch).post(numbers::update).delete(numbers::delete),
        )
        .route(&format!("{acct}/AvailablePhoneNumbers/{{country}}/{{kind}}"), get(numbers::available))
        .route(&format!("{acct}/Addresses.json"), get(numbers::addresses_list).post(numbers::address_create))
        .route(&format!("{acct}/Addresses/{{sid}}"), get(numbers::address_fetch))
        .route("/v2/Flows", axum::routing::post(super::studio::create))
        .route("/v2/Flows/{sid}", get(super::studio::fetch).post(super::studio::update).delete(super::studio::delete))
        .route(&format!("{v2}/Regulations"), get(compliance::regulations_list))
        .route(&format!("{v2}/Regulations/{{sid}}"), get(compliance::regulation_fetch))
        .route(&format!("{v2}/EndUsers"), get(compliance::end_users_list).post(compliance::end_user_create))
        .route(
            &format!("{v2}/EndUsers/{{sid}}"),
            get(compliance::end_user_fetch).post(compliance::end_user_update).delete(compliance::end_user_delete),
        )
        .route(&format!("{v2}/SupportingDocuments"), get(compliance::documents_list).post(compliance::document_create))
        .route(
            &format!("{v2}/SupportingDocuments/{{sid}}"),
            get(compliance::document_fetch).post(compliance::document_update).delete(compliance::document_delete),
        )
        .route(&format!("{v2}/Bundles"), get(compliance::bundles_list).post(compliance::bundle_create))
        .route(
            &format!("{v2}/Bundles/{{sid}}"),
            get(compliance::bundle_fetch).post(compliance::bundle_update).delete(compliance::bundle_delete),
        )
        .route(
            &format!("{v2}/Bundles/{{sid}}/ItemAssignments"),
            get(compliance::items_list).post(compliance::item_create),
        )
        .route(
            &format!("{v2}/Bundles/{{sid}}/ItemAssignments/{{item}}"),
            get(compliance::item_fetch).delete(compliance::item_delete),
        )
        .route(
            &format!("{v2}/Bundles/{{sid}}/Evaluations"),
            get(compliance::evaluations_list).post(compliance::evaluation_create),
        )
        .route(&format!("{v2}/Bundles/{{sid}}/Evaluations/{{eval}}"), get(compliance::evaluation_fetch))
        // Messaging v1 and Trust Hub v1: US carrier registration.
        .route("/v1/Messaging/Countries/{iso}", get(super::pricing::messaging_country))
        .route("/v1/Services", get(a2p::services_list).post(a2p::services_create))
        .route("/v1/Services/{sid}", get(a2p::service_fetch).post(a2p::service_update))
        .route("/v1/Services/{sid}/PhoneNumbers", get(a2p::service_numbers_list).post(a2p::service_numbers_add))
        .route("/v1/Services/{sid}/Compliance/Usa2p", get(a2p::campaigns_list).post(a2p::campaigns_create))
        .route("/v1/Services/{sid}/Compliance/Usa2p/{campaign}", get(a2p::campaign_fetch))
        .route("/v1/a2p/BrandRegistrations", get(a2p::brands_list).post(a2p::brands_create))
        .route("/v1/a2p/BrandRegistrations/{sid}", get(a2p::brand_fetch))
        .route("/v1/a2p/BrandRegistrations/{sid}/SmsOtp", axum::routing::post(a2p::brand_otp_resend))
        .route("/v1/Tollfree/Verifications", get(tollfree::list).post(tollfree::create))
        .route("/v1/Tollfree/Verifications/{sid}", get(tollfree::fetch).post(tollfree::update))
        .merge(trusthub::collection_routes("CustomerProfiles"))
        .merge(trusthub::collection_routes("TrustProducts"))
        .route("/v1/EndUsers", axum::routing::post(trusthub::end_user_create))
        .route("/v1/SupportingDocuments", axum::routing::post(trusthub::document_create))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024))
        .with_state(shared)
}

/// Accepts connections until `stop` flips; each connection may be killed by its handler.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let app = app.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let for_requests = kill.clone();
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnKill(for_requests.clone()));
                app.clone().oneshot(req)
            });
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                r = conn => if let Err(e) = r { tracing::debug!("simulator connection: {e}") },
                _ = kill.notified() => tracing::debug!("simulator dropped a connection (fault)"),
                _ = stop.changed() => {}
            }
        });
    }
}

/// A Twilio error response: `{code, message, more_info, status}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
    pub fn bad(code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(path: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, 20404, format!("The requested resource {path} was not found"))
    }
    pub fn missing(param: &str) -> Self {
        Self::bad(21604, format!("Missing required parameter {param} in the post body"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// A Twilio DELETE: 204 No Content when `remove` removed the resource, 404 naming `path` when
/// there was nothing to remove.
pub(crate) fn deleted(sh: &Shared, path: &str, remove: impl FnOnce(&mut State) -> bool) -> ApiResult {
    if sh.with(remove) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(path))
    }
}

/// Removes from `list` every record `gone` picks; whether there was one.
pub(crate) fn remove_where<T>(list: &mut Vec<T>, mut gone: impl FnMut(&T) -> bool) -> bool {
    let before = list.len();
    list.retain(|x| !gone(x));
    before != list.len()
}

pub(crate) fn json_response(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(req.uri().path())
}

async fn account_fetch(AxState(sh): Sh, axum::extract::Path(account): axum::extract::Path<String>) -> ApiResult {
    let sid = account.trim_end_matches(".json");
    if sid != sh.config.account_sid {
        return Err(ApiError::not_found(&format!("/2010-04-01/Accounts/{account}")));
    }
    let now = super::state::rfc2822(chrono::Utc::now());
    let path = sh.account_path();
    Ok(json_response(
        StatusCode::OK,
        json!({
            "auth_token": null,
            "date_created": now,
            "date_updated": now,
            "friendly_name": "Switchboard sandbox",
            "owner_account_sid": sid,
            "sid": sid,
            "status": "active",
            "subresource_uris": {
                "messages": format!("{path}/Messages.json"),
                "calls": format!("{path}/Calls.json"),
                "incoming_phone_numbers": format!("{path}/IncomingPhoneNumbers.json"),
                "recordings": format!("{path}/Recordings.json"),
                "addresses": format!("{path}/Addresses.json"),
                "available_phone_numbers": format!("{path}/AvailablePhoneNumbers.json"),
            },
            "type": "Full",
            "uri": format!("{path}.json"),
        }),
    ))
}

/// Media bytes (MMS images, recordings, the CDN) are public by default on Twilio; other
/// paths are the REST API and require Basic auth.
fn is_media_path(path: &str) -> bool {
    if path.starts_with("/cdn/") {
        return true;
    }
    if path.ends_with(".json") {
        return false;
    }
    path.contains("/Media/") || path.contains("/Recordings/")
}

/// Counts the request, then faults (a rate limiter answers before authenticating), then
/// Basic auth.
async fn gate(AxState(sh): Sh, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let key = format!("{} {path}", req.method());
    sh.with(|s| *s.requests.entry(key).or_default() += 1);
    let media = is_media_path(&path);
    if !media {
        if let Some(secs) = sh.faults.take_rate_limit() {
            let mut r = ApiError::new(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests").into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return r;
        }
        if sh.faults.take_server_error() {
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 20500, "An internal server error has occurred")
                .into_response();
        }
    }
    let has_auth = req.headers().contains_key(header::AUTHORIZATION);
    if (!media || has_auth) && !authorised(&sh, req.headers(), &path) {
        let mut r = ApiError::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate").into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Twilio API\""));
        return r;
    }
    next.run(req).await
}

fn authorised(sh: &Shared, headers: &HeaderMap, path: &str) -> bool {
    let Some(creds) = basic_credentials(headers) else { return false };
    let token_ok = creds.0 == sh.config.account_sid && creds.1 == sh.config.auth_token;
    let key_ok = sh.with(|s| s.api_keys.iter().any(|(k, secret)| *k == creds.0 && *secret == creds.1));
    if !(token_ok || key_ok) {
        return false;
    }
    // A 2010 path names an account: it must be the one authenticated.
    match path.strip_prefix("/2010-04-01/Accounts/") {
        Some(rest) => {
            let account = rest.split('/').next().unwrap_or("").trim_end_matches(".json");
            account == sh.config.account_sid
        }
        None => true,
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// Form or query parameters, repeated keys kept (e.g. `MediaUrl`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: &[u8]) -> Result<Params, ApiError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw)
            .map(Params)
            .map_err(|e| ApiError::bad(20001, format!("Malformed form body: {e}")))
    }
    pub fn query(q: Option<String>) -> Result<Params, ApiError> {
        Params::parse(q.unwrap_or_default().as_bytes())
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// The value when present and not blank.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.non_empty(name).ok_or_else(|| ApiError::missing(name))
    }
}

/// A 2010-API fetch by SID (`{sid}` may end in `.json`): 200 with what `find` renders for
/// that SID, or Twilio's 404 naming `{account}/{collection}/{sid}`.
pub(crate) fn fetch_2010(
    sh: &Shared,
    collection: &str,
    sid: &str,
    find: impl FnOnce(&mut super::state::State, &str) -> Option<Value>,
) -> ApiResult {
    let id = sid.trim_end_matches(".json");
    sh.with(|s| find(s, id))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| ApiError::not_found(&format!("{}/{collection}/{sid}", sh.account_path())))
}

/// One page of a 2010-API list: `PageSize` (default 50), `Page`, and `PageToken=PA<sid>`
/// (the last SID of the previous page, so inserts between pages do not shift the window).
pub(crate) fn page_2010(path: &str, key: &str, q: &Params, items: Vec<(String, Value)>) -> Result<Response, ApiError> {
    let size: usize = match q.get("PageSize") {
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::bad(20001, format!("PageSize must be between 1 and 1000, not {v:?}")))?,
        None => 50,
    };
    let page: usize = q.get("Page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let start = match q.get("PageToken").and_then(|t| t.strip_prefix("PA")) {
        Some(after) => items.iter().position(|(sid, _)| sid == after).map(|i| i + 1).unwrap_or(items.len()),
        None => page.saturating_mul(size).min(items.len()),
    };
    let end = (start + size).min(items.len());
    let filters: Vec<(String, String)> =
        q.0.iter().filter(|(k, _)| !matches!(k.as_str(), "PageSize" | "Page" | "PageToken")).cloned().collect();
    let with = |extra: Vec<(String, String)>| {
        let mut all = filters.clone();
        all.extend(extra);
        format!("{path}?{}", serde_urlencoded::to_string(&all).unwrap_or_default())
    };
    let first = with(vec![("PageSize".into(), size.to_string()), ("Page".into(), "0".into())]);
    let next = (end < items.len()).then(|| {
        with(vec![
            ("PageSize".into(), size.to_string()),
            ("Page".into(), (page + 1).to_string()),
            ("PageToken".into(), format!("PA{}", items[end - 1].0)),
        ])
    });
    let previous =
        (page > 0).then(|| with(vec![("PageSize".into(), size.to_string()), ("Page".into(), (page - 1).to_string())]));
    let current = match q.get("PageToken") {
        Some(t) => with(vec![
            ("PageSize".into(), size.to_string()),
            ("Page".into(), page.to_string()),
            ("PageToken".into(), t.to_string()),
        ]),
        None => with(vec![("PageSize".into(), size.to_string()), ("Page".into(), page.to_string())]),
    };
    let list: Vec<Value> = items[start..end].iter().map(|(_, v)| v.clone()).collect();
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), Value::Array(list));
    body.insert("first_page_uri".into(), json!(first));
    body.insert("next_page_uri".into(), json!(next));
    body.insert("previous_page_uri".into(), json!(previous));
    body.insert("page".into(), json!(page));
    body.insert("page_size".into(), json!(size));
    body.insert("start".into(), json!(start));
    body.insert("end".into(), json!(end.saturating_sub(1).max(start)));
    body.insert("uri".into(), json!(current));
    Ok(json_response(StatusCode::OK, Value::Object(body)))
}

/// One page of a v2 list: `{results…, meta: {page, page_size, first_page_url, next_page_url, …}}`.
pub(crate) fn page_v2(base: &str, path: &str, key: &str, q: &Params, items: Vec<Value>) -> Result<Response, ApiError> {
    let size: usize = q.get("PageSize").and_then(|v| v.parse().ok()).filter(|n| (1..=1000).contains(n)).unwrap_or(50);
    let page: usize = q.get("Page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let start = page.saturating_mul(size).min(items.len());
    let end = (start + size).min(items.len());
    let filters: Vec<(String, String)> =
        q.0.iter().filter(|(k, _)| !matches!(k.as_str(), "PageSize" | "Page" | "PageToken")).cloned().collect();
    let url = |p: usize| {
        let mut all = filters.clone();
        all.push(("PageSize".into(), size.to_string()));
        all.push(("Page".into(), p.to_string()));
        format!("{base}{path}?{}", serde_urlencoded::to_string(&all).unwrap_or_default())
    };
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), Value::Array(items[start..end].to_vec()));
    body.insert(
        "meta".into(),
        json!({
            "page": page,
            "page_size": size,
            "first_page_url": url(0),
            "previous_page_url": (page > 0).then(|| url(page - 1)),
            "url": url(page),
            "next_page_url": (end < items.len()).then(|| url(page + 1)),
            "key": key,
        }),
    );
    Ok(json_response(StatusCode::OK, Value::Object(body)))
}
