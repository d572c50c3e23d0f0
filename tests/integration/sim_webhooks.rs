//! Webhooks the simulator posts to the app, checked by a stub app with
//! `twilio::signature::validate`: inbound SMS/MMS, status callbacks in order, shuffled,
//! failed with 30003, delivered twice, or never (silent).

use switchboard::sim::Faults;

use crate::common::TestResult;
use crate::sim_support::{fast_config, start, wait_until, Api, Harness, StubApp};

const OURS: &str = "+61291234567";
const CUSTOMER: &str = "+61412345678";

#[tokio::test]
async fn sim_webhooks_inbound_sms_is_signed_with_real_fields_and_reply_reaches_phone() -> TestResult {
    let harness = Harness::start(
        fast_config(),
        OURS,
        &[("/twilio/sms", "<Response><Message>Thanks, we got it!</Message></Response>")],
    )
    .await?;
    let (sim, app) = (&harness.sim, &harness.app);
    let sid = sim.customer_sms(CUSTOMER, OURS, "Is the shop open?", false).await?;

    let hits = app.hits_on("/twilio/sms");
    assert_eq!(hits.len(), 1, "one inbound webhook: {hits:?}");
    let h = &hits[0];
    assert!(h.signature_valid, "X-Twilio-Signature verifies over the configured URL");
    for (name, want) in [
        ("MessageSid", sid.as_str()),
        ("SmsSid", sid.as_str()),
        ("SmsMessageSid", sid.as_str()),
        ("AccountSid", sim.account_sid()),
        ("From", CUSTOMER),
        ("To", OURS),
        ("Body", "Is the shop open?"),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsStatus", "received"),
        ("ToCountry", "AU"),
        ("FromCountry", "AU"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(h.get(name), Some(want), "field {name} as Twilio sends it");
    }
    assert!(h.idempotency_token.is_some(), "Twilio sends I-Twilio-Idempotency-Token");

    let inbox = sim.phone_inbox(CUSTOMER);
    assert_eq!(inbox.len(), 1, "the TwiML <Message> reply reaches the customer's phone: {inbox:?}");
    assert_eq!(inbox[0].body, "Thanks, we got it!");
    assert_eq!(inbox[0].status, "delivered");
    let twiml = sim.received_twiml();
    assert!(
        twiml.iter().any(|(url, doc)| url.ends_with("/twilio/sms") && doc.contains("Thanks")),
        "TwiML is kept: {twiml:?}"
    );
    let log = sim.webhook_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(200), "the log records the app's answer");
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_inbound_mms_carries_a_fetchable_media_url() -> TestResult {
    let harness = Harness::start(fast_config(), OURS, &[]).await?;
    let (sim, app) = (&harness.sim, &harness.app);
    sim.customer_sms(CUSTOMER, OURS, "look at this", true).await?;
    let hit = app.hits_on("/twilio/sms").into_iter().next().ok_or("no webhook")?;
    assert!(hit.signature_valid, "MMS webhook is signed");
    assert_eq!(hit.get("NumMedia"), Some("1"));
    assert_eq!(hit.get("MediaContentType0"), Some("image/png"));
    let url = hit.get("MediaUrl0").ok_or("MediaUrl0")?;
    assert!(
        url.starts_with(&format!("{}/2010-04-01/Accounts/{}/Messages/MM", sim.base_url(), sim.account_sid())),
        "{url}"
    );
    let bytes = reqwest::Client::builder().no_proxy().build()?.get(url).send().await?.bytes().await?;
    assert_eq!(&bytes[1..4], b"PNG", "following the media URL yields the PNG");
    assert!(sim.phone_inbox(CUSTOMER).is_empty(), "an empty <Response/> sends nothing back");
    Ok(())
}

/// A harness with `fault` switched on, a REST client of its account, and the SID of a text
/// sent through it whose status callbacks go to the stub app's `/twilio/status{query}`.
async fn sent_text(
    fault: impl FnOnce(&Faults),
    query: &str,
    body: &str,
) -> Result<(Harness, Api, String), Box<dyn std::error::Error>> {
    let harness = Harness::start(fast_config(), OURS, &[]).await?;
    let api = Api::new(&harness.sim)?;
    fault(&harness.sim.faults());
    let callback = format!("{}/twilio/status{query}", harness.app.base);
    let r = api
        .post("Messages.json", &[("To", CUSTOMER), ("From", OURS), ("Body", body), ("StatusCallback", &callback)])
        .await?;
    assert_eq!(r.status, 201, "{}", r.json);
    let sid = r.json["sid"].as_str().ok_or("sid")?.to_string();
    Ok((harness, api, sid))
}

fn statuses(app: &StubApp, sid: &str) -> Vec<String> {
    app.hits_on("/twilio/status")
        .iter()
        .filter(|h| h.get("MessageSid") == Some(sid))
        .filter_map(|h| h.get("MessageStatus").map(str::to_string))
        .collect()
}

#[tokio::test]
async fn sim_webhooks_status_callbacks_go_queued_sent_delivered() -> TestResult {
    // A query string on the callback URL is part of what Twilio signs.
    let (harness, api, sid) = sent_text(|_| {}, "?msg=42", "Your order is ready").await?;
    let (sim, app) = (&harness.sim, &harness.app);
    wait_until("three status callbacks", || async { statuses(app, &sid).len() >= 3 }).await?;
    assert_eq!(statuses(app, &sid), ["queued", "sent", "delivered"], "callbacks arrive in order");
    for h in app.hits_on("/twilio/status") {
        assert!(h.signature_valid, "every status callback is signed: {h:?}");
        assert_eq!(h.get("SmsSid"), Some(sid.as_str()));
        assert_eq!(h.get("ErrorCode"), None, "a successful delivery has no ErrorCode");
    }
    let r = api.get(&format!("Messages/{sid}.json")).await?;
    assert_eq!(r.json["status"], "delivered", "fetch agrees with the last callback");
    assert!(r.json["date_sent"].is_string(), "a sent message has date_sent");
    let inbox = sim.phone_inbox(CUSTOMER);
    assert_eq!(inbox.len(), 1, "the message reached the phone");
    assert_eq!(inbox[0].body, "Your order is ready");
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_failed_delivery_reports_30003() -> TestResult {
    let (harness, api, sid) = sent_text(|f| f.set_fail_delivery(Some(30003)), "", "hello?").await?;
    let (sim, app) = (&harness.sim, &harness.app);
    wait_until("the final callback", || async { statuses(app, &sid).len() >= 3 }).await?;
    assert_eq!(statuses(app, &sid), ["queued", "sent", "undelivered"]);
    let last = app.hits_on("/twilio/status").pop().ok_or("no callback")?;
    assert_eq!(last.get("ErrorCode"), Some("30003"), "the failure carries Twilio's error code");
    let r = api.get(&format!("Messages/{sid}.json")).await?;
    assert_eq!(r.json["error_code"], 30003);
    assert!(sim.phone_inbox(CUSTOMER).is_empty(), "nothing reached the phone");
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_shuffled_callbacks_arrive_out_of_order() -> TestResult {
    let (harness, api, sid) = sent_text(|f| f.set_shuffle_status_callbacks(true), "", "shuffle").await?;
    let app = &harness.app;
    wait_until("all callbacks", || async { statuses(app, &sid).len() >= 3 }).await?;
    let got = statuses(app, &sid);
    assert_ne!(got, ["queued", "sent", "delivered"], "shuffled callbacks are never in natural order");
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, ["delivered", "queued", "sent"], "but every status is still reported once");
    let r = api.get(&format!("Messages/{sid}.json")).await?;
    assert_eq!(r.json["status"], "delivered", "the resource itself ends delivered");
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_duplicate_delivery_repeats_the_idempotency_token() -> TestResult {
    let harness = Harness::start(fast_config(), OURS, &[]).await?;
    let (sim, app) = (&harness.sim, &harness.app);
    sim.faults().set_duplicate_webhooks(true);
    sim.customer_sms(CUSTOMER, OURS, "twice", false).await?;
    let hits = app.hits_on("/twilio/sms");
    assert_eq!(hits.len(), 2, "the webhook is delivered twice");
    assert_eq!(hits[0].params, hits[1].params, "with the same parameters");
    assert!(
        hits[0].idempotency_token.is_some() && hits[0].idempotency_token == hits[1].idempotency_token,
        "and the same idempotency token"
    );
    assert!(hits.iter().all(|h| h.signature_valid));
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_silent_sends_no_callbacks_but_state_advances() -> TestResult {
    let (harness, api, sid) = sent_text(|f| f.set_silent(true), "", "quiet").await?;
    let (sim, app) = (&harness.sim, &harness.app);
    wait_until("delivery on the simulator's side", || async { !sim.phone_inbox(CUSTOMER).is_empty() }).await?;
    let r = api.get(&format!("Messages/{sid}.json")).await?;
    assert_eq!(r.json["status"], "delivered", "polling sees the delivery");
    assert!(app.hits().is_empty(), "but no callback was ever posted");
    assert!(sim.webhook_log().is_empty());
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_signature_does_not_verify_with_another_token() -> TestResult {
    let sim = start(fast_config()).await?;
    let app = StubApp::start("not-the-account-token", &[]).await?;
    sim.add_number(OURS, "Shop");
    sim.point_number_at(OURS, &app.base);
    sim.customer_sms(CUSTOMER, OURS, "hi", false).await?;
    let hits = app.hits_on("/twilio/sms");
    assert_eq!(hits.len(), 1);
    assert!(!hits[0].signature_valid, "the signature is bound to the account's auth token");
    app.stop();
    Ok(())
}

#[tokio::test]
async fn sim_webhooks_failed_sms_webhook_retries_on_the_fallback_url() -> TestResult {
    let sim = start(fast_config()).await?;
    let app = StubApp::start(
        sim.auth_token(),
        &[("/fallback", "<Response><Message>Sorry, we are closed.</Message></Response>")],
    )
    .await?;
    let pn = sim.add_number(OURS, "Shop");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    let api = Api::new(&sim)?;
    let r = api
        .post(
            &format!("IncomingPhoneNumbers/{pn}.json"),
            &[
                ("SmsUrl", &format!("http://{closed}/twilio/sms")),
                ("SmsFallbackUrl", &format!("{}/fallback", app.base)),
            ],
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.json);
    sim.customer_sms(CUSTOMER, OURS, "anyone there?", false).await?;
    let hits = app.hits_on("/fallback");
    assert_eq!(hits.len(), 1, "the fallback URL was tried");
    assert!(hits[0].signature_valid, "the fallback request is signed for its own URL");
    assert_eq!(hits[0].get("ErrorCode"), Some("11200"));
    assert!(hits[0].get("ErrorUrl").is_some_and(|u| u.ends_with("/twilio/sms")));
    assert_eq!(sim.phone_inbox(CUSTOMER).first().map(|m| m.body.as_str()), Some("Sorry, we are closed."));
    app.stop();
    Ok(())
}
