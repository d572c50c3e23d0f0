//! The command-line contract, by running the built binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{switchboard_bin, TestResult};

#[test]
fn export_of_an_empty_store_prints_the_documented_object() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out =
        Command::new(switchboard_bin()).args(["export", "--format", "json", "--data-dir"]).arg(dir.path()).output()?;
    assert!(out.status.success(), "export failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["version"], 1);
    for key in ["numbers", "contacts", "conversations", "messages", "calls", "voicemails", "templates", "compliance"] {
        assert!(v[key].as_array().is_some_and(|a| a.is_empty()), "{key} must be an empty array");
    }
    Ok(())
}

/// The desktop takes files only from its own dialogs (src-tauri/picked); the command line
/// is not the webview: the person at the terminal typed `--out`, and it is written there.
#[test]
fn export_writes_to_the_path_typed_on_the_command_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("typed").join("export.csv");
    std::fs::create_dir_all(target.parent().ok_or("no parent")?)?;
    let out = Command::new(switchboard_bin())
        .args(["export", "--format", "csv", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--out")
        .arg(&target)
        .output()?;
    assert!(out.status.success(), "export failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&target)?.is_file(), "written where the user said");
    Ok(())
}

#[test]
fn bad_usage_exits_2_with_one_line() -> TestResult {
    let out = Command::new(switchboard_bin()).args(["export", "--format", "xml"]).output()?;
    assert_eq!(out.status.code(), Some(2), "an unknown format is bad usage");
    let out = Command::new(switchboard_bin())
        .args(["serve", "--listen", "0.0.0.0:0", "--public-url", "https://example.test"])
        .env("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
        .env("TWILIO_AUTH_TOKEN", "x")
        .env("XDG_DATA_HOME", tempfile::tempdir()?.path())
        .output()?;
    assert_eq!(out.status.code(), Some(2), "binding beyond loopback is refused as bad usage");
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    Ok(())
}

#[test]
fn serve_without_credentials_names_what_is_missing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = Command::new(switchboard_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--public-url", "https://example.test", "--data-dir"])
        .arg(dir.path())
        .env_remove("TWILIO_ACCOUNT_SID")
        .env_remove("TWILIO_AUTH_TOKEN")
        .env_remove("TWILIO_API_KEY")
        .env_remove("TWILIO_API_SECRET")
        // No session bus: the keychain cannot be reached, so only the environment could help.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line, got: {stderr}");
    assert!(stderr.contains("TWILIO_ACCOUNT_SID") && stderr.contains("TWILIO_AUTH_TOKEN"), "{stderr}");
    Ok(())
}

#[test]
fn serve_prints_its_address_and_answers_healthz() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(switchboard_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--public-url", "https://example.test", "--data-dir"])
        .arg(dir.path())
        .env("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
        .env("TWILIO_AUTH_TOKEN", "test-token")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("unexpected first line {line:?}"))?
        .to_string();
    let rt = tokio::runtime::Runtime::new()?;
    let (status, body) = rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let resp = client.get(format!("http://{addr}/healthz")).send().await?;
        Ok::<_, reqwest::Error>((resp.status(), resp.text().await?))
    })?;
    child.kill()?;
    child.wait()?;
    assert_eq!(status, 200);
    assert_eq!(body, "ok", "healthz reveals nothing");
    Ok(())
}
