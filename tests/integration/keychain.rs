//! The OS keychain for real: gnome-keyring's Secret Service in the private D-Bus session
//! that scripts/test.sh starts. (keyring silently uses an in-memory mock when built
//! without a platform feature, so every check reads back from a NEW process.)
//!
//! Runs when `SWITCHBOARD_KEYCHAIN_TESTS=1` (set by the README test command, which
//! provides the Secret Service); elsewhere it says it was skipped.

use std::process::Command;

use switchboard::secrets::{keys, Keychain, Secret, TwilioCredentials};

use crate::common::TestResult;

const CHILD_ENV: &str = "SWITCHBOARD_KEYCHAIN_CHILD_SERVICE";

fn enabled() -> bool {
    let on = std::env::var("SWITCHBOARD_KEYCHAIN_TESTS").as_deref() == Ok("1");
    if !on {
        eprintln!("keychain tests skipped: run them through `make test` (it starts a Secret Service)");
    }
    on
}

/// Runs one test of this binary in a child process with `envs`, returning its stdout.
fn run_child(test: &str, envs: &[(&str, &str)]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new(std::env::current_exe()?)
        .args([test, "--exact", "--nocapture", "--ignored", "--test-threads=1"])
        .envs(envs.iter().copied())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "child {test} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    Ok(stdout)
}

fn unique_service() -> String {
    format!("switchboard-test-{}-{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

#[test]
fn credentials_survive_into_a_new_process_and_can_be_removed() -> TestResult {
    if !enabled() {
        return Ok(());
    }
    let service = unique_service();
    let k = Keychain::with_service(&service);
    k.set(keys::ACCOUNT_SID, &Secret::new("AC0123456789abcdef0123456789abcdef".into()))?;
    k.set(keys::AUTH_TOKEN, &Secret::new("tok-3f9a1c".into()))?;

    let out = run_child("keychain::child_prints_credentials", &[(CHILD_ENV, &service)])?;
    assert!(out.contains("SID=AC0123456789abcdef0123456789abcdef"), "a new process must read the stored SID: {out}");
    assert!(out.contains("TOKEN=tok-3f9a1c"), "and the token: {out}");

    k.delete(keys::AUTH_TOKEN)?;
    k.delete(keys::ACCOUNT_SID)?;
    k.delete(keys::ACCOUNT_SID)?; // deleting what is gone is fine
    let out = run_child("keychain::child_prints_credentials", &[(CHILD_ENV, &service)])?;
    assert!(out.contains("NONE"), "removed credentials are gone for other processes too: {out}");
    Ok(())
}

/// Child half of the test above: reads the credentials of the service it is given.
#[test]
#[ignore = "run as a child process by credentials_survive_into_a_new_process_and_can_be_removed"]
fn child_prints_credentials() -> TestResult {
    let Ok(service) = std::env::var(CHILD_ENV) else { return Ok(()) };
    match TwilioCredentials::from_keychain(&Keychain::with_service(service))? {
        Some(c) => println!("SID={} TOKEN={}", c.account_sid, c.password.expose()),
        None => println!("NONE"),
    }
    Ok(())
}

#[test]
fn without_a_secret_service_the_error_says_how_to_fix_it() -> TestResult {
    if !enabled() {
        return Ok(());
    }
    let out = run_child(
        "keychain::child_reports_missing_keychain",
        &[(CHILD_ENV, "switchboard-test-none"), ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    )?;
    assert!(out.contains("ERROR keychain_unavailable"), "{out}");
    assert!(out.contains("Secret Service") || out.contains("gnome-keyring"), "the message says how to fix it: {out}");
    Ok(())
}

#[test]
#[ignore = "run as a child process by without_a_secret_service_the_error_says_how_to_fix_it"]
fn child_reports_missing_keychain() -> TestResult {
    let Ok(service) = std::env::var(CHILD_ENV) else { return Ok(()) };
    match Keychain::with_service(service).get(keys::AUTH_TOKEN) {
        Ok(v) => println!("UNEXPECTED {}", v.is_some()),
        Err(e) => println!("ERROR {} {}", e.code(), e),
    }
    Ok(())
}
