//! The desktop's "Export": writes everything (`json`), the messages (`csv`) or the contacts
//! (`contacts`, CSV) to the file the owner chose in the save dialog, and nowhere else.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{PickedPaths, Purpose};
use crate::error::{Error, Result};
use crate::store::{export, Store};

/// Writes the export to the path behind `token` (an [`Purpose::ExportTarget`] grant, spent
/// here). Returns where it went, for the owner's note.
pub async fn export_to(store: &Store, picked: &PickedPaths, token: &str, format: &str) -> Result<PathBuf> {
    let target = picked.resolve(token, Purpose::ExportTarget)?;
    let text = match format {
        "json" => serde_json::to_string_pretty(&store.read_async(export::to_json).await?)?,
        "csv" => store.read_async(export::messages_csv).await?,
        "contacts" => store.read_async(export::contacts_csv).await?,
        other => return Err(Error::InvalidInput(format!("{other:?} is not an export format (json, csv or contacts)"))),
    };
    let to = target.clone();
    tokio::task::spawn_blocking(move || write_replacing(&to, text.as_bytes()))
        .await
        .map_err(|e| Error::Internal(format!("export task failed: {e}")))??;
    picked.spend([token]);
    Ok(target)
}

/// Writes a new file beside `target` and renames it over: the rename replaces whatever is
/// at `target` (even a link swapped in since the check) instead of writing through it, and
/// a failure half-way leaves the old file whole.
fn write_replacing(target: &Path, bytes: &[u8]) -> Result<()> {
    let folder = target.parent().ok_or_else(|| Error::InvalidInput(format!("{} has no folder", target.display())))?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = folder.join(format!(".{name}.{}.part", hex::encode(rand::random::<[u8; 6]>())));
    // create_new never follows a link and never truncates someone else's file.
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exports_only_to_a_chosen_path() {
        let (dir, store) = crate::store::test_store_in_data();
        let picked = PickedPaths::default();
        let elsewhere = dir.path().join("not-chosen.json");

        // What the old command took: any path the webview named.
        let e = export_to(&store, &picked, elsewhere.to_str().unwrap(), "json").await.unwrap_err();
        assert_eq!(e.code(), "path_not_chosen", "{e}");
        assert!(!elsewhere.exists(), "nothing written where the owner did not choose");

        // A document chosen for the compliance form is not an export target.
        let doc = dir.path().join("registration.pdf");
        std::fs::write(&doc, b"%PDF").unwrap();
        let g = picked.grant(Purpose::ComplianceDocument, &doc).unwrap();
        assert!(export_to(&store, &picked, &g.token, "json").await.is_err());
        assert_eq!(std::fs::read(&doc).unwrap(), b"%PDF", "the document is untouched");

        let chosen = dir.path().join("switchboard-export.json");
        let g = picked.grant(Purpose::ExportTarget, &chosen).unwrap();
        let wrote = export_to(&store, &picked, &g.token, "json").await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&wrote).unwrap()).unwrap();
        assert_eq!(json["version"], 1);
        assert!(export_to(&store, &picked, &g.token, "json").await.is_err(), "an export grant is used once");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left behind");
    }

    #[tokio::test]
    async fn a_bad_format_keeps_the_grant() {
        let (dir, store) = crate::store::test_store_in_data();
        let picked = PickedPaths::default();
        let g = picked.grant(Purpose::ExportTarget, &dir.path().join("x.csv")).unwrap();
        assert_eq!(export_to(&store, &picked, &g.token, "xml").await.unwrap_err().code(), "invalid_input");
        export_to(&store, &picked, &g.token, "csv").await.unwrap();
    }
}
