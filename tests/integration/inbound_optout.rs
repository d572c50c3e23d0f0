//! Issue 13, item 3: opt-out belongs to a phone address, not to a contact. Contact edits
//! never change it, START from one phone re-subscribes only that phone, and an SMS STOP
//! does not block email replies.

use switchboard::store::{contacts, conversations, numbers, Store};

use crate::common::TestResult;
use crate::email_support::{email_reply, resend};
use crate::webhook_support::{inbound_sms, Fixture};

const OURS: &str = "+61255501234";
const ANA_MOBILE: &str = "+61412345678";
const ANA_WORK: &str = "+61412345679";

/// Whether the conversation between our number and `customer` shows (and enforces) opt-out.
fn conversation_opted_out(store: &Store, customer: &str) -> Result<bool, Box<dyn std::error::Error>> {
    let customer = customer.to_string();
    Ok(store.read(move |c| {
        let n = numbers::find_by_e164(c, OURS)?.ok_or_else(|| switchboard::Error::not_found("number"))?;
        let id: i64 = c.query_row(
            "SELECT id FROM conversations WHERE number_id = ?1 AND customer = ?2",
            rusqlite::params![n.id, customer],
            |r| r.get(0),
        )?;
        Ok(conversations::get(c, id)?.opted_out)
    })?)
}

fn save_contact(
    store: &Store,
    id: Option<i64>,
    name: &str,
    phones: &[&str],
    email: Option<&str>,
) -> Result<i64, switchboard::Error> {
    let edit = contacts::ContactEdit {
        name: name.into(),
        phones: phones.iter().map(|p| p.to_string()).collect(),
        email: email.map(str::to_string),
        notes: String::new(),
    };
    store.write(move |tx| contacts::save(tx, id, &edit))
}

#[tokio::test]
async fn moving_a_number_to_another_contact_keeps_it_opted_out() -> TestResult {
    let f = Fixture::new()?;
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000b001", ANA_MOBILE, OURS, "STOP")).await?;
    assert!(conversation_opted_out(&f.store, ANA_MOBILE)?);
    // The owner moves the number from the auto-created contact to a named one.
    let auto = f.store.read(|c| contacts::find_by_address(c, ANA_MOBILE))?.ok_or("no auto contact")?;
    save_contact(&f.store, Some(auto.id), "", &[], None)?;
    save_contact(&f.store, None, "Ana Lima", &[ANA_MOBILE], None)?;
    assert!(conversation_opted_out(&f.store, ANA_MOBILE)?, "a contact edit never re-subscribes a number");
    Ok(())
}

#[tokio::test]
async fn start_from_one_phone_does_not_resubscribe_the_others() -> TestResult {
    let f = Fixture::new()?;
    save_contact(&f.store, None, "Ana Lima", &[ANA_MOBILE, ANA_WORK], None)?;
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000b101", ANA_MOBILE, OURS, "STOP")).await?;
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000b102", ANA_WORK, OURS, "STOP")).await?;
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000b103", ANA_MOBILE, OURS, "START")).await?;
    assert!(!conversation_opted_out(&f.store, ANA_MOBILE)?, "START re-subscribes the phone it came from");
    assert!(conversation_opted_out(&f.store, ANA_WORK)?, "the other phone said STOP and never START");
    Ok(())
}

#[tokio::test]
async fn an_sms_stop_does_not_block_email_replies() -> TestResult {
    let resend = resend().await?;
    let f = Fixture::new()?;
    save_contact(&f.store, None, "Ana Lima", &[ANA_MOBILE], Some("ana@example.com"))?;
    f.post("/twilio/sms", &inbound_sms("SM0000000000000000000000000000b201", ANA_MOBILE, OURS, "STOP")).await?;
    let conversation_id: i64 = f.store.read(|c| Ok(c.query_row("SELECT id FROM conversations", [], |r| r.get(0))?))?;
    let creds =
        switchboard::secrets::TwilioCredentials::with_auth_token("AC00000000000000000000000000000000", "unused");
    let client = switchboard::twilio::client::TwilioClient::new(switchboard::twilio::client::ClientConfig::with_base(
        creds,
        "http://127.0.0.1:9",
    ))?;
    let ob = switchboard::outbound::Outbound::new(f.store.clone(), client, f.events.clone(), None);
    let sent = email_reply(&ob, &resend, conversation_id).await;
    assert!(sent.is_ok(), "STOP by SMS says nothing about email: {sent:?}");
    assert_eq!(resend.requests().len(), 1);
    Ok(())
}
