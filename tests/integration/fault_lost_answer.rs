//! Exactly-once sending when Twilio's answer is lost (issue 13, item 2). A raw "Twilio"
//! drops the connection after reading a create, and lists whatever each test puts in its
//! log. After a lost answer the send path adopts only a message that is provably ours
//! (exact body but for the trial prefix, same ends and media count, created after our
//! request started, not already stored); otherwise it sends once more, or, when that
//! cannot be known, marks the row failed in plain words with Retry offered. Never a
//! UNIQUE error, never a row left `queued`.

use std::sync::{Arc, Mutex};

use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::Outbound;
use switchboard::store;
use switchboard::Error;

use crate::client_stub::{client_at, message_json, raw_twilio};
use crate::common::{temp_store, unpaced_outbound, TestResult};

const OURS: &str = "+15005550006";
const CUSTOMER: &str = "+61412345678";

/// What the fake Twilio does; changed by the test while it runs.
#[derive(Default)]
struct Script {
    /// How many of the next creates lose their answer (the connection is dropped).
    drop_creates: usize,
    /// Whether a create whose answer is lost was still made on Twilio's side.
    created_on_drop: bool,
    /// Answer lists with a 500 (the log cannot be read).
    list_fails: bool,
    /// Twilio's log, newest last (listed newest first).
    log: Vec<serde_json::Value>,
    /// Request lines, in order.
    requests: Vec<String>,
    next_sid: u32,
}

type Shared = Arc<Mutex<Script>>;

/// The raw "Twilio", starting from `script` (its log, which creates lose their answer…).
fn lost_answer_twilio(script: Script) -> Result<(String, Shared), Box<dyn std::error::Error>> {
    let script: Shared = Arc::new(Mutex::new(Script { next_sid: 100, ..script }));
    let s2 = script.clone();
    let base = raw_twilio(move |line, body| {
        let mut sc = s2.lock().unwrap_or_else(|p| p.into_inner());
        sc.requests.push(line.to_string());
        if line.starts_with("POST") {
            let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
            let field = |k: &str| form.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let media = form.iter().filter(|(k, _)| k == "MediaUrl").count();
            sc.next_sid += 1;
            let sid = format!("SM{:032}", sc.next_sid);
            let mut m: serde_json::Value =
                serde_json::from_str(&message_json(&sid, &field("From"), &field("To"), &field("Body"), "queued"))
                    .unwrap_or_default();
            m["num_media"] = serde_json::json!(media.to_string());
            if sc.drop_creates > 0 {
                sc.drop_creates -= 1;
                if sc.created_on_drop {
                    sc.log.push(m);
                }
                return None; // the request reached "Twilio"; the answer is lost
            }
            sc.log.push(m.clone());
            Some((201, m.to_string()))
        } else if sc.list_fails {
            Some((500, crate::client_stub::twilio_error(20500, 500, "internal error")))
        } else {
            let newest_first: Vec<_> = sc.log.iter().rev().cloned().collect();
            Some((200, serde_json::json!({"messages": newest_first, "next_page_uri": null}).to_string()))
        }
    })?;
    Ok((base, script))
}

fn posts(script: &Shared) -> usize {
    script.lock().map(|s| s.requests.iter().filter(|l| l.starts_with("POST")).count()).unwrap_or(0)
}

/// A message in Twilio's log, created `secs_ago` seconds ago.
fn logged(sid: &str, body: &str, num_media: usize, secs_ago: i64) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_str(&message_json(sid, OURS, CUSTOMER, body, "delivered")).unwrap_or_default();
    m["num_media"] = serde_json::json!(num_media.to_string());
    m["date_created"] = serde_json::json!((chrono::Utc::now() - chrono::Duration::seconds(secs_ago)).to_rfc2822());
    m
}

/// The send path over the raw "Twilio" at `base`, with its store in a fresh folder.
fn outbound(base: &str, public_url: Option<&str>) -> Result<(tempfile::TempDir, Outbound), Box<dyn std::error::Error>> {
    let (dir, store) = temp_store()?;
    // Pacing is tested elsewhere; here it would only slow the resend down.
    Ok((dir, unpaced_outbound(store, OURS, client_at(base)?, public_url)?))
}

fn only_row(ob: &Outbound) -> Result<store::messages::Message, Box<dyn std::error::Error>> {
    let rows: Vec<_> = ob
        .store
        .read(store::messages::all)?
        .into_iter()
        .filter(|m| m.direction == switchboard::domain::Direction::Outbound && m.to == CUSTOMER)
        .collect();
    let mut ours: Vec<_> = rows.into_iter().filter(|m| m.sid.as_deref().is_none_or(|s| s.starts_with("SM0"))).collect();
    ours.pop().ok_or_else(|| "no outbox row".into())
}

#[tokio::test]
async fn lost_answer_does_not_adopt_a_lookalike_body() -> TestResult {
    let (base, script) = lost_answer_twilio(Script {
        log: vec![logged("SM0000000000000000000000000000000a", "Thanks, OK", 0, 0)],
        drop_creates: 1, // and Twilio made nothing of it
        ..Script::default()
    })?;
    let (_dir, ob) = outbound(&base, None)?;
    let out = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "OK")).await?;
    assert_ne!(out.sid.as_deref(), Some("SM0000000000000000000000000000000a"), "\"Thanks, OK\" is not our \"OK\"");
    assert_eq!(posts(&script), 2, "nothing of ours in the log: sent once more");
    assert!(!out.already_sent);
    let row = only_row(&ob)?;
    assert_eq!(row.sid, out.sid, "the row carries the SID of the resend");
    Ok(())
}

#[tokio::test]
async fn lost_answer_mms_with_an_empty_body_is_not_matched_to_an_unrelated_message() -> TestResult {
    let (base, script) = lost_answer_twilio(Script {
        log: vec![
            logged("SM0000000000000000000000000000000b", "See you at 4", 0, 0),
            logged("SM0000000000000000000000000000000c", "", 2, 0),
        ],
        drop_creates: 1,
        ..Script::default()
    })?;
    // The stub is on loopback, like the simulator, so a loopback public URL is usable here.
    let (dir, ob) = outbound(&base, Some("http://127.0.0.1:9"))?;
    let pic = dir.path().join("cake.png");
    std::fs::write(&pic, b"\x89PNG fake")?;
    let mut req = SendRequest::text(OURS, CUSTOMER, "");
    req.media = vec![pic];
    let out = send::send(&ob, req).await?;
    let sid = out.sid.clone().ok_or("no SID")?;
    assert!(
        !["SM0000000000000000000000000000000b", "SM0000000000000000000000000000000c"].contains(&sid.as_str()),
        "an empty-bodied MMS matched {sid}: neither a text nor an MMS with two attachments is ours"
    );
    assert_eq!(posts(&script), 2, "sent once more");
    Ok(())
}

#[tokio::test]
async fn lost_answer_does_not_adopt_a_message_already_stored() -> TestResult {
    let stored = "SM0000000000000000000000000000000d";
    let (base, script) =
        lost_answer_twilio(Script { log: vec![logged(stored, "OK", 0, 0)], drop_creates: 1, ..Script::default() })?;
    let (_dir, ob) = outbound(&base, None)?;
    // The owner's earlier "OK" (seconds ago) is already in the store.
    ob.store.write(|tx| {
        let n = store::numbers::ensure(tx, OURS, false)?;
        store::messages::insert_outbound_from_twilio(
            tx,
            &store::messages::KnownOutbound {
                sid: stored.into(),
                number_id: n,
                from: OURS.into(),
                to: CUSTOMER.into(),
                body: "OK".into(),
                status: switchboard::domain::status::MessageStatus::Delivered,
                error_code: None,
                num_segments: 1,
                created_at: switchboard::domain::now_rfc3339(),
            },
        )?;
        Ok(())
    })?;
    let out = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "OK")).await.map_err(|e| format!("{e}"))?;
    assert_ne!(out.sid.as_deref(), Some(stored), "a stored message is never adopted (no UNIQUE error)");
    assert_eq!(posts(&script), 2);
    let rows = ob.store.read(store::messages::all)?;
    assert_eq!(rows.len(), 2, "the earlier OK and the new one");
    assert!(rows.iter().all(|m| m.sid.is_some()), "no row stays in the outbox without a SID");
    Ok(())
}

#[tokio::test]
async fn lost_create_where_twilio_created_nothing_is_sent_exactly_once_more() -> TestResult {
    let (base, script) = lost_answer_twilio(Script { drop_creates: 1, ..Script::default() })?;
    let (_dir, ob) = outbound(&base, None)?;
    let out = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Your order is ready")).await?;
    assert_eq!(posts(&script), 2, "one lost create, one resend");
    assert_eq!(only_row(&ob)?.sid, out.sid);

    // Both the create and its one resend lose their answers, and the log shows neither:
    // no third try, and the row says so plainly (never queued, never an internal text).
    let (base, script) = lost_answer_twilio(Script { drop_creates: 5, ..Script::default() })?;
    let (_dir, ob) = outbound(&base, None)?;
    let err = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Your order is ready")).await;
    assert!(matches!(err, Err(Error::Network(_))), "the outcome is unknown: {err:?}");
    assert_eq!(posts(&script), 2, "sent again once, never more");
    let row = only_row(&ob)?;
    assert_eq!(row.status, "failed", "never left queued");
    assert!(row.retryable, "the owner gets a Retry");
    assert_eq!(row.error_message.as_deref(), Some(send::UNCONFIRMED), "in plain words");
    Ok(())
}

#[tokio::test]
async fn lost_answer_adopts_only_a_provably_identical_recent_message() -> TestResult {
    let (base, script) = lost_answer_twilio(Script {
        log: vec![
            // The same text sent ten minutes ago is not this send.
            logged("SM0000000000000000000000000000000e", "OK", 0, 600),
            // Twilio's trial prefix is the one difference allowed.
            logged("SM0000000000000000000000000000000f", "Sent from your Twilio trial account - OK", 0, 0),
        ],
        drop_creates: 1,
        ..Script::default()
    })?;
    let (_dir, ob) = outbound(&base, None)?;
    let out = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "OK")).await?;
    assert_eq!(out.sid.as_deref(), Some("SM0000000000000000000000000000000f"), "the trial-prefixed copy is ours");
    assert!(out.already_sent);
    assert_eq!(posts(&script), 1, "adopted, not sent again");
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_that_cannot_be_checked_leaves_a_retryable_failure_not_a_queued_row() -> TestResult {
    let (base, script) = lost_answer_twilio(Script {
        drop_creates: 1,
        created_on_drop: true, // Twilio did make it…
        list_fails: true,      // …but its log cannot be read
        ..Script::default()
    })?;
    let (_dir, ob) = outbound(&base, None)?;
    let err = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "See you at 4")).await;
    match &err {
        Err(e @ Error::Network(_)) => {
            let text = e.to_string();
            assert!(text.contains("Retry"), "the error says what to do: {text}");
            assert!(!text.contains("error sending request") && !text.contains("database"), "plain: {text}");
        }
        other => return Err(format!("expected an unknown outcome, got {other:?}").into()),
    }
    let row = only_row(&ob)?;
    assert_eq!((row.status.as_str(), row.retryable), ("failed", true), "failed with Retry, not queued");
    assert_eq!(posts(&script), 1, "no resend while Twilio may have it");

    // Retry once the log can be read: the message Twilio made is adopted, not sent again.
    script.lock().map_err(|_| "lock")?.list_fails = false;
    let out = send::retry(&ob, row.id).await?;
    assert!(out.already_sent && out.sid.is_some(), "adopted: {out:?}");
    assert_eq!(posts(&script), 1, "the retry sent nothing new");
    let row = only_row(&ob)?;
    assert_eq!(row.sid, out.sid);
    assert!(!row.retryable && row.status != "failed", "the row is sent now: {}", row.status);
    // A second Retry on a sent message is refused plainly.
    assert!(matches!(send::retry(&ob, row.id).await, Err(Error::InvalidInput(_))));
    Ok(())
}

#[tokio::test]
async fn a_send_interrupted_by_a_crash_is_repaired_at_the_next_start() -> TestResult {
    let (base, script) = lost_answer_twilio(Script::default())?;
    let (_dir, ob) = outbound(&base, None)?;
    // Two rows a crash left queued without a SID, their requests started 10 minutes ago:
    // Twilio made the first, never got the second.
    let started = (chrono::Utc::now() - chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    script.lock().map_err(|_| "lock")?.log.push(logged("SM00000000000000000000000000000aaa", "made it", 0, 590));
    for (client_ref, body) in [("crash-1", "made it"), ("crash-2", "never made it")] {
        let started = started.clone();
        ob.store.write(move |tx| {
            let n = store::numbers::ensure(tx, OURS, false)?;
            let (id, _) = store::messages::insert_outbound(
                tx,
                &store::messages::Outbound {
                    client_ref: client_ref.into(),
                    number_id: n,
                    from: OURS.into(),
                    to: CUSTOMER.into(),
                    body: body.into(),
                    channel: switchboard::domain::Channel::Sms,
                    num_segments: 1,
                    num_media: 0,
                    campaign_id: None,
                },
            )?;
            tx.execute("UPDATE messages SET created_at = ?2 WHERE id = ?1", rusqlite::params![id, started])?;
            store::messages::set_request_started(tx, id, &started)?;
            Ok(())
        })?;
    }
    let repaired = send::repair_interrupted(&ob, std::time::Duration::from_secs(60)).await?;
    assert_eq!(repaired, 2);
    let rows = ob.store.read(store::messages::all)?;
    let made = rows.iter().find(|m| m.body == "made it").ok_or("row")?;
    assert_eq!(made.sid.as_deref(), Some("SM00000000000000000000000000000aaa"), "adopted from Twilio's log");
    let lost = rows.iter().find(|m| m.body == "never made it").ok_or("row")?;
    assert_eq!((lost.status.as_str(), lost.retryable), ("failed", true), "failed with Retry, not queued for ever");
    assert_eq!(posts(&script), 0, "repair never sends by itself");
    Ok(())
}
