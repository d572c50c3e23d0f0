//! Issue 13 item 6: the listener cannot be held. 200 connections that stall (half in the
//! headers, half with headers and half a body) are closed by the server within Twilio's
//! 15 s, and a signed webhook sent meanwhile is answered at once. Runs the real listener
//! (`webhook::start`) with its real default limits over real sockets.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use switchboard::media::MediaConfig;
use switchboard::webhook;

use crate::common::TestResult;
use crate::fault_support::post_sms_form;
use crate::webhook_support::{raw_body, signature_for, with_field, Fixture, PUBLIC_URL};

/// Hostile connections opened before the signed webhook.
const STALLED: usize = 200;
/// "Closed within 15 s" (Twilio's own limit), plus slack for a loaded 2-core machine.
const CLOSE_BOUND: Duration = Duration::from_secs(15 + 3);

/// Opens a connection that stops mid-request: in the headers (`in_headers`) or after
/// complete headers and half of the announced body.
async fn stall(addr: SocketAddr, in_headers: bool) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr).await?;
    let head = if in_headers {
        "POST /twilio/sms HTTP/1.1\r\nHost: switchboard.example.test\r\nContent-Type: appl".to_string()
    } else {
        "POST /twilio/sms HTTP/1.1\r\nHost: switchboard.example.test\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: AAAA\r\n\
         Content-Length: 1000\r\n\r\n"
            .to_string()
            + &"a".repeat(500)
    };
    s.write_all(head.as_bytes()).await?;
    Ok(s)
}

/// Waits until the server closes `s` (EOF or reset); returns when, or None past `deadline`.
async fn closed_by_server(mut s: TcpStream, deadline: Instant) -> Option<Instant> {
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(Instant::now()),
            // A 408 (or any answer) before the close is fine: keep reading to the close.
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// Posts a signed inbound SMS with message `sid`; returns its status and latency.
async fn signed_sms(
    client: &reqwest::Client,
    addr: SocketAddr,
    sid: &str,
) -> Result<(reqwest::StatusCode, Duration), Box<dyn std::error::Error>> {
    let body = with_field(&with_field(&raw_body("inbound_sms")?, "MessageSid", sid), "SmsSid", sid);
    let sig = signature_for(crate::webhook_support::TOKEN, "/twilio/sms", &body);
    let started = Instant::now();
    let resp = post_sms_form(client, &addr.to_string(), &sig, body).await?;
    let latency = started.elapsed();
    let status = resp.status();
    let _ = resp.bytes().await?;
    Ok((status, latency))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_and_webhooks_still_answered() -> TestResult {
    let fx = Fixture::new()?;
    let media = MediaConfig::new("http://127.0.0.1:9", None);
    let running = webhook::start(SocketAddr::from(([127, 0, 0, 1], 0)), fx.state.clone(), media).await?;
    let addr = running.addr;

    let client = reqwest::Client::builder().no_proxy().build()?;
    // The same webhook with no one stalling, for comparison: on a loaded machine most of
    // the time is the commit's fsync, not the listener.
    let (status, baseline) = signed_sms(&client, addr, "SM00000000000000000000000000000001").await?;
    assert_eq!(status, 200);

    let opened = Instant::now();
    let mut stalled = Vec::with_capacity(STALLED);
    for i in 0..STALLED {
        stalled.push(stall(addr, i % 2 == 0).await?);
    }
    // Let the server accept and start reading every one of them.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Meanwhile Twilio delivers a real, signed inbound SMS.
    let (status, latency) = signed_sms(&client, addr, "SM00000000000000000000000000000002").await?;
    println!(
        "signed webhook answered {status} in {latency:?} while {STALLED} connections stalled \
         ({baseline:?} with none)"
    );
    assert_eq!(status, 200, "a signed webhook is answered while hostile clients hold connections ({PUBLIC_URL})");
    // The target is 100 ms; a loaded shared 2-core box can stall any process for
    // longer, so the assertion is generous and the figures are printed.
    assert!(latency < Duration::from_secs(1), "the signed webhook waited {latency:?} behind stalled clients");
    assert_eq!(fx.count("messages")?, 2, "both signed messages were stored");

    let deadline = opened + CLOSE_BOUND;
    let waits: Vec<_> = stalled.into_iter().map(|s| tokio::spawn(closed_by_server(s, deadline))).collect();
    let mut still_open = 0;
    let mut last_close = Duration::ZERO;
    for w in waits {
        match w.await? {
            Some(at) => last_close = last_close.max(at - opened),
            None => still_open += 1,
        }
    }
    println!("the last stalled connection was closed {last_close:?} after it was opened");
    assert_eq!(still_open, 0, "{still_open} of {STALLED} stalled connections were still open after {CLOSE_BOUND:?}");
    assert!(last_close <= CLOSE_BOUND, "closed after {last_close:?}");

    running.shutdown().await?;
    Ok(())
}

/// The cap on concurrent connections: with two slots held by stalled clients, a third
/// client waits (in the kernel's backlog) until a stalled one is timed out, and is then
/// served. Short limits keep this quick; the defaults are exercised above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_for_a_slot() -> TestResult {
    let fx = Fixture::new()?;
    let media = MediaConfig::new("http://127.0.0.1:9", None);
    let limits = webhook::ListenerLimits {
        header_timeout: Duration::from_millis(700),
        request_timeout: Duration::from_millis(700),
        max_connections: 2,
    };
    let running = webhook::start_with(SocketAddr::from(([127, 0, 0, 1], 0)), fx.state.clone(), media, limits).await?;
    let addr = running.addr;
    let held = [stall(addr, true).await?, stall(addr, false).await?];
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    let mut third = TcpStream::connect(addr).await?;
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), third.read_to_end(&mut answer)).await??;
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    println!("the third connection was served after {waited:?}");
    assert!(answer.starts_with("HTTP/1.1 200"), "served once a slot freed: {answer}");
    assert!(waited >= Duration::from_millis(400), "served after {waited:?}: the cap of 2 was not enforced");
    drop(held);
    running.shutdown().await?;
    Ok(())
}
