//! The download worker against a tiny local server standing in for Twilio (allowed
//! because it is the configured API base): auth, redirects, content addressing, the size
//! cap, host refusal, retries, and the wake-up after a webhook commit.

use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use sha2::Digest;
use switchboard::events::Event;
use switchboard::media::{MediaConfig, Wake, Worker};
use switchboard::secrets::TwilioCredentials;
use switchboard::store::{messages, voicemails};

use crate::common::TestResult;
use crate::webhook_support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really a picture but bytes are bytes";
const WAV: &[u8] = b"RIFF....WAVEfmt a short recording";

fn authorised(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("AC1:secret-token"));
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

/// A fake Twilio: media redirects to a "CDN" path; recordings need `.wav`.
async fn fake_twilio() -> Result<String, Box<dyn std::error::Error>> {
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            get(|h: HeaderMap| async move {
                if !authorised(&h) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                Redirect::to("/cdn/ME1").into_response()
            }),
        )
        .route("/cdn/ME1", get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }))
        .route(
            "/2010-04-01/Accounts/AC1/Recordings/RE1.wav",
            get(|h: HeaderMap| async move {
                if !authorised(&h) {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                ([(header::CONTENT_TYPE, "audio/x-wav")], WAV).into_response()
            }),
        )
        .route("/big", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], vec![7u8; 4096]) }))
        .route("/away", get(|| async { Redirect::to("https://evil.example/steal") }))
        .route("/flaky", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "try later") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

fn config(base: &str) -> MediaConfig {
    let creds = TwilioCredentials::with_auth_token("AC1", "secret-token");
    let mut c = MediaConfig::new(base, Some(&creds));
    c.max_bytes = 1024;
    c
}

fn mms(sid: &str, urls: &[String]) -> String {
    let mut p: Vec<(String, String)> = vec![
        ("MessageSid".into(), sid.into()),
        ("From".into(), "+61412345678".into()),
        ("To".into(), "+61255501234".into()),
        ("Body".into(), String::new()),
        ("NumMedia".into(), urls.len().to_string()),
    ];
    for (i, u) in urls.iter().enumerate() {
        p.push((format!("MediaUrl{i}"), u.clone()));
        p.push((format!("MediaContentType{i}"), "image/png".into()));
    }
    encode(&p)
}

fn download_state(
    f: &Fixture,
    kind: &'static str,
    target: i64,
) -> Result<(String, i64, Option<String>), Box<dyn std::error::Error>> {
    Ok(f.store.read(move |c| {
        Ok(c.query_row(
            "SELECT state, attempts, last_error FROM downloads WHERE kind = ?1 AND target_id = ?2",
            rusqlite::params![kind, target],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    })?)
}

#[tokio::test]
async fn media_is_fetched_with_auth_through_redirects_and_content_addressed() -> TestResult {
    let base = fake_twilio().await?;
    let f = Fixture::new()?;
    let urls = vec![
        format!("{base}/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
        format!("{base}/big"),
        format!("{base}/away"),
        "https://evil.example/media/ME9".to_string(),
        format!("{base}/flaky"),
    ];
    assert_eq!(f.post("/twilio/sms", &mms("MM00000000000000000000000000000001", &urls)).await?.0, StatusCode::OK);
    let worker = Worker::new(f.store.clone(), f.events.clone(), config(&base))?;
    assert_eq!(worker.run_once().await?, 5, "every queued download is tried");

    let m = f.store.read(|c| messages::find_by_sid(c, "MM00000000000000000000000000000001"))?.ok_or("stored")?;
    let sha = hex::encode(sha2::Sha256::digest(PNG));
    let first = &m.media[0];
    assert_eq!(first.path.as_deref(), Some(format!("media/{}/{sha}.png", &sha[..2]).as_str()), "content-addressed");
    assert_eq!((first.sha256.as_deref(), first.bytes), (Some(sha.as_str()), Some(PNG.len() as i64)));
    let on_disk = std::fs::read(f.dir.path().join(first.path.as_deref().ok_or("path")?))?;
    assert_eq!(on_disk, PNG, "the file holds exactly the bytes served");
    assert_eq!(download_state(&f, "media", first.id)?.0, "done");

    let big = download_state(&f, "media", m.media[1].id)?;
    assert_eq!(big.0, "failed", "over the size cap is permanent");
    assert!(big.2.is_some_and(|e| e.contains("limit")));
    let away = download_state(&f, "media", m.media[2].id)?;
    assert_eq!(away.0, "failed", "a redirect off Twilio's hosts is refused");
    assert!(away.2.is_some_and(|e| e.contains("not a Twilio host")));
    let evil = download_state(&f, "media", m.media[3].id)?;
    assert_eq!(evil.0, "failed", "a non-Twilio host is never contacted");
    let flaky = download_state(&f, "media", m.media[4].id)?;
    assert_eq!((flaky.0.as_str(), flaky.1), ("queued", 1), "a 503 is retried later, and visible meanwhile");
    assert!(m.media[1..].iter().all(|x| x.path.is_none()));
    let leftovers = std::fs::read_dir(f.dir.path().join("media/tmp"))?.count();
    assert_eq!(leftovers, 0, "no partial file is left behind");
    assert_eq!(worker.run_once().await?, 0, "the retry waits for its backoff");
    Ok(())
}

#[tokio::test]
async fn recordings_are_fetched_as_wav_and_attached_to_the_voicemail() -> TestResult {
    let base = fake_twilio().await?;
    let f = Fixture::new()?;
    let rec = with_field(
        &raw_body("recording_status_callback")?,
        "RecordingUrl",
        &format!("{base}/2010-04-01/Accounts/AC1/Recordings/RE1"),
    );
    assert_eq!(f.post("/twilio/voice/recording", &rec).await?.0, StatusCode::OK);
    let worker = Worker::new(f.store.clone(), f.events.clone(), config(&base))?;
    worker.run_once().await?;
    let vm = f
        .store
        .read(|c| voicemails::find_by_recording_sid(c, "RE0ff7ecec483bcbbeb0d76eb8bfe5b6e0"))?
        .ok_or("voicemail")?;
    let path = vm.path.ok_or("the recording was downloaded")?;
    assert!(path.ends_with(".wav"), "{path}");
    assert_eq!(std::fs::read(f.dir.path().join(&path))?, WAV);
    assert_eq!(vm.content_type.as_deref(), Some("audio/x-wav"));
    assert_eq!(vm.download_error, None);
    Ok(())
}

#[tokio::test]
async fn the_worker_wakes_right_after_a_commit() -> TestResult {
    let base = fake_twilio().await?;
    let mut f = Fixture::new()?;
    let wake = Wake::default();
    f.state = f.state.clone().with_downloads(wake.clone());
    let mut cfg = config(&base);
    // Only the wake-up can start this download within the test's wait.
    cfg.poll_interval = Duration::from_secs(3600);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let handle = Worker::new(f.store.clone(), f.events.clone(), cfg)?.spawn(wake, async move {
        let _ = stop_rx.wait_for(|s| *s).await;
    });
    let mut rx = f.events.subscribe();
    let url = format!("{base}/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1");
    f.post("/twilio/sms", &mms("MM00000000000000000000000000000002", &[url])).await?;
    let downloaded = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.recv().await {
                Ok(Event::MediaDownloaded { message_id }) => return Some(message_id),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    })
    .await?;
    assert!(downloaded.is_some(), "the webhook's wake-up started the download");
    let _ = stop_tx.send(true);
    handle.await?;
    Ok(())
}
