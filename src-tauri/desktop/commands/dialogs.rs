//! The file dialogs, opened from Rust. The path the owner chooses is granted in
//! `crate::picked` for one purpose and the webview gets only an opaque token for it
//! (plus a name to show): the commands that read or write the owner's files take those
//! tokens, never paths, so a compromised page cannot name a file of its own choosing. The
//! webview has no dialog permission of its own (capabilities/default.json).

use tauri::State;
use tauri_plugin_dialog::{DialogExt, FilePath};

use crate::desktop::DesktopState;
use crate::error::{Error, Result};
use crate::picked::{staged, Grant, Purpose};

/// What the owner is choosing files for.
#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PickKind {
    /// Attachments for an MMS (several at once): any type Twilio accepts. Named `image`
    /// on the wire since the composer first attached pictures only.
    Image,
    /// The registration document for the compliance form (one).
    Document,
    /// A CSV of contacts to import (one).
    Contacts,
}

impl PickKind {
    /// Its folder under `staged-picks/` (the sandbox's stand-in for the dialog).
    fn staged_folder(self) -> &'static str {
        match self {
            PickKind::Image => "image",
            PickKind::Document => "document",
            PickKind::Contacts => "contacts",
        }
    }

    fn purpose(self) -> Purpose {
        match self {
            PickKind::Image => Purpose::Attachment,
            PickKind::Document => Purpose::ComplianceDocument,
            PickKind::Contacts => Purpose::ContactsImport,
        }
    }
}

fn into_path(f: FilePath) -> Result<std::path::PathBuf> {
    f.into_path().map_err(|e| Error::InvalidInput(format!("that file cannot be used here: {e}")))
}

/// Opens the file dialog; returns a grant per chosen file (none when cancelled).
#[tauri::command]
#[specta::specta]
pub async fn pick_files(app: tauri::AppHandle, state: State<'_, DesktopState>, kind: PickKind) -> Result<Vec<Grant>> {
    // Only in the sandbox (its own data folder): a file the e2e test staged answers instead
    // of the native dialog, which WebDriver cannot drive (see `picked::staged`).
    if state.sandbox {
        if let Some(files) = staged::take(state.store.data_dir(), kind.staged_folder())? {
            return files.iter().map(|p| state.picked.grant(kind.purpose(), p)).collect();
        }
    }
    let chosen = open_dialog(&app, kind).await?;
    chosen.into_iter().map(|f| state.picked.grant(kind.purpose(), &into_path(f)?)).collect()
}

/// The native open dialog for `kind`, filtered to the types that kind accepts; the files
/// chosen (none when cancelled).
async fn open_dialog(app: &tauri::AppHandle, kind: PickKind) -> Result<Vec<FilePath>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file();
    match kind {
        PickKind::Image => {
            // Every type Twilio accepts in an MMS (pictures, PDF, vCard, audio, video…).
            let accepted: Vec<&str> = crate::outbound::media_links::accepted_extensions().collect();
            dialog.add_filter("Attachments", &accepted).pick_files(move |p| {
                let _ = tx.send(p.unwrap_or_default());
            });
        }
        PickKind::Document => {
            dialog.add_filter("Documents", &["pdf", "jpg", "jpeg", "png"]).pick_file(move |p| {
                let _ = tx.send(p.into_iter().collect());
            });
        }
        PickKind::Contacts => {
            dialog.add_filter("Contacts (CSV)", &["csv", "txt"]).pick_file(move |p| {
                let _ = tx.send(p.into_iter().collect());
            });
        }
    }
    rx.await.map_err(|_| Error::Internal("the file dialog closed without an answer".into()))
}

/// Opens the save dialog for an export; returns its grant, or None when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn pick_save_path(
    app: tauri::AppHandle,
    state: State<'_, DesktopState>,
    default_name: String,
) -> Result<Option<Grant>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_file_name(default_name).save_file(move |p| {
        let _ = tx.send(p);
    });
    let chosen = rx.await.map_err(|_| Error::Internal("the save dialog closed without an answer".into()))?;
    chosen.map(|f| state.picked.grant(Purpose::ExportTarget, &into_path(f)?)).transpose()
}
