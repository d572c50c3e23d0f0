//! Voicemails: list, audio bytes for the player, heard/unheard, local delete.

use tauri::State;

use crate::desktop::contract::Bytes;
use crate::desktop::{files, tray, DesktopState};
use crate::error::{Error, Result};
use crate::store::voicemails::{self, Voicemail};

#[tauri::command]
#[specta::specta]
pub async fn list_voicemails(state: State<'_, DesktopState>) -> Result<Vec<Voicemail>> {
    state.store.read_async(voicemails::list).await
}

/// How many voicemails are not heard yet (the sidebar's badge): the count the tray shows,
/// read from the store's index rather than by listing every voicemail.
#[tauri::command]
#[specta::specta]
pub async fn unheard_voicemail_count(state: State<'_, DesktopState>) -> Result<i64> {
    state.store.read_async(voicemails::unheard_count).await
}

/// The recording's bytes (raw IPC body, not JSON). The webview plays them through a Blob
/// URL because WebKitGTK's `<audio>` cannot load `tauri://`/`asset://` URLs.
#[tauri::command]
#[specta::specta]
pub async fn voicemail_audio(state: State<'_, DesktopState>, id: i64) -> Result<Bytes> {
    let vm = state.store.read_async(move |c| voicemails::get(c, id)).await?;
    let rel = vm.path.ok_or_else(|| Error::not_found("the recording file (not downloaded yet)"))?;
    let bytes = files::read_inside_async(state.store.data_dir(), rel).await?;
    Ok(Bytes::new(bytes))
}

#[tauri::command]
#[specta::specta]
pub async fn set_voicemail_listened(
    app: tauri::AppHandle,
    state: State<'_, DesktopState>,
    id: i64,
    listened: bool,
) -> Result<()> {
    tray::write_then_refresh(&app, &state.store, move |tx| voicemails::set_listened(tx, id, listened)).await
}

/// Hides the voicemail and removes its file from the data folder (Twilio's copy stays).
#[tauri::command]
#[specta::specta]
pub async fn delete_voicemail(app: tauri::AppHandle, state: State<'_, DesktopState>, id: i64) -> Result<()> {
    let path = state.store.write_async(move |tx| voicemails::delete_local(tx, id)).await?;
    if let Some(rel) = path {
        files::remove_inside(state.store.data_dir(), &rel)?;
    }
    crate::desktop::tray::refresh(&app);
    Ok(())
}
