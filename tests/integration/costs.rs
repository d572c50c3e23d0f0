//! Issue 15 (costs) against the simulator: a message's price is recorded after its final
//! status (status callbacks carry none) by the price worker, off the webhook's path; a price
//! Twilio has not rated yet is asked for again later, a bounded number of times; catch-up
//! records the prices its pages carry; totals per conversation, campaign and month are the
//! exact sums of Twilio's prices; a bulk send's estimate uses Twilio's Pricing for each
//! destination country, asked once a day per country, and names a country with no price.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use switchboard::costs::{estimate, prices};
use switchboard::domain::money;
use switchboard::events::Events;
use switchboard::outbound::bulk::BulkChoice;
use switchboard::outbound::send::{send, SendRequest};
use switchboard::outbound::{campaign, Outbound};
use switchboard::runtime::Runtime;
use switchboard::sim::Simulator;
use switchboard::store::{campaign_history, contacts, costs, messages, numbers, templates, Store};
use switchboard::twilio::client::TwilioClient;

use crate::common::TestResult;
use crate::sim_support::{client, runtime_config, sim_and_store, within};

type Error = Box<dyn std::error::Error>;

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412555401";
const BOB: &str = "+61412555402";
const US_CUSTOMER: &str = "+14155550142";
/// France: a country the simulator's Pricing has no entry for.
const FR_CUSTOMER: &str = "+33612345678";

/// The simulator, a fresh store (and its folder) and the app's client: the app closed.
async fn setup() -> Result<(Simulator, tempfile::TempDir, Store, TwilioClient), Error> {
    let (sim, dir, store) = sim_and_store(OURS).await?;
    let c = client(&sim)?;
    Ok((sim, dir, store, c))
}

/// (price, price_unit, cost_micros) of the message with `sid`.
fn price_of(store: &Store, sid: &str) -> (Option<String>, Option<String>, Option<i64>) {
    store
        .read(|c| {
            Ok(c.query_row("SELECT price, price_unit, cost_micros FROM messages WHERE sid = ?1", [sid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?)
        })
        .unwrap_or((None, None, None))
}

/// Twilio's own price of `sid`, as the simulator holds it.
async fn twilio_price(client: &TwilioClient, sid: &str) -> Result<String, Error> {
    client.fetch_message(sid).await?.price.ok_or_else(|| format!("the simulator has no price for {sid}").into())
}

/// Sends a text with no status callback (no public URL) and marks it delivered in the store
/// as its callback would have; returns its SID once the simulator has delivered (and priced) it.
async fn delivered_text(store: &Store, sim: &Simulator, to: &str, body: &str) -> Result<String, Error> {
    let ob = Outbound::new(store.clone(), client(sim)?, Events::new(), None);
    let sid = send(&ob, SendRequest::text(OURS, to, body)).await?.sid.ok_or("no SID")?;
    within(Duration::from_secs(30), "the simulator delivers the text", || {
        sim.all_messages().iter().any(|m| m.sid == sid && m.status == "delivered")
    })
    .await?;
    let s = sid.clone();
    store.write(move |tx| {
        messages::apply_status(tx, &s, &switchboard::domain::MessageStatus::Delivered, None, None).map(|_| ())
    })?;
    Ok(sid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_price_is_recorded_after_delivery_by_the_worker() -> TestResult {
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    // No catch-up (`backfill` stays off): the price must come from the worker's fetch, not
    // from a listed page.
    let mut config = runtime_config(&sim, store);
    config.media.poll_interval = Duration::from_millis(100);
    let rt = Runtime::start(config).await?;
    // The listener's own URL is known, so it is online (and every send carries its
    // StatusCallback) from the moment the start returns.
    assert!(rt.outbound().sms_status_callback().is_some(), "the known URL is online once started");
    // Two segments of GSM-7 text to an Australian mobile.
    let long = "Your order is ready for pickup at the front desk. ".repeat(4);
    let sid = send(&rt.outbound(), SendRequest::text(OURS, ALICE, &long)).await?.sid.ok_or("no SID")?;
    let store = rt.store.clone();
    within(Duration::from_secs(30), "the delivered callback", || {
        store
            .read(|c| Ok(c.query_row("SELECT status FROM messages WHERE sid = ?1", [&sid], |r| r.get::<_, String>(0))?))
            .is_ok_and(|s| s == "delivered")
    })
    .await
    .map_err(|e| format!("{e}; the simulator posted: {}", crate::sim_support::webhooks_posted(&sim)))?;
    assert_eq!(price_of(&store, &sid).2, None, "the status callback carries no price");
    let took =
        within(Duration::from_secs(20), "the worker records the price", || price_of(&store, &sid).2.is_some()).await?;
    eprintln!("price recorded {took:?} after the delivered callback");
    let twilio = twilio_price(&rt.client, &sid).await?;
    assert_eq!(twilio, "-0.10300", "the simulator charges AU 0.0515 a segment, 2 segments");
    let (price, unit, cost) = price_of(&store, &sid);
    assert_eq!(price.as_deref(), Some(twilio.as_str()));
    assert_eq!(unit.as_deref(), Some("USD"));
    assert_eq!(cost, Some(103_000), "a positive cost in micros");
    let conv = store.read(|c| messages::find_by_sid(c, &sid))?.ok_or("stored")?.conversation_id;
    let total = store.read(move |c| costs::conversation(c, conv))?;
    assert_eq!(total.totals.len(), 1);
    assert_eq!((total.totals[0].amount.as_str(), total.unpriced), ("0.103", 0));
    rt.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_price_not_rated_yet_is_asked_again_later_and_not_for_ever() -> TestResult {
    let (sim, _dir, store, c) = setup().await?;
    let events = Events::new();
    let sid = delivered_text(&store, &sim, ALICE, "Your table is booked").await?;
    let now = Utc::now();
    let h = |n: i64| now + chrono::Duration::hours(n);

    // Twilio has not rated it at the first fetch: nothing recorded, asked again later.
    sim.faults().price_pending_next(1);
    let first = prices::fetch_due(&store, &c, &events, h(1)).await?;
    assert_eq!((first.recorded, first.later, first.gave_up), (0, 1, 0));
    assert_eq!(price_of(&store, &sid).2, None);
    let early = prices::fetch_due(&store, &c, &events, h(1)).await?;
    assert_eq!(early, prices::Round::default(), "not asked again before its next try is due");
    let second = prices::fetch_due(&store, &c, &events, h(2)).await?;
    assert_eq!(second.recorded, 1, "the second try finds the price");
    assert_eq!(price_of(&store, &sid).0.as_deref(), Some("-0.05150"));

    // A price Twilio never rates is asked for MAX_ATTEMPTS times, then left alone.
    let never = delivered_text(&store, &sim, BOB, "See you Tuesday").await?;
    sim.faults().price_pending_next(1000);
    sim.reset_request_counts();
    let mut gave_up = 0;
    for hour in 1..=40 {
        gave_up += prices::fetch_due(&store, &c, &events, h(hour * 24)).await?.gave_up;
    }
    assert_eq!(gave_up, 1);
    let fetches = sim.requests_ending("GET", &format!("/Messages/{never}.json"));
    assert_eq!(fetches, prices::MAX_ATTEMPTS as u64, "bounded: {fetches} fetches");
    assert_eq!(price_of(&store, &never).2, None);
    Ok(())
}

#[tokio::test]
async fn catch_up_records_the_prices_its_pages_carry() -> TestResult {
    let (sim, _dir, store, c) = setup().await?;
    // What happened while the app was closed: a text in, a reply out (both final and priced).
    let inbound = sim.seed_message(ALICE, OURS, "Do you have size 9?", true, Duration::from_secs(600));
    let outbound = sim.seed_message(OURS, ALICE, "Yes, in black", false, Duration::from_secs(300));
    // And a text sent before the close whose price the app never got.
    let known = delivered_text(&store, &sim, BOB, "Your parcel is here").await?;
    assert_eq!(price_of(&store, &known).2, None);
    sim.reset_request_counts();
    switchboard::sync::run(&store, &c, &Events::new()).await?;
    assert_eq!(price_of(&store, &inbound).0.as_deref(), Some("-0.00750"), "a received text costs too");
    assert_eq!(price_of(&store, &outbound).0.as_deref(), Some("-0.05150"));
    assert_eq!(price_of(&store, &known).0.as_deref(), Some("-0.05150"), "a known message gets its price");
    for sid in [&inbound, &outbound, &known] {
        assert_eq!(sim.requests_ending("GET", &format!("/Messages/{sid}.json")), 0, "read from the pages, not fetched");
    }
    let due = store.read(|c| costs::due(c, "2100-01-01T00:00:00.000Z", 100))?;
    assert!(due.is_empty(), "priced messages leave the queue: {due:?}");
    Ok(())
}

/// Saves a contact per number and a template; returns (contact ids, template id).
fn audience(store: &Store, phones: &[&str], body: &str) -> Result<(Vec<i64>, i64), Error> {
    let phones: Vec<String> = phones.iter().map(|p| p.to_string()).collect();
    let body = body.to_string();
    Ok(store.write(move |tx| {
        let mut ids = Vec::new();
        for (i, p) in phones.iter().enumerate() {
            let edit = contacts::ContactEdit {
                name: format!("Customer {i}"),
                phones: vec![p.clone()],
                email: None,
                notes: String::new(),
            };
            ids.push(contacts::save(tx, None, &edit)?);
        }
        Ok((ids, templates::save(tx, None, "Promo", &body)?))
    })?)
}

#[tokio::test]
async fn campaign_and_month_totals_are_the_exact_sum_of_twilios_prices() -> TestResult {
    let (sim, _dir, store, c) = setup().await?;
    let (ids, template) = audience(&store, &[ALICE, BOB, US_CUSTOMER], "Hello {{first_name}}, 20% off this week")?;
    let ob = Outbound::new(store.clone(), c.clone(), Events::new(), None);
    let choice = BulkChoice { template_id: template, contact_ids: ids, ..Default::default() };
    let number = store.write(|tx| numbers::ensure(tx, OURS, true))?;
    let new = store.read(move |conn| switchboard::outbound::bulk::campaign_in(conn, number, &choice))?;
    let id = campaign::create_for(&ob, new, "3 contacts".into()).await?;
    campaign::run(&ob, id).await?;
    // No status callbacks (no public URL): catch-up repairs the statuses and reads the prices.
    within(Duration::from_secs(30), "the simulator delivers all three", || {
        sim.sent_messages().iter().filter(|m| m.status == "delivered").count() == 3
    })
    .await?;
    switchboard::sync::run(&store, &c, &Events::new()).await?;

    let mut expected = 0;
    for m in sim.sent_messages() {
        expected += money::cost_micros(&twilio_price(&c, &m.sid).await?).ok_or("a price")?;
    }
    assert_eq!(expected, 2 * 51_500 + 7_900, "two AU texts and one US text");
    let summary = store.read(move |conn| campaign_history::summary(conn, id))?;
    assert_eq!(summary.cost.unpriced, 0);
    assert_eq!(summary.cost.totals.len(), 1);
    assert_eq!((summary.cost.totals[0].micros, summary.cost.totals[0].messages), (expected, 3));
    assert_eq!(summary.cost.totals[0].amount, "0.1109");
    let since = costs::first_month(Utc::now(), 6);
    let months = store.read(move |conn| costs::months(conn, &since))?;
    assert_eq!(months.len(), 1, "{months:?}");
    assert_eq!(months[0].month, Utc::now().format("%Y-%m").to_string());
    assert_eq!(months[0].totals[0].micros, expected);
    Ok(())
}

#[tokio::test]
async fn a_bulk_estimate_prices_each_country_once_a_day_and_names_one_without_a_price() -> TestResult {
    let (sim, _dir, store, c) = setup().await?;
    // 170 GSM-7 characters: two segments for everyone.
    let body = format!("Hi {{{{first_name}}}}, {}", "x".repeat(158));
    let (ids, template) = audience(&store, &[ALICE, BOB, US_CUSTOMER, FR_CUSTOMER], &body)?;
    let number = store.write(|tx| numbers::ensure(tx, OURS, true))?;
    let choice = BulkChoice { template_id: template, contact_ids: ids, vars: BTreeMap::new(), ..Default::default() };
    let est = estimate::bulk_send(&store, &c, number, choice.clone()).await?;
    assert_eq!((est.recipients, est.segments, est.max_segments), (4, 8, 2), "{est:?}");
    let by: BTreeMap<&str, &estimate::CountryEstimate> =
        est.countries.iter().map(|c| (c.country.as_str(), c)).collect();
    assert_eq!(by["AU"].segment_price.as_deref(), Some("0.0515"));
    assert_eq!((by["AU"].recipients, by["AU"].segments, by["AU"].micros), (2, 4, Some(206_000)));
    assert_eq!(by["US"].micros, Some(2 * 7_900));
    assert_eq!(by["FR"].micros, None);
    assert!(by["FR"].problem.as_deref().is_some_and(|p| p.contains("no SMS price")), "{:?}", by["FR"]);
    assert_eq!(est.unpriced_recipients, 1);
    assert_eq!(est.totals.len(), 1);
    assert_eq!((est.totals[0].currency.as_str(), est.totals[0].amount.as_str()), ("USD", "0.2218"));

    // The same estimate again (the owner edits a value): Twilio is not asked again today.
    sim.reset_request_counts();
    let again = estimate::bulk_send(&store, &c, number, choice).await?;
    assert_eq!(again, est);
    assert_eq!(sim.requests_ending("GET", "/v1/Messaging/Countries/AU"), 0);
    assert_eq!(sim.requests_ending("GET", "/v1/Messaging/Countries/FR"), 0, "no price is remembered too");
    Ok(())
}
