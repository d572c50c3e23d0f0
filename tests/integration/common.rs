//! Helpers shared by the integration tests.

use std::path::PathBuf;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `../shared/oracles` beside the repository (CI clones it there), or `SWITCHBOARD_ORACLES`.
pub fn oracles_dir() -> PathBuf {
    match std::env::var_os("SWITCHBOARD_ORACLES") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/oracles"),
    }
}

/// The `switchboard` binary cargo built for these tests.
pub fn switchboard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchboard"))
}
