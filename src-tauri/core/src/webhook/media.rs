//! `GET /media/{token}`: outbound MMS attachments Twilio fetches. The handler is here,
//! with the router's state, and the files and tokens stay in `crate::outbound::media_links`:
//! the webhook layer calls down into sending, never the other way round.

use axum::extract::{Path, State};
use axum::response::Response;

use super::AppState;
use crate::outbound::media_links;

/// Unsigned (Twilio fetches media without a signature); the 256-bit expiring token is the
/// protection, see [`media_links::serve_token`].
pub async fn serve_outbound_media(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    media_links::serve_token(&state.store, &token).await
}
