//! Paths the owner chose in a file dialog, and nothing else.
//!
//! The webview is the least trusted part of the app: if a page were ever compromised (a
//! rendering bug, a malicious link opened inside it), any IPC command that took a file path
//! would let it read the owner's files (an MMS attachment is copied to a public URL; a
//! compliance document is uploaded to Twilio) or overwrite them (an export). So the
//! commands that touch the owner's files never take a path from the webview: the file
//! dialog is opened by the Rust side, the path the owner chose is granted here for one
//! purpose, and the webview only ever holds an opaque, random, short-lived token for it.
//!
//! A grant is checked twice: when it is made (absolute, no `..`, not a link, a regular file
//! or, for an export, a new or regular file in an existing folder, all canonicalised) and
//! when it is used (the same checks again, and the canonical path must not have changed),
//! so a link swapped in after the dialog closed is refused too.
//!
//! GUI-free: the desktop shell fills it from the dialog plugin; tests fill it directly.

pub mod export;
pub mod staged;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a chosen path stays usable. Long enough to pick a picture, write the text and
/// send, or to fill in the last step of the compliance form; short enough that a token
/// lying around in the webview is soon worth nothing.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);

/// What the owner chose the path for; a grant is good for that purpose only, so a
/// document chosen for the compliance form cannot be sent as an MMS, nor an export target
/// read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A file to write (the save dialog); may not exist yet.
    ExportTarget,
    /// A picture for an MMS.
    Attachment,
    /// The business registration document for a regulatory bundle.
    ComplianceDocument,
    /// A CSV file of contacts to import (read only; never sent anywhere).
    ContactsImport,
}

impl Purpose {
    fn reads(self) -> bool {
        !matches!(self, Purpose::ExportTarget)
    }
}

/// What the webview learns about a chosen path: the token to pass back, and what to show.
/// `PickedFile` in the UI's generated bindings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename = "PickedFile")]
pub struct Grant {
    /// Opaque and random (128 bits); the only thing a command accepts.
    pub token: String,
    /// The file name, for the attachment chip or the form.
    pub name: String,
    /// The full path, shown to the owner ("Exported to …"); never accepted back.
    pub path: String,
    /// The file's size when it was chosen (0 for an export target not written yet), so
    /// the composer can refuse attachments over Twilio's 5 MB per message before Send.
    /// The send checks the files again: this is for the owner's early warning only.
    pub bytes: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    purpose: Purpose,
    path: PathBuf,
    granted_at: Instant,
}

/// The registry of chosen paths. One per app, shared by the dialog commands and the
/// commands that use the files.
#[derive(Debug)]
pub struct PickedPaths {
    ttl: Duration,
    grants: Mutex<HashMap<String, Entry>>,
}

impl Default for PickedPaths {
    fn default() -> Self {
        PickedPaths::new(DEFAULT_TTL)
    }
}

/// The words every refusal ends with: the owner can always fix it by choosing again.
fn refused(why: impl std::fmt::Display) -> Error {
    Error::PathNotChosen(format!("{why}; choose the file again in Switchboard's own file dialog"))
}

impl PickedPaths {
    pub fn new(ttl: Duration) -> Self {
        PickedPaths { ttl, grants: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic elsewhere while holding the lock leaves a map that is still consistent
        // (every operation is a single insert or remove), so the poison is cleared.
        self.grants.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Grants `path`, which the owner just chose in a dialog, for `purpose`.
    pub fn grant(&self, purpose: Purpose, path: &Path) -> Result<Grant> {
        let canonical = checked(purpose, path)?;
        let token = hex::encode(rand::random::<[u8; 16]>());
        let name = canonical.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let shown = canonical.display().to_string();
        // `checked` refused links and folders, so this is the chosen file's own size.
        let bytes = std::fs::metadata(&canonical).map(|m| m.len()).unwrap_or(0);
        let mut grants = self.lock();
        let ttl = self.ttl;
        grants.retain(|_, e| e.granted_at.elapsed() < ttl);
        grants.insert(token.clone(), Entry { purpose, path: canonical, granted_at: Instant::now() });
        Ok(Grant { token, name, path: shown, bytes })
    }

    /// The path behind `token`, checked again, without spending the grant (so a send that
    /// fails can be tried again with the same attachment). Call [`PickedPaths::spend`] once
    /// the file has been used.
    pub fn resolve(&self, token: &str, purpose: Purpose) -> Result<PathBuf> {
        let entry = self.lock().get(token).cloned().ok_or_else(|| refused("that file was not chosen here"))?;
        if entry.purpose != purpose {
            return Err(refused(format!("{} was chosen for something else", entry.path.display())));
        }
        if entry.granted_at.elapsed() >= self.ttl {
            self.lock().remove(token);
            return Err(refused(format!("{} was chosen too long ago", entry.path.display())));
        }
        let now = checked(purpose, &entry.path)?;
        if now != entry.path {
            return Err(refused(format!("{} has changed since you chose it", entry.path.display())));
        }
        Ok(entry.path)
    }

    /// [`PickedPaths::resolve`] for several tokens: all of them, or an error for the first
    /// that is not good.
    pub fn resolve_all(&self, tokens: &[String], purpose: Purpose) -> Result<Vec<PathBuf>> {
        tokens.iter().map(|t| self.resolve(t, purpose)).collect()
    }

    /// Resolves and spends at once: a grant that can be used only once.
    pub fn take(&self, token: &str, purpose: Purpose) -> Result<PathBuf> {
        let path = self.resolve(token, purpose)?;
        self.spend([token]);
        Ok(path)
    }

    /// Forgets grants whose files have been used.
    pub fn spend<'a>(&self, tokens: impl IntoIterator<Item = &'a str>) {
        let mut grants = self.lock();
        for t in tokens {
            grants.remove(t);
        }
    }
}

/// The canonical path the owner meant, or why it is refused.
fn checked(purpose: Purpose, path: &Path) -> Result<PathBuf> {
    if !path.is_absolute() {
        return Err(refused(format!("{} is not a full path", path.display())));
    }
    if path.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Err(refused(format!("{} contains '..'", path.display())));
    }
    let name = match path.components().next_back() {
        Some(Component::Normal(n)) => n.to_owned(),
        _ => return Err(refused(format!("{} is not a file", path.display()))),
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !purpose.reads() => None,
        Err(e) => return Err(refused(format!("{} cannot be read ({e})", path.display()))),
    };
    if let Some(m) = &meta {
        // A link could be re-pointed after the dialog closed; the owner can choose the
        // file it points to instead.
        if m.file_type().is_symlink() {
            return Err(refused(format!("{} is a link to another file", path.display())));
        }
        if !m.is_file() {
            return Err(refused(format!("{} is not a file", path.display())));
        }
    }
    // Folders above may be links (macOS's /tmp is one); the canonical folder is what the
    // owner's dialog showed, and the file itself was checked above.
    let parent = path.parent().ok_or_else(|| refused(format!("{} is not a file", path.display())))?;
    let folder =
        parent.canonicalize().map_err(|e| refused(format!("the folder of {} cannot be read ({e})", path.display())))?;
    Ok(folder.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cake.png");
        std::fs::write(&file, b"\x89PNG").unwrap();
        (dir, file)
    }

    #[test]
    fn a_granted_file_resolves_for_its_purpose_only() {
        let (_dir, file) = setup();
        let picked = PickedPaths::default();
        let g = picked.grant(Purpose::Attachment, &file).unwrap();
        assert_eq!(g.name, "cake.png");
        assert_eq!(g.bytes, 4, "the size the composer checks against the 5 MB per message");
        assert_eq!(picked.resolve(&g.token, Purpose::Attachment).unwrap(), file.canonicalize().unwrap());
        let other = picked.resolve(&g.token, Purpose::ComplianceDocument).unwrap_err();
        assert_eq!(other.code(), "path_not_chosen", "a grant is good for one purpose: {other}");
    }

    #[test]
    fn a_token_never_granted_or_a_raw_path_is_refused() {
        let (_dir, file) = setup();
        let picked = PickedPaths::default();
        for token in ["0123456789abcdef0123456789abcdef", file.to_str().unwrap(), "", "/etc/passwd"] {
            let e = picked.resolve(token, Purpose::Attachment).unwrap_err();
            assert_eq!(e.code(), "path_not_chosen", "{token:?}: {e}");
            assert!(e.to_string().contains("choose the file again"), "plain words say what to do: {e}");
        }
    }

    #[test]
    fn take_spends_the_grant() {
        let (_dir, file) = setup();
        let picked = PickedPaths::default();
        let g = picked.grant(Purpose::ComplianceDocument, &file).unwrap();
        picked.take(&g.token, Purpose::ComplianceDocument).unwrap();
        assert!(picked.take(&g.token, Purpose::ComplianceDocument).is_err(), "a grant is used once");
    }

    #[test]
    fn an_old_grant_is_refused() {
        let (_dir, file) = setup();
        let picked = PickedPaths::new(Duration::ZERO);
        let g = picked.grant(Purpose::Attachment, &file).unwrap();
        let e = picked.resolve(&g.token, Purpose::Attachment).unwrap_err();
        assert!(e.to_string().contains("too long ago"), "{e}");
    }

    #[test]
    fn relative_dotted_and_folder_paths_are_refused_at_grant() {
        let (dir, _file) = setup();
        let picked = PickedPaths::default();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let dotted = dir.path().join("sub").join("..").join("cake.png");
        for p in [PathBuf::from("cake.png"), dotted, dir.path().to_path_buf(), dir.path().join("missing.png")] {
            let e = picked.grant(Purpose::Attachment, &p).unwrap_err();
            assert_eq!(e.code(), "path_not_chosen", "{}: {e}", p.display());
        }
    }

    #[test]
    fn an_export_target_may_be_new_but_not_in_a_missing_folder() {
        let (dir, file) = setup();
        let picked = PickedPaths::default();
        let new = dir.path().join("export.json");
        let g = picked.grant(Purpose::ExportTarget, &new).unwrap();
        assert_eq!(picked.resolve(&g.token, Purpose::ExportTarget).unwrap(), new.canonicalize().unwrap_or(new));
        picked.grant(Purpose::ExportTarget, &file).unwrap();
        assert!(picked.grant(Purpose::ExportTarget, &dir.path().join("nowhere/export.json")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_refused_when_granted_and_when_swapped_in_later() {
        let (dir, file) = setup();
        let secret = dir.path().join("secret.txt");
        std::fs::write(&secret, b"private").unwrap();
        let link = dir.path().join("link.png");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let picked = PickedPaths::default();
        assert!(picked.grant(Purpose::Attachment, &link).is_err(), "a link is refused when chosen");
        assert!(picked.grant(Purpose::ExportTarget, &link).is_err(), "an export never writes through a link");

        let g = picked.grant(Purpose::Attachment, &file).unwrap();
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(&secret, &file).unwrap();
        let e = picked.resolve(&g.token, Purpose::Attachment).unwrap_err();
        assert_eq!(e.code(), "path_not_chosen", "a link swapped in after the dialog is refused: {e}");
    }
}
