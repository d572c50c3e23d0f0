//! The client against the project's Twilio simulator (`switchboard::sim`): the stateful
//! flows Prism cannot check — a send that then shows up in the list, a compliance bundle
//! from evaluation to approval, buying and releasing a number, backfill of what happened
//! while the app was closed, and the simulator's fault switches (429, dropped connection).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use switchboard::events::Events;
use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::Outbound;
use switchboard::secrets::TwilioCredentials;
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::Store;
use switchboard::twilio::api::compliance::{DocumentUpload, NewBundle, RegulationQuery};
use switchboard::twilio::api::messages::{MessageFilter, NewMessage};
use switchboard::twilio::api::numbers::{BuyNumber, NewAddress, NumberConfig, NumberSearch, NumberType, PostalAddress};
use switchboard::twilio::client::{ClientConfig, TwilioClient};
use switchboard::Error;

use crate::common::TestResult;
use crate::sim_support::start_owning;

const OURS: &str = "+61255501234";
const CUSTOMER: &str = "+61412345678";

fn config() -> SimConfig {
    SimConfig {
        callback_delay: Duration::from_millis(10),
        bundle_review_delay: Duration::from_millis(50),
        ..SimConfig::default()
    }
}

fn client(sim: &Simulator, token: &str) -> Result<TwilioClient, Error> {
    let creds = TwilioCredentials::with_auth_token(sim.account_sid(), token);
    let mut cfg = ClientConfig::with_base(creds, &sim.base_url());
    cfg.retry_base_delay = Duration::from_millis(10);
    TwilioClient::new(cfg)
}

/// The simulator owning `numbers`, and a client signed in to its account.
async fn sim_and_client(numbers: &[&str]) -> Result<(Simulator, TwilioClient), Box<dyn std::error::Error>> {
    let sim = start_owning(config(), numbers).await?;
    let c = client(&sim, sim.auth_token())?;
    Ok((sim, c))
}

#[tokio::test]
async fn sim_send_then_list_and_fetch_the_same_message() -> TestResult {
    let (sim, c) = sim_and_client(&[OURS]).await?;
    c.fetch_account().await?;
    let dir = tempfile::tempdir()?;
    let ob = Outbound::new(Store::open(dir.path())?, c.clone(), Events::new(), None);
    let out = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Your order is ready")).await?;
    let sid = out.sid.ok_or("no SID")?;
    let sent = sim.sent_messages();
    assert!(sent.iter().any(|m| m.sid == sid && m.body == "Your order is ready"), "the simulator got it: {sent:?}");
    let listed = c
        .list_messages(&MessageFilter { to: Some(CUSTOMER.into()), from: Some(OURS.into()), ..Default::default() }, 50)
        .await?;
    assert!(listed.iter().any(|m| m.sid == sid), "listing by To/From finds it");
    assert_eq!(c.fetch_message(&sid).await?.body.as_deref(), Some("Your order is ready"));

    let wrong = client(&sim, "not-the-token")?;
    match wrong.fetch_account().await {
        Err(e @ Error::Twilio { code: Some(20003), .. }) => assert!(e.to_string().contains("Wrong credentials")),
        other => return Err(format!("wrong credentials must say so, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn sim_faults_rate_limit_is_retried_and_a_dropped_create_is_not_sent_twice() -> TestResult {
    let (sim, c) = sim_and_client(&[OURS]).await?;
    sim.faults().rate_limit_next(1, 0);
    c.list_messages(&MessageFilter::default(), 10).await?;

    // The client's create is one POST: a dropped answer is an error there, and the send
    // path (outbound::send) looks in Twilio's log before anything is sent again.
    sim.faults().drop_connection_after_create_next(1);
    let m = NewMessage {
        from: OURS.into(),
        to: CUSTOMER.into(),
        body: "not resent by the client".into(),
        ..Default::default()
    };
    assert!(matches!(c.create_message(&m).await, Err(Error::Network(_))), "a lost answer is not retried blindly");
    assert_eq!(sim.sent_messages().iter().filter(|s| s.body == "not resent by the client").count(), 1);

    sim.faults().drop_connection_after_create_next(1);
    let dir = tempfile::tempdir()?;
    let ob = Outbound::new(Store::open(dir.path())?, c.clone(), Events::new(), None);
    let got = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "exactly once")).await?;
    let copies = sim.sent_messages().into_iter().filter(|s| s.body == "exactly once").count();
    assert_eq!(copies, 1, "the dropped create was found in the log, not sent again");
    let sid = got.sid.ok_or("the adopted message has its SID")?;
    assert!(sim.sent_messages().iter().any(|s| s.sid == sid));
    Ok(())
}

#[tokio::test]
async fn sim_compliance_bundle_from_evaluation_to_approval() -> TestResult {
    let (sim, c) = sim_and_client(&[]).await?;
    let regs = c
        .list_regulations(&RegulationQuery {
            iso_country: Some("AU".into()),
            number_type: Some("local".into()),
            end_user_type: Some("business".into()),
            include_constraints: true,
        })
        .await?;
    let reg = regs.first().ok_or("no AU local business regulation")?;
    let end_user = c
        .create_end_user(
            "Ana's Bakery",
            "business",
            &serde_json::json!({
                "business_name": "Ana's Bakery Pty Ltd",
                "business_registration_identifier": "ABN",
                "business_registration_number": "51824753556",
                "first_name": "Ana",
                "last_name": "Lima",
            }),
        )
        .await?;
    let bundle = c
        .create_bundle(&NewBundle {
            friendly_name: "Ana's Bakery AU local".into(),
            email: "ana@example.com".into(),
            regulation_sid: Some(reg.sid.clone()),
            ..Default::default()
        })
        .await?;
    c.assign_item(&bundle.sid, &end_user.sid).await?;
    let first = c.evaluate_bundle(&bundle.sid).await?;
    assert!(!first.is_compliant());
    let issues = first.issues();
    assert!(
        issues.iter().any(|i| i.field.as_deref() == Some("email") && i.error_code == Some(22215)),
        "the missing end-user email is pointed at: {issues:?}"
    );

    // Complete it: fix the end user's fields, add the registration document (uploaded as
    // a file), and an address with its proof-of-address document.
    c.update_end_user(
        &end_user.sid,
        None,
        &serde_json::json!({
            "business_name": "Ana's Bakery Pty Ltd",
            "business_registration_identifier": "ABN",
            "business_registration_number": "51824753556",
            "email": "ana@example.com",
            "first_name": "Ana",
            "last_name": "Lima",
        }),
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let pdf = dir.path().join("abn.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 ABN extract")?;
    let doc = c
        .upload_supporting_document(&DocumentUpload {
            friendly_name: "ABN extract".into(),
            kind: "business_registration".into(),
            attributes: serde_json::json!({"business_name": "Ana's Bakery Pty Ltd", "business_registration_number": "51824753556"}),
            file: &pdf,
            mime_type: "application/pdf".into(),
        })
        .await?;
    let (ct, bytes) = sim.document_upload(&doc.sid).ok_or("the simulator did not keep the file")?;
    assert_eq!((ct.as_str(), bytes.as_slice()), ("application/pdf", b"%PDF-1.4 ABN extract".as_slice()));
    let address = c
        .create_address(&NewAddress {
            postal: PostalAddress {
                customer_name: "Ana's Bakery Pty Ltd".into(),
                street: "1 George St".into(),
                city: "Sydney".into(),
                region: "NSW".into(),
                postal_code: "2000".into(),
                iso_country: "AU".into(),
            },
            friendly_name: None,
        })
        .await?;
    let proof = c
        .create_supporting_document("Shop address", "address", &serde_json::json!({"address_sids": [address.sid]}))
        .await?;
    for sid in [&doc.sid, &proof.sid] {
        c.assign_item(&bundle.sid, sid).await?;
    }
    let second = c.evaluate_bundle(&bundle.sid).await?;
    assert!(second.is_compliant(), "complete bundle evaluates compliant: {:?}", second.issues());
    let submitted = c.submit_bundle(&bundle.sid).await?;
    assert_eq!(submitted.status.as_deref(), Some("pending-review"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let b = c.fetch_bundle(&bundle.sid).await?;
        if b.status.as_deref() == Some("twilio-approved") {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("bundle never approved; last status {:?}", b.status).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test]
async fn sim_numbers_search_buy_configure_release() -> TestResult {
    let (_sim, c) = sim_and_client(&[]).await?;
    let found = c
        .search_available(
            NumberType::Local,
            &NumberSearch { country: "US".into(), page_size: Some(5), ..Default::default() },
        )
        .await?;
    let pick = found.first().ok_or("no numbers for sale")?;
    let bought = c
        .buy_number(&BuyNumber {
            phone_number: pick.phone_number.clone(),
            friendly_name: Some("Shop".into()),
            ..Default::default()
        })
        .await?;
    let updated = c
        .update_number(
            &bought.sid,
            &NumberConfig {
                friendly_name: Some("Front desk".into()),
                sms_url: Some("https://shop.example/twilio/sms".into()),
                sms_method: Some("POST".into()),
                voice_url: Some("https://shop.example/twilio/voice".into()),
                voice_method: Some("POST".into()),
                voice_fallback_url: Some("https://handler.twilio.com/twiml/EH0".into()),
                status_callback: Some("https://shop.example/twilio/voice/status".into()),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(updated.config.friendly_name.as_deref(), Some("Front desk"));
    assert_eq!(updated.config.sms_url.as_deref(), Some("https://shop.example/twilio/sms"));
    assert!(c.list_numbers(100).await?.iter().any(|n| n.sid == bought.sid));
    c.release_number(&bought.sid).await?;
    assert!(!c.list_numbers(100).await?.iter().any(|n| n.sid == bought.sid), "released numbers are gone");
    Ok(())
}

#[tokio::test]
async fn sim_backfill_finds_what_happened_while_closed() -> TestResult {
    let (sim, c) = sim_and_client(&[OURS]).await?;
    let old = sim.seed_message(CUSTOMER, OURS, "sent last week", true, Duration::from_secs(7 * 24 * 3600));
    let recent = sim.seed_message(CUSTOMER, OURS, "are you open today?", true, Duration::from_secs(600));
    let watermark = (chrono::Utc::now() - chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let got = c.backfill_messages(Some(&watermark), 500).await?;
    let sids: HashSet<String> = got.iter().map(|m| m.sid.clone()).collect();
    assert!(sids.contains(&recent), "the message since the watermark is found");
    assert!(!sids.contains(&old), "a week-old message is outside the overlap");
    assert_eq!(sids.len(), got.len(), "each SID once");
    Ok(())
}
