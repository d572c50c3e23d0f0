//! Signed-webhook ingest benchmark (not a test): inbound SMS, each with a fresh SID, signed
//! exactly as Twilio signs them, posted over real loopback HTTP to the listener, each
//! answered only after its SQLite commit (WAL, synchronous=FULL).
//!
//! Two phases:
//! 1. saturation: `BENCH_CLIENTS` concurrent clients send `BENCH_REQUESTS` requests as fast
//!    as they can: sustained throughput and latency percentiles;
//! 2. fixed rate: `BENCH_RATE` req/s (default 500) for `BENCH_SECONDS`: latency p50/p99 at
//!    a realistic load, and whether the rate was kept.
//!
//! By default the router runs in-process on 127.0.0.1:0. Set `BENCH_TARGET=http://127.0.0.1:PORT`
//! (with `BENCH_PUBLIC_URL` and `BENCH_AUTH_TOKEN`, the values that server was started with)
//! to measure another listener the same way — `switchboard serve`, or the Flask reference
//! implementation planned for comparison. Run with `scripts/bench.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::events::Events;
use switchboard::secrets::Secret;
use switchboard::store::Store;
use switchboard::twilio::signature::{sign, Algorithm};
use switchboard::webhook::{router, serve, AppState};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

struct Target {
    base: String,
    public_url: String,
    token: String,
}

/// One signed inbound SMS (form body, signature) with a unique SID.
fn request(t: &Target, n: u64) -> (String, String) {
    let sid = format!("SM{n:032x}");
    let pairs: Vec<(String, String)> = vec![
        ("ToCountry".into(), "AU".into()),
        ("MessageSid".into(), sid.clone()),
        ("SmsSid".into(), sid.clone()),
        ("SmsMessageSid".into(), sid),
        ("AccountSid".into(), "AC00000000000000000000000000000000".into()),
        ("From".into(), format!("+614123{:05}", n % 100_000)),
        ("To".into(), "+61255501234".into()),
        ("Body".into(), format!("Benchmark message {n} 👋 with a little text")),
        ("NumMedia".into(), "0".into()),
        ("NumSegments".into(), "1".into()),
        ("ApiVersion".into(), "2010-04-01".into()),
    ];
    let sig = sign(&t.token, &format!("{}/twilio/sms", t.public_url), &pairs, Algorithm::Sha1);
    (serde_urlencoded::to_string(&pairs).unwrap_or_default(), sig)
}

async fn send(client: &reqwest::Client, t: &Target, n: u64) -> Result<Duration, String> {
    let (body, sig) = request(t, n);
    let started = Instant::now();
    let resp = client
        .post(format!("{}/twilio/sms", t.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let _ = resp.bytes().await;
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    Ok(started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(name: &str, mut lat: Vec<Duration>, errors: usize, elapsed: Duration) {
    lat.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: {} ok, {errors} errors in {:.2} s = {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        elapsed.as_secs_f64(),
        lat.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default()),
    );
}

async fn saturation(client: &reqwest::Client, t: Arc<Target>, clients: u64, total: u64, first: u64) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, t) = (client.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut n = first + c;
            while n < first + total {
                match send(&client, &t, n).await {
                    Ok(d) => lat.push(d),
                    Err(_) => errors += 1,
                }
                n += clients;
            }
            (lat, errors)
        }));
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((l, e)) = task.await {
            lat.extend(l);
            errors += e;
        }
    }
    report(&format!("saturation ({clients} clients)"), lat, errors, started.elapsed());
}

async fn fixed_rate(client: &reqwest::Client, t: Arc<Target>, rate: u64, seconds: u64, first: u64) {
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        tick.tick().await;
        let (client, t) = (client.clone(), t.clone());
        tasks.push(tokio::spawn(async move { send(&client, &t, first + i).await }));
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    for task in tasks {
        match task.await {
            Ok(Ok(d)) => lat.push(d),
            _ => errors += 1,
        }
    }
    report(&format!("fixed rate {rate} req/s for {seconds} s"), lat, errors, started.elapsed());
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let clients = env_num("BENCH_CLIENTS", 16);
        let total = env_num("BENCH_REQUESTS", 3000);
        let rate = env_num("BENCH_RATE", 500);
        let seconds = env_num("BENCH_SECONDS", 10);

        let dir = tempfile::tempdir()?;
        let (target, server) = match std::env::var("BENCH_TARGET").ok().filter(|v| !v.is_empty()) {
            Some(base) => {
                let t = Target {
                    base: base.trim_end_matches('/').to_string(),
                    public_url: std::env::var("BENCH_PUBLIC_URL").unwrap_or_else(|_| base.clone()),
                    token: std::env::var("BENCH_AUTH_TOKEN").map_err(|_| "BENCH_TARGET needs BENCH_AUTH_TOKEN")?,
                };
                println!("target: {} (external)", t.base);
                (t, None)
            }
            None => {
                let store = Store::open(dir.path())?;
                let token = "bench-token".to_string();
                let public_url = "https://bench.example.test".to_string();
                let state = AppState::new(store, &public_url, Secret::new(token.clone()), Events::new());
                let listener = switchboard::webhook::bind("127.0.0.1:0".parse()?).await?;
                let addr = listener.local_addr()?;
                let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
                let handle = tokio::spawn(serve(listener, router(state), async move {
                    let _ = stop_rx.wait_for(|s| *s).await;
                }));
                println!(
                    "target: in-process router on http://{addr}, SQLite WAL synchronous=FULL in {}",
                    dir.path().display()
                );
                (Target { base: format!("http://{addr}"), public_url, token }, Some((stop_tx, handle)))
            }
        };
        let t = Arc::new(target);
        let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
        // Warm up connections and the page cache.
        for n in 0..50 {
            let _ = send(&client, &t, u64::MAX / 2 + n).await;
        }
        saturation(&client, t.clone(), clients, total, 0).await;
        fixed_rate(&client, t.clone(), rate, seconds, 1_000_000).await;
        if let Some((stop_tx, handle)) = server {
            let _ = stop_tx.send(true);
            let _ = handle.await;
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
