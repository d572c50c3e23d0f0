//! One timeline per customer, conversation states and counts, Retry, attachments and
//! failed downloads (issue 15). The edges first: Retry pressed twice, 11 attachments,
//! three files of 2 MB, a count over 10,000 conversations, a done conversation reopening.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use switchboard::domain::status::{CallStatus, MessageStatus};
use switchboard::events::Events;
use switchboard::media::{self, DownloadOf, Wake};
use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::{media_links, rate_setting_key, reply, Outbound};
use switchboard::store::conversations::{self, ConversationState, ListFilter};
use switchboard::store::timeline::{self, Item, TextBack};
use switchboard::store::{self, calls, contacts, downloads, messages, numbers, voicemails, Store};
use switchboard::Error;

use crate::client_stub::{client_at, message_json, twilio_error, Stub};
use crate::common::{temp_store, TestResult};

const OURS: &str = "+15005550006";
const OTHER_NUMBER: &str = "+15005550007";
const CUSTOMER: &str = "+61412345678";
const SOMEONE_ELSE: &str = "+61412000000";
const OWNER_MOBILE: &str = "+61400000000";

fn at(minute: u32) -> String {
    format!("2026-11-20T10:{minute:02}:00.000Z")
}

fn inbound(sid: &str, number_id: i64, from: &str, body: &str, created_at: &str) -> messages::Inbound {
    messages::Inbound {
        sid: sid.into(),
        number_id,
        from: from.into(),
        to: OURS.into(),
        body: body.into(),
        num_segments: 1,
        media: vec![],
        created_at: created_at.into(),
    }
}

fn call(sid: &str, number_id: i64, direction: &str, from: &str, to: &str, created_at: &str) -> calls::NewCall {
    calls::NewCall {
        sid: sid.into(),
        number_id: Some(number_id),
        direction: direction.into(),
        from: from.into(),
        to: to.into(),
        status: "ringing".into(),
        forwarded_to: Some(OWNER_MOBILE.into()),
        created_at: created_at.into(),
    }
}

fn sid(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:032}")
}

/// A conversation with texts, an answered (forwarded) call, a missed call with a voicemail,
/// and a call we placed; plus what must NOT be on it: the forwarded leg to the owner's
/// phone, another customer's call, and this customer's call to another of our numbers.
fn seed_customer(store: &Store) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(store.write(|tx| {
        let ours = numbers::ensure(tx, OURS, true)?;
        let other = numbers::ensure(tx, OTHER_NUMBER, true)?;
        contacts::save(
            tx,
            None,
            &contacts::ContactEdit {
                name: "Mrs Lee".into(),
                phones: vec![CUSTOMER.into()],
                email: None,
                notes: String::new(),
            },
        )?;
        let first = messages::insert_inbound(tx, &inbound(&sid("SM", 1), ours, CUSTOMER, "Is my cake ready?", &at(1)))?;
        // Answered on the owner's phone.
        calls::insert(tx, &call(&sid("CA", 1), ours, "inbound", CUSTOMER, OURS, &at(2)))?;
        calls::set_dial_result(tx, &sid("CA", 1), "completed", Some("human"), Some(40))?;
        calls::apply_status(tx, &sid("CA", 1), &CallStatus::parse("completed"), Some(45), None)?;
        // Its forwarded leg: a call to the owner, not with the customer.
        calls::insert(tx, &call(&sid("CA", 2), ours, "outbound-dial", OURS, OWNER_MOBILE, &at(2)))?;
        messages::insert_inbound(tx, &inbound(&sid("SM", 2), ours, CUSTOMER, "Thanks!", &at(3)))?;
        // Missed, and a voicemail left on it.
        calls::insert(tx, &call(&sid("CA", 3), ours, "inbound", CUSTOMER, OURS, &at(4)))?;
        calls::set_dial_result(tx, &sid("CA", 3), "no-answer", None, None)?;
        voicemails::insert_recording(
            tx,
            &voicemails::NewRecording {
                sid: sid("RE", 3),
                call_sid: Some(sid("CA", 3)),
                kind: "voicemail".into(),
                remote_url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE3".into(),
                duration: Some(12),
                number_id: Some(ours),
                from: CUSTOMER.into(),
                source: Some("RecordVerb".into()),
            },
        )?;
        voicemails::set_transcription(tx, &sid("RE", 3), "Call me back about the cake", "completed")?;
        tx.execute("UPDATE voicemails SET created_at = ?1", params![at(5)])?;
        // We called back (click-to-call).
        calls::insert(tx, &call(&sid("CA", 4), ours, "outbound-api", OURS, CUSTOMER, &at(6)))?;
        // Not this conversation: another customer, and this customer on another number.
        calls::insert(tx, &call(&sid("CA", 5), ours, "inbound", SOMEONE_ELSE, OURS, &at(7)))?;
        calls::insert(tx, &call(&sid("CA", 6), other, "inbound", CUSTOMER, OTHER_NUMBER, &at(8)))?;
        messages::insert_inbound(tx, &inbound(&sid("SM", 3), ours, CUSTOMER, "See you at 4", &at(9)))?;
        Ok(first.conversation_id)
    })?)
}

fn label(item: &Item) -> String {
    match item {
        Item::Message(m) => format!("text {}", m.body),
        Item::Call(c) => format!("call {} {:?}", c.sid, c.outcome),
        Item::Voicemail(v) => format!("voicemail {}", v.transcription.clone().unwrap_or_default()),
    }
}

#[test]
fn a_conversation_shows_texts_calls_and_voicemails_in_time_order() -> TestResult {
    let (_dir, store) = temp_store()?;
    let conv = seed_customer(&store)?;
    let page = store.read(|c| timeline::page(c, conv, 50, None))?;
    let labels: Vec<String> = page.items.iter().map(label).collect();
    assert_eq!(
        labels,
        vec![
            "text Is my cake ready?".to_string(),
            format!("call {} Forwarded", sid("CA", 1)),
            "text Thanks!".into(),
            format!("call {} Missed", sid("CA", 3)),
            "voicemail Call me back about the cake".into(),
            format!("call {} Outgoing", sid("CA", 4)),
            "text See you at 4".into(),
        ],
        "oldest first; not the leg to the owner, another customer's call, or another number's call"
    );
    assert_eq!(page.before, None, "the whole conversation fits: no older page");
    let Some(Item::Call(missed)) = page.items.get(3) else { return Err("a call".into()) };
    assert!(missed.has_voicemail && missed.missed);
    assert_eq!(missed.contact_name, "Mrs Lee", "the name where the number is shown");
    assert_eq!(missed.customer, CUSTOMER, "and the number for the hover");
    let Some(Item::Voicemail(vm)) = page.items.get(4) else { return Err("a voicemail".into()) };
    assert_eq!((vm.contact_name.as_str(), vm.duration), ("Mrs Lee", Some(12)));

    // The wire shape the UI reads: a `kind` beside the row's own fields.
    let json = serde_json::to_value(&page.items[1])?;
    assert_eq!((json["kind"].as_str(), json["outcome"].as_str()), (Some("call"), Some("forwarded")));
    Ok(())
}

#[test]
fn timeline_pages_follow_on_without_gaps_or_repeats_across_kinds_and_equal_times() -> TestResult {
    let (_dir, store) = temp_store()?;
    let conv = store.write(|tx| {
        let ours = numbers::ensure(tx, OURS, true)?;
        let mut conv = 0;
        // 40 texts and 25 calls, many of them at the same instant (pages end inside them).
        for i in 0..40u32 {
            conv = messages::insert_inbound(tx, &inbound(&sid("SM", i), ours, CUSTOMER, &format!("t{i}"), &at(i / 4)))?
                .conversation_id;
        }
        for i in 0..25u32 {
            calls::insert(tx, &call(&sid("CA", i), ours, "inbound", CUSTOMER, OURS, &at(i / 3)))?;
        }
        Ok(conv)
    })?;
    let whole = store.read(|c| timeline::page(c, conv, 500, None))?;
    assert_eq!(whole.items.len(), 65);
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.read(|c| timeline::page(c, conv, 7, before.as_ref()))?;
        assert!(page.items.len() <= 7);
        let mut ids: Vec<_> = page.items.iter().map(Item::cursor).collect();
        ids.extend(seen);
        seen = ids;
        match page.before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    let all: Vec<_> = whole.items.iter().map(Item::cursor).collect();
    assert_eq!(seen, all, "pages of 7, walked back, give the one timeline in order");
    Ok(())
}

#[test]
fn text_back_opens_the_customers_conversation_from_a_missed_call_or_a_voicemail() -> TestResult {
    let (_dir, store) = temp_store()?;
    let conv = seed_customer(&store)?;
    let (missed, vm, other_number_call) = store.read(|c| {
        let missed = calls::find_by_sid(c, &sid("CA", 3))?.ok_or(Error::Internal("call".into()))?;
        let vm = voicemails::find_by_recording_sid(c, &sid("RE", 3))?.ok_or(Error::Internal("vm".into()))?;
        let other = calls::find_by_sid(c, &sid("CA", 6))?.ok_or(Error::Internal("call".into()))?;
        Ok((missed.id, vm.id, other.id))
    })?;
    assert_eq!(store.write(move |tx| timeline::text_back(tx, &TextBack::Call(missed)))?, conv);
    assert_eq!(store.write(move |tx| timeline::text_back(tx, &TextBack::Voicemail(vm)))?, conv);
    // The customer called our other number: the thread is on that number (made if new).
    let there = store.write(move |tx| timeline::text_back(tx, &TextBack::Call(other_number_call)))?;
    let summary = store.read(|c| conversations::get(c, there))?;
    assert_eq!((summary.our_number.as_str(), summary.customer.as_str()), (OTHER_NUMBER, CUSTOMER));
    assert_ne!(there, conv);
    Ok(())
}

#[test]
fn a_done_conversation_reopens_when_the_customer_writes_again() -> TestResult {
    let (_dir, store) = temp_store()?;
    let conv = seed_customer(&store)?;
    store.write(move |tx| conversations::set_state(tx, conv, ConversationState::Done))?;
    let done = store.read(|c| conversations::get(c, conv))?;
    assert_eq!((done.state.as_str(), done.unread), ("done", 0), "done, and read: it was dealt with");
    let only_done = ListFilter { state: Some(ConversationState::Done), ..Default::default() };
    assert_eq!(store.read(|c| conversations::list(c, &only_done))?.len(), 1);

    // Our own reply does not reopen it…
    store.write(|tx| {
        let ours = numbers::ensure(tx, OURS, true)?;
        let (id, _) = messages::insert_outbound(
            tx,
            &messages::Outbound {
                client_ref: "reply-1".into(),
                number_id: ours,
                from: OURS.into(),
                to: CUSTOMER.into(),
                body: "See you then".into(),
                channel: switchboard::domain::Channel::Sms,
                num_segments: 1,
                num_media: 0,
                campaign_id: None,
            },
        )?;
        Ok(id)
    })?;
    assert_eq!(store.read(|c| conversations::get(c, conv))?.state, ConversationState::Done);
    // …the customer writing again does.
    store.write(|tx| {
        let ours = numbers::ensure(tx, OURS, true)?;
        messages::insert_inbound(tx, &inbound(&sid("SM", 99), ours, CUSTOMER, "One more thing", &at(30)))
    })?;
    let back = store.read(|c| conversations::get(c, conv))?;
    assert_eq!((back.state.as_str(), back.unread), ("open", 1), "open again, and unread");
    assert!(store.read(|c| conversations::list(c, &only_done))?.is_empty());
    Ok(())
}

#[test]
fn the_unread_count_covers_every_conversation_not_the_first_page() -> TestResult {
    let (_dir, store) = temp_store()?;
    store.write(|tx| {
        let ours = numbers::ensure(tx, OURS, true)?;
        for i in 0..10_000u32 {
            let from = format!("+614{i:08}");
            // Every conversation one unread text; every tenth two.
            messages::insert_inbound(tx, &inbound(&sid("SM", i), ours, &from, "hi", &at(i % 60)))?;
            if i % 10 == 0 {
                messages::insert_inbound(tx, &inbound(&sid("SN", i), ours, &from, "hello?", &at(i % 60)))?;
            }
        }
        Ok(())
    })?;
    let counts = store.read(conversations::counts)?;
    assert_eq!(counts.unread_conversations, 10_000);
    assert_eq!(counts.unread_messages, 11_000, "every unread text of all 10,000, not of the first 50");
    assert_eq!((counts.open, counts.done), (10_000, 0));

    // Read some, mark some done, mark one unread again: the counts follow.
    let first_page = store.read(|c| conversations::list(c, &ListFilter::default()))?;
    assert_eq!(first_page.len(), 50);
    let ids: Vec<i64> = first_page.iter().map(|c| c.id).collect();
    store.write(move |tx| {
        for id in &ids[..20] {
            conversations::mark_read(tx, *id)?;
        }
        for id in &ids[20..30] {
            conversations::set_state(tx, *id, ConversationState::Done)?;
        }
        conversations::mark_unread(tx, ids[0])?;
        Ok(())
    })?;
    let after = store.read(conversations::counts)?;
    assert_eq!((after.unread_conversations, after.open, after.done), (10_000 - 30 + 1, 9_990, 10));
    let unread =
        store.read(|c| conversations::list(c, &ListFilter { unread_only: true, limit: 500, ..Default::default() }))?;
    assert!(unread.iter().all(|c| c.unread > 0) && unread.iter().any(|c| c.id == first_page[0].id));
    assert!(store.write(|tx| conversations::mark_unread(tx, 987_654)).is_err(), "an unknown conversation says so");
    Ok(())
}

// ---- Retry ----

/// A Twilio whose first create is refused (21408: sending to that region is not enabled)
/// and whose later creates succeed, slowly, so a second Retry arrives mid-send.
async fn refusing_then_slow_twilio() -> Result<Stub, Box<dyn std::error::Error>> {
    Stub::start(Arc::new(|r, before| {
        if r.method != "POST" {
            return (200, vec![], serde_json::json!({"messages": [], "next_page_uri": null}).to_string());
        }
        let n = before.iter().filter(|b| b.method == "POST").count();
        if n == 0 {
            return (400, vec![], twilio_error(21408, 400, "Permission to send an SMS has not been enabled"));
        }
        std::thread::sleep(Duration::from_millis(300));
        let body = r.field("Body").unwrap_or_default();
        (201, vec![], message_json(&sid("SM", 100 + n as u32), OURS, CUSTOMER, &body, "queued"))
    }))
    .await
}

fn outbound_at(
    stub: &Stub,
    dir: &std::path::Path,
    public: Option<String>,
) -> Result<Outbound, Box<dyn std::error::Error>> {
    let store = Store::open(dir)?;
    store.write(|tx| store::settings::set(tx, rate_setting_key(OURS), "1000"))?;
    Ok(Outbound::new(store, client_at(&stub.base)?, Events::new(), public))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_pressed_twice_sends_one_new_message_linked_to_the_failed_one() -> TestResult {
    let stub = refusing_then_slow_twilio().await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound_at(&stub, dir.path(), None)?;
    let refused = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Your cake is ready")).await;
    assert!(matches!(refused, Err(Error::Twilio { .. })), "{refused:?}");
    let failed = ob.store.read(messages::all)?.pop().ok_or("the failed row")?;
    assert_eq!((failed.status.as_str(), failed.retryable), ("failed", true), "failed, with Retry");

    // Retry pressed twice while the first is still with Twilio.
    let (a, b) = tokio::join!(send::retry(&ob, failed.id), send::retry(&ob, failed.id));
    let (a, b) = (a?, b?);
    assert_eq!(stub.count("POST", "Messages.json"), 2, "the refused create and ONE retry: never a double send");
    assert_eq!(a.message_id, b.message_id, "both presses answer with the same retry");
    assert!(a.already_sent != b.already_sent, "one sent it, the other found it sent");
    assert_ne!(a.message_id, failed.id, "a new message in the outbox…");
    let retry = ob.store.read(move |c| messages::get(c, a.message_id))?;
    assert_eq!(retry.retry_of, Some(failed.id), "…linked to the failed one");
    assert!(retry.sid.is_some() && retry.body == failed.body && retry.to == failed.to);
    let failed_now = ob.store.read(move |c| messages::get(c, failed.id))?;
    assert_eq!(failed_now.retried_by, Some(retry.id));
    assert!(!failed_now.retryable, "Retry is no longer offered on the failed message");

    // A third press, later: still nothing sent; the thread is shown the retry.
    let shown = reply::retry(&ob, failed.id).await?;
    assert_eq!(shown.id, retry.id);
    assert_eq!(stub.count("POST", "Messages.json"), 2);
    assert_eq!(ob.store.read(messages::all)?.len(), 2, "the failed message and its one retry");
    Ok(())
}

#[tokio::test]
async fn an_undelivered_message_can_be_retried_and_a_delivered_one_cannot() -> TestResult {
    let stub = Stub::start(Arc::new(|r, before| {
        let n = before.iter().filter(|b| b.method == "POST").count() as u32;
        let body = r.field("Body").unwrap_or_default();
        (201, vec![], message_json(&sid("SM", 200 + n), OURS, CUSTOMER, &body, "queued"))
    }))
    .await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound_at(&stub, dir.path(), None)?;
    let first = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Pick-up at 4")).await?;
    let sid1 = first.sid.clone().ok_or("sid")?;
    // The carrier could not deliver it (30003: unreachable handset).
    ob.store
        .write(move |tx| messages::apply_status(tx, &sid1, &MessageStatus::parse("undelivered"), Some(30003), None))?;
    let out = send::retry(&ob, first.message_id).await?;
    assert!(!out.already_sent && out.message_id != first.message_id, "a new send: {out:?}");
    assert_eq!(stub.count("POST", "Messages.json"), 2);
    let retry_id = out.message_id;
    let sent = send::retry(&ob, retry_id).await;
    assert!(matches!(sent, Err(Error::InvalidInput(_))), "a message on its way is not retried: {sent:?}");
    assert_eq!(stub.count("POST", "Messages.json"), 2);
    Ok(())
}

#[tokio::test]
async fn retry_checks_the_opt_out_ledger_again() -> TestResult {
    let stub = refusing_then_slow_twilio().await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound_at(&stub, dir.path(), None)?;
    let _ = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Sale today")).await;
    let failed = ob.store.read(messages::all)?.pop().ok_or("row")?;
    ob.store.write(|tx| store::optouts::set_by_owner(tx, CUSTOMER, true))?;
    let r = send::retry(&ob, failed.id).await;
    assert!(matches!(r, Err(Error::OptedOut(_))), "{r:?}");
    assert_eq!(stub.count("POST", "Messages.json"), 1, "nothing sent to someone who said STOP");
    Ok(())
}

// ---- Attachments ----

fn files(dir: &std::path::Path, names: &[(&str, usize)]) -> Result<Vec<std::path::PathBuf>, std::io::Error> {
    names
        .iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, vec![7u8; *bytes])?;
            Ok(p)
        })
        .collect()
}

async fn refused_before_anything(files: Vec<std::path::PathBuf>, expect: &str) -> TestResult {
    let stub =
        Stub::start(Arc::new(|_, _| (201, vec![], message_json(&sid("SM", 1), OURS, CUSTOMER, "", "queued")))).await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound_at(&stub, dir.path(), Some("http://127.0.0.1:9".into()))?;
    let mut req = SendRequest::text(OURS, CUSTOMER, "Here you go");
    req.media = files;
    match send::send(&ob, req).await {
        Err(e @ Error::InvalidInput(_)) => assert!(e.to_string().contains(expect), "said plainly: {e}"),
        other => return Err(format!("expected a refusal mentioning {expect:?}, got {other:?}").into()),
    }
    assert_eq!(stub.requests().len(), 0, "Twilio was never asked");
    assert!(ob.store.read(messages::all)?.is_empty(), "no outbox row");
    let copies = std::fs::read_dir(dir.path().join(media_links::DIR)).map(|d| d.count()).unwrap_or(0);
    assert_eq!(copies, 0, "and no copy of any attachment");
    Ok(())
}

#[tokio::test]
async fn eleven_attachments_are_refused_before_anything_is_written() -> TestResult {
    let src = tempfile::tempdir()?;
    let names: Vec<(String, usize)> = (0..11).map(|i| (format!("p{i}.jpg"), 10)).collect();
    let names: Vec<(&str, usize)> = names.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    refused_before_anything(files(src.path(), &names)?, "at most 10").await
}

#[tokio::test]
async fn three_files_of_2_mb_are_refused_as_one_message_over_5_mb() -> TestResult {
    let src = tempfile::tempdir()?;
    let two_mb = 2 * 1024 * 1024;
    let f = files(src.path(), &[("a.pdf", two_mb), ("b.mp4", two_mb), ("c.jpg", two_mb)])?;
    refused_before_anything(f, "at most 5 MB in all").await
}

#[tokio::test]
async fn any_type_twilio_accepts_is_attached_and_others_are_refused() -> TestResult {
    let stub = Stub::start(Arc::new(|r, _| {
        let n = r.form().iter().filter(|(k, _)| k == "MediaUrl").count();
        (201, vec![], message_json(&sid("MM", n as u32), OURS, CUSTOMER, "", "queued"))
    }))
    .await?;
    let src = tempfile::tempdir()?;
    let dir = tempfile::tempdir()?;
    let ob = outbound_at(&stub, dir.path(), Some("http://127.0.0.1:9".into()))?;
    let ten = files(
        src.path(),
        &[
            ("menu.pdf", 1000),
            ("card.vcf", 100),
            ("clip.mp4", 1000),
            ("note.m4a", 1000),
            ("invite.ics", 100),
            ("quote.docx", 1000),
            ("scan.tiff", 1000),
            ("photo.HEIC", 1000),
            ("song.mp3", 1000),
            ("prices.csv", 100),
        ],
    )?;
    let mut req = SendRequest::text(OURS, CUSTOMER, "Everything you asked for");
    req.media = ten;
    let out = send::send(&ob, req).await?;
    let post = stub.requests().into_iter().find(|r| r.method == "POST").ok_or("create")?;
    assert_eq!(post.form().iter().filter(|(k, _)| k == "MediaUrl").count(), 10, "ten attachments of any accepted type");
    assert!(out.sid.is_some());
    assert_eq!(media_links::content_type_for(std::path::Path::new("x.vcf"))?, "text/vcard");
    for refused in ["sticker.webp", "notes.txt", "setup.exe", "noextension"] {
        assert!(media_links::content_type_for(std::path::Path::new(refused)).is_err(), "{refused} is not an MMS type");
    }
    Ok(())
}

// ---- Failed downloads ----

#[tokio::test]
async fn a_failed_download_shows_its_reason_and_retry_queues_it_again() -> TestResult {
    let (_dir, store) = temp_store()?;
    let (message_id, media_id) = store.write(|tx| {
        let ours = numbers::ensure(tx, OURS, true)?;
        let mut m = inbound(&sid("MM", 1), ours, CUSTOMER, "", &at(1));
        m.media =
            vec![("image/jpeg".into(), "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1".into())];
        let out = messages::insert_inbound(tx, &m)?;
        Ok((out.message_id, out.media_ids[0]))
    })?;
    let media = store.read(move |c| messages::get(c, message_id))?.media;
    assert_eq!((media[0].download_error.clone(), media[0].download_failed), (None, false), "on its way");

    // The worker gave up on it: the thread shows why, not "Downloading…" for ever.
    store.write(|tx| {
        let d = downloads::outstanding(tx)?.pop().ok_or(Error::Internal("download".into()))?;
        downloads::fail(tx, d.id, "the file is larger than 50 MB", None)
    })?;
    let media = store.read(move |c| messages::get(c, message_id))?.media;
    assert_eq!(media[0].download_error.as_deref(), Some("the file is larger than 50 MB"));
    assert!(media[0].download_failed);

    let wake = Wake::default();
    media::retry_download(&store, &wake, DownloadOf::Media(media_id)).await?;
    let d = store.read(downloads::outstanding)?.pop().ok_or("still outstanding")?;
    assert_eq!(d.attempts, 0, "a fresh count of attempts");
    let due = store.read(|c| downloads::due(c, &switchboard::domain::now_rfc3339(), 10))?;
    assert_eq!(due.len(), 1, "queued again, due now");
    let media = store.read(move |c| messages::get(c, message_id))?.media;
    assert!(!media[0].download_failed, "no longer given up");
    // Nothing to retry on a finished download.
    store.write(move |tx| downloads::complete(tx, d.id))?;
    let again = media::retry_download(&store, &wake, DownloadOf::Media(media_id)).await;
    assert!(matches!(again, Err(Error::InvalidInput(_))), "{again:?}");
    Ok(())
}

/// A recorded call on a customer's timeline whose download failed: the call row carries
/// the recording with its reason (never "Downloading…" for ever), the player's audio says
/// why it is missing, and the timeline's Retry (`DownloadOf::Recording`, the id the call
/// carries) queues it again, after which the audio plays.
#[tokio::test]
async fn a_recorded_call_on_the_timeline_retries_its_failed_download() -> TestResult {
    use switchboard::media::{MediaConfig, Worker};
    use switchboard::recordings;
    use switchboard::secrets::TwilioCredentials;
    use switchboard::sim::{SimConfig, Simulator};
    use switchboard::store::call_recordings::DownloadState;
    use switchboard::twilio::client::{ClientConfig, TwilioClient};

    const SHOP: &str = "+61255501234";
    const BOB: &str = "+61412555202";
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?;
    sim.add_number(SHOP, "Shop");
    let (call_sid, _) = sim.seed_recorded_call(BOB, SHOP, 20, Duration::from_secs(300));
    let creds = TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token());
    let tw = TwilioClient::new(ClientConfig::with_base(creds.clone(), &sim.base_url()))?;
    let (_dir, store) = temp_store()?;
    let events = Events::new();
    let shop = store.write(|tx| numbers::ensure(tx, SHOP, true))?;
    switchboard::sync::run(&store, &tw, &events).await?;
    let conv =
        store.write(move |tx| conversations::start(tx, Some(shop), &conversations::StartWith::Phone(BOB.into())))?;
    let recording_on_timeline = |store: &Store| -> Result<_, Box<dyn std::error::Error>> {
        let page = store.read(move |c| timeline::page(c, conv, 50, None))?;
        let call = page
            .items
            .into_iter()
            .find_map(|i| match i {
                Item::Call(c) if c.sid == call_sid => Some(c),
                _ => None,
            })
            .ok_or("the recorded call is on the customer's timeline")?;
        Ok(call.recordings.into_iter().next().ok_or("the call carries its recording")?)
    };

    // The worker gave up on it (as it does after too many attempts).
    store.write(|tx| {
        let d = downloads::outstanding(tx)?.pop().ok_or(Error::Internal("download".into()))?;
        downloads::fail(tx, d.id, "Twilio answered 404", None)
    })?;
    let r = recording_on_timeline(&store)?;
    assert_eq!((r.download, r.download_error.as_deref()), (DownloadState::Failed, Some("Twilio answered 404")));
    let missing = recordings::audio(&store, r.id).await;
    assert!(
        matches!(&missing, Err(Error::NotFound { what }) if what.contains("Twilio answered 404")),
        "the player says why: {missing:?}"
    );

    let wake = Wake::default();
    media::retry_download(&store, &wake, DownloadOf::Recording(r.id)).await?;
    assert_eq!(recording_on_timeline(&store)?.download, DownloadState::Downloading, "queued again");
    let worker = Worker::new(store.clone(), events.clone(), MediaConfig::new(&sim.base_url(), Some(&creds)))?;
    assert_eq!(worker.run_once().await?, 1);
    let r = recording_on_timeline(&store)?;
    assert_eq!(r.download, DownloadState::Downloaded, "{r:?}");
    assert!(!recordings::audio(&store, r.id).await?.is_empty(), "the player gets the audio");
    let again = media::retry_download(&store, &wake, DownloadOf::Recording(r.id)).await;
    assert!(matches!(again, Err(Error::InvalidInput(_))), "nothing to retry: {again:?}");
    let unknown = media::retry_download(&store, &wake, DownloadOf::Recording(9_999)).await;
    assert!(matches!(unknown, Err(Error::NotFound { .. })), "{unknown:?}");
    Ok(())
}
