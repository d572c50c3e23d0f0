//! Helpers for the fault tests: `switchboard serve` as a child process that can be killed
//! with SIGKILL, inbound SMS forms signed as Twilio signs them, and a direct look at the
//! store on disk.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard::twilio::signature::{sign, Algorithm};

use crate::common::switchboard_bin;
use crate::webhook_support::{encode, pairs};

pub type Error = Box<dyn std::error::Error>;

/// The public URL `serve` is told it is reached at; signatures are computed over it.
pub const PUBLIC: &str = "https://fault.example.test";
pub const ACCOUNT: &str = "AC00000000000000000000000000000000";

/// A running `switchboard serve`. Dropping it kills the process (SIGKILL) and reaps it, so a
/// failed assertion never leaves a server behind.
pub struct Serve {
    child: Child,
    pub addr: String,
    /// Everything the process wrote to stderr so far (its log).
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    /// Starts `serve --no-sync` on `127.0.0.1:0` over `data_dir` and waits for its
    /// `listening on http://ADDR` line. Each test uses its own `token`: after a kill the
    /// port may be reused by another test's server, which then refuses (403) our requests
    /// rather than storing them.
    pub fn start(data_dir: &Path, token: &str) -> Result<Serve, Error> {
        let mut child = Command::new(switchboard_bin())
            .args(["serve", "--no-sync", "--listen", "127.0.0.1:0", "--public-url", PUBLIC, "--data-dir"])
            .arg(data_dir)
            .env("TWILIO_ACCOUNT_SID", ACCOUNT)
            .env("TWILIO_AUTH_TOKEN", token)
            // Nothing here may reach the internet: any REST call goes to a closed port.
            .env("SWITCHBOARD_TWILIO_API_BASE", "http://127.0.0.1:9")
            .env("SWITCHBOARD_TWILIO_NUMBERS_BASE", "http://127.0.0.1:9")
            .env("RUST_LOG", "switchboard=info,warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut err) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            });
        }
        let stdout = child.stdout.take().ok_or("serve has no stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while matches!(reader.read_line(&mut sink), Ok(n) if n > 0) {
                sink.clear();
            }
        });
        let mut serve = Serve { child, addr: String::new(), stderr };
        match line.trim().strip_prefix("listening on http://") {
            Some(addr) => serve.addr = addr.to_string(),
            None => return Err(format!("serve did not start: first line {line:?}, log: {}", serve.log()).into()),
        }
        Ok(serve)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the process logged so far.
    pub fn log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The exit status if the process has ended (it never should on its own).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGKILL: no shutdown code runs, exactly as a power cut or the OOM killer.
    pub fn kill9(mut self) -> Result<(), Error> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A random generator for a randomized fault test, and its seed, which is printed (named
/// after `test`) so that a failure can be replayed; assertions name it too.
pub fn seeded_rng(test: &str) -> (u64, rand::rngs::StdRng) {
    use rand::SeedableRng;
    let seed: u64 = rand::random();
    eprintln!("{test} seed {seed}");
    (seed, rand::rngs::StdRng::seed_from_u64(seed))
}

/// An inbound SMS form from a customer, as Twilio posts it.
pub fn sms_form(sid: &str, body: &str) -> String {
    let p: Vec<(String, String)> = vec![
        ("ToCountry".into(), "AU".into()),
        ("MessageSid".into(), sid.into()),
        ("SmsSid".into(), sid.into()),
        ("AccountSid".into(), ACCOUNT.into()),
        ("From".into(), "+61412345678".into()),
        ("To".into(), "+61255501234".into()),
        ("Body".into(), body.into()),
        ("NumSegments".into(), "1".into()),
        ("NumMedia".into(), "0".into()),
    ];
    encode(&p)
}

/// `X-Twilio-Signature` for `form` posted to `PUBLIC + path`.
pub fn signature(token: &str, path: &str, form: &str) -> String {
    sign(token, &format!("{PUBLIC}{path}"), &pairs(form), Algorithm::Sha1)
}

/// A loopback client with a short timeout (a killed server must not hang the test).
pub fn http() -> Result<reqwest::Client, Error> {
    Ok(reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build()?)
}

/// Posts a signed inbound SMS; the HTTP status, or an error when the connection failed.
pub async fn post_sms(
    client: &reqwest::Client,
    serve_addr: &str,
    token: &str,
    sid: &str,
    body: &str,
) -> reqwest::Result<u16> {
    let form = sms_form(sid, body);
    let sig = signature(token, "/twilio/sms", &form);
    let resp = post_sms_form(client, serve_addr, &sig, form).await?;
    Ok(resp.status().as_u16())
}

/// POSTs the form body `form` to the listener at `addr` as Twilio posts an inbound SMS,
/// with `signature` as its `X-Twilio-Signature`.
pub async fn post_sms_form(
    client: &reqwest::Client,
    addr: &str,
    signature: &str,
    form: String,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("http://{addr}/twilio/sms"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(form)
        .send()
        .await
}

/// `(sid, copies)` of every message with a SID in the database, read directly with SQLite
/// (no migration) so the check does not depend on the code under test. Opened read-write
/// only so SQLite can recover the WAL of a killed process, as the next start would.
pub fn inbound_sid_counts(data_dir: &Path) -> Result<Vec<(String, i64)>, Error> {
    let conn = rusqlite::Connection::open(data_dir.join(switchboard::store::DB_FILE))?;
    let mut stmt = conn.prepare("SELECT sid, COUNT(*) FROM messages WHERE sid IS NOT NULL GROUP BY sid")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// `PRAGMA integrity_check` of the database file, then FTS5's own check that the search
/// indexes match the messages and contacts they index: `ok` when nothing is corrupted.
pub fn integrity_check(data_dir: &Path) -> Result<String, Error> {
    let conn = rusqlite::Connection::open(data_dir.join(switchboard::store::DB_FILE))?;
    let pages = conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))?;
    if pages != "ok" {
        return Ok(pages);
    }
    for fts in ["messages_fts", "contacts_fts"] {
        if let Err(e) = conn.execute(&format!("INSERT INTO {fts}({fts}) VALUES ('integrity-check')"), []) {
            return Ok(format!("{fts}: {e}"));
        }
    }
    Ok(pages)
}
