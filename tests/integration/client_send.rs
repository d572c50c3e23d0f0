//! The outbound path (send, MMS links, templates, campaigns) with a real store and a stub
//! Twilio over real HTTP.

use std::collections::BTreeMap;
use std::sync::Arc;

use switchboard::events::Event;
use switchboard::outbound::send::{self, Content, SendRequest};
use switchboard::outbound::{campaign, media_links, Outbound};
use switchboard::store::{self, Store};
use switchboard::Error;

use crate::client_stub::{client_at, message_json, twilio_error, Stub};
use crate::common::{unpaced_outbound, TestResult};
use crate::email_support::{conversation_with_email, email_reply, resend};

const OURS: &str = "+15005550006";
const CUSTOMER: &str = "+61412345678";

fn outbound(stub: &Stub, dir: &std::path::Path) -> Result<Outbound, Box<dyn std::error::Error>> {
    unpaced_outbound(Store::open(dir)?, OURS, client_at(&stub.base)?, Some("https://pub.example"))
}

/// A stub Twilio (see [`twilio`]), a fresh data folder and the outbound path over both.
async fn setup(
    errors: Vec<(&'static str, u32, u16)>,
) -> Result<(Stub, tempfile::TempDir, Outbound), Box<dyn std::error::Error>> {
    let stub = twilio(errors).await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound(&stub, dir.path())?;
    Ok((stub, dir, ob))
}

/// A stub Twilio that creates messages with SIDs SM…01, SM…02…, lists none, and answers
/// `error` (code, status) for the `To` numbers given.
async fn twilio(errors: Vec<(&'static str, u32, u16)>) -> Result<Stub, Box<dyn std::error::Error>> {
    Stub::start(Arc::new(move |r, before| {
        if r.method == "GET" {
            return (200, vec![], serde_json::json!({"messages": [], "next_page_uri": null}).to_string());
        }
        let to = r.field("To").unwrap_or_default();
        if let Some((_, code, status)) = errors.iter().find(|(n, _, _)| *n == to) {
            return (*status, vec![], twilio_error(*code, *status, "refused"));
        }
        let n = before.iter().filter(|b| b.method == "POST").count() + 1;
        let sid = format!("SM{n:032}");
        (
            201,
            vec![],
            message_json(
                &sid,
                &r.field("From").unwrap_or_default(),
                &to,
                &r.field("Body").unwrap_or_default(),
                "queued",
            ),
        )
    }))
    .await
}

#[tokio::test]
async fn send_writes_the_outbox_then_records_the_sid() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    let mut rx = ob.events.subscribe();
    let out = send::send(&ob, SendRequest::text(OURS, "+61 412 345 678", "Your order is ready")).await?;
    assert_eq!(out.sid.as_deref(), Some("SM00000000000000000000000000000001"));
    assert!(out.status_callback);
    let m = ob.store.read(|c| store::messages::get(c, out.message_id))?;
    assert_eq!((m.status.as_str(), m.to.as_str(), m.direction.as_str()), ("queued", CUSTOMER, "outbound"));
    assert_eq!(m.sid, out.sid);
    let req = stub.requests().into_iter().next().ok_or("no request")?;
    assert_eq!(req.field("To").as_deref(), Some(CUSTOMER), "the number was normalised to E.164");
    assert_eq!(req.field("StatusCallback").as_deref(), Some("https://pub.example/twilio/sms/status"));
    assert!(matches!(rx.try_recv(), Ok(Event::MessageUpdated { .. })), "the UI hears about it");
    Ok(())
}

#[tokio::test]
async fn opted_out_invalid_and_too_long_are_refused_before_anything_is_sent() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    ob.store.write(|tx| store::optouts::set_by_owner(tx, CUSTOMER, true).map(|_| ()))?;
    let e =
        send::send(&ob, SendRequest::text(OURS, CUSTOMER, "hi")).await.err().ok_or("sent to an opted-out contact")?;
    assert!(matches!(e, Error::OptedOut(_)), "{e:?}");
    let e = send::send(&ob, SendRequest::text(OURS, "12", "hi")).await.err().ok_or("sent to a bad number")?;
    assert!(matches!(e, Error::InvalidPhoneNumber(_)), "{e:?}");
    let long = "a".repeat(1601);
    let e =
        send::send(&ob, SendRequest::text(OURS, "+61298765432", &long)).await.err().ok_or("sent a too-long body")?;
    assert!(e.to_string().contains("1600"), "{e}");
    let mut req = SendRequest::text(OURS, "+61298765432", "");
    req.content = Content::Template { name: "missing".into(), vars: BTreeMap::new() };
    assert!(matches!(send::send(&ob, req).await, Err(Error::NotFound { .. })));
    assert!(stub.requests().is_empty(), "Twilio was never asked");
    let rows = ob.store.read(store::messages::all)?;
    assert!(rows.is_empty(), "no outbox row for a refused send");
    Ok(())
}

#[tokio::test]
async fn templates_render_and_missing_variables_are_named() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    ob.store.write(|tx| store::templates::save(tx, None, "ready", "Hi {{first_name}}, your {{item}} is ready"))?;
    let vars: BTreeMap<String, String> = [("first_name".to_string(), "Ana".to_string())].into();
    let mut req = SendRequest::text(OURS, CUSTOMER, "");
    req.content = Content::Template { name: "ready".into(), vars: vars.clone() };
    let e = send::send(&ob, req.clone()).await.err().ok_or("a missing variable was sent")?;
    assert!(e.to_string().contains("item"), "the missing variable is named: {e}");
    assert!(stub.requests().is_empty());
    let mut vars = vars;
    vars.insert("item".into(), "cake".into());
    req.content = Content::Template { name: "ready".into(), vars };
    send::send(&ob, req).await?;
    assert_eq!(stub.requests()[0].field("Body").as_deref(), Some("Hi Ana, your cake is ready"));
    Ok(())
}

#[tokio::test]
async fn error_21610_marks_the_contact_opted_out_and_the_message_failed() -> TestResult {
    let (_stub, _dir, ob) = setup(vec![(CUSTOMER, 21610, 400)]).await?;
    let e = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "hi")).await.err().ok_or("expected 21610")?;
    assert!(matches!(e, Error::Twilio { code: Some(21610), .. }));
    assert!(ob.store.read(|c| store::optouts::is_opted_out(c, CUSTOMER))?, "21610 marks the contact");
    let c = ob.store.read(|c| store::contacts::find_by_address(c, CUSTOMER))?.ok_or("no contact")?;
    assert_eq!(c.opt_out_source.as_deref(), Some("error 21610"));
    let m = ob.store.read(store::messages::all)?.pop().ok_or("no outbox row")?;
    assert_eq!((m.status.as_str(), m.error_code), ("failed", Some(21610)));
    Ok(())
}

#[tokio::test]
async fn other_twilio_errors_mark_the_message_failed_with_the_explanation() -> TestResult {
    let (_stub, _dir, ob) = setup(vec![(CUSTOMER, 21408, 400)]).await?;
    assert!(send::send(&ob, SendRequest::text(OURS, CUSTOMER, "hi")).await.is_err());
    let m = ob.store.read(store::messages::all)?.pop().ok_or("no outbox row")?;
    assert_eq!(m.status, "failed");
    assert!(m.error_message.unwrap_or_default().contains("Geo permissions"), "the owner is told what to do");
    assert!(!ob.store.read(|c| store::optouts::is_opted_out(c, CUSTOMER))?);
    Ok(())
}

#[tokio::test]
async fn the_same_client_ref_never_sends_twice() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    let mut req = SendRequest::text(OURS, CUSTOMER, "once");
    req.client_ref = Some("composer-42".into());
    let first = send::send(&ob, req.clone()).await?;
    let second = send::send(&ob, req).await?;
    assert!(second.already_sent && second.sid == first.sid && second.message_id == first.message_id);
    assert_eq!(stub.count("POST", "Messages.json"), 1);
    Ok(())
}

#[tokio::test]
async fn mms_files_are_served_at_an_expiring_token_url() -> TestResult {
    let (stub, dir, ob) = setup(vec![]).await?;
    let pic = dir.path().join("cake.png");
    std::fs::write(&pic, b"\x89PNG fake image")?;
    let mut req = SendRequest::text(OURS, CUSTOMER, "");
    req.media = vec![pic.clone()];
    let out = send::send(&ob, req).await?;
    let post = stub.requests().into_iter().next().ok_or("no request")?;
    let url = post.field("MediaUrl").ok_or("no MediaUrl")?;
    let token = url.strip_prefix("https://pub.example/media/").ok_or(format!("unexpected media URL {url}"))?;
    assert_eq!(token.len(), 64, "a 256-bit token");
    assert_eq!(ob.store.read(|c| store::messages::get(c, out.message_id))?.num_media, 1);

    // Served through the handler the listener mounts at GET /media/{token}.
    let app = axum::Router::new()
        .route("/media/{token}", axum::routing::get(switchboard::webhook::media::serve_outbound_media))
        .with_state(switchboard::webhook::AppState::new(
            ob.store.clone(),
            "https://pub.example",
            switchboard::secrets::Secret::new("test-auth-token".into()),
            ob.events.clone(),
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let http = reqwest::Client::new();
    let resp = http.get(format!("{base}/media/{token}")).send().await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    assert_eq!(resp.bytes().await?.as_ref(), b"\x89PNG fake image");
    let unknown = http.get(format!("{base}/media/{}", "0".repeat(64))).send().await?;
    assert_eq!(unknown.status(), 404, "an unregistered token is not served");
    let traversal = http.get(format!("{base}/media/..%2F..%2Fswitchboard.db")).send().await?;
    assert_eq!(traversal.status(), 404, "only registered files are served");

    // Expire it: the same URL is gone.
    let t = token.to_string();
    ob.store.write(move |tx| {
        tx.execute("UPDATE outbound_media SET expires_at = '2000-01-01T00:00:00.000Z' WHERE token = ?1", [&t])?;
        Ok(())
    })?;
    assert_eq!(http.get(format!("{base}/media/{token}")).send().await?.status(), 404, "expired links 404");
    assert_eq!(media_links::purge(&ob.store).await?, 1);
    Ok(())
}

fn campaign_setup(ob: &Outbound, n: usize) -> Result<(i64, Vec<campaign::Recipient>), Box<dyn std::error::Error>> {
    let tid = ob.store.write(|tx| store::templates::save(tx, None, "promo", "Hi {{first_name}}, 10% off today"))?;
    let recipients = (0..n)
        .map(|i| campaign::Recipient {
            contact_id: None,
            to: format!("+6141234567{i}"),
            vars: [("first_name".to_string(), format!("Customer{i}"))].into(),
        })
        .collect();
    Ok((tid, recipients))
}

#[tokio::test]
async fn campaigns_skip_opted_out_contacts_and_report_progress() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    let (tid, recipients) = campaign_setup(&ob, 3)?;
    ob.store.write(|tx| store::optouts::set_by_owner(tx, "+61412345671", true).map(|_| ()))?;
    let mut rx = ob.events.subscribe();
    let id = campaign::create(
        &ob,
        campaign::NewCampaign { template_id: tid, from: OURS.into(), recipients, rate_per_sec: Some(1000.0) },
    )
    .await?;
    let p = campaign::run(&ob, id).await?;
    assert_eq!((p.sent, p.skipped, p.failed, p.pending), (2, 1, 0, 0));
    assert_eq!(stub.count("POST", "Messages.json"), 2, "the opted-out contact got nothing");
    let bodies: Vec<String> = stub.requests().iter().filter_map(|r| r.field("Body")).collect();
    assert_eq!(bodies, vec!["Hi Customer0, 10% off today", "Hi Customer2, 10% off today"]);
    let mut last = None;
    while let Ok(e) = rx.try_recv() {
        if let Event::CampaignProgress { state, .. } = e {
            last = Some(state);
        }
    }
    assert_eq!(last, Some(switchboard::domain::CampaignState::Done), "the last progress event says done");
    // Running it again sends nothing more.
    campaign::run(&ob, id).await?;
    assert_eq!(stub.count("POST", "Messages.json"), 2);
    Ok(())
}

#[tokio::test]
async fn campaign_missing_variable_fails_before_anything_is_sent() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    let (tid, mut recipients) = campaign_setup(&ob, 2)?;
    recipients[1].vars.clear();
    let e = campaign::create(
        &ob,
        campaign::NewCampaign { template_id: tid, from: OURS.into(), recipients, rate_per_sec: None },
    )
    .await
    .err()
    .ok_or("a campaign with a missing variable was created")?;
    assert!(e.to_string().contains("first_name") && e.to_string().contains("+61412345671"), "{e}");
    assert!(stub.requests().is_empty());
    Ok(())
}

#[tokio::test]
async fn paused_campaigns_send_nothing_until_resumed() -> TestResult {
    let (stub, _dir, ob) = setup(vec![]).await?;
    let (tid, recipients) = campaign_setup(&ob, 2)?;
    let id = campaign::create(
        &ob,
        campaign::NewCampaign { template_id: tid, from: OURS.into(), recipients, rate_per_sec: Some(500.0) },
    )
    .await?;
    assert!(campaign::pause(&ob, id).await?);
    let p = campaign::run(&ob, id).await?;
    assert_eq!((p.sent, p.pending), (0, 2));
    assert!(stub.requests().is_empty(), "a paused campaign sends nothing");
    assert!(campaign::resume(&ob, id).await?);
    let p = campaign::run(&ob, id).await?;
    assert_eq!((p.sent, p.pending), (2, 0));
    Ok(())
}

#[tokio::test]
async fn a_campaign_resumed_after_a_crash_mid_send_does_not_send_twice() -> TestResult {
    // Twilio already has the message for the interrupted recipient (its answer was lost
    // in the crash); listing finds it, so it is adopted rather than sent again.
    let interrupted_to = "+61412345670";
    let stub = Stub::start(Arc::new(move |r, before| {
        if r.method == "GET" {
            let m: serde_json::Value = serde_json::from_str(&message_json(
                "SM0000000000000000000000000000aaaa",
                OURS,
                interrupted_to,
                "Hi Customer0, 10% off today",
                "sent",
            ))
            .unwrap_or_default();
            let list = if r.query.contains("To=%2B61412345670") { vec![m] } else { vec![] };
            return (200, vec![], serde_json::json!({"messages": list, "next_page_uri": null}).to_string());
        }
        let n = before.iter().filter(|b| b.method == "POST").count() + 1;
        (201, vec![], message_json(&format!("SM{n:032}"), OURS, &r.field("To").unwrap_or_default(), "", "queued"))
    }))
    .await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound(&stub, dir.path())?;
    let (tid, recipients) = campaign_setup(&ob, 2)?;
    let id = campaign::create(
        &ob,
        campaign::NewCampaign { template_id: tid, from: OURS.into(), recipients, rate_per_sec: Some(500.0) },
    )
    .await?;
    // Simulate the crash: recipient 1 marked sending and its outbox row written, no SID.
    let first = ob.store.read(|c| store::campaigns::recipients(c, id))?.remove(0);
    let client_ref = campaign::client_ref(id, first.id);
    let (first_copy, client_ref_copy) = (first.clone(), client_ref.clone());
    ob.store.write(move |tx| {
        let (first, client_ref) = (first_copy, client_ref_copy);
        store::campaigns::set_recipient(tx, first.id, "sending", None, None)?;
        let n = store::numbers::ensure(tx, OURS, false)?;
        store::messages::insert_outbound(
            tx,
            &store::messages::Outbound {
                client_ref: client_ref.clone(),
                number_id: n,
                from: OURS.into(),
                to: interrupted_to.into(),
                body: first.body.clone(),
                channel: switchboard::domain::Channel::Sms,
                num_segments: 1,
                num_media: 0,
                campaign_id: Some(id),
            },
        )?;
        Ok(())
    })?;
    let p = campaign::run(&ob, id).await?;
    assert_eq!((p.sent, p.pending), (2, 0));
    let posts: Vec<String> =
        stub.requests().iter().filter(|r| r.method == "POST").filter_map(|r| r.field("To")).collect();
    assert_eq!(posts, vec!["+61412345671"], "only the recipient never sent was sent");
    let adopted = ob.store.read(|c| store::messages::find_by_client_ref(c, &client_ref))?.ok_or("no row")?;
    assert_eq!(adopted.sid.as_deref(), Some("SM0000000000000000000000000000aaaa"), "the existing message was adopted");
    let count = ob.store.read(store::messages::all)?.len();
    assert_eq!(count, 2, "one outbox row per recipient");
    Ok(())
}

#[tokio::test]
async fn email_replies_go_through_resend_and_are_stored_as_email() -> TestResult {
    let resend = resend().await?;
    let (twilio, _dir, ob) = setup(vec![]).await?;
    let conversation_id = conversation_with_email(&ob.store, OURS, CUSTOMER, "ana@example.com")?;
    let id = email_reply(&ob, &resend, conversation_id).await?;
    let m = ob.store.read(|c| store::messages::get(c, id))?;
    assert_eq!((m.channel.as_str(), m.status.as_str(), m.to.as_str()), ("email", "sent", "ana@example.com"));
    assert_eq!(m.conversation_id, conversation_id, "stored in the customer's conversation");
    let req = resend.requests().into_iter().next().ok_or("Resend was not called")?;
    assert_eq!(req.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer re_test_key"));
    let body: serde_json::Value = serde_json::from_slice(&req.body)?;
    assert_eq!(body["to"], serde_json::json!(["ana@example.com"]));
    assert_eq!(body["subject"], "Your order");
    assert!(twilio.requests().is_empty(), "email never touches Twilio");
    Ok(())
}
