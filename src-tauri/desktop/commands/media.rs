//! MMS attachments for the thread view, read from the data folder only.

use tauri::State;

use super::super::live::Live;
use crate::desktop::contract::Bytes;
use crate::desktop::{files, DesktopState};
use crate::error::{Error, Result};
use crate::store::messages;

/// The bytes of attachment `media_id` of message `message_id` (raw IPC body).
#[tauri::command]
#[specta::specta]
pub async fn media_bytes(state: State<'_, DesktopState>, message_id: i64, media_id: i64) -> Result<Bytes> {
    let message = state.store.read_async(move |c| messages::get(c, message_id)).await?;
    let rel = message
        .media
        .into_iter()
        .find(|m| m.id == media_id)
        .and_then(|m| m.path)
        .ok_or_else(|| Error::not_found("the attachment file (not downloaded yet)"))?;
    let bytes = files::read_inside_async(state.store.data_dir(), rel).await?;
    Ok(Bytes::new(bytes))
}

/// Retry on a failed attachment, voicemail or call recording download: queued again now,
/// the worker woken.
#[tauri::command]
#[specta::specta]
pub async fn retry_download(live: State<'_, Live>, of: crate::media::DownloadOf) -> Result<()> {
    let (store, wake) = live.downloads().await?;
    crate::media::retry_download(&store, &wake, of).await
}

/// The bytes of call recording `id` (raw IPC body), for the timeline's recording player;
/// read from the data folder only (see `crate::recordings::audio`).
#[tauri::command]
#[specta::specta]
pub async fn recording_audio(state: State<'_, DesktopState>, id: i64) -> Result<Bytes> {
    Ok(Bytes::new(crate::recordings::audio(&state.store, id).await?))
}
