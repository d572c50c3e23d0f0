//! Bulk send crash: a campaign against the simulator is killed mid-way (its task aborted at
//! a random moment, which drops every in-flight future exactly where it was, as a crash
//! would, while the store keeps what was committed), several times, with some creates also
//! losing their connection. It is then resumed until done: every recipient's phone got the
//! message exactly once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use switchboard::media::MediaConfig;
use switchboard::outbound::{campaign, rate_setting_key, Outbound};
use switchboard::runtime::{Runtime, RuntimeConfig};
use switchboard::sim::Simulator;
use switchboard::store::{self, Store};
use switchboard::tunnel::RetryPolicy;
use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::common::TestResult;
use crate::common::{promo_campaign, temp_store, unpaced_outbound};
use crate::fault_support::seeded_rng;
use crate::sim_support::{creds, runtime_config, serve, sim_owning, wait_until};

const OURS: &str = "+61255501234";
const RECIPIENTS: usize = 30;

/// How long a killed runner's lease keeps others out: short here, so the next "process"
/// can take the campaign over after waiting it out.
const LEASE: Duration = Duration::from_millis(60);

fn outbound(sim: &Simulator, dir: &std::path::Path) -> Result<Outbound, Box<dyn std::error::Error>> {
    let mut cfg = ClientConfig::with_base(creds(sim), &sim.base_url());
    cfg.retry_base_delay = Duration::from_millis(10);
    // A fresh store handle per "process", as after a restart.
    let mut ob = unpaced_outbound(Store::open(dir)?, OURS, TwilioClient::new(cfg)?, None)?;
    ob.campaign_lease = LEASE;
    Ok(ob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_killed_mid_send_and_resumed_texts_everyone_exactly_once() -> TestResult {
    let (seed, mut rng) = seeded_rng("fault_campaign");
    let sim = sim_owning(Duration::from_millis(5), OURS).await?;
    let dir = tempfile::tempdir()?;
    let customers: Vec<String> = (0..RECIPIENTS).map(|i| format!("+614123400{i:02}")).collect();

    let ob = outbound(&sim, dir.path())?;
    // 200/s: the whole campaign takes ~150 ms, so the kills land inside it.
    let id = promo_campaign(&ob, OURS, &customers, |i| format!("Customer{i}"), 200.0).await?;
    drop(ob);

    let mut kills = 0;
    for round in 0..20 {
        // Some creates lose their connection after Twilio accepted them, too.
        if round % 2 == 1 {
            sim.faults().drop_connection_after_create_next(1);
        }
        let ob = outbound(&sim, dir.path())?;
        let task = tokio::spawn(async move { campaign::run(&ob, id).await });
        let kill_after = Duration::from_micros(rng.random_range(2_000..40_000));
        tokio::time::sleep(kill_after).await;
        if task.is_finished() {
            let progress = task.await?;
            match progress {
                Ok(p) if p.pending == 0 => break,
                Ok(_) => {}
                // A network error pauses the campaign; resume it as the owner would.
                Err(_) => {
                    let ob = outbound(&sim, dir.path())?;
                    campaign::resume(&ob, id).await?;
                }
            }
        } else {
            task.abort();
            let _ = task.await;
            kills += 1;
            // The dead runner's lease lapses before the next start can take over.
            tokio::time::sleep(LEASE * 2).await;
        }
    }
    // Resume to the end without interruption.
    sim.faults().clear();
    tokio::time::sleep(LEASE * 2).await;
    let ob = outbound(&sim, dir.path())?;
    campaign::resume(&ob, id).await?;
    let p = campaign::run(&ob, id).await?;
    eprintln!(
        "fault_campaign: {kills} kills; final progress sent {} failed {} pending {}",
        p.sent, p.failed, p.pending
    );
    assert!(kills >= 1, "the campaign was killed at least once mid-send (seed {seed})");
    assert_eq!((p.sent, p.failed, p.pending), (RECIPIENTS as i64, 0, 0), "everyone was sent to in the end");

    for to in &customers {
        let created = sim.sent_messages().iter().filter(|m| &m.to == to).count();
        assert_eq!(created, 1, "{to}: Twilio was asked to send exactly once across {kills} kills (seed {seed})");
    }
    // And on the phones, once delivery callbacks have run.
    wait_until("every customer's phone got the promo", || {
        let all = customers.iter().all(|c| !sim.phone_inbox(c).is_empty());
        async move { all }
    })
    .await?;
    for to in &customers {
        let got = sim.phone_inbox(to).len();
        assert_eq!(got, 1, "{to} received the promo {got} times (seed {seed})");
    }
    let rows = ob.store.read(store::messages::all)?;
    assert_eq!(rows.len(), RECIPIENTS, "one outbox row per recipient");
    assert!(rows.iter().all(|m| m.sid.is_some()), "every outbox row ends with its Twilio SID");
    Ok(())
}

/// Twilio answers 429 or 500 to a create in the middle of a bulk send: the campaign pauses
/// with that recipient still to do instead of marking everyone after it failed; resumed,
/// every customer gets the text exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_busy_mid_campaign_pauses_it_and_resumed_everyone_gets_it_once() -> TestResult {
    let sim = sim_owning(Duration::from_millis(5), OURS).await?;
    for (round, fault) in ["429", "500"].into_iter().enumerate() {
        let dir = tempfile::tempdir()?;
        let ob = outbound(&sim, dir.path())?;
        let customers: Vec<String> = (0..6).map(|i| format!("+6141234{round}1{i:02}")).collect();
        let id = promo_campaign(&ob, OURS, &customers, |i| format!("Customer{i}"), 200.0).await?;
        // The run's first request to Twilio is its first create.
        match fault {
            "429" => sim.faults().rate_limit_next(1, 1),
            _ => sim.faults().server_error_next(1),
        }
        assert!(campaign::run(&ob, id).await.is_err(), "{fault}: the run stops and says why");
        let (state, p) =
            ob.store.read(move |c| Ok((store::campaigns::get(c, id)?.state, store::campaigns::progress(c, id)?)))?;
        assert_eq!(state.as_str(), "paused", "{fault}");
        assert_eq!((p.sent, p.failed, p.pending), (0, 0, 6), "{fault}: nobody failed, everyone still to do");

        campaign::resume(&ob, id).await?;
        let p = campaign::run(&ob, id).await?;
        assert_eq!((p.sent, p.failed, p.pending), (6, 0, 0), "{fault}: resumed, everyone is sent to");
        for to in &customers {
            let created = sim.sent_messages().iter().filter(|m| &m.to == to).count();
            assert_eq!(created, 1, "{fault}: {to} was sent the text exactly once");
        }
    }
    Ok(())
}

/// Forwards everything to the simulator and notes when each message create arrived: the
/// send times as Twilio would see them.
#[derive(Clone)]
struct Clock {
    upstream: String,
    http: reqwest::Client,
    creates: Arc<Mutex<Vec<Instant>>>,
}

async fn clock_proxy(
    axum::extract::State(s): axum::extract::State<Clock>,
    method: axum::http::Method,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, String) {
    let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    if method == axum::http::Method::POST && path.ends_with("/Messages.json") {
        s.creates.lock().unwrap_or_else(|p| p.into_inner()).push(Instant::now());
    }
    let mut req = s.http.request(method, format!("{}{path}", s.upstream)).body(body);
    for name in ["authorization", "content-type", "i-twilio-idempotency-token"] {
        if let Some(v) = headers.get(name) {
            req = req.header(name, v);
        }
    }
    let Ok(resp) = req.send().await else { return (axum::http::StatusCode::BAD_GATEWAY, String::new()) };
    let status =
        axum::http::StatusCode::from_u16(resp.status().as_u16()).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    (status, resp.text().await.unwrap_or_default())
}

/// Pause then Resume hammered while a campaign sends (each Resume starting a runner, as the
/// desktop command does, each through its own `Runtime::outbound()`): one runner at a time,
/// each recipient texted exactly once, and the number never above its rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_race_runs_one_runner() -> TestResult {
    const RATE: f64 = 20.0;
    const N: usize = 30;
    let sim = sim_owning(Duration::from_millis(5), OURS).await?;
    let clock = Clock {
        upstream: sim.base_url(),
        http: reqwest::Client::builder().no_proxy().build()?,
        creates: Arc::new(Mutex::new(Vec::new())),
    };
    let creates = clock.creates.clone();
    let (proxy, server) = serve(axum::Router::new().fallback(clock_proxy).with_state(clock)).await?;

    let (_dir, store) = temp_store()?;
    // Twilio through the clock: every create is timed.
    let rt = Runtime::start(RuntimeConfig {
        client: ClientConfig::with_base(creds(&sim), &proxy),
        media: MediaConfig::new(&sim.base_url(), Some(&creds(&sim))),
        retry: RetryPolicy::default(),
        ..runtime_config(&sim, store)
    })
    .await?;
    rt.store.write(|tx| store::settings::set(tx, rate_setting_key(OURS), &RATE.to_string()))?;
    let customers: Vec<String> = (0..N).map(|i| format!("+614123401{i:02}")).collect();
    // The campaign asks for far more than the number may do; the number's rate wins.
    let id = promo_campaign(&rt.outbound(), OURS, &customers, |_| "you".into(), 1000.0).await?;

    let mut runners = vec![tokio::spawn({
        let ob = rt.outbound();
        async move { campaign::run(&ob, id).await }
    })];
    // The owner clicks Pause and Resume again and again while it sends.
    for i in 0..60u64 {
        campaign::pause(&rt.outbound(), id).await?;
        tokio::time::sleep(Duration::from_millis(i % 3)).await;
        if campaign::resume(&rt.outbound(), id).await? {
            let ob = rt.outbound();
            runners.push(tokio::spawn(async move { campaign::run(&ob, id).await }));
        }
        tokio::time::sleep(Duration::from_millis(5 + i % 7)).await;
    }
    wait_until("the campaign finished", || {
        let done = rt.store.read(|c| store::campaigns::progress(c, id)).map(|p| p.pending == 0).unwrap_or(false);
        async move { done }
    })
    .await?;
    for r in runners {
        r.await??;
    }

    for to in &customers {
        let n = sim.sent_messages().iter().filter(|m| &m.to == to).count();
        assert_eq!(n, 1, "{to} was texted {n} times");
    }
    // Never above the number's rate: in any one second, at most RATE sends (+1 for the
    // window's both ends, +3 for the network's jitter; two pacers would double it).
    let mut times = creates.lock().map_err(|_| "lock")?.clone();
    times.sort();
    assert_eq!(times.len(), N, "one create per recipient");
    let bound = RATE as usize + 4;
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().take_while(|u| u.duration_since(*t) < Duration::from_secs(1)).count();
        assert!(in_window <= bound, "{in_window} sends within one second from one number (rate {RATE}/s)");
    }
    let first_to_last = times[N - 1].duration_since(times[0]);
    eprintln!("pause_resume_race: {N} sends over {first_to_last:?}");
    rt.shutdown().await?;
    server.abort();
    Ok(())
}
