//! Issue 13, items 1 and 5 against the simulator: what customers sent while the app was
//! closed goes through the same inbound pipeline as a webhook (a STOP is honoured, keywords
//! are applied oldest first), and catch-up is complete (thousands of missed messages, the
//! transcript of a voicemail left with the Twilio-hosted flow), exactly once.

use std::time::Duration;

use switchboard::events::{Event, Events};
use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::Outbound;
use switchboard::sim::Simulator;
use switchboard::store::{self, settings, Store};

use crate::common::{count, TestResult};
use crate::sim_support::{client, open_listener, sim_and_store};

type Error = Box<dyn std::error::Error>;

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412555201";
const BOB: &str = "+61412555202";

/// The owner sends a promotion to `to` after the catch-up.
async fn promote(store: &Store, sim: &Simulator, to: &str) -> Result<send::SendOutcome, switchboard::Error> {
    let ob = Outbound::new(store.clone(), client(sim)?, Events::new(), None);
    send::send(&ob, SendRequest::text(OURS, to, "Sale this weekend: 20% off")).await
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

/// Alice texted `keywords` while the app was closed (ten minutes apart, the last ten minutes
/// ago); the app starts, catches up, and the owner then sends her a promotion.
async fn promote_after_keywords(
    keywords: &[&str],
) -> Result<(Simulator, Result<send::SendOutcome, switchboard::Error>), Error> {
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    for (i, keyword) in keywords.iter().enumerate() {
        sim.seed_message(ALICE, OURS, keyword, true, minutes(10 * (keywords.len() - i) as u64));
    }
    switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    let sent = promote(&store, &sim, ALICE).await;
    Ok((sim, sent))
}

#[tokio::test]
async fn stop_sent_while_closed_is_honoured_after_catch_up() -> TestResult {
    let (sim, sent) = promote_after_keywords(&["Stop"]).await?;
    assert!(
        matches!(sent, Err(switchboard::Error::OptedOut(_))),
        "a STOP found by catch-up must refuse the next send: {sent:?}"
    );
    assert!(sim.sent_messages().iter().all(|m| m.to != ALICE), "nothing reached Twilio for Alice");
    Ok(())
}

#[tokio::test]
async fn stop_then_start_in_catch_up_ends_subscribed() -> TestResult {
    let (_sim, sent) = promote_after_keywords(&["STOP", "START"]).await?;
    assert!(sent.is_ok(), "START after STOP re-subscribes (applied oldest first): {sent:?}");
    Ok(())
}

#[tokio::test]
async fn start_then_stop_in_catch_up_ends_opted_out() -> TestResult {
    let (_sim, sent) = promote_after_keywords(&["START", "stop"]).await?;
    assert!(matches!(sent, Err(switchboard::Error::OptedOut(_))), "the later STOP wins: {sent:?}");
    Ok(())
}

#[tokio::test]
async fn catch_up_stores_ten_thousand_missed_messages_once() -> TestResult {
    const MISSED: usize = 10_000;
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    // The app last caught up 30 days ago (and an hour), then stayed closed.
    let last = (chrono::Utc::now() - chrono::Duration::days(30) - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    store.write(move |tx| settings::set_watermark(tx, "messages", &last))?;
    // 10,000 messages over those 30 days, oldest first, from 200 customers (a few replies).
    let span = 30 * 24 * 3600 - 120;
    for i in 0..MISSED {
        let customer = format!("+614125{:05}", i % 200);
        let ago = Duration::from_secs(60 + (span * (MISSED - i) / MISSED) as u64);
        if i % 10 == 9 {
            sim.seed_message(OURS, &customer, &format!("Reply {i}"), false, ago);
        } else {
            sim.seed_message(&customer, OURS, &format!("Message {i}"), true, ago);
        }
    }
    let events = Events::new();
    let mut rx = events.subscribe();
    let summary = switchboard::sync::run(&store, &client(&sim)?, &events).await?;
    assert_eq!(summary.messages, MISSED, "every missed message is stored in one start: {summary:?}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), MISSED as i64);
    assert_eq!(count(&store, "SELECT COUNT(DISTINCT sid) FROM messages"), MISSED as i64);
    let mut completed = 0;
    while let Ok(e) = rx.try_recv() {
        if matches!(e, Event::SyncCompleted { .. }) {
            completed += 1;
        }
    }
    assert_eq!(completed, 1, "one 'while you were away' summary");

    // The next run (the reconcile loop, a restart) finds nothing new and stores nothing twice.
    let again = switchboard::sync::run(&store, &client(&sim)?, &events).await?;
    assert_eq!(again.messages, 0, "{again:?}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), MISSED as i64);
    let first = store.read(|c| Ok(store::messages::all(c)?.into_iter().next()))?.ok_or("no message")?;
    assert_eq!(first.body, "Message 0", "the oldest missed message is there");
    Ok(())
}

#[tokio::test]
async fn caught_up_messages_from_a_new_customer_are_in_one_conversation() -> TestResult {
    // Guards the pipeline's adapter: catch-up and webhook file messages alike.
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    sim.seed_message(BOB, OURS, "Hi, is the shop open?", true, minutes(30));
    sim.seed_message(OURS, BOB, "Yes until 5", false, minutes(29));
    let summary = switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!(summary.messages, 2);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM conversations"), 1);
    Ok(())
}

#[tokio::test]
async fn voicemail_left_while_closed_gets_its_transcript_from_catch_up() -> TestResult {
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    let said = "Hi, it's Bob. Can you call me back about the order?";
    let (_, recording) = sim.seed_voicemail(BOB, OURS, 12, Some(said), minutes(40));
    let summary = switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!((summary.calls, summary.voicemails, summary.transcriptions), (1, 1, 1), "{summary:?}");
    let vm = store.read(|c| store::voicemails::find_by_recording_sid(c, &recording))?.ok_or("no voicemail")?;
    assert_eq!(vm.transcription.as_deref(), Some(said), "not 'Transcript pending…' for ever");
    assert_eq!(vm.transcription_status.as_deref(), Some("completed"));
    let again = switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!((again.voicemails, again.transcriptions), (0, 0), "{again:?}");
    Ok(())
}

#[tokio::test]
async fn the_same_stop_by_webhook_and_catch_up_counts_once() -> TestResult {
    use switchboard::store::optouts;
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    let (running, _) = open_listener(&sim, OURS, &store, Events::new()).await?;
    sim.customer_sms(ALICE, OURS, "STOP", false).await?;
    assert!(store.read(|c| optouts::is_opted_out(c, ALICE))?, "the webhook applied the STOP");
    // The owner, after talking to Alice, opts her back in by hand…
    store.write(|tx| optouts::set_by_owner(tx, ALICE, false).map(|_| ()))?;
    // …and the catch-up that lists the same STOP later must not undo that.
    switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert!(!store.read(|c| optouts::is_opted_out(c, ALICE))?, "one message changes the ledger once");
    let history = store.read(|c| optouts::history(c, ALICE))?;
    let sources: Vec<&str> = history.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(sources, ["owner", "webhook"], "newest first, each change recorded with its path");
    running.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn catch_up_with_nothing_new_publishes_no_summary() -> TestResult {
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    sim.seed_message(ALICE, OURS, "Hello", true, minutes(5));
    let events = Events::new();
    switchboard::sync::run(&store, &client(&sim)?, &events).await?;
    let mut rx = events.subscribe();
    let again = switchboard::sync::run(&store, &client(&sim)?, &events).await?;
    assert_eq!(again, switchboard::sync::Summary::default());
    while let Ok(e) = rx.try_recv() {
        assert!(!matches!(e, Event::SyncCompleted { .. }), "the every-minute run stays quiet when nothing is new");
    }
    Ok(())
}
