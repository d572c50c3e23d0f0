//! Issue 6 end to end against the simulator: what customers did while the app was closed
//! is backfilled exactly once (texts, a call, a voicemail that is then downloaded); wiring
//! sets and restores a number's URLs and follows a URL change; once online the numbers
//! point at the listener by themselves; the self-test reports success and exact failures.

use std::collections::HashMap;
use std::time::Duration;

use switchboard::runtime::{Reach, Runtime, RuntimeConfig};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{self, numbers, Store};
use switchboard::tunnel::{wiring, TunnelState};
use switchboard::twilio::client::TwilioClient;

use crate::common::{clinic_draft, count, temp_store, TestResult};
use crate::sim_support::{client, runtime_config, wait_until, StubApp};

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412555201";
const BOB: &str = "+61412555202";

async fn sim() -> Result<Simulator, Box<dyn std::error::Error>> {
    Ok(Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?)
}

fn config(sim: &Simulator, data_dir: &std::path::Path, reach: Reach, wire: bool, backfill: bool) -> RuntimeConfig {
    let store = Store::open(data_dir).expect("the test store opens");
    RuntimeConfig { reach, wire_numbers: wire, backfill, ..runtime_config(sim, store) }
}

#[tokio::test]
async fn what_happened_while_closed_is_backfilled_once_with_the_voicemail_audio() -> TestResult {
    let sim = sim().await?;
    sim.add_number(OURS, "Shop");
    // While Switchboard is closed: two customers text, we had replied earlier from the console…
    sim.seed_message(ALICE, OURS, "Are you open on Sunday?", true, Duration::from_secs(3 * 3600));
    sim.seed_message(OURS, ALICE, "Yes, 10 to 4", false, Duration::from_secs(2 * 3600));
    sim.seed_message(BOB, OURS, "Running 5 min late 🙏", true, Duration::from_secs(600));
    // …and Bob calls: Twilio's fallback flow (a stand-in here) takes a voicemail.
    let fallback = StubApp::start(
        sim.auth_token(),
        &[(
            "/twilio/voice",
            "<Response><Say>Leave a message</Say><Record maxLength=\"30\" playBeep=\"true\"/></Response>",
        )],
    )
    .await?;
    sim.point_number_at(OURS, &fallback.base);
    let call = sim.customer_call(BOB, OURS, Some(2)).await?;
    let recording = call.recording_sid.clone().ok_or("the simulator recorded no voicemail")?;
    fallback.stop();

    // Switchboard starts: backfill runs as soon as the (loopback) reach is online.
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Loopback, false, true)).await?;
    let store = rt.store.clone();
    wait_until("3 messages, the call and the downloaded voicemail", || {
        let store = store.clone();
        async move {
            count(&store, "SELECT COUNT(*) FROM messages") == 3
                && count(&store, "SELECT COUNT(*) FROM calls") >= 1
                && count(&store, "SELECT COUNT(*) FROM recordings WHERE path IS NOT NULL AND sha256 IS NOT NULL") == 1
        }
    })
    .await?;
    let vm = store.read(|c| store::voicemails::find_by_recording_sid(c, &recording))?.ok_or("voicemail missing")?;
    assert_eq!(vm.from, BOB, "the voicemail is attributed to the caller");
    let audio = std::fs::read(dir.path().join(vm.path.as_deref().ok_or("no path")?))?;
    assert_eq!(&audio[..4], b"RIFF", "the downloaded file is the WAV the simulator recorded");
    let bodies: Vec<String> = store.read(|c| Ok(store::messages::all(c)?.into_iter().map(|m| m.body).collect()))?;
    assert!(bodies.contains(&"Running 5 min late 🙏".to_string()), "bodies are kept byte-exact: {bodies:?}");

    // A second catch-up (a reconnect) finds nothing new and stores nothing twice.
    let again = switchboard::sync::run(&rt.store, &rt.client, &rt.events).await?;
    assert_eq!((again.messages, again.calls, again.voicemails), (0, 0, 0), "{again:?}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM messages"), 3);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM recordings"), 1);
    rt.shutdown().await?;

    // Restarting on the same data folder changes nothing either.
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Loopback, false, true)).await?;
    let again = switchboard::sync::run(&rt.store, &rt.client, &rt.events).await?;
    assert_eq!(again.messages + again.calls + again.voicemails, 0);
    assert_eq!(count(&rt.store, "SELECT COUNT(*) FROM messages"), 3);
    rt.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn missed_status_callbacks_are_repaired_from_twilio() -> TestResult {
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?;
    sim.add_number(OURS, "Shop");
    // The app sends, but Twilio's status callbacks cannot reach it (it is offline).
    sim.faults().set_silent(true);
    let (_dir, store) = temp_store()?;
    let ob =
        switchboard::outbound::Outbound::new(store.clone(), client(&sim)?, switchboard::events::Events::new(), None);
    let sent = switchboard::outbound::send::send(
        &ob,
        switchboard::outbound::send::SendRequest::text(OURS, ALICE, "See you at 3"),
    )
    .await?;
    let sid = sent.sid.ok_or("no sid")?;
    wait_until("the simulator delivers", || {
        let sim = &sim;
        let sid = sid.clone();
        async move { sim.all_messages().iter().any(|m| m.sid == sid && m.status == "delivered") }
    })
    .await?;
    let before = store.read(|c| store::messages::find_by_sid(c, &sid))?.ok_or("missing")?;
    assert_ne!(before.status, "delivered", "no callback reached the store");
    let summary = switchboard::sync::run(&store, &client(&sim)?, &switchboard::events::Events::new()).await?;
    assert_eq!(summary.statuses_repaired, 1);
    let after = store.read(|c| store::messages::find_by_sid(c, &sid))?.ok_or("missing")?;
    assert_eq!(after.status, "delivered", "the final status was fetched from Twilio");
    Ok(())
}

/// A number's URLs as Twilio reports them, with empty and absent treated alike.
async fn urls(c: &TwilioClient, sid: &str) -> Result<wiring::NumberUrls, switchboard::Error> {
    let u = <TwilioClient as wiring::NumberApi>::fetch_urls(c, sid).await?;
    let norm = |v: Option<String>| v.filter(|s| !s.is_empty());
    Ok(wiring::NumberUrls {
        sms_url: norm(u.sms_url),
        status_callback: norm(u.status_callback),
        voice_url: norm(u.voice_url),
        voice_fallback_url: norm(u.voice_fallback_url),
        ..Default::default()
    })
}

#[tokio::test]
async fn wiring_sets_restores_and_follows_a_url_change_on_twilio() -> TestResult {
    let sim = sim().await?;
    let pn = sim.add_number(OURS, "Shop");
    let c = client(&sim)?;
    // What the owner had configured in the Twilio console before.
    c.update_number(
        &pn,
        &switchboard::twilio::api::numbers::NumberConfig {
            sms_url: Some("https://old.example/sms".into()),
            voice_url: Some("https://old.example/voice".into()),
            ..Default::default()
        },
    )
    .await?;
    let console = urls(&c, &pn).await?;
    let (_dir, store) = temp_store()?;
    let pn2 = pn.clone();
    let id = store.write(move |tx| numbers::upsert_from_twilio(tx, &pn2, OURS, "Shop"))?;

    wiring::manage(
        &store,
        &c,
        id,
        Some("https://first.ngrok.app"),
        Some("https://webhooks.twilio.com/v1/Accounts/AC/Flows/FW1"),
    )
    .await?;
    let wired = urls(&c, &pn).await?;
    assert_eq!(wired.sms_url.as_deref(), Some("https://first.ngrok.app/twilio/sms"));
    assert_eq!(wired.voice_url.as_deref(), Some("https://first.ngrok.app/twilio/voice#ct=3000&rt=8000&rc=1"));
    assert_eq!(wired.status_callback.as_deref(), Some("https://first.ngrok.app/twilio/voice/status"));
    assert_eq!(wired.voice_fallback_url.as_deref(), Some("https://webhooks.twilio.com/v1/Accounts/AC/Flows/FW1"));

    let report = wiring::rewire_all(&store, &c, "https://second.ngrok.app", &HashMap::new()).await?;
    assert!(report.iter().all(|w| w.error.is_none()), "{report:?}");
    assert_eq!(urls(&c, &pn).await?.sms_url.as_deref(), Some("https://second.ngrok.app/twilio/sms"));

    wiring::unmanage(&store, &c, id).await?;
    assert_eq!(urls(&c, &pn).await?, console, "stop managing restores the console's URLs");
    Ok(())
}

#[tokio::test]
async fn once_online_managed_numbers_point_at_the_app_and_texts_arrive_live() -> TestResult {
    let sim = sim().await?;
    let pn = sim.add_number(OURS, "Shop");
    let dir = tempfile::tempdir()?;
    {
        let store = Store::open(dir.path())?;
        let pn = pn.clone();
        store.write(move |tx| {
            let id = numbers::upsert_from_twilio(tx, &pn, OURS, "Shop")?;
            numbers::set_managed(tx, id, true, Some("{}"))
        })?;
    }
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Loopback, true, false)).await?;
    let listener = format!("http://{}", rt.addr);
    let c = rt.client.clone();
    wait_until("the number points at the listener", || {
        let (c, pn, listener) = (c.clone(), pn.clone(), listener.clone());
        async move { urls(&c, &pn).await.ok().and_then(|u| u.sms_url) == Some(format!("{listener}/twilio/sms")) }
    })
    .await?;
    sim.customer_sms(ALICE, OURS, "Hello from the simulated phone", false).await?;
    let found = rt
        .store
        .read(|c| Ok(store::messages::all(c)?.into_iter().any(|m| m.body == "Hello from the simulated phone")))?;
    assert!(found, "a signed webhook through the wired URL is stored before the simulator's request returns");
    let test = rt.selftest().await;
    assert!(test.ok, "self-test through the public URL: {}", test.message);
    assert_eq!(test.message, "Webhooks reach Switchboard");
    rt.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn the_self_test_says_exactly_what_is_wrong() -> TestResult {
    let sim = sim().await?;
    // A URL where nothing listens.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?
    };
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Manual(format!("http://{closed}")), false, false)).await?;
    let mut rx = rt.subscribe_tunnel();
    rx.wait_for(|s| matches!(s, TunnelState::Online { .. })).await?;
    let test = rt.selftest().await;
    assert!(!test.ok);
    assert!(test.message.contains("cannot be reached"), "{}", test.message);
    rt.shutdown().await?;

    // A URL served by something else (a proxy forwarding nowhere useful): 404.
    let other = StubApp::start("not-our-token", &[]).await?;
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Manual(format!("{}/elsewhere", other.base)), false, false))
        .await?;
    let mut rx = rt.subscribe_tunnel();
    rx.wait_for(|s| matches!(s, TunnelState::Online { .. })).await?;
    let test = rt.selftest().await;
    assert!(!test.ok, "{}", test.message);
    assert!(test.message.contains("not from this Switchboard"), "{}", test.message);
    rt.shutdown().await?;
    other.stop();
    Ok(())
}

/// The wired voice URL carries a connection-override fragment. Whether Twilio signs it is
/// undocumented, so a signature over the URL with it is accepted on the voice route (and
/// only there, and only with our own fragment).
#[tokio::test]
async fn a_signature_over_the_voice_url_with_its_override_fragment_is_accepted() -> TestResult {
    use crate::webhook_support::{pairs, request, Fixture, PUBLIC_URL, TOKEN};
    use switchboard::twilio::signature::{sign, Algorithm};
    let f = Fixture::new()?;
    let body = "CallSid=CA00000000000000000000000000000042&From=%2B61412555201&To=%2B61255501234&CallStatus=ringing&Direction=inbound&AccountSid=AC00000000000000000000000000000000";
    let with = |path: &str, fragment: &str| {
        sign(TOKEN, &format!("{PUBLIC_URL}{path}{fragment}"), &pairs(body), Algorithm::Sha1)
    };
    let (status, _) = f
        .send(request("/twilio/voice", body, Some(&with("/twilio/voice", wiring::VOICE_CONNECTION_OVERRIDE)), None))
        .await?;
    assert_eq!(status, 200, "signed with our fragment: accepted");
    let (status, _) = f.send(request("/twilio/voice", body, Some(&with("/twilio/voice", "#ct=1")), None)).await?;
    assert_eq!(status, 403, "any other fragment: refused");
    let sms = "MessageSid=SM00000000000000000000000000000042&From=%2B61412555201&To=%2B61255501234&Body=hi&NumMedia=0&AccountSid=AC00000000000000000000000000000000";
    let sig = sign(
        TOKEN,
        &format!("{PUBLIC_URL}/twilio/sms{}", wiring::VOICE_CONNECTION_OVERRIDE),
        &pairs(sms),
        Algorithm::Sha1,
    );
    let (status, _) = f.send(request("/twilio/sms", sms, Some(&sig), None)).await?;
    assert_eq!(status, 403, "the fragment is accepted on the voice route only");
    Ok(())
}

/// The compliance form's answers become a bundle on (simulated) Twilio: the evaluation is
/// kept field by field when something is missing, a corrected record resumes with the
/// SIDs it already has, and the review result arrives by signed callback.
#[tokio::test]
async fn a_compliance_form_is_submitted_and_approved() -> TestResult {
    use switchboard::store::compliance::{self as records, Draft};
    let sim =
        Simulator::start(SimConfig { bundle_review_delay: Duration::from_millis(100), ..SimConfig::default() }).await?;
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Loopback, false, false)).await?;
    let doc = dir.path().join("abn-extract.pdf");
    std::fs::write(&doc, b"%PDF-1.4 ABN 51 824 753 556")?;
    let draft = Draft {
        first_name: String::new(), // forgotten: the evaluation must say so
        document_path: Some(doc.display().to_string()),
        ..clinic_draft()
    };
    let id = rt.store.write(move |tx| records::create(tx, &draft))?;
    let callback = Some(format!("http://{}/twilio/compliance", rt.addr));
    let first = switchboard::compliance::submit(&rt.store, &rt.client, id, callback.clone()).await?;
    assert_eq!(first.status, "noncompliant");
    let results = first.evaluation.as_ref().and_then(|e| e["results"].as_array().cloned()).unwrap_or_default();
    assert!(results.iter().any(|r| r["field"] == "first_name"), "the missing field is named: {results:?}");
    let bundle = first.bundle_sid.clone().ok_or("no bundle")?;

    rt.store.write(move |tx| Ok(tx.execute("UPDATE compliance SET first_name = 'Ana' WHERE id = ?1", [id])?))?;
    let second = switchboard::compliance::submit(&rt.store, &rt.client, id, callback).await?;
    assert_eq!(second.bundle_sid.as_deref(), Some(bundle.as_str()), "the same bundle is resumed, not a new one");
    assert_eq!(second.status, "pending-review", "{:?}", second.evaluation);
    let store = rt.store.clone();
    wait_until("the signed review callback approves it", || {
        let store = store.clone();
        async move { store.read(|c| records::get(c, id)).map(|r| r.status == "twilio-approved").unwrap_or(false) }
    })
    .await?;
    rt.shutdown().await?;
    Ok(())
}

/// The fallback flow is a request Twilio's Studio API accepts: created and updated
/// against Prism serving Twilio's official Studio v2 spec (a 422 would fail this).
#[tokio::test]
async fn the_fallback_flow_is_accepted_by_twilios_studio_spec() -> TestResult {
    use switchboard::tunnel::fallback;
    let studio = crate::prism::studio()?;
    let client = crate::client_prism::prism_client()?;
    let (_dir, store) = temp_store()?;
    let number = store.write(|tx| {
        let id = numbers::upsert_from_twilio(tx, "PN00000000000000000000000000000001", OURS, "Shop")?;
        let mut s = numbers::get(tx, id)?.settings;
        s.forwarding_number = Some("+61412000999".into());
        numbers::update_settings(tx, id, &s)?;
        numbers::get(tx, id)
    })?;
    // With a blocked caller, so the block split goes through Studio's spec too.
    let blocked = ["+61400000009".to_string()];
    let created = fallback::upsert_flow_at(&client, &studio.base, &number, &blocked, None).await?;
    assert!(created.sid.starts_with("FW"), "a flow came back: {created:?}");
    let url = fallback::webhook_url(&created, client.account_sid())?;
    assert!(url.starts_with("http") && url.contains("/Flows/FW"), "the flow's webhook URL: {url}");
    let updated = fallback::upsert_flow_at(&client, &studio.base, &number, &blocked, Some(&created.sid)).await?;
    assert!(updated.sid.starts_with("FW"));
    Ok(())
}

/// A number the owner starts managing while the app is online is wired at once (not at
/// the next reconnect): its URLs are remembered, then the runtime re-points it.
#[tokio::test]
async fn a_number_managed_while_online_is_wired_at_once() -> TestResult {
    let sim = sim().await?;
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Loopback, true, false)).await?;
    let mut rx = rt.subscribe_tunnel();
    rx.wait_for(|s| matches!(s, TunnelState::Online { .. })).await?;
    let pn = sim.add_number(OURS, "Shop");
    let pn2 = pn.clone();
    let id = rt.store.write(move |tx| numbers::upsert_from_twilio(tx, &pn2, OURS, "Shop"))?;
    wiring::manage(&rt.store, &rt.client, id, None, None).await?;
    // Not asserted here that the number is still unwired: the runtime's own work (the
    // tunnel coming online, a periodic rewire) may wire it first, which is as good; the
    // CI saw that race once. What must hold is that a rewire now wires it.
    rt.rewire().await;
    assert_eq!(urls(&rt.client, &pn).await?.sms_url, Some(format!("http://{}/twilio/sms", rt.addr)));
    rt.shutdown().await?;
    Ok(())
}

/// `serve --public-url` on a fresh data directory: the URL is known before the listener
/// opens, so the very first webhook is checked against it. (It used to be adopted only once
/// the tunnel task had run, and a webhook arriving first was refused with 403: the crash
/// fault test caught it on a busy CI machine.)
#[tokio::test]
async fn a_manual_public_url_is_trusted_from_the_first_request() -> TestResult {
    use crate::fault_support::{http, post_sms, PUBLIC};
    let sim = sim().await?;
    let dir = tempfile::tempdir()?;
    let rt = Runtime::start(config(&sim, dir.path(), Reach::Manual(PUBLIC.into()), false, false)).await?;
    // On this single-threaded test runtime no spawned task has run yet.
    assert_eq!(rt.state.public_url(), PUBLIC, "the manual URL is used before the tunnel task runs");
    let status =
        post_sms(&http()?, &rt.addr.to_string(), sim.auth_token(), "SM0000000000000000000000000000f1", "hi").await?;
    assert_eq!(status, 200, "the first signed webhook after start is stored");
    rt.shutdown().await?;
    Ok(())
}
