//! Disk full / read-only data directory: while `switchboard serve` runs, its database files
//! and data directory become unwritable. Webhooks must then get a 5xx (so Twilio uses the
//! number's fallback URL instead of believing the message was kept), the log must say why,
//! and nothing already stored may be damaged.
//!
//! How the store is made unwritable: tests run as root here, and root ignores file modes,
//! so `chmod` proves nothing. As root we set the ext4/xfs *immutable* attribute
//! (`chattr +i`), which the kernel enforces even for root and even on file descriptors
//! that are already open (a `write(2)` returns EPERM, as a full disk returns ENOSPC).
//! A non-root user cannot set it, and `chmod` does not stop writes through descriptors
//! the server already holds, so without root (or on a filesystem without the attribute,
//! such as tmpfs) the test says so and skips. A probe checks that a write is really refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::TestResult;
use crate::fault_support::{http, inbound_sid_counts, integrity_check, post_sms, Serve};

const TOKEN: &str = "fault-readonly-auth-token";

/// Sets the immutable attribute on `paths` for the test's lifetime and always clears it
/// again (even when an assertion fails), so the temporary directory can be removed.
struct Immutable {
    paths: Vec<PathBuf>,
}

fn is_root() -> bool {
    // /proc/self/status: "Uid:\treal\teffective…"
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

impl Immutable {
    fn apply(paths: Vec<PathBuf>) -> Result<Immutable, String> {
        let mut guard = Immutable { paths: Vec::new() };
        for p in paths {
            let out = Command::new("chattr").arg("+i").arg(&p).output().map_err(|e| format!("chattr: {e}"))?;
            if !out.status.success() {
                return Err(format!("chattr +i {}: {}", p.display(), String::from_utf8_lossy(&out.stderr)));
            }
            guard.paths.push(p);
        }
        Ok(guard)
    }

    /// True when appending to `file` is refused, i.e. the attribute works here.
    fn refuses_writes(file: &Path) -> bool {
        std::fs::OpenOptions::new().append(true).open(file).is_err()
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = Command::new("chattr").arg("-i").arg(p).output();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_store_answers_5xx_says_why_and_corrupts_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut serve = Serve::start(&data, TOKEN)?;
    let client = http()?;

    let before: Vec<String> = (1..=5).map(|i| format!("SMee{i:030x}")).collect();
    for sid in &before {
        assert_eq!(post_sms(&client, &serve.addr, TOKEN, sid, "before the disk filled").await?, 200, "{sid} is stored");
    }

    let db = data.join(switchboard::store::DB_FILE);
    // Not `-shm`: SQLite maps it into memory, and a store to a mapped page of an immutable
    // file is a SIGBUS, a fault of this method rather than of a full disk (the shm file is
    // allocated when the database opens, so a full disk never takes it away).
    let mut paths: Vec<PathBuf> =
        ["", "-wal"].iter().map(|s| PathBuf::from(format!("{}{s}", db.display()))).filter(|p| p.exists()).collect();
    paths.push(data.clone());
    if !is_root() {
        eprintln!("SKIPPED an_unwritable_store…: needs root to set the immutable attribute (chattr +i)");
        return Ok(());
    }
    let guard = match Immutable::apply(paths) {
        Ok(g) if Immutable::refuses_writes(&db) => g,
        Ok(_) => {
            eprintln!("SKIPPED an_unwritable_store…: this filesystem ignores the immutable attribute");
            return Ok(());
        }
        Err(e) => {
            eprintln!("SKIPPED an_unwritable_store…: cannot set the immutable attribute here ({e})");
            return Ok(());
        }
    };

    let during: Vec<String> = (6..=10).map(|i| format!("SMee{i:030x}")).collect();
    for sid in &during {
        let status = post_sms(&client, &serve.addr, TOKEN, sid, "while the disk is full").await.map_err(|e| {
            format!(
                "{sid}: no answer while the store is unwritable ({e}); exited {:?}; log:\n{}",
                serve.exited(),
                serve.log()
            )
        })?;
        assert!(
            (500..600).contains(&status),
            "{sid}: a webhook that cannot be stored must get a 5xx so Twilio falls back, got {status}"
        );
    }
    // The owner (and whoever reads the log) is told why.
    let mut log = String::new();
    for _ in 0..50 {
        log = serve.log();
        if log.contains("could not be stored") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(log.contains("could not be stored"), "the failed write is logged with its reason; log:\n{log}");
    let status = client.get(serve.url("/healthz")).send().await?.status();
    assert_eq!(status, 200, "the server stays up while the store is unwritable");

    // The disk has room again: the same process accepts webhooks again, including a
    // retry of one that was refused.
    drop(guard);
    assert_eq!(post_sms(&client, &serve.addr, TOKEN, &during[0], "retried").await?, 200, "writes resume once possible");
    serve.kill9()?;

    assert_eq!(integrity_check(&data)?, "ok", "the database is not corrupted");
    let stored: Vec<String> = inbound_sid_counts(&data)?.into_iter().map(|(s, _)| s).collect();
    for sid in &before {
        assert!(stored.contains(sid), "{sid}, stored before the failure, is intact");
    }
    assert!(stored.contains(&during[0]), "the retried message is stored");
    for sid in &during[1..] {
        assert!(!stored.contains(sid), "{sid} was answered 5xx, so it must not be half-stored");
    }
    Ok(())
}
