//! Crash: `switchboard serve` is killed with SIGKILL at random moments while signed inbound
//! SMS stream in, restarted on the same data directory, and the stream continues (requests
//! that got no answer are retried with the same MessageSid, as Twilio would). In the end
//! every request that was acknowledged with a 2xx is stored, and nothing is stored twice.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;

use crate::common::TestResult;
use crate::fault_support::{http, inbound_sid_counts, integrity_check, post_sms, seeded_rng, Serve};

const MESSAGES: usize = 150;
const KILLS: usize = 4;
const CONCURRENCY: usize = 4;
const TOKEN: &str = "fault-crash-auth-token";

/// What happened to each MessageSid across all rounds.
#[derive(Default)]
struct Ledger {
    /// Still to be (re)sent: never sent, or sent without an answer.
    queue: VecDeque<String>,
    /// Acknowledged with a 2xx at least once.
    acked: BTreeMap<String, u32>,
    /// Requests that were cut off by a kill (no response).
    cut_off: u32,
    /// 2xx answers in the current round (the kill waits for a random number of them).
    round_acked: usize,
    /// Set just before the kill: an answer that arrives after it may come from whatever
    /// process got the freed port next, so it counts as no answer (the SID is retried).
    killed: bool,
    /// Any answer that was neither 2xx nor a lost connection: never expected.
    unexpected: Vec<(String, u16)>,
}

/// Sends from the queue with `CONCURRENCY` workers until the queue is empty or the server
/// stops answering; a request without an answer goes back on the queue.
async fn stream(addr: String, ledger: Arc<Mutex<Ledger>>) -> Result<(), String> {
    let client = http().map_err(|e| e.to_string())?;
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, addr, ledger) = (client.clone(), addr.clone(), ledger.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(sid) = ledger.lock().ok().and_then(|mut l| l.queue.pop_front()) else { return };
                let result = post_sms(&client, &addr, TOKEN, &sid, &format!("order update for {sid}")).await;
                let Ok(mut l) = ledger.lock() else { return };
                if l.killed {
                    l.cut_off += 1;
                    l.queue.push_back(sid);
                    return;
                }
                match result {
                    Ok(s) if (200..300).contains(&s) => {
                        *l.acked.entry(sid).or_default() += 1;
                        l.round_acked += 1;
                    }
                    Ok(s) => l.unexpected.push((sid, s)),
                    Err(_) => {
                        // Killed mid-request: Twilio would retry this MessageSid later.
                        l.cut_off += 1;
                        l.queue.push_back(sid);
                        return;
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_webhook_stream_loses_no_acknowledged_message_and_stores_none_twice() -> TestResult {
    let (seed, mut rng) = seeded_rng("fault_crash");
    let dir = tempfile::tempdir()?;
    let ledger = Arc::new(Mutex::new(Ledger {
        queue: (1..=MESSAGES).map(|i| format!("SMcc{i:030x}")).collect(),
        ..Ledger::default()
    }));

    for round in 0..KILLS {
        let serve = Serve::start(dir.path(), TOKEN).map_err(|e| format!("round {round}: {e}"))?;
        // Twilio re-delivers: re-send a few already acknowledged SIDs in every round.
        {
            let mut l = ledger.lock().map_err(|_| "ledger poisoned")?;
            let again: Vec<String> = l.acked.keys().take(5).cloned().collect();
            l.queue.extend(again);
            l.round_acked = 0;
            l.killed = false;
        }
        let sender = tokio::spawn(stream(serve.addr.clone(), ledger.clone()));
        // A random moment inside the stream: after a random number of answers in this
        // round, plus a random sub-millisecond-to-milliseconds delay, so the kill lands
        // while requests are in flight (before, during or after their commit).
        let after = rng.random_range(5..(MESSAGES / KILLS));
        let jitter = Duration::from_micros(rng.random_range(0..3000));
        for _ in 0..10_000 {
            let done = ledger.lock().map(|l| l.round_acked >= after || l.queue.is_empty()).unwrap_or(true);
            if done || sender.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(jitter).await;
        ledger.lock().map_err(|_| "ledger poisoned")?.killed = true;
        serve.kill9()?;
        sender.await?.map_err(|e| format!("round {round} sender: {e}"))?;
        // Right after the kill, before any restart: every 2xx so far is on disk.
        let stored: BTreeMap<String, i64> = inbound_sid_counts(dir.path())?.into_iter().collect();
        let acked: Vec<String> = ledger.lock().map_err(|_| "ledger poisoned")?.acked.keys().cloned().collect();
        let lost: Vec<&String> = acked.iter().filter(|s| !stored.contains_key(*s)).collect();
        assert!(lost.is_empty(), "round {round}: acknowledged but lost by kill -9: {lost:?} (seed {seed})");
    }

    // The last run: everything not yet acknowledged is delivered to a healthy server.
    let serve = Serve::start(dir.path(), TOKEN)?;
    {
        let mut l = ledger.lock().map_err(|_| "ledger poisoned")?;
        l.killed = false;
        let again: Vec<String> = l.acked.keys().take(10).cloned().collect();
        l.queue.extend(again);
    }
    stream(serve.addr.clone(), ledger.clone()).await.map_err(|e| format!("final round: {e}"))?;
    serve.kill9()?;

    let l = ledger.lock().map_err(|_| "ledger poisoned")?;
    eprintln!(
        "fault_crash: {} SIDs acknowledged, {} requests cut off by {KILLS} kills, {} re-deliveries",
        l.acked.len(),
        l.cut_off,
        l.acked.values().map(|n| n - 1).sum::<u32>()
    );
    assert!(l.unexpected.is_empty(), "every answer was a 2xx or a lost connection: {:?}", l.unexpected);
    assert!(l.queue.is_empty(), "the final healthy run delivered everything: {:?}", l.queue);
    assert_eq!(l.acked.len(), MESSAGES, "every SID was acknowledged in the end");

    let stored: BTreeMap<String, i64> = inbound_sid_counts(dir.path())?.into_iter().collect();
    for sid in l.acked.keys() {
        let copies = stored.get(sid).copied().unwrap_or(0);
        assert_eq!(copies, 1, "{sid} was acknowledged with 2xx, so it must be stored exactly once (seed {seed})");
    }
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "no SID is stored twice after kills and retries: {twice:?} (seed {seed})");
    assert_eq!(stored.len(), MESSAGES, "nothing but the streamed SIDs was stored");
    assert_eq!(integrity_check(dir.path())?, "ok", "the database survives SIGKILL uncorrupted");
    Ok(())
}
