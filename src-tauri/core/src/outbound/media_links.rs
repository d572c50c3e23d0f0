//! MMS attachments picked from disk. Twilio fetches media from a public URL, so each file
//! is copied into the data directory and offered at `<public_url>/media/<token>`: a
//! 256-bit random token, valid until it expires. Copies are customers' pictures kept on
//! disk, so they are deleted soon after Twilio fetched them, or after a day ([`purge`]). Only files registered here are served;
//! an unknown or expired token is a plain 404 that reveals nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::now_rfc3339;
use crate::error::{Error, Result};
use crate::store::{outbound_media, Store};

/// Where registered copies live, inside the data directory.
pub const DIR: &str = "outbound-media";

/// Twilio's limit for one MMS (all attachments together) is 5 MB.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;

/// Twilio takes at most 10 media URLs in one message.
pub const MAX_ATTACHMENTS: usize = 10;

/// A file Twilio may now fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLink {
    pub token: String,
    pub content_type: String,
    pub url: String,
}

/// The types Twilio accepts in an MMS, by file extension: its "accepted content types
/// for media" (www.twilio.com/docs/messaging/guides/accepted-mime-types). Twilio checks
/// the `Content-Type` we serve each file with, so the extension decides it here. WebP is
/// not in the list (Twilio takes it for WhatsApp stickers only), nor is plain text.
const ACCEPTED: &[(&[&str], &str)] = &[
    (&["jpg", "jpeg"], "image/jpeg"),
    (&["png"], "image/png"),
    (&["gif"], "image/gif"),
    (&["bmp"], "image/bmp"),
    (&["tif", "tiff"], "image/tiff"),
    (&["heic"], "image/heic"),
    (&["heif"], "image/heif"),
    (&["mp3"], "audio/mpeg"),
    (&["m4a"], "audio/mp4"),
    (&["aac"], "audio/aac"),
    (&["ogg", "oga", "opus"], "audio/ogg"),
    (&["wav"], "audio/vnd.wave"),
    (&["amr"], "audio/amr"),
    (&["ac3"], "audio/ac3"),
    (&["weba"], "audio/webm"),
    (&["mp4", "m4v"], "video/mp4"),
    (&["mov", "qt"], "video/quicktime"),
    (&["mpeg", "mpg"], "video/mpeg"),
    (&["webm"], "video/webm"),
    (&["3gp"], "video/3gpp"),
    (&["3g2"], "video/3gpp2"),
    (&["vcf", "vcard"], "text/vcard"),
    (&["csv"], "text/csv"),
    (&["rtf"], "text/rtf"),
    (&["ics"], "text/calendar"),
    (&["pdf"], "application/pdf"),
    (&["pkpass"], "application/vnd.apple.pkpass"),
    (&["doc"], "application/msword"),
    (&["docx"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (&["xls"], "application/vnd.ms-excel"),
    (&["xlsx"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (&["ppt"], "application/vnd.ms-powerpoint"),
    (&["pptx"], "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
];

/// Every extension an attachment may have (the desktop's file dialog offers these).
pub fn accepted_extensions() -> impl Iterator<Item = &'static str> {
    ACCEPTED.iter().flat_map(|(exts, _)| exts.iter().copied())
}

/// The content type Twilio accepts for a file, from its extension.
pub fn content_type_for(path: &Path) -> Result<&'static str> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    ACCEPTED.iter().find(|(exts, _)| exts.contains(&ext.as_str())).map(|(_, t)| *t).ok_or_else(|| {
        Error::InvalidInput(format!(
            "{} cannot be sent by MMS: Twilio takes pictures (JPEG, PNG, GIF, BMP, TIFF, HEIC), audio, video, PDF, vCard, calendar and Office files",
            file_name(path)
        ))
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Checks the attachments of one message before anything is copied or written: at most
/// [`MAX_ATTACHMENTS`], each a type Twilio accepts and a readable file, and all of them
/// together at most [`MAX_BYTES`] (Twilio's limit is per message, not per file: three
/// pictures of 2 MB are refused here rather than by Twilio after the send).
pub async fn check_attachments(files: &[PathBuf]) -> Result<u64> {
    if files.len() > MAX_ATTACHMENTS {
        return Err(Error::InvalidInput(format!(
            "{} attachments: a text message can carry at most {MAX_ATTACHMENTS}",
            files.len()
        )));
    }
    let mut total = 0u64;
    for file in files {
        content_type_for(file)?;
        let meta = tokio::fs::metadata(file)
            .await
            .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", file_name(file))))?;
        if !meta.is_file() {
            return Err(Error::InvalidInput(format!("{} is not a file", file_name(file))));
        }
        total = total.saturating_add(meta.len());
    }
    if total > MAX_BYTES {
        return Err(Error::InvalidInput(format!(
            "the attachments come to {:.1} MB; a text message can carry at most 5 MB in all",
            total as f64 / 1_048_576.0
        )));
    }
    Ok(total)
}

/// Copies `file` into the data directory and registers a token for it, valid for `ttl`.
pub async fn register(store: &Store, public_url: &str, file: &Path, ttl: Duration) -> Result<MediaLink> {
    let content_type = content_type_for(file)?;
    let meta = tokio::fs::metadata(file)
        .await
        .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(Error::InvalidInput(format!("{} is not a file", file.display())));
    }
    if meta.len() > MAX_BYTES {
        return Err(Error::InvalidInput(format!(
            "{} is {:.1} MB; an MMS can carry at most 5 MB",
            file.display(),
            meta.len() as f64 / 1_048_576.0
        )));
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let dir = store.data_dir().join(DIR);
    crate::store::private::create_dir_async(&dir).await?;
    let relative = format!("{DIR}/{token}");
    let copy = crate::media::stored_path::join(store.data_dir(), &relative)?;
    tokio::fs::copy(file, &copy).await?;
    // A copy keeps the source's mode: the data folder's files are the owner's alone.
    crate::store::private::file(&copy)?;
    let expires = chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(24));
    let expires_at = expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let (t, rel, ct) = (token.clone(), relative, content_type.to_string());
    store.write_async(move |tx| outbound_media::insert(tx, &t, &rel, &ct, &expires_at)).await?;
    Ok(MediaLink { url: url(public_url, &token), token, content_type: content_type.to_string() })
}

pub fn url(public_url: &str, token: &str) -> String {
    format!("{}/media/{token}", public_url.trim_end_matches('/'))
}

/// How long a copy is kept after Twilio fetched it: Twilio fetches an attachment once, at
/// send time, but a fetch that failed on its side may be repeated within moments.
pub const FETCHED_GRACE: Duration = Duration::from_secs(5 * 60);

/// How often the janitor looks for copies to delete.
pub const PURGE_EVERY: Duration = Duration::from_secs(5 * 60);

/// Deletes the copies Twilio fetched more than [`FETCHED_GRACE`] ago and those whose link
/// expired (a day at most), rows and files; returns how many went.
pub async fn purge(store: &Store) -> Result<usize> {
    purge_at(store, chrono::Utc::now()).await
}

/// [`purge`] as of `now` (tests move the clock forward instead of waiting a day).
pub async fn purge_at(store: &Store, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let grace = chrono::Duration::from_std(FETCHED_GRACE).unwrap_or_default();
    let (now_s, fetched_before) = (fmt(now), fmt(now - grace));
    let paths = store.write_async(move |tx| outbound_media::take_purgeable(tx, &now_s, &fetched_before)).await?;
    for p in &paths {
        // Only a path this app could have written is deleted (see media::stored_path).
        let file = match crate::media::stored_path::join(store.data_dir(), p) {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!(error = %e, "not deleting a sent attachment's copy");
                continue;
            }
        };
        if let Err(e) = tokio::fs::remove_file(file).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, "could not delete a sent attachment's copy");
            }
        }
    }
    Ok(paths.len())
}

/// Purges now and then every [`PURGE_EVERY`] until aborted (the runtime owns the handle).
pub fn spawn_janitor(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = purge(&store).await {
                tracing::warn!(error = %e, "purging sent attachments failed; trying again later");
            }
        }
    })
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The registered file for `token` (path inside the data dir, content type) if still live.
pub async fn lookup(store: &Store, token: &str) -> Result<Option<(PathBuf, String)>> {
    if !is_token(token) {
        return Ok(None);
    }
    let (t, now) = (token.to_string(), now_rfc3339());
    let found = store.read_async(move |c| outbound_media::find_live(c, &t, &now)).await?;
    match found {
        Some((rel, ct)) => Ok(Some((crate::media::stored_path::join(store.data_dir(), &rel)?, ct))),
        None => Ok(None),
    }
}

/// `GET /media/{token}`: the listener mounts it (`crate::webhook::media`), and a test
/// router whose state is a bare [`Store`] can too. No signature is involved (Twilio
/// fetches media unsigned); the 256-bit token and the expiry are the protection.
pub async fn serve_token(store: &Store, token: &str) -> Response {
    let found = match lookup(store, token).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "outbound media lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some((path, content_type)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            // Twilio has it now: the copy may go (see `purge`).
            let (t, now) = (token.to_string(), now_rfc3339());
            if let Err(e) = store.write_async(move |tx| outbound_media::mark_fetched(tx, &t, &now)).await {
                tracing::warn!(error = %e, "could not record that Twilio fetched an attachment");
            }
            ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store".to_string())], bytes)
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
