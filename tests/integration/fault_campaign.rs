//! Bulk send crash: a campaign against the simulator is killed mid-way (its task aborted at
//! a random moment, which drops every in-flight future exactly where it was, as a crash
//! would, while the store keeps what was committed), several times, with some creates also
//! losing their connection. It is then resumed until done: every recipient's phone got the
//! message exactly once.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use switchboard::events::Events;
use switchboard::outbound::{campaign, Outbound};
use switchboard::secrets::TwilioCredentials;
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{self, Store};
use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::common::TestResult;
use crate::sim_support::wait_until;

const OURS: &str = "+61255501234";
const RECIPIENTS: usize = 30;

fn outbound(sim: &Simulator, dir: &std::path::Path) -> Result<Outbound, Box<dyn std::error::Error>> {
    let creds = TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token());
    let mut cfg = ClientConfig::with_base(creds, &sim.base_url());
    cfg.retry_base_delay = Duration::from_millis(10);
    // A fresh store handle per "process", as after a restart.
    Ok(Outbound::new(Store::open(dir)?, TwilioClient::new(cfg)?, Events::new(), None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_killed_mid_send_and_resumed_texts_everyone_exactly_once() -> TestResult {
    let seed: u64 = rand::random();
    eprintln!("fault_campaign seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(5), ..SimConfig::default() }).await?;
    sim.add_number(OURS, "Shop");
    let dir = tempfile::tempdir()?;
    let customers: Vec<String> = (0..RECIPIENTS).map(|i| format!("+614123400{i:02}")).collect();

    let ob = outbound(&sim, dir.path())?;
    let tid = ob.store.write(|tx| store::templates::save(tx, None, "promo", "Hi {{name}}, 10% off today"))?;
    let recipients = customers
        .iter()
        .enumerate()
        .map(|(i, to)| campaign::Recipient {
            contact_id: None,
            to: to.clone(),
            vars: [("name".to_string(), format!("Customer{i}"))].into(),
        })
        .collect();
    // 200/s: the whole campaign takes ~150 ms, so the kills land inside it.
    let id = campaign::create(
        &ob,
        campaign::NewCampaign { template_id: tid, from: OURS.into(), recipients, rate_per_sec: Some(200.0) },
    )
    .await?;
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
        }
    }
    // Resume to the end without interruption.
    sim.faults().clear();
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
    sim.shutdown().await;
    Ok(())
}
