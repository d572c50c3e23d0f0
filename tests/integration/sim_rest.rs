//! The simulator's REST API over real HTTP: messages (create, list, paging, fetch), media,
//! auth, fault switches, numbers and addresses.

use std::collections::HashSet;

use switchboard::sim::Simulator;

use crate::common::TestResult;
use crate::sim_support::{fast_config, start_owning, Api};

const OURS: &str = "+61291234567";
const CUSTOMER: &str = "+61412345678";

/// A fast simulator owning `numbers`, and a REST client of its account.
async fn sim_and_api(numbers: &[&str]) -> Result<(Simulator, Api), Box<dyn std::error::Error>> {
    let sim = start_owning(fast_config(), numbers).await?;
    let api = Api::new(&sim)?;
    Ok((sim, api))
}

#[tokio::test]
async fn sim_rest_messages_create_list_page_and_fetch() -> TestResult {
    let (_sim, api) = sim_and_api(&[OURS]).await?;
    let mut created = Vec::new();
    for i in 0..5 {
        let r = api.post("Messages.json", &[("To", CUSTOMER), ("From", OURS), ("Body", &format!("hello {i}"))]).await?;
        assert_eq!(r.status, 201, "a valid send is created: {}", r.json);
        assert_eq!(r.json["status"], "queued", "a new message starts queued");
        assert_eq!(r.json["direction"], "outbound-api");
        created.push(r.json["sid"].as_str().ok_or("sid")?.to_string());
    }
    assert!(created.iter().all(|s| s.starts_with("SM") && s.len() == 34), "SIDs are SM + 32 hex: {created:?}");

    // Page through with PageSize=2: 3 pages, every message exactly once, newest first.
    let mut seen = Vec::new();
    let mut next = Some(format!("Messages.json?From={}&PageSize=2", urlencode(OURS)));
    let mut pages = 0;
    while let Some(uri) = next.take() {
        let r = api.get(&uri).await?;
        assert_eq!(r.status, 200, "list page {uri}: {}", r.json);
        pages += 1;
        for m in r.json["messages"].as_array().ok_or("messages array")? {
            seen.push(m["sid"].as_str().ok_or("sid")?.to_string());
        }
        next = r.json["next_page_uri"].as_str().map(str::to_string);
    }
    assert_eq!(pages, 3, "5 messages at 2 per page are 3 pages");
    assert_eq!(seen.len(), 5, "paging returns each message once: {seen:?}");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5, "no duplicates across pages");
    assert_eq!(seen[0], created[4], "lists are newest first, like Twilio");

    let r = api.get(&format!("Messages.json?To={}", urlencode("+61400000000"))).await?;
    assert_eq!(r.json["messages"].as_array().map(Vec::len), Some(0), "the To filter excludes other recipients");

    let r = api.get(&format!("Messages/{}.json", created[2])).await?;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["body"], "hello 2", "fetch returns the message that was sent");
    assert_eq!(r.json["num_segments"], "1");

    let r = api.get("Messages/SM00000000000000000000000000000000.json").await?;
    assert_eq!(r.status, 404, "an unknown message is 404");
    assert_eq!(r.json["code"], 20404, "Twilio's error shape: {}", r.json);
    assert_eq!(r.json["status"], 404);
    assert!(r.json["more_info"].as_str().is_some_and(|s| s.contains("20404")), "more_info links the code");
    Ok(())
}

#[tokio::test]
async fn sim_rest_send_validation_errors_match_twilio_codes() -> TestResult {
    let (sim, api) = sim_and_api(&[OURS]).await?;
    let r = api.post("Messages.json", &[("From", OURS), ("Body", "x")]).await?;
    assert_eq!((r.status, r.json["code"].as_u64()), (400, Some(21604)), "missing To: {}", r.json);
    let r = api.post("Messages.json", &[("To", CUSTOMER), ("From", "+61299990000"), ("Body", "x")]).await?;
    assert_eq!(r.json["code"], 21606, "a From the account does not own: {}", r.json);
    let r = api.post("Messages.json", &[("To", CUSTOMER), ("From", OURS)]).await?;
    assert_eq!(r.json["code"], 21602, "neither Body nor MediaUrl: {}", r.json);

    // The customer texts STOP (the number has no SmsUrl: nothing to call), then a send fails.
    sim.customer_sms(CUSTOMER, OURS, "STOP", false).await?;
    let inbox = sim.phone_inbox(CUSTOMER);
    assert!(inbox.iter().any(|m| m.body.contains("unsubscribed")), "Twilio confirms STOP to the customer: {inbox:?}");
    let r = api.post("Messages.json", &[("To", CUSTOMER), ("From", OURS), ("Body", "sale!")]).await?;
    assert_eq!(r.json["code"], 21610, "sending to an opted-out customer: {}", r.json);
    sim.customer_sms(CUSTOMER, OURS, "START", false).await?;
    let r = api.post("Messages.json", &[("To", CUSTOMER), ("From", OURS), ("Body", "welcome back")]).await?;
    assert_eq!(r.status, 201, "START re-subscribes: {}", r.json);
    Ok(())
}

#[tokio::test]
async fn sim_rest_rejects_bad_credentials_with_20003() -> TestResult {
    let (sim, api) = sim_and_api(&[]).await?;
    let url = api.url("Messages.json");
    let resp = api.http.get(&url).basic_auth(sim.account_sid(), Some("wrong-token")).send().await?;
    assert_eq!(resp.status().as_u16(), 401, "a wrong token is refused");
    let body: serde_json::Value = resp.json().await?;
    assert_eq!(body["code"], 20003, "Twilio's authentication error code: {body}");
    let resp = api.http.get(&url).send().await?;
    assert_eq!(resp.status().as_u16(), 401, "no credentials at all is refused");

    let other = format!("{}/2010-04-01/Accounts/AC{}/Messages.json", sim.base_url(), "0".repeat(32));
    let resp = api.http.get(&other).basic_auth(sim.account_sid(), Some(sim.auth_token())).send().await?;
    assert_eq!(resp.status().as_u16(), 401, "valid credentials cannot read another account");

    let (key, secret) = sim.add_api_key();
    let resp = api.http.get(&url).basic_auth(&key, Some(&secret)).send().await?;
    assert_eq!(resp.status().as_u16(), 200, "an API key + secret authenticates like the token");
    Ok(())
}

#[tokio::test]
async fn sim_rest_faults_429_with_retry_after_then_500_then_recovers() -> TestResult {
    let (sim, api) = sim_and_api(&[]).await?;
    sim.faults().rate_limit_next(1, 7);
    let r = api.get("Messages.json").await?;
    assert_eq!(r.status, 429, "the armed rate limit answers 429");
    assert_eq!(r.json["code"], 20429);
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("7"),
        "Retry-After tells the client how long to wait"
    );
    sim.faults().server_error_next(1);
    let r = api.get("Messages.json").await?;
    assert_eq!(r.status, 500, "the armed server error answers 500");
    let r = api.get("Messages.json").await?;
    assert_eq!(r.status, 200, "counted faults switch themselves off");
    Ok(())
}

#[tokio::test]
async fn sim_rest_dropped_connection_after_create_leaves_the_message() -> TestResult {
    let (sim, api) = sim_and_api(&[OURS]).await?;
    sim.faults().drop_connection_after_create_next(1);
    let result = api
        .http
        .post(api.url("Messages.json"))
        .basic_auth(&api.account, Some(&api.token))
        .form(&[("To", CUSTOMER), ("From", OURS), ("Body", "did this go?")])
        .send()
        .await;
    assert!(result.is_err(), "the client sees a dropped connection, not a response: {result:?}");
    let sent = sim.sent_messages();
    assert_eq!(sent.len(), 1, "the message was created anyway");
    let r = api.get("Messages.json").await?;
    let listed = r.json["messages"].as_array().ok_or("messages")?;
    assert_eq!(listed.len(), 1, "a later list (backfill) finds it");
    assert_eq!(listed[0]["sid"].as_str(), Some(sent[0].sid.as_str()));
    assert_eq!(listed[0]["body"], "did this go?");
    Ok(())
}

#[tokio::test]
async fn sim_rest_inbound_mms_media_redirects_to_a_real_png() -> TestResult {
    let (sim, api) = sim_and_api(&[OURS]).await?;
    let sid = sim.customer_sms(CUSTOMER, OURS, "", true).await?;
    assert!(sid.starts_with("MM"), "an MMS has an MM sid");
    let r = api.get(&format!("Messages/{sid}/Media.json")).await?;
    let media = r.json["media_list"].as_array().ok_or("media_list")?;
    assert_eq!(media.len(), 1, "one image: {}", r.json);
    assert_eq!(media[0]["content_type"], "image/png");
    let me = media[0]["sid"].as_str().ok_or("media sid")?;

    let media_url = api.url(&format!("Messages/{sid}/Media/{me}"));
    let no_redirect = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build()?;
    let resp = no_redirect.get(&media_url).send().await?;
    assert!(resp.status().is_redirection(), "the media URL redirects like Twilio's: {}", resp.status());
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).ok_or("Location")?.to_string();
    assert!(
        location.starts_with(&sim.base_url()) && location.contains("/cdn/"),
        "to a CDN path on the same host: {location}"
    );
    let resp = api.http.get(&location).send().await?;
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    let bytes = resp.bytes().await?;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a real PNG file");
    Ok(())
}

#[tokio::test]
async fn sim_rest_numbers_search_buy_update_release() -> TestResult {
    let (_sim, api) = sim_and_api(&[]).await?;
    let r = api.get("AvailablePhoneNumbers/AU/Local.json?Contains=77").await?;
    assert_eq!(r.status, 200, "{}", r.json);
    let found = r.json["available_phone_numbers"].as_array().ok_or("available_phone_numbers")?;
    assert!(!found.is_empty(), "some AU local numbers are offered");
    for n in found {
        let e164 = n["phone_number"].as_str().ok_or("phone_number")?;
        let parsed = switchboard::domain::phone::E164::parse(e164)?;
        assert_eq!(parsed.region().as_deref(), Some("AU"), "{e164} is a valid Australian number");
        assert!(e164.ends_with("77"), "Contains=77 is honoured: {e164}");
        assert_eq!(n["address_requirements"], "local", "AU numbers need a local address");
    }
    let r = api.get("AvailablePhoneNumbers/US/Local.json?AreaCode=415").await?;
    let us = r.json["available_phone_numbers"].as_array().ok_or("US list")?;
    assert!(
        us.iter().all(|n| n["phone_number"].as_str().is_some_and(|p| p.starts_with("+1415"))),
        "AreaCode filter: {us:?}"
    );
    let r = api.get("AvailablePhoneNumbers/AU/Mobile.json").await?;
    let mobile = r.json["available_phone_numbers"][0]["phone_number"].as_str().ok_or("mobile")?.to_string();
    assert!(mobile.starts_with("+614"), "AU mobiles start +614: {mobile}");

    // AU needs an approved bundle (21649) and an address (21631).
    let au = found[0]["phone_number"].as_str().ok_or("au")?;
    let r = api.post("IncomingPhoneNumbers.json", &[("PhoneNumber", au)]).await?;
    assert_eq!(r.json["code"], 21649, "an AU number without a bundle: {}", r.json);

    let us_number = us[0]["phone_number"].as_str().ok_or("us")?;
    let r = api.post("IncomingPhoneNumbers.json", &[("PhoneNumber", us_number), ("FriendlyName", "Main line")]).await?;
    assert_eq!(r.status, 201, "a US number needs nothing: {}", r.json);
    let pn = r.json["sid"].as_str().ok_or("sid")?.to_string();
    let r = api.post("IncomingPhoneNumbers.json", &[("PhoneNumber", us_number)]).await?;
    assert_eq!(r.json["code"], 21422, "a number already owned is not available");

    let r =
        api.post(&format!("IncomingPhoneNumbers/{pn}.json"), &[("SmsUrl", "https://example.com/twilio/sms")]).await?;
    assert_eq!(r.json["sms_url"], "https://example.com/twilio/sms", "update sets the SmsUrl");
    assert_eq!(r.json["friendly_name"], "Main line", "and keeps what it did not touch");
    let r = api.get(&format!("IncomingPhoneNumbers.json?PhoneNumber={}", urlencode(us_number))).await?;
    assert_eq!(r.json["incoming_phone_numbers"].as_array().map(Vec::len), Some(1));
    let r = api.delete(&format!("IncomingPhoneNumbers/{pn}.json")).await?;
    assert_eq!(r.status, 204, "release answers 204");
    let r = api.get(&format!("IncomingPhoneNumbers/{pn}.json")).await?;
    assert_eq!(r.status, 404, "a released number is gone");

    let r = api.create_au_address().await?;
    assert_eq!(r.status, 201, "{}", r.json);
    assert!(r.json["sid"].as_str().is_some_and(|s| s.starts_with("AD")));
    let r = api.get("Addresses.json?IsoCountry=AU").await?;
    assert_eq!(r.json["addresses"].as_array().map(Vec::len), Some(1), "the address is listed");
    Ok(())
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn sim_rest_seeded_history_is_listed_newest_first() -> TestResult {
    let (sim, api) = sim_and_api(&[OURS]).await?;
    let hour = std::time::Duration::from_secs(3600);
    let old = sim.seed_message(CUSTOMER, OURS, "Do you open Sundays?", true, 3 * hour);
    let reply = sim.seed_message(OURS, CUSTOMER, "Yes, 10 to 4.", false, 2 * hour);
    let r = api.post("Messages.json", &[("To", CUSTOMER), ("From", OURS), ("Body", "See you then")]).await?;
    let newest = r.json["sid"].as_str().ok_or("sid")?.to_string();
    let older = sim.seed_message(CUSTOMER, OURS, "Hi!", true, 5 * hour);
    let r = api.get("Messages.json").await?;
    let order: Vec<&str> =
        r.json["messages"].as_array().ok_or("messages")?.iter().filter_map(|m| m["sid"].as_str()).collect();
    assert_eq!(
        order,
        [newest.as_str(), reply.as_str(), old.as_str(), older.as_str()],
        "the log is newest first whatever the seeding order"
    );
    assert_eq!(sim.phone_inbox(CUSTOMER).len(), 1, "the seeded reply is on the customer's phone");

    let customers = sim.seed_demo("+61291230000", "Demo shop");
    assert_eq!(customers.len(), 3);
    let r = api.get("Messages.json?To=%2B61291230000").await?;
    assert_eq!(r.json["messages"].as_array().map(Vec::len), Some(4), "the demo's inbound history is in the log");
    Ok(())
}
