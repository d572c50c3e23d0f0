//! Letting numbers go: "Stop managing" and "restore every number before removing the
//! credentials" give each number back the webhooks it had in the Twilio console, as the
//! simulator shows them; a number whose restore failed stays managed, to be tried again.

use std::time::Duration;

use switchboard::secrets::TwilioCredentials;
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{numbers, Store};
use switchboard::tunnel::wiring::{self, NumberApi};
use switchboard::twilio::api::numbers::NumberConfig;
use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::common::{temp_store, TestResult};

async fn shop_with_two_numbers() -> Result<(Simulator, TwilioClient, Vec<String>), Box<dyn std::error::Error>> {
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?;
    let c = TwilioClient::new(ClientConfig::with_base(
        TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token()),
        &sim.base_url(),
    ))?;
    let mut sids = Vec::new();
    for (e164, old) in [("+61255501234", "https://old-crm.example"), ("+61255509999", "https://other.example")] {
        let pn = sim.add_number(e164, "Shop");
        let console = NumberConfig {
            sms_url: Some(format!("{old}/sms")),
            voice_url: Some(format!("{old}/voice")),
            ..Default::default()
        };
        c.update_number(&pn, &console).await?;
        sids.push(pn);
    }
    Ok((sim, c, sids))
}

async fn manage_all(store: &Store, c: &TwilioClient, sids: &[String]) -> TestResult {
    for (i, pn) in sids.iter().enumerate() {
        let (pn, e164) = (pn.clone(), format!("+6125550{i}"));
        let id = store.write(move |tx| numbers::upsert_from_twilio(tx, &pn, &e164, "Shop"))?;
        wiring::manage(store, c, id, Some("https://tunnel.ngrok.app"), None).await?;
    }
    Ok(())
}

#[tokio::test]
async fn restoring_every_number_gives_back_the_console_webhooks() -> TestResult {
    let (_sim, c, sids) = shop_with_two_numbers().await?;
    let mut console = Vec::new();
    for pn in &sids {
        console.push(c.fetch_urls(pn).await?);
    }
    let (_dir, store) = temp_store()?;
    manage_all(&store, &c, &sids).await?;
    assert_eq!(c.fetch_urls(&sids[0]).await?.sms_url.as_deref(), Some("https://tunnel.ngrok.app/twilio/sms"));

    let report = wiring::unmanage_all(&store, &c).await?;
    assert_eq!(report.len(), 2);
    assert!(report.iter().all(|w| w.error.is_none()), "{report:?}");
    for (pn, before) in sids.iter().zip(&console) {
        assert_eq!(&c.fetch_urls(pn).await?, before, "the simulator shows the console's webhooks again");
    }
    assert!(store.read(numbers::list)?.iter().all(|n| !n.managed), "no number is managed any more");
    Ok(())
}

#[tokio::test]
async fn a_restore_twilio_refused_leaves_the_number_managed_and_says_why() -> TestResult {
    let (sim, c, sids) = shop_with_two_numbers().await?;
    let (_dir, store) = temp_store()?;
    manage_all(&store, &c, &sids).await?;

    // Twilio answers 500 to everything for a while (reads are retried; give it enough).
    sim.faults().server_error_next(50);
    let report = wiring::unmanage_all(&store, &c).await?;
    assert!(report.iter().any(|w| w.error.is_some()), "a refused restore is reported: {report:?}");
    let managed = store.read(numbers::list)?.into_iter().filter(|n| n.managed).count();
    assert_eq!(managed, report.iter().filter(|w| w.error.is_some()).count(), "only those restored stop being managed");

    // Once Twilio answers again, trying again finishes the job.
    sim.faults().server_error_next(0);
    let report = wiring::unmanage_all(&store, &c).await?;
    assert!(report.iter().all(|w| w.error.is_none()), "{report:?}");
    assert_eq!(c.fetch_urls(&sids[0]).await?.sms_url.as_deref(), Some("https://old-crm.example/sms"));
    Ok(())
}
