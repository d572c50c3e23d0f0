//! `switchboard serve` as a real process, sent requests signed by the OFFICIAL twilio
//! Python library (`tests/oracles/sign.py`): stored once, forged ones refused, the download
//! worker running, and `switchboard export` showing the bodies byte for byte.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::header;
use axum::routing::get;
use axum::Router;

use crate::common::{oracles_dir, switchboard_bin, TestResult};
use crate::webhook_support::encode;

const PUBLIC: &str = "https://hooks.example.test/base";
const TOKEN: &str = "serve-test-token";

/// Kills the server even when an assertion fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The signature twilio-python computes for this form body and URL.
fn python_sign(
    python: &std::ffi::OsStr,
    url: &str,
    form: &str,
    token: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new(python)
        .arg(oracles_dir().join("sign.py"))
        .args(["--token", token, "--url", url, "--form", form])
        .output()?;
    assert!(out.status.success(), "sign.py failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

fn sms(sid: &str, body: &str, media: Option<&str>) -> String {
    let mut p: Vec<(String, String)> = vec![
        ("ToCountry".into(), "AU".into()),
        ("MessageSid".into(), sid.into()),
        ("SmsSid".into(), sid.into()),
        ("AccountSid".into(), "AC00000000000000000000000000000000".into()),
        ("From".into(), "+61412345678".into()),
        ("To".into(), "+61255501234".into()),
        ("Body".into(), body.into()),
        ("NumSegments".into(), "1".into()),
        ("FromCity".into(), String::new()),
    ];
    match media {
        Some(url) => {
            p.push(("NumMedia".into(), "1".into()));
            p.push(("MediaUrl0".into(), url.into()));
            p.push(("MediaContentType0".into(), "image/gif".into()));
        }
        None => p.push(("NumMedia".into(), "0".into())),
    }
    encode(&p)
}

fn export(dir: &std::path::Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let out = Command::new(switchboard_bin()).args(["export", "--format", "json", "--data-dir"]).arg(dir).output()?;
    assert!(out.status.success(), "export failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stores_python_signed_webhooks_once_and_export_is_byte_exact() -> TestResult {
    let Some(python) = std::env::var_os("SWITCHBOARD_PYTHON") else {
        eprintln!("SKIPPED serve_stores_python_signed_webhooks_once…: SWITCHBOARD_PYTHON is not set (scripts/test.sh sets it)");
        return Ok(());
    };
    // A stand-in for Twilio's media host, so the worker `serve` started has something to fetch.
    let gif: &'static [u8] = b"GIF89a tiny";
    let media_app =
        Router::new().route("/Media/ME1", get(move || async move { ([(header::CONTENT_TYPE, "image/gif")], gif) }));
    let media_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let media_base = format!("http://{}", media_listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(media_listener, media_app).await;
    });

    let dir = tempfile::tempdir()?;
    let mut child = Command::new(switchboard_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--public-url", PUBLIC, "--data-dir"])
        .arg(dir.path())
        .env("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("SWITCHBOARD_TWILIO_API_BASE", &media_base)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await??;
    let addr =
        line.trim().strip_prefix("listening on http://").ok_or_else(|| format!("first line {line:?}"))?.to_string();

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let post = |path: &str, form: String, sig: Option<String>| {
        let mut req = client
            .post(format!("http://{addr}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        if let Some(s) = sig {
            req = req.header("X-Twilio-Signature", s);
        }
        req.send()
    };

    let bodies = [
        ("SM00000000000000000000000000000001", "Hi 👋 are you open today?"),
        ("SM00000000000000000000000000000002", "line one\nline two\r\nline three"),
        ("SM00000000000000000000000000000003", "<b>html</b> & <script>alert(1)</script> \"q\" 'a' +%20"),
    ];
    let url = format!("{PUBLIC}/twilio/sms");
    for (sid, text) in bodies {
        let form = sms(sid, text, None);
        let sig = python_sign(&python, &url, &form, TOKEN)?;
        for attempt in 0..2 {
            let resp = post("/twilio/sms", form.clone(), Some(sig.clone())).await?;
            assert_eq!(resp.status(), 200, "attempt {attempt} of {sid} is accepted");
            assert!(resp.text().await?.contains("<Response"), "answered with TwiML");
        }
    }
    // Forged: the official library with the wrong token, and a body changed after signing.
    let forged = sms("SM00000000000000000000000000000009", "forged", None);
    let wrong = python_sign(&python, &url, &forged, "not-the-token")?;
    assert_eq!(post("/twilio/sms", forged.clone(), Some(wrong)).await?.status(), 403);
    let honest = python_sign(&python, &url, &sms("SM00000000000000000000000000000009", "honest", None), TOKEN)?;
    assert_eq!(post("/twilio/sms", forged.clone(), Some(honest)).await?.status(), 403);
    assert_eq!(post("/twilio/sms", forged, None).await?.status(), 403);

    // An MMS: the worker `serve` started downloads it after the commit.
    let mms = sms("MM00000000000000000000000000000004", "", Some(&format!("{media_base}/Media/ME1")));
    let sig = python_sign(&python, &url, &mms, TOKEN)?;
    assert_eq!(post("/twilio/sms", mms, Some(sig)).await?.status(), 200);

    let deadline = Instant::now() + Duration::from_secs(60);
    let doc = loop {
        let doc = export(dir.path())?;
        let downloaded = doc["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["media"][0]["path"].as_str().is_some_and(|p| p.ends_with(".gif")));
        if downloaded || Instant::now() > deadline {
            break doc;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(server);

    let messages = doc["messages"].as_array().ok_or("messages array")?;
    assert_eq!(messages.len(), 4, "three SMS once each plus the MMS; nothing forged: {messages:?}");
    for (sid, text) in bodies {
        let m = messages.iter().find(|m| m["sid"] == sid).ok_or_else(|| format!("{sid} exported"))?;
        assert_eq!(m["body"].as_str(), Some(text), "{sid} is exported byte-exact");
    }
    let mms = messages.iter().find(|m| m["sid"] == "MM00000000000000000000000000000004").ok_or("mms exported")?;
    let path = mms["media"][0]["path"].as_str().ok_or("the media was downloaded by serve's worker")?;
    assert_eq!(std::fs::read(dir.path().join(path))?, gif);
    Ok(())
}
