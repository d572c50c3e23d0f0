//! What a webhook answers when it cannot accept a request. The response says only what
//! the caller may know (403, 413, 415, a one-line 400 reason, or 503); internals such as
//! database errors are logged here and never sent back.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::Error;

#[derive(Debug)]
pub enum WebhookError {
    /// Missing or wrong `X-Twilio-Signature`: nothing was stored.
    Forbidden,
    /// The body is over [`super::verify::MAX_BODY`].
    PayloadTooLarge,
    /// Not `application/x-www-form-urlencoded` (or JSON where a route accepts it).
    UnsupportedMediaType,
    /// A signed request we cannot understand (a missing required field…): one line.
    BadRequest(String),
    /// It could not be stored. 503 makes Twilio use the number's fallback URL rather than
    /// believe the event was kept.
    Unavailable(Error),
}

impl From<Error> for WebhookError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidInput(reason) => WebhookError::BadRequest(reason),
            other => WebhookError::Unavailable(other),
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        match self {
            WebhookError::Forbidden => (StatusCode::FORBIDDEN, "forbidden\n").into_response(),
            WebhookError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response()
            }
            WebhookError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected application/x-www-form-urlencoded\n").into_response()
            }
            WebhookError::BadRequest(reason) => {
                // One line, whatever the reason contains.
                let line: String = reason.chars().map(|c| if c.is_control() { ' ' } else { c }).take(300).collect();
                (StatusCode::BAD_REQUEST, format!("{line}\n")).into_response()
            }
            WebhookError::Unavailable(e) => {
                tracing::error!(code = e.code(), "webhook could not be stored: {e}");
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable\n").into_response()
            }
        }
    }
}
