//! The requests behind costs, against Prism serving Twilio's official specs: the Pricing v1
//! fetch a bulk estimate makes (`twilio_pricing_v1.json`) and the message fetch the price
//! worker makes (`twilio_api_v2010.json`), each read back through our types. A 2xx means
//! Twilio's spec accepts the request; Prism answers 422 otherwise.

use switchboard::costs::prices;
use switchboard::events::Events;
use switchboard::store::costs;
use switchboard::twilio::api::pricing::MessagingCountry;
use switchboard::twilio::client::TwilioClient;

use crate::common::{temp_store, TestResult};
use crate::prism::{self, Spec};

fn client() -> Result<TwilioClient, Box<dyn std::error::Error>> {
    prism::client(&[Spec::Api, Spec::Pricing])
}

#[tokio::test]
async fn prism_pricing_messaging_country_fetch() -> TestResult {
    let c = client()?;
    let body = c.fetch_messaging_prices("US").await?.ok_or("Prism answers with its example")?;
    let country: MessagingCountry = serde_json::from_str(&body)?;
    assert_eq!(country.iso_country.as_deref(), Some("US"));
    // The spec's example lists one carrier at 0.05 for "mobile" senders.
    assert_eq!(country.segment_price_range(false), Some((50_000, 50_000)), "{country:?}");
    Ok(())
}

#[tokio::test]
async fn prism_the_price_workers_message_fetch_records_the_example_price() -> TestResult {
    let c = client()?;
    let (_dir, store) = temp_store()?;
    // A delivered text whose SID has the shape Twilio's spec requires.
    let sid = "SMb7c0a2ce80504485a6f653a7110836f5";
    let id = store.write(move |tx| {
        let n = switchboard::store::numbers::ensure(tx, "+14155550199", false)?;
        let conv = switchboard::store::conversations::ensure(tx, n, "+14155550100")?;
        tx.execute(
            "INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, status, status_rank, created_at)
             VALUES (?1, ?2, 'outbound', '+14155550199', '+14155550100', 'delivered', 50, '2026-11-30T10:00:00.000Z')",
            rusqlite::params![sid, conv],
        )?;
        let id = tx.last_insert_rowid();
        costs::enqueue(tx, id, "2026-11-30T10:00:03.000Z")?;
        Ok(id)
    })?;
    let far = chrono::Utc::now() + chrono::Duration::days(1);
    let round = prices::fetch_due(&store, &c, &Events::new(), far).await?;
    assert_eq!(round.recorded, 1, "{round:?}");
    let (price, unit, cost): (String, String, i64) = store.read(move |conn| {
        Ok(conn.query_row("SELECT price, price_unit, cost_micros FROM messages WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?)
    })?;
    assert_eq!((price.as_str(), unit.as_str(), cost), ("-0.00750", "USD", 7_500));
    Ok(())
}
