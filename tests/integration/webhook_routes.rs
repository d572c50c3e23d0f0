//! The webhook routes driven through `router(state)` with the oracle payloads, signed as
//! Twilio signs them: stored once, forged requests refused, bad input rejected, the right
//! TwiML answered.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use switchboard::domain::hours::BusinessHours;
use switchboard::domain::MessageStatus;
use switchboard::events::Event;
use switchboard::store::{calls, compliance, messages, numbers, optouts, text_backs, voicemails};
use switchboard::twilio::signature::{body_sha256, sign, Algorithm};

use crate::common::{edit_number_settings, TestResult};
use crate::webhook_support::*;

#[tokio::test]
async fn oracle_inbound_sms_is_stored_once_even_to_an_odd_unknown_number() -> TestResult {
    let f = Fixture::new()?;
    let mut rx = f.events.subscribe();
    let body = raw_body("inbound_sms")?;
    let (status, xml) = f.post("/twilio/sms", &body).await?;
    assert_eq!(status, StatusCode::OK, "a signed inbound SMS is accepted: {xml}");
    let doc = parse_xml(&xml)?;
    assert!(doc.name == "Response" && doc.children.is_empty(), "no auto-reply configured: empty TwiML, got {xml}");

    let m = f
        .store
        .read(|c| messages::find_by_sid(c, "SMa56324aa4a31735561b7205472192d68"))?
        .ok_or("the message must be stored under its MessageSid")?;
    assert_eq!((m.body.as_str(), m.from.as_str(), m.to.as_str()), ("Hello", "+571138050810", "+1A693421974"));
    assert_eq!(m.direction, switchboard::domain::Direction::Inbound);
    let n = f.store.read(|c| numbers::find_by_e164(c, "+1A693421974"))?.ok_or("the unknown To number is recorded")?;
    assert!(n.seen_in_webhook, "a number first seen in a webhook is marked so");
    assert!(
        matches!(rx.try_recv(), Ok(Event::MessageReceived { message_id, .. }) if message_id == m.id),
        "MessageReceived is published after the commit"
    );

    let before = f.footprint()?;
    let (status, _) = f.post("/twilio/sms", &body).await?;
    assert_eq!(status, StatusCode::OK, "a duplicate still gets 2xx");
    assert_eq!(f.footprint()?, before, "the same SID again changes nothing");
    assert!(rx.try_recv().is_err(), "a duplicate publishes nothing");
    Ok(())
}

#[tokio::test]
async fn retries_with_the_same_idempotency_token_change_nothing() -> TestResult {
    let f = Fixture::new()?;
    let body = raw_body("message_status_callback")?;
    let sig = signature_for(TOKEN, "/twilio/sms/status", &body);
    for _ in 0..3 {
        let (status, _) = f.send(request("/twilio/sms/status", &body, Some(&sig), Some("idem-token-1"))).await?;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(f.count("webhook_journal")?, 1, "one journal row per delivery, however often it is retried");
    assert_eq!(f.count("pending_status")?, 1, "the status (for a SID not known yet) is kept once");
    Ok(())
}

#[tokio::test]
async fn oracle_mms_queues_each_media_for_download() -> TestResult {
    let f = Fixture::new()?;
    let (status, _) = f.post("/twilio/sms", &raw_body("inbound_mms")?).await?;
    assert_eq!(status, StatusCode::OK);
    let m = f.store.read(|c| messages::find_by_sid(c, "MM0fe83458b74a1f626eb0da4685ab28b5"))?.ok_or("stored")?;
    assert_eq!(m.media.len(), 1, "NumMedia=1 gives one media row");
    assert_eq!(m.media[0].content_type, "image/jpeg");
    assert_eq!(m.media[0].path, None, "not downloaded inside the request");
    let queued = f.store.read(switchboard::store::downloads::outstanding)?;
    assert_eq!(queued.len(), 1, "the media URL is queued for the worker");
    assert!(queued[0].url.starts_with("https://api.twilio.com/2010-04-01/Accounts/"), "{}", queued[0].url);
    Ok(())
}

#[tokio::test]
async fn forged_requests_get_403_and_store_nothing() -> TestResult {
    let f = Fixture::new()?;
    let body = raw_body("inbound_sms")?;
    let path = "/twilio/sms";
    let good = signature_for(TOKEN, path, &body);
    let tampered = with_field(&body, "Body", "Hello, send money");
    let wrong_url = sign(TOKEN, &format!("https://evil.example{path}"), &pairs(&body), Algorithm::Sha1);
    let host_header_url = sign(TOKEN, &format!("http://127.0.0.1:8787{path}"), &pairs(&body), Algorithm::Sha1);
    let other_path = signature_for(TOKEN, "/twilio/voice", &body);
    let cases: Vec<(&str, Request<Body>)> = vec![
        ("wrong token", request(path, &body, Some(&signature_for("not-the-token", path, &body)), None)),
        ("tampered body", request(path, &tampered, Some(&good), None)),
        ("wrong public URL", request(path, &body, Some(&wrong_url), None)),
        ("URL from the Host header", request(path, &body, Some(&host_header_url), None)),
        ("signed for another route", request(path, &body, Some(&other_path), None)),
        ("missing header", request(path, &body, None, None)),
        ("empty header", request(path, &body, Some(""), None)),
    ];
    for (why, req) in cases {
        let (status, text) = f.send(req).await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "{why} must be refused");
        assert!(!text.contains("SM"), "the refusal reveals nothing: {text}");
    }
    assert!(f.footprint()?.iter().all(|n| *n == 0), "no forged request may store anything: {:?}", f.footprint()?);
    Ok(())
}

#[tokio::test]
async fn signature_variants_twilio_uses_are_accepted() -> TestResult {
    let f = Fixture::new()?;
    let body = raw_body("inbound_sms")?;
    // The default port written out, as some Twilio configurations sign it.
    let with_port = sign(TOKEN, &format!("{PUBLIC_URL}:443/twilio/sms"), &pairs(&body), Algorithm::Sha1);
    let (status, _) = f.send(request("/twilio/sms", &body, Some(&with_port), None)).await?;
    assert_eq!(status, StatusCode::OK, "the URL with :443 is the same URL");

    // HMAC-SHA256 when the account announces it.
    let body2 = with_field(&body, "MessageSid", "SM00000000000000000000000000000256");
    let sha256 = sign(TOKEN, &format!("{PUBLIC_URL}/twilio/sms"), &pairs(&body2), Algorithm::Sha256);
    let (status, _) = f.send(request("/twilio/sms", &body2, Some(&sha256), None)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "SHA-256 without the settings header is not the account's scheme");
    let mut req = request("/twilio/sms", &body2, Some(&sha256), None);
    req.headers_mut().insert("x-twilio-webhooks-signature-settings", "key=k1,algorithm=HMAC_SHA256".parse()?);
    let (status, _) = f.send(req).await?;
    assert_eq!(status, StatusCode::OK, "SHA-256 is checked when the header says so");

    // The raw query string is part of what is signed.
    let body3 = with_field(&body, "MessageSid", "SM00000000000000000000000000000003");
    let pq = "/twilio/sms?n=%2B61255501234&x=a+b";
    let (status, _) = f.send(signed(pq, &body3)).await?;
    assert_eq!(status, StatusCode::OK, "signed with its raw query");
    let unsigned_query = signature_for(TOKEN, "/twilio/sms", &body3);
    let (status, _) = f.send(request(pq, &body3, Some(&unsigned_query), None)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "a query the signature did not cover is refused");
    assert_eq!(f.count("messages")?, 3);
    Ok(())
}

#[tokio::test]
async fn oversize_malformed_and_incomplete_requests_are_4xx_and_store_nothing() -> TestResult {
    let f = Fixture::new()?;
    let base = raw_body("inbound_sms")?;
    let huge = with_field(&base, "Body", &"x".repeat(70 * 1024));
    let (status, _) = f.post("/twilio/sms", &huge).await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "over 64 KiB");

    let mut json = signed("/twilio/sms", &base);
    json.headers_mut().insert("content-type", "application/json".parse()?);
    let (status, _) = f.send(json).await?;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "JSON on a form route");
    let mut none = signed("/twilio/sms", &base);
    none.headers_mut().remove("content-type");
    assert_eq!(f.send(none).await?.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type");

    let no_from = encode(&pairs(&base).into_iter().filter(|(k, _)| k != "From").collect::<Vec<_>>());
    let (status, text) = f.post("/twilio/sms", &no_from).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("From") && text.trim().lines().count() == 1, "one line naming the field: {text:?}");

    for (field, value) in [("NumMedia", "lots"), ("NumMedia", "3"), ("NumSegments", "1e9")] {
        let (status, text) = f.post("/twilio/sms", &with_field(&base, field, value)).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {text}");
    }
    let (status, _) = f.post("/twilio/voice/status", "CallSid=CA1").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a status callback without CallStatus");
    let (status, _) = f.post("/twilio/sms", "%%%=&&&").await?;
    assert!(status.is_client_error(), "garbage is a 4xx, not a panic: {status}");
    assert!(f.footprint()?.iter().all(|n| *n == 0), "nothing stored: {:?}", f.footprint()?);
    Ok(())
}

#[tokio::test]
async fn a_store_failure_is_503_and_leaves_no_partial_row() -> TestResult {
    let f = Fixture::new()?;
    // Break the journal so the transaction fails after the message row was written.
    f.store.write(|tx| Ok(tx.execute("DROP TABLE webhook_journal", [])?))?;
    let (status, text) = f.post("/twilio/sms", &raw_body("inbound_sms")?).await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "Twilio must fall back, not believe it was kept");
    assert!(!text.contains("webhook_journal"), "internals are logged, not sent: {text}");
    assert_eq!(f.count("messages")?, 0, "the message row was rolled back with the journal row");
    assert_eq!(f.count("numbers")?, 0);
    Ok(())
}

fn outbound(f: &Fixture, sid: &str) -> Result<i64, Box<dyn std::error::Error>> {
    let sid = sid.to_string();
    Ok(f.store.write(move |tx| {
        let n = numbers::ensure(tx, "+61255501234", false)?;
        let (id, _) = messages::insert_outbound(
            tx,
            &messages::Outbound {
                client_ref: format!("ref-{sid}"),
                number_id: n,
                from: "+61255501234".into(),
                to: "+61412345678".into(),
                body: "hello".into(),
                channel: switchboard::domain::Channel::Sms,
                num_segments: 1,
                num_media: 0,
                campaign_id: None,
            },
        )?;
        messages::set_sid(tx, id, &sid, &MessageStatus::Queued)?;
        Ok(id)
    })?)
}

fn status_body(sid: &str, status: &str) -> String {
    encode(&[
        ("MessageSid".into(), sid.into()),
        ("SmsSid".into(), sid.into()),
        ("MessageStatus".into(), status.into()),
        ("SmsStatus".into(), status.into()),
        ("From".into(), "+61255501234".into()),
        ("To".into(), "+61412345678".into()),
        ("AccountSid".into(), "AC00000000000000000000000000000000".into()),
    ])
}

/// Every ordering of `items` (Heap's algorithm).
fn permutations(items: &[&'static str]) -> Vec<Vec<&'static str>> {
    fn go(k: usize, a: &mut Vec<&'static str>, out: &mut Vec<Vec<&'static str>>) {
        if k == 1 {
            out.push(a.clone());
            return;
        }
        for i in 0..k {
            go(k - 1, a, out);
            let j = if k.is_multiple_of(2) { i } else { 0 };
            a.swap(j, k - 1);
        }
    }
    let mut out = Vec::new();
    go(items.len(), &mut items.to_vec(), &mut out);
    out
}

#[tokio::test]
async fn shuffled_status_callbacks_end_at_the_right_status() -> TestResult {
    let f = Fixture::new()?;
    let orders = permutations(&["queued", "sending", "sent", "delivered"]);
    assert_eq!(orders.len(), 24);
    for (i, order) in orders.iter().enumerate() {
        let sid = format!("SM{i:032x}");
        // Half the orders arrive before the message is known (deferred, applied later).
        let early = i.is_multiple_of(2);
        let id = if early { None } else { Some(outbound(&f, &sid)?) };
        for status in order {
            let (code, _) = f.post("/twilio/sms/status", &status_body(&sid, status)).await?;
            assert_eq!(code, StatusCode::OK);
        }
        let id = match id {
            Some(id) => id,
            None => outbound(&f, &sid)?,
        };
        let m = f.store.read(move |c| messages::get(c, id))?;
        assert_eq!(m.status, "delivered", "order {order:?} (early={early}) must end delivered");
    }
    // A failure code is recorded with its explanation; unknown names are kept as text.
    let sid = "SMffffffffffffffffffffffffffffffff";
    let id = outbound(&f, sid)?;
    f.post("/twilio/sms/status", &status_body(sid, "sent")).await?;
    f.post("/twilio/sms/status", &status_body(sid, "carrier_magic")).await?;
    assert_eq!(f.store.read(move |c| messages::get(c, id))?.status, "carrier_magic", "unknown names are kept");
    let (code, _) =
        f.post("/twilio/sms/status", &with_field(&status_body(sid, "undelivered"), "ErrorCode", "30003")).await?;
    assert_eq!(code, StatusCode::OK);
    let m = f.store.read(move |c| messages::get(c, id))?;
    assert_eq!((m.status.as_str(), m.error_code), ("undelivered", Some(30003)));
    assert!(m.error_message.is_some_and(|e| !e.is_empty()), "the error code is explained");
    Ok(())
}

#[tokio::test]
async fn error_21610_marks_the_recipient_opted_out() -> TestResult {
    let f = Fixture::new()?;
    let sid = "SMeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    outbound(&f, sid)?;
    f.post("/twilio/sms/status", &with_field(&status_body(sid, "failed"), "ErrorCode", "21610")).await?;
    assert!(f.store.read(|c| optouts::is_opted_out(c, "+61412345678"))?, "21610 means the recipient said STOP");
    Ok(())
}

/// Twilio's status callback may beat its own answer to the send: the 21610 failure is kept
/// until the message's SID is known, and the opt-out is recorded then.
#[tokio::test]
async fn error_21610_before_the_sid_is_known_still_opts_the_recipient_out() -> TestResult {
    let f = Fixture::new()?;
    let sid = "SMeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeef";
    f.post("/twilio/sms/status", &with_field(&status_body(sid, "failed"), "ErrorCode", "21610")).await?;
    assert!(!f.store.read(|c| optouts::is_opted_out(c, "+61412345678"))?, "no message with that SID yet");
    let id = outbound(&f, sid)?;
    let m = f.store.read(move |c| messages::get(c, id))?;
    assert_eq!((m.status.as_str(), m.error_code), ("failed", Some(21610)), "the kept status is applied");
    assert!(f.store.read(|c| optouts::is_opted_out(c, "+61412345678"))?, "and the STOP it reports is recorded");
    Ok(())
}

/// An inbound SMS from the oracle's customer to the oracle's number.
fn sms_from(sid: &str, body: &str) -> String {
    inbound_sms(sid, "+61412345678", "+61255501234", body)
}

#[tokio::test]
async fn auto_reply_and_opt_out_keywords() -> TestResult {
    let f = Fixture::new()?;
    let reply = "Thanks! We'll reply soon & <b>fast</b>";
    edit_number_settings(&f.store, "+61255501234", false, move |s| s.auto_reply = Some(reply.into()))?;
    let message_text = |xml: &str| -> Result<Option<String>, Box<dyn std::error::Error>> {
        Ok(parse_xml(xml)?.find("Message").map(|m| m.text.clone()))
    };
    let (_, xml) = f.post("/twilio/sms", &sms_from("SM00000000000000000000000000000a01", "Hello")).await?;
    assert_eq!(message_text(&xml)?.as_deref(), Some(reply), "the auto-reply, escaped by the writer: {xml}");
    assert!(!xml.contains("<b>"), "owner text is escaped: {xml}");

    let (_, xml) = f.post("/twilio/sms", &sms_from("SM00000000000000000000000000000a02", "STOP")).await?;
    assert_eq!(message_text(&xml)?, None, "no auto-reply to a STOP");
    assert!(f.store.read(|c| optouts::is_opted_out(c, "+61412345678"))?, "STOP opts the sender out");

    let (_, xml) = f.post("/twilio/sms", &sms_from("SM00000000000000000000000000000a03", "are you open?")).await?;
    assert_eq!(message_text(&xml)?, None, "no auto-reply to someone who opted out");

    let start = with_field(&sms_from("SM00000000000000000000000000000a04", "start please"), "OptOutType", "START");
    f.post("/twilio/sms", &start).await?;
    assert!(!f.store.read(|c| optouts::is_opted_out(c, "+61412345678"))?, "Twilio's OptOutType=START opts back in");
    let (_, xml) = f.post("/twilio/sms", &sms_from("SM00000000000000000000000000000a05", "hi again")).await?;
    assert_eq!(message_text(&xml)?, None, "subscribed again, but already auto-answered within the window");
    f.store.write(|tx| {
        switchboard::store::settings::set(tx, switchboard::inbound::auto_reply::WINDOW_SETTING, "0.0000001")
    })?;
    let (_, xml) = f.post("/twilio/sms", &sms_from("SM00000000000000000000000000000a06", "hello?")).await?;
    assert_eq!(message_text(&xml)?.as_deref(), Some(reply), "once the window has passed, the auto-reply answers again");
    Ok(())
}

#[tokio::test]
async fn message_bodies_are_stored_byte_exact() -> TestResult {
    let f = Fixture::new()?;
    let text = "Hi 👋\r\nline two\n<b>html</b> & \"quotes\" +plus %percent";
    f.post("/twilio/sms", &sms_from("SM00000000000000000000000000000b01", text)).await?;
    let m = f.store.read(|c| messages::find_by_sid(c, "SM00000000000000000000000000000b01"))?.ok_or("stored")?;
    assert_eq!(m.body, text, "the body is kept exactly as sent");
    Ok(())
}

async fn configure_forwarding(f: &Fixture, hours: Option<BusinessHours>, voicemail: bool) -> TestResult {
    edit_number_settings(&f.store, "+13163336936", false, move |s| {
        s.forwarding_number = Some("+61412345678".into());
        s.forwarding_enabled = true;
        s.greeting = "Thanks for calling Ana's Bakery".into();
        s.voice = "Polly.Joanna".into();
        s.ring_seconds = 25;
        s.business_hours = hours;
        s.voicemail_enabled = voicemail;
        // The unscreened flow (screening, on for new numbers, is tested in call_flow.rs).
        s.screening_enabled = false;
    })?;
    Ok(())
}

#[tokio::test]
async fn inbound_call_is_forwarded_when_open() -> TestResult {
    let f = Fixture::new()?;
    configure_forwarding(&f, None, true).await?;
    let body = raw_body("inbound_voice")?;
    let (status, xml) = f.post("/twilio/voice", &body).await?;
    assert_eq!(status, StatusCode::OK);
    let doc = parse_xml(&xml)?;
    assert_eq!(doc.names(), vec!["Say", "Dial"], "greeting then forward: {xml}");
    assert_eq!(doc.children[0].text, "Thanks for calling Ana's Bakery");
    assert_eq!(doc.children[0].attr("voice"), Some("Polly.Joanna"));
    let dial = &doc.children[1];
    assert_eq!(dial.text, "+61412345678");
    assert_eq!(dial.attr("timeout"), Some("25"));
    assert_eq!(dial.attr("action"), Some(format!("{PUBLIC_URL}/twilio/voice/dial").as_str()));

    let call = f.store.read(|c| calls::find_by_sid(c, "CAd7fe2ad60939a04e564c0e4e3302ff5b"))?.ok_or("call stored")?;
    assert_eq!(call.forwarded_to.as_deref(), Some("+61412345678"));
    assert_eq!(call.from, "+256784224203");

    let (_, again) = f.post("/twilio/voice", &body).await?;
    assert_eq!(again, xml, "a retried call still gets its flow");
    assert_eq!(f.count("calls")?, 1, "and is stored once");
    Ok(())
}

#[tokio::test]
async fn inbound_call_goes_to_voicemail_when_closed() -> TestResult {
    let f = Fixture::new()?;
    // A timetable with no open span: closed at any time.
    configure_forwarding(&f, Some(BusinessHours { tz: "Australia/Sydney".into(), spans: vec![] }), true).await?;
    let (_, xml) = f.post("/twilio/voice", &raw_body("inbound_voice")?).await?;
    let doc = parse_xml(&xml)?;
    assert!(doc.find("Dial").is_none(), "closed: the owner's phone does not ring: {xml}");
    let record = doc.find("Record").ok_or("closed: voicemail")?;
    assert_eq!(record.attr("recordingStatusCallback"), Some(format!("{PUBLIC_URL}/twilio/voice/recording").as_str()));
    assert_eq!(record.attr("transcribeCallback"), Some(format!("{PUBLIC_URL}/twilio/voice/transcription").as_str()));
    assert_eq!((record.attr("playBeep"), record.attr("transcribe")), (Some("true"), Some("true")));
    let call = f.store.read(|c| calls::find_by_sid(c, "CAd7fe2ad60939a04e564c0e4e3302ff5b"))?.ok_or("call stored")?;
    assert_eq!(call.forwarded_to, None);
    Ok(())
}

/// Twilio posts a forwarded call's end and its dial result as two requests in no set order.
/// When the end comes first, the text-back it decides waits for the dial result: a call the
/// owner took gets none; one nobody took, or whose caller hung up before the forward rang
/// (no dial result ever), gets it.
#[tokio::test]
async fn a_text_back_waits_for_the_dial_result_of_a_forwarded_call() -> TestResult {
    let f = Fixture::new()?;
    configure_forwarding(&f, None, true).await?;
    edit_number_settings(&f.store, "+13163336936", false, |s| s.text_back_enabled = true)?;
    let now = chrono::Utc::now;
    let later = || now() + text_backs::DIAL_RESULT_GRACE + chrono::Duration::seconds(1);
    let due = |at: chrono::DateTime<chrono::Utc>| -> Result<Vec<String>, switchboard::Error> {
        Ok(f.store.read(move |c| text_backs::due(c, at))?.into_iter().map(|t| t.call_sid).collect())
    };
    // Each from its own caller (one text-back per caller per window).
    let from = |sid: &str, payload: &str, caller: &str| -> Result<String, Box<dyn std::error::Error>> {
        let body = with_field(&raw_body(payload)?, "CallSid", sid);
        Ok(with_field(&with_field(&body, "From", caller), "Caller", caller))
    };
    let dial = |sid: &str, status: &str| -> Result<String, Box<dyn std::error::Error>> {
        let mut body = raw_body("dial_action_callback")?;
        for (name, value) in [
            ("CallSid", sid),
            ("DialCallStatus", status),
            ("DialBridged", "true"),
            ("To", "+13163336936"),
            ("Called", "+13163336936"),
        ] {
            body = with_field(&body, name, value);
        }
        Ok(body)
    };
    let (taken, missed, hung_up) = (
        "CA00000000000000000000000000000a01",
        "CA00000000000000000000000000000a02",
        "CA00000000000000000000000000000a03",
    );
    for (sid, caller) in [(taken, "+61412555601"), (missed, "+61412555602"), (hung_up, "+61412555603")] {
        f.post("/twilio/voice", &from(sid, "inbound_voice", caller)?).await?;
        f.post("/twilio/voice/status", &from(sid, "call_status_callback", caller)?).await?;
    }
    assert!(due(now())?.is_empty(), "all three wait for their dial result");

    f.post("/twilio/voice/dial", &dial(taken, "completed")?).await?;
    let tb = f.store.read(|c| text_backs::for_call(c, taken))?.ok_or("decided")?;
    assert_eq!((tb.state.as_str(), tb.reason.as_deref()), ("skipped", Some(text_backs::SKIP_ANSWERED)));
    f.post("/twilio/voice/dial", &dial(missed, "no-answer")?).await?;
    assert_eq!(due(now())?, [missed], "nobody took it: it goes now");
    assert_eq!(due(later())?, [missed, hung_up], "no dial result ever: it goes after the grace");
    Ok(())
}

#[tokio::test]
async fn dial_action_hangs_up_or_takes_a_voicemail() -> TestResult {
    let f = Fixture::new()?;
    let body = raw_body("dial_action_callback")?;
    // Unscreened: a completed dial is the owner (screened, it must also be accepted).
    edit_number_settings(&f.store, "+14254096518", false, |s| s.screening_enabled = false)?;
    let (status, xml) = f.post("/twilio/voice/dial", &body).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parse_xml(&xml)?.names(), vec!["Hangup"], "the owner answered: hang up");
    for outcome in ["no-answer", "busy", "failed", "canceled"] {
        let (_, xml) = f.post("/twilio/voice/dial", &with_field(&body, "DialCallStatus", outcome)).await?;
        let doc = parse_xml(&xml)?;
        assert_eq!(doc.names(), vec!["Say", "Record", "Hangup"], "{outcome}: voicemail: {xml}");
        let max = doc.children[1].attr("maxLength").ok_or("maxLength")?;
        assert_eq!(max, "120", "the number's default voicemail length");
    }
    edit_number_settings(&f.store, "+14254096518", false, |s| s.voicemail_enabled = false)?;
    let (_, xml) = f.post("/twilio/voice/dial", &with_field(&body, "DialCallStatus", "no-answer")).await?;
    assert_eq!(parse_xml(&xml)?.names(), vec!["Say", "Hangup"], "voicemail off: an apology: {xml}");
    Ok(())
}

#[tokio::test]
async fn call_status_moves_forward_and_unknown_calls_are_kept() -> TestResult {
    let f = Fixture::new()?;
    f.post("/twilio/voice", &raw_body("inbound_voice")?).await?;
    let (status, _) = f.post("/twilio/voice/status", &raw_body("call_status_callback")?).await?;
    assert_eq!(status, StatusCode::OK);
    let ringing = with_field(&raw_body("call_status_callback")?, "CallStatus", "ringing");
    f.post("/twilio/voice/status", &ringing).await?;
    let call = f.store.read(|c| calls::find_by_sid(c, "CAd7fe2ad60939a04e564c0e4e3302ff5b"))?.ok_or("call")?;
    assert_eq!((call.status.as_str(), call.duration), ("completed", Some(9)), "a late 'ringing' does not undo it");

    let other = with_field(&raw_body("call_status_callback")?, "CallSid", "CA00000000000000000000000000000077");
    f.post("/twilio/voice/status", &other).await?;
    let call = f.store.read(|c| calls::find_by_sid(c, "CA00000000000000000000000000000077"))?;
    assert_eq!(call.map(|c| c.status).as_deref(), Some("completed"), "a status for an unseen call is recorded");
    Ok(())
}

/// The status of a click-to-call whose answer was lost (Twilio placed it, the app never
/// stored it): its To is the owner's phone, which must not become one of "our numbers";
/// the call is kept on the number it was placed from.
#[tokio::test]
async fn an_unseen_outbound_call_never_makes_its_callee_one_of_our_numbers() -> TestResult {
    let f = Fixture::new()?;
    let ours = f.store.write(|tx| numbers::ensure(tx, "+13163336936", false))?;
    let mut body = raw_body("call_status_callback")?;
    for (name, value) in [
        ("CallSid", "CA00000000000000000000000000000078"),
        ("Direction", "outbound-api"),
        ("From", "+13163336936"),
        ("Caller", "+13163336936"),
        ("To", "+61400000001"),
        ("Called", "+61400000001"),
    ] {
        body = with_field(&body, name, value);
    }
    let (status, _) = f.post("/twilio/voice/status", &body).await?;
    assert_eq!(status, StatusCode::OK);
    let call = f.store.read(|c| calls::find_by_sid(c, "CA00000000000000000000000000000078"))?.ok_or("kept")?;
    assert_eq!((call.direction.as_str(), call.number_id), ("outbound-api", Some(ours)), "{call:?}");
    let ours_now: Vec<String> = f.store.read(numbers::list)?.into_iter().map(|n| n.e164).collect();
    assert_eq!(ours_now, ["+13163336936"], "the owner's phone is not one of our numbers");
    Ok(())
}

#[tokio::test]
async fn recording_then_transcription_make_one_voicemail() -> TestResult {
    let f = Fixture::new()?;
    let rec = raw_body("recording_status_callback")?;
    let mut rx = f.events.subscribe();
    for _ in 0..2 {
        let (status, _) = f.post("/twilio/voice/recording", &rec).await?;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!((f.count("recordings")?, f.count("voicemails")?, f.count("downloads")?), (1, 1, 1), "stored once");
    assert!(matches!(rx.try_recv(), Ok(Event::VoicemailUpdated { .. })));
    let d = f.store.read(switchboard::store::downloads::outstanding)?;
    assert!(d[0].url.ends_with("RE0ff7ecec483bcbbeb0d76eb8bfe5b6e0"), "the recording URL is queued: {}", d[0].url);

    let t = with_field(&raw_body("transcription_callback")?, "RecordingSid", "RE0ff7ecec483bcbbeb0d76eb8bfe5b6e0");
    f.post("/twilio/voice/transcription", &t).await?;
    let vm = f.store.read(|c| voicemails::find_by_recording_sid(c, "RE0ff7ecec483bcbbeb0d76eb8bfe5b6e0"))?;
    assert_eq!(vm.and_then(|v| v.transcription).as_deref(), Some("123123 test."));

    // A transcription that beats its recording callback is not lost.
    f.post("/twilio/voice/transcription", &raw_body("transcription_callback")?).await?;
    let vm = f.store.read(|c| voicemails::find_by_recording_sid(c, "RE2b568e31f38645c9c5c3ed190a0da06a"))?;
    let vm = vm.ok_or("the voicemail is created from the transcription's RecordingUrl")?;
    assert_eq!((vm.transcription.as_deref(), vm.from.as_str()), (Some("123123 test."), "+14708231590"));

    let absent = with_field(
        &with_field(&rec, "RecordingStatus", "absent"),
        "RecordingSid",
        "RE00000000000000000000000000000abc",
    );
    f.post("/twilio/voice/recording", &absent).await?;
    assert_eq!(f.count("recordings")?, 2, "an absent recording has nothing to fetch");
    Ok(())
}

#[tokio::test]
async fn compliance_callback_form_or_signed_json_keeps_the_raw_body() -> TestResult {
    let f = Fixture::new()?;
    let bundle = "BU0123456789abcdef0123456789abcdef";
    let id = f.store.write(move |tx| {
        let id = compliance::create(
            tx,
            &compliance::Draft {
                country: "au".into(),
                number_type: "local".into(),
                end_user_type: "business".into(),
                business_name: "Ana's Bakery".into(),
                business_email: "ana@example.com".into(),
                registration_id: "123".into(),
                first_name: "Ana".into(),
                last_name: "Lima".into(),
                address: None,
                document_path: None,
            },
        )?;
        compliance::set_sid(tx, id, compliance::SidField::Bundle, bundle)?;
        Ok(id)
    })?;
    let form = format!("BundleSid={bundle}&Status=in-review&AccountSid=AC1&Undocumented=kept");
    let (status, _) = f.post("/twilio/compliance", &form).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(f.store.read(move |c| compliance::get(c, id))?.status, "in-review");
    let raw: String = f
        .store
        .read(move |c| Ok(c.query_row("SELECT raw_callback FROM compliance WHERE id = ?1", [id], |r| r.get(0))?))?;
    assert_eq!(raw, form, "the raw body is kept verbatim");

    let json = format!(r#"{{"bundle_sid":"{bundle}","status":"twilio-rejected","failure_reason":"blurry document"}}"#);
    let pq = format!("/twilio/compliance?bodySHA256={}", body_sha256(json.as_bytes()));
    let sig = sign(TOKEN, &format!("{PUBLIC_URL}{pq}"), &[], Algorithm::Sha1);
    let req = |body: &str| {
        Request::post(pq.as_str())
            .header("content-type", "application/json")
            .header("x-twilio-signature", sig.as_str())
            .body(Body::from(body.to_string()))
    };
    let (status, _) = f.send(req(&json.replace("blurry", "sharp"))?).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "a JSON body that does not match bodySHA256");
    let (status, _) = f.send(req(&json)?).await?;
    assert_eq!(status, StatusCode::OK);
    let c = f.store.read(move |c| compliance::get(c, id))?;
    assert_eq!((c.status.as_str(), c.rejection_reason.as_deref()), ("twilio-rejected", Some("blurry document")));

    // Callbacks in no set order: an approval, then a late "in-review", leaves it approved.
    for status in ["twilio-approved", "in-review"] {
        f.post("/twilio/compliance", &format!("BundleSid={bundle}&Status={status}&AccountSid=AC1")).await?;
    }
    assert_eq!(f.store.read(move |c| compliance::get(c, id))?.status, "twilio-approved", "not moved back");
    Ok(())
}

#[tokio::test]
async fn healthz_needs_no_signature_and_says_nothing() -> TestResult {
    let f = Fixture::new()?;
    let (status, body) = f.send(Request::get("/healthz").body(Body::empty())?).await?;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    Ok(())
}
