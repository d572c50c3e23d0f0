//! The workflows the desktop's commands used to perform inline, now core functions, run
//! against the simulator (or a bare store) with no Tauri: click-to-call, buying a number
//! and wiring it, bulk preview and start, the tunnel settings, settings → runtime config.

use std::collections::BTreeMap;

use switchboard::error::Error;
use switchboard::outbound::{bulk, campaign, click_to_call::click_to_call};
use switchboard::runtime::{Reach, RuntimeConfig};
use switchboard::sandbox::{BUSINESS_NUMBER, CUSTOMERS, OWNER_MOBILE};
use switchboard::secrets::{Secret, TwilioCredentials};
use switchboard::store::{blocked, compliance as records, contacts, numbers, optouts, settings, Store};
use switchboard::tunnel::numbers as account;
use switchboard::tunnel::settings::{self as reach, ReachChoice, TunnelConfig};

use crate::common::{clinic_draft, temp_store, TestResult};
use crate::sim_support::{fast_config, sandbox, wait_until};

/// The button rings the owner's phone from our number, and that leg dials the customer
/// with our number as caller ID; the call log shows the customer, forwarded to the owner.
#[tokio::test]
async fn click_to_call_places_the_two_leg_call_in_the_sim() -> TestResult {
    let (_dir, sb, _, number) = sandbox(fast_config()).await?;
    let customer = CUSTOMERS[0].0;

    let call = click_to_call(&sb.runtime.outbound(), number.id, &format!(" {customer} "), false).await?;
    assert_eq!(call.direction, "outbound-api");
    assert_eq!((call.from.as_str(), call.to.as_str()), (BUSINESS_NUMBER, customer), "the log shows the customer");
    assert_eq!(call.forwarded_to.as_deref(), Some(OWNER_MOBILE), "the owner's phone is rung first");

    let client = sb.runtime.client.clone();
    let first = client.fetch_call(&call.sid).await?;
    assert_eq!(first.to.as_deref(), Some(OWNER_MOBILE), "Twilio's first leg calls the owner");
    assert_eq!(first.from.as_deref(), Some(BUSINESS_NUMBER));
    let sid = call.sid.clone();
    wait_until("the owner's leg dials the customer", || {
        let (client, sid) = (client.clone(), sid.clone());
        async move {
            let calls = client.list_calls(None, 100).await.unwrap_or_default();
            calls.iter().any(|c| {
                c.parent_call_sid.as_deref() == Some(sid.as_str())
                    && c.to.as_deref() == Some(customer)
                    && c.from.as_deref() == Some(BUSINESS_NUMBER)
            })
        }
    })
    .await?;
    sb.shutdown().await?;
    Ok(())
}

/// Without a forwarding number there is nobody to ring first: refused before Twilio is
/// asked, so no call is placed; a typo in the customer's number is refused too.
#[tokio::test]
async fn click_to_call_refuses_without_a_forwarding_number() -> TestResult {
    let (_dir, sb, store, number) = sandbox(fast_config()).await?;
    let before = sb.sim.requests_ending("POST", "Calls.json");

    let bad = click_to_call(&sb.runtime.outbound(), number.id, "12", false).await;
    assert!(matches!(bad, Err(Error::InvalidPhoneNumber(_))), "not a phone number: {bad:?}");

    let mut s = number.settings.clone();
    s.forwarding_number = None;
    store.write(move |tx| numbers::update_settings(tx, number.id, &s))?;
    let got = click_to_call(&sb.runtime.outbound(), number.id, CUSTOMERS[0].0, false).await;
    match got {
        Err(Error::InvalidInput(m)) => assert!(m.contains("forwarding number"), "says what to set: {m}"),
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    assert_eq!(sb.sim.requests_ending("POST", "Calls.json"), before, "Twilio was never asked to call");
    assert!(store.read(switchboard::store::calls::all)?.iter().all(|c| c.direction != "outbound-api"));
    sb.shutdown().await?;
    Ok(())
}

/// The first local number for sale in `country`, as the buy form lists it.
async fn first_for_sale(
    client: &switchboard::twilio::client::TwilioClient,
    country: &str,
) -> Result<account::Available, Box<dyn std::error::Error>> {
    let found = account::search(client, country, "Local", "").await?;
    Ok(found.into_iter().next().ok_or(format!("no {country} numbers for sale"))?)
}

/// Buy's answer lost on the wire (Twilio bought the number, we never heard), then Buy
/// again: the number the account now owns is adopted, bought once, never "taken by someone
/// else"; and Buy after it was adopted finds it again rather than buying another.
#[tokio::test]
async fn a_buy_whose_answer_was_lost_is_adopted_not_bought_again() -> TestResult {
    let (_dir, sb, store, _) = sandbox(fast_config()).await?;
    let client = sb.runtime.client.clone();
    let e164 = first_for_sale(&client, "us").await?.e164;
    sb.sim.faults().drop_connection_after_create_next(1);
    let first = account::buy_and_manage(&store, &client, &e164, None).await?;
    assert_eq!((first.e164.as_str(), first.managed), (e164.as_str(), true), "{first:?}");
    let again = account::buy_and_manage(&store, &client, &e164, None).await?;
    assert_eq!(again.id, first.id, "the second Buy finds the same number");
    let owned = client.list_numbers(200).await?.into_iter().filter(|n| n.phone_number == e164).count();
    assert_eq!(owned, 1, "bought exactly once");
    sb.shutdown().await?;
    Ok(())
}

/// An Australian number needs an approved bundle: without one Twilio refuses (21649) and
/// nothing is stored; with a bundle still under review the core refuses before asking;
/// with the approved bundle the number is bought, managed, and wired to the app's URL.
#[tokio::test]
async fn buy_and_wire_refuses_without_an_approved_bundle() -> TestResult {
    let (dir, sb, store, _) = sandbox(fast_config()).await?;
    let client = sb.runtime.client.clone();
    let found = first_for_sale(&client, " au").await?;
    let e164 = found.e164.clone();
    assert!(found.requirements.is_some(), "the buy form says what AU needs: {found:?}");

    let bare = account::buy_and_manage(&store, &client, &e164, None).await;
    match bare {
        Err(Error::Twilio { code: Some(21649), .. }) => {}
        other => return Err(format!("expected Twilio's 21649, got {other:?}").into()),
    }
    let stored = {
        let e = e164.clone();
        store.read(move |c| numbers::find_by_e164(c, &e))?
    };
    assert!(stored.is_none(), "a refused purchase leaves nothing behind");

    // The owner's compliance form, submitted: under review until the simulator approves it.
    let doc = dir.path().join("abn.pdf");
    std::fs::write(&doc, b"%PDF-1.4 ABN 51 824 753 556")?;
    let draft = clinic_draft();
    // The document as the owner's file dialog hands it over: a grant, never a path.
    let picked = switchboard::picked::PickedPaths::default();
    let grant = picked.grant(switchboard::picked::Purpose::ComplianceDocument, &doc)?;
    let record = switchboard::compliance::save_draft(&store, &picked, draft, Some(&grant.token)).await?;
    let before = sb.sim.requests_ending("POST", "IncomingPhoneNumbers.json");
    let draft_buy = account::buy_and_manage(&store, &client, &e164, Some(record.id)).await;
    assert!(matches!(draft_buy, Err(Error::InvalidInput(ref m)) if m.contains("not approved")), "{draft_buy:?}");
    assert_eq!(sb.sim.requests_ending("POST", "IncomingPhoneNumbers.json"), before, "refused before Twilio");

    let callback = Some(format!("{}/twilio/compliance", sb.runtime.state.public_url()));
    switchboard::compliance::submit(&store, &client, record.id, callback).await?;
    let id = record.id;
    wait_until("the bundle is approved", || {
        let store = store.clone();
        async move {
            store.read(move |c| records::get(c, id)).map(|r| r.status == account::BUNDLE_APPROVED).unwrap_or(false)
        }
    })
    .await?;

    let gb = account::buy_and_manage(&store, &client, "+442071838750", Some(record.id)).await;
    assert!(matches!(gb, Err(Error::InvalidInput(ref m)) if m.contains("AU")), "an AU bundle is not for GB: {gb:?}");

    let bought = account::buy_and_manage(&store, &client, &e164, Some(record.id)).await?;
    assert!(bought.managed, "a bought number is managed at once");
    sb.runtime.rewire().await;
    let sid = bought.sid.clone().ok_or("no SID")?;
    let public = sb.runtime.state.public_url();
    let twilio_side = client.fetch_number(&sid).await?;
    assert!(
        twilio_side.config.sms_url.as_deref().is_some_and(|u| u.starts_with(&public)),
        "wired to the app's URL {public}: {:?}",
        twilio_side.config.sms_url
    );
    sb.shutdown().await?;
    Ok(())
}

/// The preview counts exactly who would be texted and skips who said STOP; the campaign
/// the same choice starts records that contact as skipped, never texted.
#[tokio::test]
async fn bulk_preview_counts_and_skips_opted_out_recipients() -> TestResult {
    let (_dir, sb, store, number) = sandbox(fast_config()).await?;
    let (stopped, nophone) = store.write(|tx| {
        optouts::set_by_owner(tx, CUSTOMERS[1].0, true)?;
        let edit = contacts::ContactEdit { name: "No Phone".into(), phones: vec![], email: None, notes: String::new() };
        Ok((
            contacts::id_for_address(tx, CUSTOMERS[1].0)?.ok_or(Error::not_found("contact"))?,
            contacts::save(tx, None, &edit)?,
        ))
    })?;
    let template = store.read(switchboard::store::templates::list)?.into_iter().next().ok_or("no template")?;
    let ids: Vec<i64> = store.read(contacts::list)?.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 4, "three demo customers and one without a phone");
    let choice = bulk::BulkChoice {
        template_id: template.id,
        contact_ids: ids,
        vars: BTreeMap::from([("time".to_string(), "10am".to_string())]),
        per_contact: bulk::PerContactVars::new(),
        tags: Vec::new(),
    };
    let c2 = choice.clone();
    let preview = store.read(move |c| bulk::preview_in(c, &c2))?;
    assert_eq!(preview.recipients.len(), 2, "{preview:?}");
    assert_eq!(preview.skipped_opted_out, 1, "the contact who said STOP is skipped");
    assert!(preview.recipients.iter().all(|r| r.contact_id != stopped && r.body.contains("10am")));
    assert_eq!(preview.problems.iter().map(|p| p.contact_id).collect::<Vec<_>>(), vec![nophone]);

    let ob = sb.runtime.outbound();
    let id = bulk::start(&ob, number.id, choice).await?;
    campaign::run(&ob, id).await?;
    let progress = store.read(move |c| bulk::progress(c, id))?;
    assert_eq!((progress.total, progress.sent, progress.skipped), (3, 2, 1), "{progress:?}");
    assert!(sb.sim.phone_inbox(CUSTOMERS[1].0).iter().all(|m| !m.body.contains("10am")), "STOP was honoured");
    sb.shutdown().await?;
    Ok(())
}

/// A blocked number gets no bulk text: left out of the campaign with the reason in the
/// preview when it was blocked before, skipped ("blocked") when it was blocked after the
/// campaign was made but before its turn.
#[tokio::test]
async fn bulk_sends_never_text_a_blocked_number() -> TestResult {
    let (_dir, sb, store, number) = sandbox(fast_config()).await?;
    let (early, late, texted) = (CUSTOMERS[2].0, CUSTOMERS[0].0, CUSTOMERS[1].0);
    store.write(move |tx| blocked::block(tx, early).map(|_| ()))?;
    let template = store.read(switchboard::store::templates::list)?.into_iter().next().ok_or("no template")?;
    let choice = bulk::BulkChoice {
        template_id: template.id,
        contact_ids: store.read(contacts::list)?.iter().map(|c| c.id).collect(),
        vars: BTreeMap::from([("time".to_string(), "11am".to_string())]),
        per_contact: bulk::PerContactVars::new(),
        tags: Vec::new(),
    };
    let c2 = choice.clone();
    let preview = store.read(move |c| bulk::preview_in(c, &c2))?;
    assert!(preview.recipients.iter().all(|r| r.to != early), "{preview:?}");
    assert!(preview.problems.iter().any(|p| p.reason.contains("is blocked")), "said why: {preview:?}");

    let ob = sb.runtime.outbound();
    let id = bulk::start(&ob, number.id, choice).await?;
    store.write(move |tx| blocked::block(tx, late).map(|_| ()))?;
    campaign::run(&ob, id).await?;
    let progress = store.read(move |c| bulk::progress(c, id))?;
    assert_eq!((progress.total, progress.sent, progress.skipped), (2, 1, 1), "{progress:?}");
    wait_until("the one text reaches its phone", || {
        let got = !sb.sim.phone_inbox(texted).is_empty();
        async move { got }
    })
    .await?;
    for who in [early, late] {
        assert!(sb.sim.phone_inbox(who).iter().all(|m| !m.body.contains("11am")), "{who} is blocked");
    }
    sb.shutdown().await?;
    Ok(())
}

fn creds() -> TwilioCredentials {
    TwilioCredentials::with_auth_token("AC00000000000000000000000000000000", "token")
}

fn set(store: &Store, pairs: &[(settings::Key, &str)]) -> TestResult {
    let pairs: Vec<(settings::Key, String)> = pairs.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    store.write(move |tx| {
        for key in [reach::TUNNEL_KIND, reach::MANUAL_URL, reach::NGROK_DOMAIN] {
            settings::remove(tx, key)?;
        }
        for (k, v) in &pairs {
            settings::set(tx, k, v)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Turning the stored settings into the runtime's config copes with what an older build,
/// a hand edit or a half-finished save leaves: odd case and spaces, an unknown kind, a
/// blank URL or domain, a URL that is not http(s), a missing ngrok token.
#[tokio::test]
async fn settings_become_the_runtime_config_whatever_they_hold() -> TestResult {
    let (_dir, store) = temp_store()?;
    let token = || Ok(Some(Secret::new("ngrok-token".to_string())));
    let no_token = || Ok(None);
    let never = || -> switchboard::Result<Option<Secret<String>>> { Err(Error::Internal("keychain asked".into())) };

    let cfg = RuntimeConfig::from_settings(&store, creds(), never)?;
    assert!(
        matches!(cfg.reach, Reach::Loopback) && !cfg.wire_numbers,
        "nothing chosen: local only, keychain untouched"
    );

    set(&store, &[(reach::TUNNEL_KIND, " Ngrok "), (reach::NGROK_DOMAIN, "   ")])?;
    let cfg = RuntimeConfig::from_settings(&store, creds(), token)?;
    assert!(matches!(cfg.reach, Reach::Ngrok { domain: None, .. }), "case and spaces ignored, blank domain is none");
    assert!(cfg.wire_numbers && cfg.fallback_flows);
    let missing = RuntimeConfig::from_settings(&store, creds(), no_token);
    assert!(matches!(missing, Err(Error::MissingCredentials(_))), "ngrok without its token says so");

    set(&store, &[(reach::TUNNEL_KIND, "manual"), (reach::MANUAL_URL, "  ")])?;
    let cfg = RuntimeConfig::from_settings(&store, creds(), never)?;
    assert!(matches!(cfg.reach, Reach::Loopback) && !cfg.wire_numbers, "a blank manual URL wires nothing");

    set(&store, &[(reach::TUNNEL_KIND, "manual"), (reach::MANUAL_URL, " https://shop.example/ ")])?;
    let cfg = RuntimeConfig::from_settings(&store, creds(), never)?;
    assert!(matches!(cfg.reach, Reach::Manual(ref u) if u == "https://shop.example"), "{:?}", cfg.reach);

    set(&store, &[(reach::TUNNEL_KIND, "manual"), (reach::MANUAL_URL, "ftp://shop.example")])?;
    let bad = RuntimeConfig::from_settings(&store, creds(), never);
    assert!(
        matches!(bad, Err(Error::InvalidInput(ref m)) if m.contains("Settings > Tunnel")),
        "numbers are never wired to it"
    );

    set(&store, &[(reach::TUNNEL_KIND, "cloudflare"), (reach::MANUAL_URL, "https://shop.example")])?;
    let cfg = RuntimeConfig::from_settings(&store, creds(), never)?;
    assert!(matches!(cfg.reach, Reach::Loopback) && !cfg.wire_numbers, "an unknown kind is no choice");
    Ok(())
}

/// The tunnel form: an invalid URL or a blank token stores nothing; a good choice is read
/// back as saved, the token going to the secret store only.
#[tokio::test]
async fn the_tunnel_form_stores_only_what_is_valid() -> TestResult {
    let (_dir, store) = temp_store()?;
    let kept = std::sync::Mutex::new(Vec::new());
    let keep = |s: Secret<String>| {
        kept.lock().map_err(|_| Error::Internal("poisoned".into()))?.push(s.expose().clone());
        Ok(())
    };
    let bad = reach::configure(&store, TunnelConfig::Manual { url: "shop.example".into() }, keep).await;
    assert!(matches!(bad, Err(Error::InvalidInput(_))));
    let blank = TunnelConfig::Ngrok { authtoken: "  ".into(), domain: None };
    assert!(reach::configure(&store, blank, keep).await.is_err());
    assert_eq!(store.read(reach::read)?, ReachChoice::None, "nothing was stored");

    let ngrok = TunnelConfig::Ngrok { authtoken: " tok ".into(), domain: Some(" shop.ngrok.app ".into()) };
    reach::configure(&store, ngrok, keep).await?;
    assert_eq!(store.read(reach::read)?, ReachChoice::Ngrok { domain: Some("shop.ngrok.app".into()) });
    assert_eq!(*kept.lock().map_err(|_| "poisoned")?, vec!["tok".to_string()]);
    let all: Vec<String> = store.read(|c| {
        let mut s = c.prepare("SELECT value FROM settings")?;
        let rows = s.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })?;
    assert!(!all.iter().any(|v| v.trim() == "tok"), "the token is not in SQLite: {all:?}");

    reach::configure(&store, TunnelConfig::Manual { url: "https://shop.example/".into() }, keep).await?;
    assert_eq!(store.read(reach::read)?, ReachChoice::Manual("https://shop.example".into()));

    // Pasted with a query or fragment, or an address Twilio cannot reach: refused, nothing
    // changes (every number would otherwise be wired to it).
    for url in [
        "https://shop.example/?src=ad",
        "https://shop.example/?",
        "https://shop.example/#top",
        "http://localhost:8787",
        "http://127.0.0.1:8787",
        "http://[::1]:8787",
        "http://192.168.1.20",
        "http://printer.local",
    ] {
        let refused = reach::configure(&store, TunnelConfig::Manual { url: url.into() }, keep).await;
        assert!(matches!(refused, Err(Error::InvalidInput(_))), "{url}: {refused:?}");
    }
    assert_eq!(store.read(reach::read)?, ReachChoice::Manual("https://shop.example".into()));
    reach::configure(&store, TunnelConfig::Manual { url: "https://proxy.example/switchboard".into() }, keep).await?;
    assert_eq!(
        store.read(reach::read)?,
        ReachChoice::Manual("https://proxy.example/switchboard".into()),
        "a path is kept"
    );

    // The ngrok domain as pasted from the dashboard (scheme, case, trailing slash).
    let pasted = TunnelConfig::Ngrok { authtoken: "tok".into(), domain: Some(" HTTPS://Shop.ngrok.app/ ".into()) };
    reach::configure(&store, pasted, keep).await?;
    assert_eq!(store.read(reach::read)?, ReachChoice::Ngrok { domain: Some("shop.ngrok.app".into()) });
    for domain in ["shop.ngrok.app/calls", "shop", "shop ngrok.app", "https://"] {
        let bad = TunnelConfig::Ngrok { authtoken: "tok".into(), domain: Some(domain.into()) };
        assert!(matches!(reach::configure(&store, bad, keep).await, Err(Error::InvalidInput(_))), "{domain}");
    }
    Ok(())
}
