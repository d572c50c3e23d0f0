//! Issue 13, item 10: the auto-reply answers a customer at most once per window, never an
//! automated sender, and is stored in the thread exactly once (also when catch-up later
//! lists the reply from Twilio's log).

use std::time::Duration;

use switchboard::runtime::Runtime;
use switchboard::store::Store;

use crate::common::{count, edit_number_settings, temp_store, TestResult};
use crate::sim_support::{runtime_config, sim_owning};
use crate::webhook_support::{inbound_sms, parse_xml, Fixture};

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412345678";
const BOB: &str = "+61412345679";
const REPLY: &str = "Thanks for your message! We are closed until 9am.";

fn set_auto_reply(store: &Store) -> Result<(), switchboard::Error> {
    edit_number_settings(store, OURS, true, |s| s.auto_reply = Some(REPLY.into()))
}

fn replied(xml: &str) -> Result<Option<String>, Box<dyn std::error::Error>> {
    Ok(parse_xml(xml)?.find("Message").map(|m| m.text.clone()))
}

#[tokio::test]
async fn auto_reply_once_per_customer_per_window() -> TestResult {
    let f = Fixture::new()?;
    set_auto_reply(&f.store)?;
    let (_, xml) =
        f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000c001", ALICE, OURS, "Hello?")).await?;
    assert_eq!(replied(&xml)?.as_deref(), Some(REPLY), "the first message is answered");
    let (_, xml) =
        f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000c002", ALICE, OURS, "Hello??")).await?;
    assert_eq!(replied(&xml)?, None, "a second message within the window is not: another autoresponder would loop");
    let (_, xml) = f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000c003", BOB, OURS, "Hi")).await?;
    assert_eq!(replied(&xml)?.as_deref(), Some(REPLY), "the window is per customer");
    Ok(())
}

#[tokio::test]
async fn auto_reply_never_answers_short_codes_or_alphanumeric_senders() -> TestResult {
    let f = Fixture::new()?;
    set_auto_reply(&f.store)?;
    for (i, from) in ["72345", "898211", "MyBank", "AMAZON"].iter().enumerate() {
        let (status, xml) = f
            .post(
                "/twilio/sms",
                &inbound_sms(&format!("SM0000000000000000000000000000d00{i}"), from, OURS, "Your code is 1234"),
            )
            .await?;
        assert_eq!(status, 200, "stored all the same");
        assert_eq!(replied(&xml)?, None, "{from} looks automated: no auto-reply");
    }
    Ok(())
}

#[tokio::test]
async fn auto_reply_is_stored_in_the_thread() -> TestResult {
    let f = Fixture::new()?;
    set_auto_reply(&f.store)?;
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000e001", ALICE, OURS, "Open today?")).await?;
    assert_eq!(
        count(&f.store, &format!("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND body = '{REPLY}'")),
        1,
        "the reply the customer received is in the conversation"
    );
    // Twilio retries the same webhook: still one reply row.
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000e001", ALICE, OURS, "Open today?")).await?;
    assert_eq!(
        count(&f.store, &format!("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND body = '{REPLY}'")),
        1
    );
    Ok(())
}

#[tokio::test]
async fn auto_reply_is_stored_once_when_catch_up_lists_it_from_twilio() -> TestResult {
    let sim = sim_owning(Duration::from_millis(10), OURS).await?;
    let (_dir, store) = temp_store()?;
    let rt = Runtime::start(runtime_config(&sim, store)).await?;
    sim.point_number_at(OURS, &format!("http://{}", rt.addr));
    set_auto_reply(&rt.store)?;
    sim.customer_sms(BOB, OURS, "Do you deliver?", false).await?;
    assert!(sim.phone_inbox(BOB).iter().any(|m| m.body == REPLY), "Bob received the auto-reply");
    let summary = switchboard::sync::run(&rt.store, &rt.client, &rt.events).await?;
    let rows = count(&rt.store, &format!("SELECT COUNT(*) FROM messages WHERE body = '{REPLY}'"));
    assert_eq!(rows, 1, "one row for the one reply, after catch-up listed it from Twilio ({summary:?})");
    let with_sid =
        count(&rt.store, &format!("SELECT COUNT(*) FROM messages WHERE body = '{REPLY}' AND sid LIKE 'SM%'"));
    assert_eq!(with_sid, 1, "catch-up gave the stored reply its Twilio SID");
    let again = switchboard::sync::run(&rt.store, &rt.client, &rt.events).await?;
    assert_eq!(again.messages, 0, "{again:?}");
    rt.shutdown().await?;
    Ok(())
}
