//! Sending at the edges (issue 13, items 11 and 12): no tunnel means no StatusCallback and
//! no attachments; copies of sent attachments do not pile up; links open only as web links;
//! a tunnel that drops while an MMS waits for its outbox row does not strip its attachments.

use std::sync::Arc;

use switchboard::events::{Events, TunnelState};
use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::{media_links, rate_setting_key, Outbound};
use switchboard::secrets::TwilioCredentials;
use switchboard::store::{self, Store};
use switchboard::twilio::client::{ClientConfig, TwilioClient};
use switchboard::Error;

use crate::client_stub::{client_at, message_json, Stub, ACCOUNT};
use crate::common::{temp_store, TestResult};

const OURS: &str = "+15005550006";
const CUSTOMER: &str = "+61412345678";

/// A stub Twilio that creates every message it is asked for.
async fn creating_twilio() -> Result<Stub, Box<dyn std::error::Error>> {
    Stub::start(Arc::new(|r, before| {
        let n = before.iter().filter(|b| b.method == "POST").count() + 1;
        let sid = format!("MM{n:032}");
        let body = r.field("Body").unwrap_or_default();
        (201, vec![], message_json(&sid, OURS, CUSTOMER, &body, "queued"))
    }))
    .await
}

fn fast(store: &Store) -> Result<(), Box<dyn std::error::Error>> {
    store.write(|tx| store::settings::set(tx, rate_setting_key(OURS), "1000"))?;
    Ok(())
}

#[tokio::test]
async fn no_tunnel_refuses_mms_and_sends_text_without_callback() -> TestResult {
    // The real Twilio, and only the listener's loopback URL (no tunnel): Twilio cannot
    // reach it, so it counts as no URL at all.
    let (dir, store) = temp_store()?;
    let real = TwilioClient::new(ClientConfig::new(TwilioCredentials::with_auth_token(ACCOUNT, "t")))?;
    let ob = Outbound::new(store.clone(), real, Events::new(), Some("http://127.0.0.1:8787".into()));
    assert_eq!(ob.public_url(), None, "a loopback URL is no URL for the real Twilio");
    assert_eq!(ob.sms_status_callback(), None, "so no StatusCallback either");
    let pic = dir.path().join("cake.png");
    std::fs::write(&pic, b"\x89PNG fake")?;
    let mut mms = SendRequest::text(OURS, CUSTOMER, "Your cake");
    mms.media = vec![pic.clone()];
    match send::send(&ob, mms.clone()).await {
        Err(e @ Error::InvalidInput(_)) => {
            assert!(e.to_string().contains("the tunnel is off: attachments need it"), "said plainly: {e}")
        }
        other => return Err(format!("an MMS without a tunnel must be refused, got {other:?}").into()),
    }
    assert!(store.read(store::messages::all)?.is_empty(), "a refused send leaves no trace");
    let copies = std::fs::read_dir(dir.path().join(media_links::DIR)).map(|d| d.count()).unwrap_or(0);
    assert_eq!(copies, 0, "and no copy of the attachment");

    // A plain text goes out without a StatusCallback and says so; catch-up repairs its status.
    let stub = creating_twilio().await?;
    let (_dir, store) = temp_store()?;
    fast(&store)?;
    let ob = Outbound::new(store, client_at(&stub.base)?, Events::new(), None);
    let out = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Your order is ready")).await?;
    assert!(!out.status_callback, "the outcome says no status will be reported");
    let post = stub.requests().into_iter().find(|r| r.method == "POST").ok_or("no create")?;
    assert_eq!(post.field("StatusCallback"), None, "no loopback (or any) StatusCallback was sent");
    assert!(matches!(send::send(&ob, mms).await, Err(Error::InvalidInput(_))), "MMS refused here too");
    assert_eq!(stub.count("POST", "Messages.json"), 1, "the refused MMS never reached Twilio");
    Ok(())
}

/// An MMS that waits for its outbox row (the composer's first click still sending it)
/// while the tunnel drops goes out with its attachments, linked at the URL it checked: it
/// was accepted with them, and sending it without them would lose the picture silently.
#[tokio::test]
async fn an_mms_waiting_for_its_row_keeps_its_attachments_when_the_tunnel_drops() -> TestResult {
    let stub = creating_twilio().await?;
    let (dir, store) = temp_store()?;
    fast(&store)?;
    let online = TunnelState::Online { kind: "ngrok".into(), url: "https://pub.example".into() };
    let (tunnel, state) = tokio::sync::watch::channel(online);
    let ob = Outbound::following(store.clone(), client_at(&stub.base)?, Events::new(), state);
    let pic = dir.path().join("cake.png");
    std::fs::write(&pic, b"\x89PNG fake")?;
    let mut mms = SendRequest::text(OURS, CUSTOMER, "Your cake");
    mms.media = vec![pic];
    mms.client_ref = Some("composer-7".into());

    let first_click = store.lock_outbox("composer-7").await;
    let sending = tokio::spawn({
        let ob = ob.clone();
        async move { send::send(&ob, mms).await }
    });
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.outbox_contenders("composer-7") < 2 {
        if tokio::time::Instant::now() > deadline {
            return Err("the send never came to wait for its row".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tunnel.send_replace(TunnelState::Failed { kind: "ngrok".into(), reason: "the network went away".into() });
    assert_eq!(ob.public_url(), None, "the tunnel is down now");
    drop(first_click);
    sending.await??;
    let post = stub.requests().into_iter().find(|r| r.method == "POST").ok_or("no create")?;
    let url = post.field("MediaUrl").ok_or("the MMS went out without its attachment")?;
    assert!(url.starts_with("https://pub.example/"), "linked at the URL checked before the wait: {url}");
    Ok(())
}

#[tokio::test]
async fn sent_attachment_copies_are_purged() -> TestResult {
    let stub = creating_twilio().await?;
    let (dir, store) = temp_store()?;
    fast(&store)?;
    let ob = Outbound::new(store.clone(), client_at(&stub.base)?, Events::new(), Some("http://127.0.0.1:9".into()));
    let mut tokens = Vec::new();
    for name in ["fetched.png", "never-fetched.png"] {
        let pic = dir.path().join(name);
        std::fs::write(&pic, b"\x89PNG fake")?;
        let mut req = SendRequest::text(OURS, CUSTOMER, name);
        req.media = vec![pic];
        send::send(&ob, req).await?;
        let post = stub.requests().into_iter().rev().find(|r| r.method == "POST").ok_or("no create")?;
        let url = post.field("MediaUrl").ok_or("no MediaUrl")?;
        tokens.push(url.rsplit('/').next().ok_or("no token")?.to_string());
    }
    let copy = |t: &str| dir.path().join(media_links::DIR).join(t);
    assert!(copy(&tokens[0]).exists() && copy(&tokens[1]).exists(), "copies are kept until Twilio fetches them");

    // Twilio fetches the first.
    let resp = media_links::serve_token(&store, &tokens[0]).await;
    assert_eq!(resp.status(), 200);
    let now = chrono::Utc::now();
    assert_eq!(media_links::purge_at(&store, now).await?, 0, "kept for a few minutes in case Twilio fetches again");
    let later = now + chrono::Duration::from_std(media_links::FETCHED_GRACE)? + chrono::Duration::seconds(1);
    assert_eq!(media_links::purge_at(&store, later).await?, 1, "the fetched copy goes");
    assert!(!copy(&tokens[0]).exists(), "its file is deleted");
    assert!(copy(&tokens[1]).exists(), "the one never fetched stays for now");
    assert_eq!(media_links::serve_token(&store, &tokens[0]).await.status(), 404, "and its link is dead");

    let next_day = now + chrono::Duration::hours(24) + chrono::Duration::seconds(1);
    assert_eq!(media_links::purge_at(&store, next_day).await?, 1, "after a day every copy goes");
    assert!(!copy(&tokens[1]).exists());
    Ok(())
}

/// The window may open links only as http(s) in the default browser: the opener
/// permission is scoped to exactly those schemes (the UI filters too, see format.ts).
#[test]
fn links_open_only_http_and_https() -> TestResult {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities/default.json");
    let cap: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let perms = cap["permissions"].as_array().ok_or("no permissions")?;
    let opener: Vec<&serde_json::Value> = perms
        .iter()
        .filter(|p| p.as_str().or_else(|| p["identifier"].as_str()).is_some_and(|id| id.starts_with("opener:")))
        .collect();
    assert_eq!(opener.len(), 1, "one opener permission: {opener:?}");
    let p = opener[0];
    assert_eq!(p["identifier"], "opener:allow-open-url", "only opening URLs (no reveal, no default set)");
    let mut urls: Vec<&str> =
        p["allow"].as_array().ok_or("a scope")?.iter().filter_map(|e| e["url"].as_str()).collect();
    urls.sort();
    assert_eq!(urls, vec!["http://*", "https://*"], "web links only; never javascript:, file:, tauri:…");
    assert!(p["allow"].as_array().ok_or("a scope")?.iter().all(|e| e.get("app").is_none()), "default browser only");
    Ok(())
}
