//! Reading and removing files the store points at, confined to the data directory. Paths
//! in the store are relative to it; a path that escapes it (`..`, an absolute path, a
//! symlink pointing out) is refused, so no IPC call can read an arbitrary file. A path that
//! would mean something else on Windows (a drive, a `\\?\` prefix, a device name such as
//! `NUL.txt`, a stream) is refused on every platform (see `media::stored_path`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Media and recordings are capped when downloaded; this only stops a corrupt store
/// from making the webview swallow a huge file.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The canonical path of `rel` if it lies inside `data_dir`.
pub fn resolve_inside(data_dir: &Path, rel: &str) -> Result<PathBuf> {
    super::stored_path::check(rel)?;
    // On Windows both canonical paths are verbatim (`\\?\C:\...`), so they compare alike.
    let root = data_dir.canonicalize()?;
    let full = super::stored_path::join(&root, rel)?.canonicalize()?;
    if !full.starts_with(&root) || full == root {
        return Err(Error::InvalidInput(format!("{rel:?} is not a path inside the data folder")));
    }
    Ok(full)
}

pub fn read_inside(data_dir: &Path, rel: &str) -> Result<Vec<u8>> {
    let full = resolve_inside(data_dir, rel)?;
    let len = std::fs::metadata(&full)?.len();
    if len > MAX_BYTES {
        return Err(Error::InvalidInput(format!("{rel:?} is too large to open here ({len} bytes)")));
    }
    Ok(std::fs::read(full)?)
}

/// [`read_inside`] on a blocking thread, for async callers (a recording can be megabytes,
/// and the runtime's threads must not wait on the disk).
pub async fn read_inside_async(data_dir: &Path, rel: String) -> Result<Vec<u8>> {
    let data_dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || read_inside(&data_dir, &rel))
        .await
        .map_err(|e| Error::Internal(format!("read task failed: {e}")))?
}

/// Removes the file; one already gone is fine.
pub fn remove_inside(data_dir: &Path, rel: &str) -> Result<()> {
    match resolve_inside(data_dir, rel) {
        Ok(full) => Ok(std::fs::remove_file(full)?),
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_inside_the_data_dir() {
        let outer = tempfile::tempdir().unwrap();
        let data = outer.path().join("data");
        std::fs::create_dir_all(data.join("media")).unwrap();
        std::fs::write(data.join("media/a.wav"), b"RIFF").unwrap();
        std::fs::write(outer.path().join("secret.txt"), b"nope").unwrap();

        assert_eq!(read_inside(&data, "media/a.wav").unwrap(), b"RIFF");
        assert!(read_inside(&data, "../secret.txt").is_err(), "parent traversal must be refused");
        let abs = outer.path().join("secret.txt");
        assert!(read_inside(&data, abs.to_str().unwrap()).is_err(), "absolute paths must be refused");
        assert!(read_inside(&data, "media/../../secret.txt").is_err(), "traversal through a subfolder too");
        assert!(read_inside(&data, "").is_err(), "the data dir itself is not a file to read");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outer.path().join("secret.txt"), data.join("media/link")).unwrap();
            assert!(read_inside(&data, "media/link").is_err(), "a symlink pointing out must be refused");
        }
    }

    #[test]
    fn a_stored_path_that_means_something_else_on_windows_is_refused_everywhere() {
        let data = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(data.path().join("media")).unwrap();
        // Ordinary files on Linux; on Windows a device, a stream and a folder separator.
        for name in ["NUL.txt", "x.jpg:hidden", "a\\b.jpg", "x.jpg."] {
            std::fs::write(data.path().join("media").join(name), b"x").unwrap();
            let rel = format!("media/{name}");
            assert!(read_inside(data.path(), &rel).is_err(), "{rel:?} must be refused");
            assert!(remove_inside(data.path(), &rel).is_err(), "{rel:?} must not be removed");
        }
        std::fs::write(data.path().join("media/x.jpg"), b"x").unwrap();
        assert_eq!(read_inside(data.path(), "media/x.jpg").unwrap(), b"x");
    }

    #[test]
    fn removing_a_missing_file_is_fine() {
        let data = tempfile::tempdir().unwrap();
        remove_inside(data.path(), "gone.wav").unwrap();
        std::fs::write(data.path().join("x.wav"), b"x").unwrap();
        remove_inside(data.path(), "x.wav").unwrap();
        assert!(!data.path().join("x.wav").exists(), "the file must be gone");
    }
}
