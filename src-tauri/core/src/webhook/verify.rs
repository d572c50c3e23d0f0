//! The door check every webhook passes before anything else: size, content type and
//! `X-Twilio-Signature`.
//!
//! The URL that is checked is the configured public base URL followed by the request's
//! raw path and query exactly as received (`uri().path_and_query()`), never one built from
//! the `Host` header: behind a tunnel the listener sees `127.0.0.1:PORT`, and a forger
//! controls `Host`. `twilio::signature::validate` tries the URL with and without the
//! default port and compares in constant time.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use rusqlite::Connection;

use super::error::WebhookError;
use super::AppState;
use crate::error::Result;
use crate::store::journal;
use crate::twilio::payloads::Params;
use crate::twilio::signature::{self, Algorithm, Payload};

/// Twilio's webhook bodies are a few kilobytes; anything over this is refused (413).
pub const MAX_BODY: usize = 64 * 1024;

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
pub const SIGNATURE_SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";
pub const IDEMPOTENCY_HEADER: &str = "i-twilio-idempotency-token";

/// Which bodies a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    Form,
    /// Form, or JSON signed through `bodySHA256` in the URL.
    FormOrJson,
}

/// A request whose signature checked out, with everything the journal keeps.
#[derive(Debug, Clone)]
pub struct Signed {
    pub path: String,
    /// The raw query string (without `?`), as received.
    pub query: String,
    pub content_type: String,
    /// The body byte for byte (unknown fields included), for the journal.
    pub body: Bytes,
    /// Decoded form parameters (empty for a JSON body).
    pub params: Params,
    pub is_json: bool,
    /// `I-Twilio-Idempotency-Token`: the same on every retry of one delivery.
    pub idempotency_token: Option<String>,
}

impl Signed {
    /// The journal row for this request.
    pub fn entry<'a>(&'a self, resource_sid: Option<&'a str>) -> journal::Entry<'a> {
        journal::Entry {
            route: &self.path,
            query: &self.query,
            content_type: &self.content_type,
            body: &self.body,
            idempotency_token: self.idempotency_token.as_deref(),
            resource_sid,
        }
    }

    /// Whether this delivery was stored before (a retry with the same token).
    pub fn seen_before(&self, conn: &Connection) -> Result<bool> {
        match &self.idempotency_token {
            Some(t) => journal::seen(conn, t),
            None => Ok(false),
        }
    }

    /// Appends the journal row; with the token already checked, a conflict cannot happen.
    pub fn journal(&self, conn: &Connection, resource_sid: Option<&str>) -> Result<()> {
        journal::append(conn, &self.entry(resource_sid))?;
        Ok(())
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads and checks `req`. Order: signature header present (403), size (413), content
/// type (415), form syntax (400), signature value (403).
pub async fn signed(state: &AppState, req: Request, accept: Accept) -> Result<Signed, WebhookError> {
    let (parts, body) = req.into_parts();
    let path_and_query = parts.uri.path_and_query().map(|pq| pq.as_str().to_string()).unwrap_or_else(|| "/".into());
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let headers = parts.headers;

    let Some(sig) = header_str(&headers, SIGNATURE_HEADER).map(str::to_string) else {
        tracing::warn!(route = %path, "webhook rejected: no X-Twilio-Signature");
        return Err(WebhookError::Forbidden);
    };
    let declared_len = header_str(&headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(WebhookError::PayloadTooLarge);
    }
    let body = read_limited(body).await?;

    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("").to_string();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let is_json = match essence.as_str() {
        "application/x-www-form-urlencoded" => false,
        "application/json" if accept == Accept::FormOrJson => true,
        _ => return Err(WebhookError::UnsupportedMediaType),
    };
    let params = if is_json { Params::default() } else { Params::parse(&body)? };

    let url = format!("{}{}", state.public_url(), path_and_query);
    let algorithm = Algorithm::from_settings_header(header_str(&headers, SIGNATURE_SETTINGS_HEADER));
    let payload = if is_json { Payload::Json(&body) } else { Payload::Form(params.pairs()) };
    // The voice URL we configure carries Twilio's connection-override fragment
    // (`tunnel::wiring::VOICE_CONNECTION_OVERRIDE`). A fragment is never sent, and Twilio
    // does not document whether it is signed, so the URL with it is accepted too.
    let with_override = format!("{url}{}", crate::tunnel::wiring::VOICE_CONNECTION_OVERRIDE);
    let token = state.auth_token.expose();
    let valid = signature::validate(token, &url, payload, &sig, algorithm)
        | (path == super::paths::VOICE && signature::validate(token, &with_override, payload, &sig, algorithm));
    if !valid {
        tracing::warn!(route = %path, "webhook rejected: X-Twilio-Signature does not match");
        return Err(WebhookError::Forbidden);
    }
    Ok(Signed {
        path,
        query,
        content_type,
        body,
        params,
        is_json,
        idempotency_token: header_str(&headers, IDEMPOTENCY_HEADER)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    })
}

/// Reads at most [`MAX_BODY`] bytes; a longer (or chunked, undeclared) body is 413.
async fn read_limited(body: Body) -> Result<Bytes, WebhookError> {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| WebhookError::BadRequest(format!("the body could not be read: {e}")))?;
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(WebhookError::PayloadTooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
