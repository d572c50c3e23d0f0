//! The sandbox's stand-in for the file dialog, for the desktop end-to-end test only.
//!
//! WebDriver cannot drive the native GTK file chooser, so a test that imports a CSV could
//! not get past "Choose a file…". Rather than a command that takes a path from the webview
//! (exactly what `crate::picked` exists to forbid), the test puts the file it would have
//! chosen into `<sandbox data dir>/staged-picks/<purpose>/`, and the desktop's `pick_files`
//! takes it from there instead of opening the dialog — only when the app runs `sandbox`,
//! whose data folder is its own (never the owner's real one). The file is then granted
//! like any chosen file, through the same checks. A staged file is moved aside when taken,
//! so it answers one pick; an empty or missing folder means "open the real dialog".

use std::path::{Path, PathBuf};

use crate::error::Result;

/// The folder a test stages files in for picks of `purpose` (e.g. `contacts`).
pub fn folder(data_dir: &Path, purpose: &str) -> PathBuf {
    data_dir.join("staged-picks").join(purpose)
}

/// Takes the files staged for `purpose` (in name order): each is moved to
/// `staged-picks/taken/` and that path returned, to be granted. None when nothing is
/// staged: the caller opens the real dialog.
pub fn take(data_dir: &Path, purpose: &str) -> Result<Option<Vec<PathBuf>>> {
    let from = folder(data_dir, purpose);
    let Ok(entries) = std::fs::read_dir(&from) else { return Ok(None) };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    if files.is_empty() {
        return Ok(None);
    }
    files.sort();
    let taken = data_dir.join("staged-picks").join("taken");
    std::fs::create_dir_all(&taken)?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let name = f.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        let to = taken.join(name);
        std::fs::rename(&f, &to)?;
        out.push(to.canonicalize()?);
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_file_answers_one_pick_and_nothing_staged_means_the_dialog() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(take(dir.path(), "contacts").unwrap(), None, "no folder: the real dialog");
        std::fs::create_dir_all(folder(dir.path(), "contacts")).unwrap();
        assert_eq!(take(dir.path(), "contacts").unwrap(), None, "an empty folder: the real dialog");

        std::fs::write(folder(dir.path(), "contacts").join("b.csv"), "Name,Phone\n").unwrap();
        std::fs::write(folder(dir.path(), "contacts").join("a.csv"), "Name,Phone\n").unwrap();
        let got = take(dir.path(), "contacts").unwrap().unwrap();
        let names: Vec<_> = got.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.csv", "b.csv"]);
        assert!(got.iter().all(|p| p.exists()), "the files stay readable where they were moved");
        assert_eq!(take(dir.path(), "contacts").unwrap(), None, "each staged file answers one pick");
        assert_eq!(take(dir.path(), "image").unwrap(), None, "staged for contacts only");
    }
}
