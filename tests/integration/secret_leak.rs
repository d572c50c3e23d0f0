//! After onboarding (credentials into the real keychain) and a day's worth of traffic
//! through `switchboard serve` and `switchboard send` — texts, MMS, calls, voicemails,
//! STOP, replies — the Auth Token appears in no file under the data directory or the log
//! directory: not as text, not inside a Basic-auth header, not base64-encoded.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use switchboard::secrets::{keys, Keychain, Secret};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{numbers, Store};

use crate::common::{switchboard_bin, TestResult};
use crate::sim_support::wait_until;

const OURS: &str = "+61255501234";

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            all_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// Multi-threaded: the simulator must keep serving while this test waits on child processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_token_is_in_no_file_after_a_day_of_traffic() -> TestResult {
    if std::env::var("SWITCHBOARD_KEYCHAIN_TESTS").as_deref() != Ok("1") {
        eprintln!("secret-leak test skipped: run it through `make test` (it starts a Secret Service)");
        return Ok(());
    }
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(5), ..SimConfig::default() }).await?;
    let token = sim.auth_token().to_string();
    let pn = sim.add_number(OURS, "Shop");

    // Onboarding: the credentials go to the keychain and nowhere else.
    let keychain = Keychain::default();
    keychain.set(keys::ACCOUNT_SID, &Secret::new(sim.account_sid().into()))?;
    keychain.set(keys::AUTH_TOKEN, &Secret::new(token.clone()))?;

    let data = tempfile::tempdir()?;
    let logs = tempfile::tempdir()?;
    let pn2 = pn.clone();
    Store::open(data.path())?.write(move |tx| {
        let pn = pn2;
        let id = numbers::upsert_from_twilio(tx, &pn, OURS, "Shop")?;
        numbers::set_managed(tx, id, true, Some("{}"))
    })?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let public = format!("http://127.0.0.1:{port}");
    let env = |c: &mut Command| {
        c.env_remove("TWILIO_ACCOUNT_SID")
            .env_remove("TWILIO_AUTH_TOKEN")
            .env_remove("TWILIO_API_KEY")
            .env_remove("TWILIO_API_SECRET")
            .env("SWITCHBOARD_TWILIO_API_BASE", sim.base_url())
            .env("SWITCHBOARD_TWILIO_NUMBERS_BASE", sim.base_url())
            .env("SWITCHBOARD_TWILIO_STUDIO_BASE", sim.base_url())
            .env("SWITCHBOARD_PUBLIC_URL", &public)
            .env("RUST_LOG", "debug");
    };
    let mut serve = Command::new(switchboard_bin());
    serve
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &public, "--data-dir"])
        .arg(data.path());
    env(&mut serve);
    let mut child =
        serve.stdout(Stdio::piped()).stderr(std::fs::File::create(logs.path().join("serve.log"))?).spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    assert!(line.starts_with("listening on"), "serve did not start: {line:?}");

    let creds = switchboard::secrets::TwilioCredentials {
        account_sid: sim.account_sid().into(),
        username: sim.account_sid().into(),
        password: Secret::new(token.clone()),
        auth_token: None,
    };
    let api = switchboard::twilio::client::TwilioClient::new(switchboard::twilio::client::ClientConfig::with_base(
        creds,
        &sim.base_url(),
    ))?;
    let want = format!("{public}/twilio/sms");
    wait_until("serve points the managed number at itself", || {
        let (api, pn, want) = (api.clone(), pn.clone(), want.clone());
        async move { api.fetch_number(&pn).await.ok().and_then(|n| n.config.sms_url) == Some(want) }
    })
    .await?;
    let customers = ["+61412555301", "+61412555302", "+61412555303"];
    for (i, c) in customers.iter().enumerate() {
        sim.customer_sms(c, OURS, &format!("Hello {i}, is the shop open?"), i == 1).await?;
    }
    sim.customer_call(customers[0], OURS, Some(2)).await?;
    sim.customer_call(customers[2], OURS, Some(1)).await?;
    sim.customer_sms(customers[2], OURS, "STOP", false).await?;
    let mut send = Command::new(switchboard_bin());
    send.args(["send", "--from", OURS, "--to", customers[0], "--body", "Yes, open until 5", "--data-dir"])
        .arg(data.path());
    env(&mut send);
    let out = send.output()?;
    std::fs::write(logs.path().join("send.log"), [&out.stdout[..], &out.stderr[..]].concat())?;
    assert!(out.status.success(), "send failed: {}", String::from_utf8_lossy(&out.stderr));

    let data_path = data.path().to_path_buf();
    wait_until("both voicemails are downloaded", || {
        let data_path = data_path.clone();
        async move {
            Store::open(&data_path)
                .and_then(|s| {
                    s.read(|c| {
                        Ok(c.query_row("SELECT COUNT(*) FROM recordings WHERE path IS NOT NULL", [], |r| {
                            r.get::<_, i64>(0)
                        })?)
                    })
                })
                .map(|n| n == 2)
                .unwrap_or(false)
        }
    })
    .await?;
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status()?;
    child.wait()?;

    // The traffic really happened (a test that proves nothing would pass an empty folder).
    let store = Store::open(data.path())?;
    let messages: i64 = store.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?))?;
    assert!(messages >= 5, "expected the day's messages in the store, found {messages}");
    drop(store);
    let log = std::fs::read_to_string(logs.path().join("serve.log"))?;
    assert!(!log.is_empty(), "debug logging was on, so the log is not empty");

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{token}", sim.account_sid()));
    let needles: [(&str, Vec<u8>); 3] = [
        ("the token", token.clone().into_bytes()),
        ("the Basic auth header", basic.into_bytes()),
        ("the token in base64", base64::engine::general_purpose::STANDARD.encode(&token).into_bytes()),
    ];
    let mut files = Vec::new();
    all_files(data.path(), &mut files)?;
    all_files(logs.path(), &mut files)?;
    assert!(files.len() >= 4, "database, WAL, media and logs are scanned: {files:?}");
    for file in &files {
        // SQLite removes the -wal/-shm files when the last connection closes, which a
        // dropped Store does on its writer thread a moment later: a file gone has no secret.
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for (what, needle) in &needles {
            assert!(!contains(&bytes, needle), "{what} leaked into {}", file.display());
        }
    }
    keychain.delete(keys::AUTH_TOKEN)?;
    keychain.delete(keys::ACCOUNT_SID)?;
    Ok(())
}
