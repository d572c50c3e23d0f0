//! The paths the store keeps for files in the data folder (downloaded media and
//! recordings, copies of attachments being sent): relative, written with `/`, and made only
//! of names this app generates (a SHA-256 and an extension from a fixed table, a random
//! token). Never a name a customer chose: an MMS attachment's own file name is not used.
//!
//! A database copied to another machine (a Linux backup restored on Windows), or edited by
//! hand, must still name the same file on every platform and never one outside the folder.
//! Windows reads more into a path than unix does: `\` is a separator, `C:` a drive and
//! `C:x` a path relative to that drive's current folder, `\\?\` and `\\server\share` are
//! verbatim and network prefixes, `name:stream` is an NTFS alternate data stream, a
//! trailing dot or space is silently dropped (so `a.jpg.` is `a.jpg`), and `CON`, `NUL`,
//! `COM1`… (with any extension: `nul.txt`) are devices in every folder. So a stored path is
//! checked by one set of rules, the same on every platform, before it is joined to the data
//! folder: pure string checks, tested on Linux as they would run on Windows.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Longest name of one path component on the file systems we run on (NTFS, ext4, APFS).
const MAX_NAME: usize = 255;

/// Names Windows maps to devices in every folder, with or without an extension.
const DEVICES: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

/// Whether `name` is one file or folder name that means the same on Linux, macOS and
/// Windows: not empty, not `.` or `..`, no separator, drive, stream or wildcard character,
/// no control character, no trailing dot or space, not a Windows device name.
pub fn is_portable_name(name: &str) -> bool {
    const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name != "."
        && name != ".."
        && !name.chars().any(|c| c.is_control() || FORBIDDEN.contains(&c))
        && !name.ends_with(['.', ' '])
        && !is_windows_device(name)
}

/// `CON`, `nul.txt`, `Com1.tar.gz`, `LPT¹`, `aux .log`: Windows ignores everything from
/// the first dot and trailing spaces before it, and compares without case.
fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ').to_ascii_uppercase();
    if DEVICES.contains(&stem.as_str()) {
        return true;
    }
    let numbered = stem.strip_prefix("COM").or_else(|| stem.strip_prefix("LPT"));
    matches!(numbered, Some(n) if matches!(n, "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"))
}

/// Checks a stored relative path: `/`-separated portable names, nothing absolute, no drive,
/// no `..`, no empty component (`a//b`, a leading or trailing `/`).
pub fn check(rel: &str) -> Result<()> {
    if rel.is_empty() {
        return Err(refused(rel, "it is empty"));
    }
    if let Some(bad) = rel.split('/').find(|name| !is_portable_name(name)) {
        let why = match bad {
            "" => "it is absolute or has an empty part".to_string(),
            ".." => "it climbs out with ..".to_string(),
            _ => format!("{bad:?} is not a file name that means the same on every system"),
        };
        return Err(refused(rel, &why));
    }
    Ok(())
}

fn refused(rel: &str, why: &str) -> Error {
    Error::InvalidInput(format!("{rel:?} is not a path inside the data folder: {why}"))
}

/// The file `rel` (a stored path, see [`check`]) names inside `data_dir`, built one
/// component at a time so each `/` becomes the platform's separator (under a Windows
/// `\\?\` folder a `/` inside one string would not separate anything).
pub fn join(data_dir: &Path, rel: &str) -> Result<PathBuf> {
    check(rel)?;
    let mut path = data_dir.to_path_buf();
    path.extend(rel.split('/'));
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_this_app_writes_pass() {
        let sha = "ab".repeat(32);
        for ext in ["jpg", "png", "wav", "mp3", "3gp", "vcf", "bin"] {
            check(&format!("media/{}/{sha}.{ext}", &sha[..2])).unwrap();
        }
        check(&format!("{}/{}", crate::outbound::media_links::DIR, "0f".repeat(32))).unwrap();
        check("media/tmp/00000000deadbeef.part").unwrap();
    }

    #[test]
    fn windows_devices_are_refused_with_any_case_extension_or_trailing_space() {
        for name in [
            "CON",
            "con",
            "Nul",
            "nul.txt",
            "NUL.tar.gz",
            "aux .log",
            "PRN",
            "COM1",
            "com9.jpg",
            "LPT3",
            "LPT¹",
            "COM²",
            "CONIN$",
            "conout$.x",
        ] {
            assert!(!is_portable_name(name), "{name:?} is a device on Windows");
            assert!(check(&format!("media/ab/{name}")).is_err(), "media/ab/{name} must be refused");
        }
        for name in ["CONSOLE.jpg", "COM10", "LPT", "nullable.png", "icon.png", "COMA", "auxiliary"] {
            assert!(is_portable_name(name), "{name:?} is an ordinary name");
        }
    }

    #[test]
    fn drives_prefixes_streams_and_backslashes_are_refused() {
        for rel in [
            "C:/Windows/win.ini",
            "C:x.jpg",
            "c:",
            "\\\\?\\C:\\Windows\\win.ini",
            "\\\\server\\share\\x.jpg",
            "media\\ab\\x.jpg",
            "media\\..\\..\\secret.txt",
            "media/ab/x.jpg:hidden",
            "media/ab/x.jpg::$DATA",
            "/etc/passwd",
            "\\Windows\\win.ini",
        ] {
            assert!(check(rel).is_err(), "{rel:?} must be refused");
        }
    }

    #[test]
    fn climbing_empty_parts_trailing_dots_and_odd_characters_are_refused() {
        for rel in [
            "",
            "..",
            "../secret.txt",
            "media/../../secret.txt",
            "media/./x.jpg",
            "media//x.jpg",
            "media/x.jpg/",
            "media/x.jpg.",
            "media/x.jpg ",
            "media/a?.jpg",
            "media/a*.jpg",
            "media/a|b",
            "media/\"a\"",
            "media/<a>",
            "media/a\u{0}b",
            "media/a\nb",
        ] {
            assert!(check(rel).is_err(), "{rel:?} must be refused");
        }
        assert!(check(&format!("media/{}", "a".repeat(256))).is_err(), "a name longer than 255 bytes");
        check(&format!("media/{}", "a".repeat(255))).unwrap();
    }

    #[test]
    fn join_builds_the_path_one_component_at_a_time() {
        let root = Path::new("data");
        let joined = join(root, "media/ab/x.jpg").unwrap();
        let parts: Vec<_> = joined.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        assert_eq!(parts, ["data", "media", "ab", "x.jpg"]);
        assert!(join(root, "../x").is_err());
        assert!(join(root, "C:/x").is_err());
    }
}
