//! Media benchmark (not a test; prints figures, asserts nothing): resident memory added
//! while the download worker's fetch (`media::fetch::fetch`, what the worker runs for each
//! queued recording or MMS) downloads a `BENCH_MEDIA_MB` (default 100) MB recording.
//!
//! The "Twilio" serving it is an axum server on 127.0.0.1:0 in this process that streams the
//! file in 64 KiB chunks of one shared buffer, so it adds almost nothing to the figure itself.
//! Memory is read from `/proc/self/status` (VmRSS sampled every 2 ms, and VmHWM).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::routing::get;
use switchboard::media::fetch::{fetch, HostPolicy};
use switchboard::media::MediaConfig;

const CHUNK: usize = 64 * 1024;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb: u64 = std::env::var("BENCH_MEDIA_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let size = mb * 1024 * 1024;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let chunk = Bytes::from(vec![0x55u8; CHUNK]);
        let app = axum::Router::new().route(
            "/2010-04-01/Accounts/{account}/Recordings/{file}",
            get(move || {
                let chunk = chunk.clone();
                async move {
                    let n = size.div_ceil(CHUNK as u64);
                    let stream = futures_util::stream::iter((0..n).map(move |i| {
                        let len = if i == n - 1 { (size - i * CHUNK as u64) as usize } else { CHUNK };
                        Ok::<_, std::io::Error>(chunk.slice(..len))
                    }));
                    let length = size.to_string();
                    ([("content-type", "audio/wav".to_string()), ("content-length", length)], Body::from_stream(stream))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let dir = tempfile::tempdir()?;
        let mut config = MediaConfig::new(&base, None);
        config.max_bytes = size + 1;
        config.timeout = Duration::from_secs(300);
        let policy = HostPolicy::new(&base);
        let client = reqwest::Client::builder().no_proxy().build()?;
        let url = format!("{base}/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE1.wav");

        // Let the server task start before the baseline is read.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let baseline = status_kb("VmRSS:");
        let peak = Arc::new(AtomicU64::new(baseline));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(status_kb("VmRSS:"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        let started = Instant::now();
        let got = fetch(&client, &config, &policy, dir.path(), &url, "audio/wav")
            .await
            .map_err(|e| format!("download failed: {e}"))?;
        let secs = started.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        let _ = sampler.join();
        let on_disk = std::fs::metadata(dir.path().join(&got.path)).map(|m| m.len()).unwrap_or(0);
        let peak = peak.load(Ordering::Relaxed);
        println!(
            "media: downloaded {:.0} MB ({} bytes on disk) in {secs:.2} s ({:.0} MB/s)",
            got.bytes as f64 / 1048576.0,
            on_disk,
            got.bytes as f64 / 1048576.0 / secs
        );
        println!(
            "media: RSS before {:.1} MB, peak during {:.1} MB: added {:.1} MB (VmHWM of the process {:.1} MB)",
            baseline as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(baseline) as f64 / 1024.0,
            status_kb("VmHWM:") as f64 / 1024.0
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
