//! Issue 20 against the simulator: while the app runs, what Twilio holds but whose webhook
//! never arrived (the simulator drops webhooks, as a tunnel blip does) reaches the store by
//! reconciliation within two intervals, exactly once, without a restart; and with nothing
//! new, reconciliation costs one list request per resource per run and downloads nothing
//! again (counted by the simulator).

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard::outbound::send::{send, SendRequest};
use switchboard::runtime::{Runtime, RuntimeConfig};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::Store;
use switchboard::sync::reconcile::CaughtUp;
use switchboard::twilio::api::numbers::NumberConfig;

use crate::common::TestResult;
use crate::sim_support::{client, runtime_config, within, StubApp};

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412555301";
const BOB: &str = "+61412555302";
/// What a loaded 2-core machine may add to "within two intervals".
const MARGIN: Duration = Duration::from_secs(3);
/// Twilio's fallback for calls while the app cannot be reached is a Studio flow; this stub
/// plays it (it is not behind the app's tunnel, so its webhooks are not dropped).
const STUDIO_VOICEMAIL: &str = "<Response><Say>Sorry we missed you</Say><Record maxLength=\"30\"/></Response>";

/// The app with its start catch-up and reconciliation every `interval`.
fn config(sim: &Simulator, data_dir: &std::path::Path, interval: Duration) -> RuntimeConfig {
    let store = Store::open(data_dir).expect("the test store opens");
    let mut config = RuntimeConfig { backfill: true, reconcile_interval: Some(interval), ..runtime_config(sim, store) };
    config.media.poll_interval = Duration::from_millis(100);
    config
}

fn count(store: &Store, sql: &str, sid: &str) -> i64 {
    store.read(|c| Ok(c.query_row(sql, [sid], |r| r.get::<_, i64>(0))?)).unwrap_or(-1)
}

fn rows(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    store.read(|c| Ok(c.query_row(&sql, [], |r| r.get::<_, i64>(0))?)).unwrap_or(-1)
}

/// Points the number at the app (as wiring does), with the Studio stand-in as fallback.
async fn wire(rt: &Runtime, sim: &Simulator, pn: &str, studio: &StubApp) -> TestResult {
    let app = format!("http://{}", rt.addr);
    sim.point_number_at(OURS, &app);
    let fallback = NumberConfig { voice_fallback_url: Some(format!("{}/studio", studio.base)), ..Default::default() };
    rt.client.update_number(pn, &fallback).await?;
    Ok(())
}

/// Recording downloads (not the JSON API) of `recording_sid`, as counted by the simulator.
fn downloads(counts: &BTreeMap<String, u64>, recording_sid: &str) -> u64 {
    counts
        .iter()
        .filter(|(k, _)| k.starts_with("GET ") && k.contains(recording_sid) && !k.ends_with(".json"))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_webhooks_dropped_a_text_a_voicemail_and_a_status_arrive_by_reconciliation_exactly_once() -> TestResult {
    let interval = Duration::from_secs(2);
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?;
    let pn = sim.add_number(OURS, "Shop");
    let studio = StubApp::start(sim.auth_token(), &[("/studio", STUDIO_VOICEMAIL)]).await?;
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), interval)).await?;
    wire(&rt, &sim, &pn, &studio).await?;
    within(interval + MARGIN, "the start catch-up", || rt.reconcile_status().runs >= 1).await?;

    // The tunnel blips: nothing Twilio posts to the app arrives. Meanwhile a customer texts,
    // another calls and leaves a voicemail (with the Studio fallback), and a text we send
    // is delivered with no status callback reaching us.
    sim.faults().drop_webhooks_to(Some(&format!("http://{}", rt.addr)));
    let text = sim.customer_sms(ALICE, OURS, "Are you open today?", false).await?;
    assert_eq!(count(&rt.store, "SELECT COUNT(*) FROM messages WHERE sid = ?1", &text), 0, "the webhook was lost");
    let call = sim.customer_call(BOB, OURS, Some(3)).await?;
    let recording = call.recording_sid.clone().ok_or("the Studio stand-in recorded no voicemail")?;
    let sent = send(&rt.outbound(), SendRequest::text(OURS, ALICE, "Yes, until 5")).await?.sid.ok_or("no sid")?;
    let delivered = within(Duration::from_secs(5), "the simulator delivers our text", || {
        sim.all_messages().iter().any(|m| m.sid == sent && m.status == "delivered")
    })
    .await;
    delivered?;
    let restarts = rt.reconcile_status().runs;

    // Within two intervals, with the app never restarted, all four are in the store.
    let store = rt.store.clone();
    let took = within(2 * interval + MARGIN, "text, call, voicemail (downloaded) and status by reconciliation", || {
        count(&store, "SELECT COUNT(*) FROM messages WHERE sid = ?1", &text) == 1
            && count(&store, "SELECT COUNT(*) FROM calls WHERE sid = ?1", &call.call_sid) == 1
            && count(&store, "SELECT COUNT(*) FROM recordings WHERE sid = ?1 AND path IS NOT NULL", &recording) == 1
            && count(&store, "SELECT COUNT(*) FROM messages WHERE sid = ?1 AND status = 'delivered'", &sent) == 1
    })
    .await?;
    assert!(rt.reconcile_status().runs > restarts, "it was the loop, not a restart");
    eprintln!("arrived by reconciliation {took:?} after the blip (interval {interval:?})");

    // Webhooks come back: a new text arrives by webhook at once, and further runs add
    // nothing twice.
    sim.faults().drop_webhooks_to(None);
    let live = sim.customer_sms(ALICE, OURS, "Great, see you soon", false).await?;
    assert_eq!(count(&rt.store, "SELECT COUNT(*) FROM messages WHERE sid = ?1", &live), 1, "stored by its webhook");
    let runs = rt.reconcile_status().runs;
    within(2 * interval + MARGIN, "two more reconciliations", || rt.reconcile_status().runs >= runs + 2).await?;
    for (sql, sid) in [
        ("SELECT COUNT(*) FROM messages WHERE sid = ?1", &text),
        ("SELECT COUNT(*) FROM messages WHERE sid = ?1", &sent),
        ("SELECT COUNT(*) FROM messages WHERE sid = ?1", &live),
        ("SELECT COUNT(*) FROM calls WHERE sid = ?1", &call.call_sid),
        ("SELECT COUNT(*) FROM recordings WHERE sid = ?1", &recording),
    ] {
        assert_eq!(count(&rt.store, sql, sid), 1, "exactly once: {sql} {sid}");
    }
    assert_eq!(downloads(&sim.request_counts(), &recording), 1, "the voicemail audio is downloaded once");
    let caught = rt.store.read(CaughtUp::read)?;
    assert_eq!((caught.messages, caught.calls, caught.voicemails), (1, 1, 1), "only what webhooks missed: {caught:?}");
    assert!(caught.statuses >= 1, "the missed delivery status is counted: {caught:?}");
    let status = rt.reconcile_status();
    assert!(status.failures == 0 && status.last_ok.is_some(), "up to date: {status:?}");

    rt.shutdown().await?;
    studio.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nothing_new_each_run_makes_one_list_request_per_resource_and_downloads_nothing() -> TestResult {
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?;
    let pn = sim.add_number(OURS, "Shop");
    let hour = Duration::from_secs(3600);
    sim.seed_message(ALICE, OURS, "Hello", true, 3 * hour);
    sim.seed_message(OURS, ALICE, "Hi there", false, 2 * hour);
    let studio = StubApp::start(sim.auth_token(), &[("/studio", STUDIO_VOICEMAIL)]).await?;
    sim.point_number_at(OURS, "http://127.0.0.1:9"); // the app is closed: nothing listens
    let c = client(&sim)?;
    c.update_number(
        &pn,
        &NumberConfig { voice_fallback_url: Some(format!("{}/studio", studio.base)), ..Default::default() },
    )
    .await?;
    let call = sim.customer_call(BOB, OURS, Some(2)).await?;
    let recording = call.recording_sid.clone().ok_or("no voicemail")?;

    // An hour at one run a minute is 60 runs; here they come every 100 ms.
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), Duration::from_millis(100))).await?;
    let store = rt.store.clone();
    within(Duration::from_secs(10), "the history and the downloaded voicemail", || {
        count(&store, "SELECT COUNT(*) FROM recordings WHERE sid = ?1 AND path IS NOT NULL", &recording) == 1
            && rows(&store, "messages") == 2
    })
    .await?;
    let messages_before = rows(&store, "messages");
    let downloaded_before = downloads(&sim.request_counts(), &recording);
    assert_eq!(downloaded_before, 1);

    let first = rt.reconcile_status().runs;
    sim.reset_request_counts();
    within(Duration::from_secs(60), "60 reconciliations", || rt.reconcile_status().runs >= first + 60).await?;
    let counts = sim.request_counts();
    // A run in progress at the end has made its requests but is not counted yet (allow one
    // more run than counted); one in progress when the counts were reset may have listed a
    // resource just before the reset (allow one fewer request).
    let runs = rt.reconcile_status().runs - first + 1;
    const LISTS: [&str; 4] = ["/Messages.json", "/Calls.json", "/Recordings.json", "/Transcriptions.json"];
    for resource in LISTS {
        let n: u64 =
            counts.iter().filter(|(k, _)| k.starts_with("GET ") && k.ends_with(resource)).map(|(_, n)| n).sum();
        // The bound: no more than one list request per resource per interval
        // (catch-up stops paging at the first page that reaches what is stored).
        assert!(n <= runs, "{resource}: {n} list requests in {runs} runs: {counts:?}");
        assert!(n + 2 >= runs, "{resource}: every run lists it ({n} in {runs} runs)");
    }
    let other: Vec<_> = counts.iter().filter(|(k, _)| !LISTS.iter().any(|r| k.ends_with(r))).collect();
    assert!(other.is_empty(), "nothing fetched or downloaded again when nothing is new: {other:?}");
    assert_eq!(rows(&store, "messages"), messages_before);
    assert_eq!(rows(&store, "recordings"), 1);
    let caught = rt.store.read(CaughtUp::read)?;
    assert_eq!(caught.messages + caught.calls + caught.voicemails, 0, "the start catch-up is not counted: {caught:?}");

    rt.shutdown().await?;
    studio.stop();
    Ok(())
}

/// The simulator's request counters themselves: by method and raw path.
#[tokio::test]
async fn the_simulator_counts_requests_by_method_and_path() -> TestResult {
    let sim = Simulator::start(SimConfig::default()).await?;
    let c = client(&sim)?;
    c.backfill_messages(None, 10).await?;
    c.backfill_messages(None, 10).await?;
    assert_eq!(sim.requests_ending("GET", "/Messages.json"), 2);
    assert_eq!(sim.requests_ending("POST", "/Messages.json"), 0);
    sim.reset_request_counts();
    assert!(sim.request_counts().is_empty());
    Ok(())
}
