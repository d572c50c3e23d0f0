//! Helpers shared by the integration tests.

use std::path::PathBuf;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The test references (`tests/oracles`, see its README), or `SWITCHBOARD_ORACLES`.
/// Never anything outside the clone: a fresh clone must pass on its own.
pub fn oracles_dir() -> PathBuf {
    match std::env::var_os("SWITCHBOARD_ORACLES") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles"),
    }
}

/// The `switchboard` binary cargo built for these tests.
pub fn switchboard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchboard"))
}
