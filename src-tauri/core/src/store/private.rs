//! The data folder is private to the owner's login: customers' messages, recordings and
//! attachments must not be readable by other local users. On unix the folder and every
//! folder inside it is 0700 and every file 0600, whatever the umask. On Windows these are
//! no-ops: the default folder is under `%LOCALAPPDATA%`, whose access list (inherited by
//! everything created inside) grants the owner, SYSTEM and Administrators only, which is
//! what 0700 says on unix. A `--data-dir` the owner points elsewhere (a shared drive) keeps
//! that folder's own access list; nothing here rewrites ACLs, and this is not tested on
//! Windows (the code is compiled for it in CI, see `scripts/windows-check.sh`).
//!
//! New files are made private where they are created ([`create_dir`], [`file`]); a folder
//! written by an older build (0755 / 0644) is fixed when the store opens ([`fix_tree`]).

use std::path::Path;

/// Creates `dir` and any missing parents 0700, and makes `dir` itself 0700 if it existed.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)?;
    set_dir(dir)
}

/// [`create_dir`] without blocking the async runtime (media worker, attachment copies).
pub async fn create_dir_async(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || create_dir(&dir)).await.map_err(std::io::Error::other)?
}

/// Makes an existing folder 0700.
pub fn set_dir(dir: &Path) -> std::io::Result<()> {
    set_mode(dir, 0o700)
}

/// Makes an existing file 0600 (after a copy, which keeps the source's mode, or a create
/// under a permissive umask).
pub fn file(path: &Path) -> std::io::Result<()> {
    set_mode(path, 0o600)
}

/// Opens a new file for writing that is 0600 from its first byte (the SQLite database is
/// created this way so its `-wal` and `-shm`, which SQLite gives the database's mode, are
/// private too).
#[cfg(unix)]
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path)
}

#[cfg(not(unix))]
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)
}

/// Makes `data_dir` private if it is not: a folder written by an older build (0755, files
/// 0644) is walked and fixed once; a folder that is already 0700 was made by this build,
/// whose files are private from creation, so a large media folder is not walked on every
/// start. Returns how many entries were changed.
pub fn fix_data_dir(data_dir: &Path) -> usize {
    match std::fs::symlink_metadata(data_dir) {
        Ok(meta) if too_open(&meta) => fix_tree(data_dir),
        _ => 0,
    }
}

/// Removes the group/other bits of `path` if it exists and has any (the database and its
/// -wal/-shm, checked on every open whatever the folder's state).
pub fn fix_entry(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_symlink() && too_open(&meta) => strip_others(path, &meta),
        _ => Ok(()),
    }
}

/// Walks `root` and removes the group/other permission bits of every folder and file (links
/// are not followed). Returns how many entries were changed. Errors on single entries are
/// logged and skipped: a file we cannot chmod must not stop the app from opening.
pub fn fix_tree(root: &Path) -> usize {
    let mut changed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.file_type().is_symlink() {
            continue;
        }
        if too_open(&meta) {
            // Only the group and other bits go: a read-only file stays read-only.
            match strip_others(&path, &meta) {
                Ok(()) => changed += 1,
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not make a data file private"),
            }
        }
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        }
    }
    changed
}

#[cfg(unix)]
fn too_open(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn too_open(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn strip_others(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    set_mode(path, meta.permissions().mode() & 0o7700)
}

#[cfg(not(unix))]
fn strip_others(_path: &Path, _meta: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_old_world_readable_tree_is_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        std::fs::create_dir_all(root.join("media/ab")).unwrap();
        std::fs::write(root.join("media/ab/x.jpg"), b"x").unwrap();
        let modes = [
            (root.clone(), 0o755),
            (root.join("media"), 0o755),
            (root.join("media/ab"), 0o755),
            (root.join("media/ab/x.jpg"), 0o644),
        ];
        for (p, m) in modes {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m)).unwrap();
        }
        assert_eq!(fix_tree(&root), 4);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("media/ab")) & 0o077, 0);
        assert_eq!(mode(&root.join("media/ab/x.jpg")), 0o600);
        assert_eq!(fix_tree(&root), 0, "a private tree is left alone");
    }
}
