//! `switchboard send` end to end: the built binary against Prism and against a stub.

use std::sync::Arc;

use tokio::process::Command;

use crate::client_stub::{twilio_error, Stub, ACCOUNT};
use crate::common::{switchboard_bin, temp_store, TestResult};
use crate::prism;

const SHOP: Option<&str> = Some("https://shop.example");

/// Runs `switchboard send ARGS` over `data_dir` against `api_base`, with
/// `SWITCHBOARD_PUBLIC_URL` set to `public_url` (unset for `None`): its exit code, stdout
/// and stderr.
async fn send(
    api_base: &str,
    data_dir: &std::path::Path,
    args: &[&str],
    public_url: Option<&str>,
) -> Result<(Option<i32>, String, String), Box<dyn std::error::Error>> {
    let mut cmd = Command::new(switchboard_bin());
    cmd.arg("send")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("SWITCHBOARD_TWILIO_API_BASE", api_base)
        .env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_AUTH_TOKEN", "test-auth-token")
        .env_remove("TWILIO_API_KEY")
        .env_remove("TWILIO_API_SECRET")
        .env("RUST_LOG", "off")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    match public_url {
        Some(url) => cmd.env("SWITCHBOARD_PUBLIC_URL", url),
        None => cmd.env_remove("SWITCHBOARD_PUBLIC_URL"),
    };
    let out = cmd.output().await?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok((out.status.code(), text(&out.stdout), text(&out.stderr)))
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_send_against_prism_exits_0_and_prints_the_sid() -> TestResult {
    let api = prism::api()?;
    let dir = tempfile::tempdir()?;
    let text = ["--from", "+15005550006", "--to", "+61412345678", "--body", "Your order is ready"];
    let (code, stdout, stderr) = send(&api.base, dir.path(), &text, SHOP).await?;
    assert_eq!(code, Some(0), "send failed: {stderr}");
    assert!(stdout.trim().starts_with("SM"), "the SID is printed");
    assert!(stderr.trim().is_empty(), "nothing to warn about: {stderr}");

    // Without a public URL it still sends, and says why no status will come back.
    // (A fresh data dir: Prism answers every send with the same canned SID.)
    let dir = tempfile::tempdir()?;
    let text = ["--from", "+15005550006", "--to", "+61412345678", "--body", "Second"];
    let (code, _, stderr) = send(&api.base, dir.path(), &text, None).await?;
    assert_eq!(code, Some(0), "send failed: {stderr}");
    assert!(stderr.contains("no public URL"), "the missing StatusCallback is explained: {stderr}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_send_with_a_twilio_error_exits_1_with_one_plain_line() -> TestResult {
    let stub = Stub::start(Arc::new(|_, _| {
        (400, vec![], twilio_error(21211, 400, "The 'To' number +61412345678 is not a valid phone number."))
    }))
    .await?;
    let dir = tempfile::tempdir()?;
    let text = ["--from", "+15005550006", "--to", "+61412345678", "--body", "hi"];
    let (code, _, stderr) = send(&stub.base, dir.path(), &text, SHOP).await?;
    assert_eq!(code, Some(1), "a Twilio refusal exits 1: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("That phone number is not valid"), "the plain-language message: {stderr}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_send_template_with_a_missing_variable_sends_nothing() -> TestResult {
    let stub = Stub::start(Arc::new(|_, _| (500, vec![], "{}".into()))).await?;
    let (dir, store) = temp_store()?;
    store.write(|tx| switchboard::store::templates::save(tx, None, "ready", "Hi {{first_name}}"))?;
    drop(store);
    let template = ["--from", "+15005550006", "--to", "+61412345678", "--template", "ready", "--var", "other=x"];
    let (code, _, stderr) = send(&stub.base, dir.path(), &template, SHOP).await?;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("first_name"), "{stderr}");
    assert!(stub.requests().is_empty(), "nothing reached Twilio");
    Ok(())
}
