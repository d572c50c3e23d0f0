//! Prism serving Twilio's official OpenAPI specs, started once per test binary (it takes a
//! few seconds) on a free port. Prism validates each request against the spec and answers
//! 422 when Twilio would refuse it, so a test that gets 2xx made a request Twilio accepts.
//!
//! Prism runs under `sh`, which kills it when our end of its stdin closes (the test
//! binary exited), so no Prism outlives the tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::client_stub::creds;
use crate::common::oracles_dir;

/// Well-formed SIDs for the requests the tests send to Prism, which checks a SID's pattern,
/// never that it exists.
pub mod sid {
    pub const ADDRESS: &str = "AD0123456789abcdef0123456789abcdef";
    pub const BRAND: &str = "BN0123456789abcdef0123456789abcdef";
    pub const BUNDLE: &str = "BU0123456789abcdef0123456789abcdef";
    pub const CALL: &str = "CA0123456789abcdef0123456789abcdef";
    pub const CAMPAIGN: &str = "QE0123456789abcdef0123456789abcdef";
    pub const END_USER: &str = "IT0123456789abcdef0123456789abcdef";
    pub const MESSAGE: &str = "SM0123456789abcdef0123456789abcdef";
    pub const NUMBER: &str = "PN0123456789abcdef0123456789abcdef";
    /// A customer profile is a Trust Hub bundle: the same prefix as [`BUNDLE`].
    pub const PROFILE: &str = BUNDLE;
    /// A trust product, another Trust Hub bundle than [`PROFILE`].
    pub const PRODUCT: &str = "BU0123456789abcdef0123456789abcdee";
    pub const RECORDING: &str = "RE0123456789abcdef0123456789abcdef";
    pub const SERVICE: &str = "MG0123456789abcdef0123456789abcdef";
    pub const VERIFICATION: &str = "HH0123456789abcdef0123456789abcdef";
}

pub struct Prism {
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

/// Holds each Prism's stdin open for the life of the test binary.
static KEEPALIVE: Mutex<Vec<ChildStdin>> = Mutex::new(Vec::new());
static API: OnceLock<Result<Prism, String>> = OnceLock::new();
static NUMBERS: OnceLock<Result<Prism, String>> = OnceLock::new();
static STUDIO: OnceLock<Result<Prism, String>> = OnceLock::new();
static MESSAGING: OnceLock<Result<Prism, String>> = OnceLock::new();
static TRUSTHUB: OnceLock<Result<Prism, String>> = OnceLock::new();
static PRICING: OnceLock<Result<Prism, String>> = OnceLock::new();

/// Prism serving `twilio_api_v2010.json` (api.twilio.com).
pub fn api() -> Result<&'static Prism, String> {
    served(&API, "twilio_api_v2010.json")
}

/// Prism serving `twilio_numbers_v2.json` (numbers.twilio.com).
pub fn numbers() -> Result<&'static Prism, String> {
    served(&NUMBERS, "twilio_numbers_v2.json")
}

/// Prism serving `twilio_studio_v2.json` (studio.twilio.com), for the fallback flow.
pub fn studio() -> Result<&'static Prism, String> {
    served(&STUDIO, "twilio_studio_v2.json")
}

/// Prism serving `twilio_messaging_v1.json` (messaging.twilio.com), for US registration.
pub fn messaging() -> Result<&'static Prism, String> {
    served(&MESSAGING, "twilio_messaging_v1.json")
}

/// Prism serving `twilio_trusthub_v1.json` (trusthub.twilio.com), for US registration.
pub fn trusthub() -> Result<&'static Prism, String> {
    served(&TRUSTHUB, "twilio_trusthub_v1.json")
}

/// Prism serving `twilio_pricing_v1.json` (pricing.twilio.com), for bulk-send estimates.
pub fn pricing() -> Result<&'static Prism, String> {
    served(&PRICING, "twilio_pricing_v1.json")
}

/// The Prism in `cell`, started on first use with `spec_name`; a failed start is kept, so
/// every test that needs it reports the same reason.
fn served(cell: &'static OnceLock<Result<Prism, String>>, spec_name: &str) -> Result<&'static Prism, String> {
    cell.get_or_init(|| start(spec_name)).as_ref().map_err(Clone::clone)
}

/// The Twilio specs a test can have Prism serve.
#[derive(Debug, Clone, Copy)]
pub enum Spec {
    Api,
    Numbers,
    Messaging,
    Trusthub,
    Pricing,
}

/// A client whose hosts for `specs` are Prism (started if need be; the other hosts keep
/// Twilio's): no retries (a 5xx should fail loudly) and a timeout Prism meets on a busy machine.
pub fn client(specs: &[Spec]) -> Result<TwilioClient, Box<dyn std::error::Error>> {
    let mut cfg = ClientConfig::new(creds());
    for spec in specs {
        match spec {
            Spec::Api => cfg.api_base = api()?.base.clone(),
            Spec::Numbers => {
                // Documents are uploaded to numbers-upload, which the same spec describes.
                cfg.numbers_base = numbers()?.base.clone();
                cfg.upload_base = cfg.numbers_base.clone();
            }
            Spec::Messaging => cfg.messaging_base = messaging()?.base.clone(),
            Spec::Trusthub => cfg.trusthub_base = trusthub()?.base.clone(),
            Spec::Pricing => cfg.pricing_base = pricing()?.base.clone(),
        }
    }
    cfg.max_retries = 0;
    cfg.timeout = Duration::from_secs(30);
    Ok(TwilioClient::new(cfg)?)
}

fn prism_bin() -> PathBuf {
    match std::env::var_os("SWITCHBOARD_PRISM") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools/node_modules/.bin/prism"),
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn start(spec_name: &str) -> Result<Prism, String> {
    let spec = oracles_dir().join("oai").join(spec_name);
    if !spec.exists() {
        return Err(format!("{} is missing", spec.display()));
    }
    let bin = prism_bin();
    if !bin.exists() {
        return Err(format!("Prism not found at {} (set SWITCHBOARD_PRISM)", bin.display()));
    }
    let port = free_port()?;
    let log = std::env::temp_dir().join(format!("switchboard-prism-{port}.log"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" mock -h 127.0.0.1 -p "$1" "$2" >"$3" 2>&1 & pid=$!; read _ignored; kill $pid"#)
        .arg(&bin)
        .arg(port.to_string())
        .arg(&spec)
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start Prism: {e}"))?;
    if let Some(stdin) = child.stdin.take() {
        KEEPALIVE.lock().unwrap_or_else(|p| p.into_inner()).push(stdin);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if answers(port) {
            return Ok(Prism { base: format!("http://127.0.0.1:{port}") });
        }
        if let Ok(Some(status)) = child.try_wait() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("Prism exited ({status}): {text}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!("Prism did not answer on port {port} within 120 s; see {}", log.display()))
}

/// True once an HTTP request to the port gets any HTTP answer.
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 5 && &buf[..5] == b"HTTP/")
}
