//! The desktop composer's Send, through the core function the command calls: pictures
//! only from the owner's file dialog, and email replies that thread (subject, In-Reply-To,
//! References), against a stub Twilio and a stub Resend over real HTTP.

use std::sync::Arc;

use switchboard::domain::kinds::Channel;
use switchboard::outbound::composer::{send_from_composer, ComposerMessage, EmailSetup};
use switchboard::outbound::email::ResendConfig;
use switchboard::outbound::Outbound;
use switchboard::picked::{PickedPaths, Purpose};
use switchboard::store::email_thread::{self, InboundEmail};
use switchboard::store::{self, Store};

use crate::client_stub::{client_at, message_json, Stub};
use crate::common::{unpaced_outbound, TestResult};
use crate::email_support::{conversation_with_email, resend};

const OURS: &str = "+15005550006";
const CUSTOMER: &str = "+61412345678";
const CUSTOMER_EMAIL: &str = "ana@example.com";

type Boxed = Box<dyn std::error::Error>;

async fn twilio() -> Result<Stub, Boxed> {
    Stub::start(Arc::new(|r, before| {
        if r.method == "GET" {
            return (200, vec![], serde_json::json!({"messages": [], "next_page_uri": null}).to_string());
        }
        let n = before.iter().filter(|b| b.method == "POST").count() + 1;
        let (from, to, body) = (
            r.field("From").unwrap_or_default(),
            r.field("To").unwrap_or_default(),
            r.field("Body").unwrap_or_default(),
        );
        (201, vec![], message_json(&format!("MM{n:032}"), &from, &to, &body, "queued"))
    }))
    .await
}

/// What each composer test starts from: a stub Twilio, a folder (its `data` is the store),
/// the outbound path, one conversation whose contact has a mobile and an email address, and
/// no file chosen yet.
struct Setup {
    twilio: Stub,
    dir: tempfile::TempDir,
    ob: Outbound,
    conv: i64,
    picked: PickedPaths,
}

async fn setup() -> Result<Setup, Boxed> {
    let twilio = twilio().await?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("data"))?;
    let ob = unpaced_outbound(store, OURS, client_at(&twilio.base)?, Some("https://pub.example"))?;
    let conv = conversation_with_email(&ob.store, OURS, CUSTOMER, CUSTOMER_EMAIL)?;
    Ok(Setup { twilio, dir, ob, conv, picked: PickedPaths::default() })
}

fn text(conversation_id: i64, media: Vec<String>) -> ComposerMessage {
    ComposerMessage { conversation_id, body: "Your cake".into(), channel: Channel::Sms, subject: None, media }
}

fn no_email() -> switchboard::Result<EmailSetup> {
    Err(switchboard::Error::Internal("a text must not ask for email settings".into()))
}

#[tokio::test]
async fn the_composer_sends_only_pictures_the_owner_chose() -> TestResult {
    let Setup { twilio, dir, ob, conv, picked } = setup().await?;
    let secret = dir.path().join("id_ed25519");
    std::fs::write(&secret, b"-----BEGIN OPENSSH PRIVATE KEY-----")?;
    let pic = dir.path().join("cake.png");
    std::fs::write(&pic, b"\x89PNG\r\n\x1a\n")?;
    let as_document = picked.grant(Purpose::ComplianceDocument, &pic)?.token;

    // What the old command took (a path), a token never granted, a grant for another use.
    for media in [secret.display().to_string(), "00".repeat(16), as_document] {
        let e = send_from_composer(&ob, &picked, text(conv, vec![media.clone()]), no_email)
            .await
            .err()
            .ok_or(format!("{media:?} was sent"))?;
        assert_eq!(e.code(), "path_not_chosen", "{media:?}: {e}");
    }
    assert!(twilio.requests().is_empty(), "nothing reached Twilio");
    assert!(ob.store.read(store::messages::all)?.is_empty(), "nothing entered the outbox");

    let chosen = picked.grant(Purpose::Attachment, &pic)?.token;
    let id = send_from_composer(&ob, &picked, text(conv, vec![chosen.clone()]), no_email).await?;
    assert_eq!(ob.store.read(|c| store::messages::get(c, id))?.num_media, 1, "the chosen picture went as MMS");
    let posted = twilio.requests().into_iter().filter(|r| r.method == "POST").count();
    assert_eq!(posted, 1);
    let again = send_from_composer(&ob, &picked, text(conv, vec![chosen]), no_email).await;
    assert_eq!(again.err().map(|e| e.code()), Some("path_not_chosen"), "the grant was spent by the send");
    Ok(())
}

fn email_setup(resend: &Stub) -> impl FnOnce() -> switchboard::Result<EmailSetup> {
    let base = resend.base.clone();
    move || {
        Ok(EmailSetup {
            resend: ResendConfig { api_base: base, api_key: switchboard::secrets::Secret::new("re_test_key".into()) },
            from: "\"Ana's Bakery\" <hello@anasbakery.example>".into(),
        })
    }
}

fn email(conversation_id: i64, subject: Option<&str>) -> ComposerMessage {
    ComposerMessage {
        conversation_id,
        body: "Yes, Friday at 10 works.".into(),
        channel: Channel::Email,
        subject: subject.map(str::to_string),
        media: vec![],
    }
}

fn customer_wrote(
    store: &Store,
    conv: i64,
    n: u32,
    subject: &str,
    message_id: Option<&str>,
    refs: Option<&str>,
) -> TestResult {
    let e = InboundEmail {
        provider_id: format!("in-{n}"),
        from: CUSTOMER_EMAIL.into(),
        to: "hello@anasbakery.example".into(),
        subject: subject.into(),
        message_id: message_id.map(str::to_string),
        references: refs.map(str::to_string),
        text: "Can I book Friday?".into(),
        received_at: format!("2026-11-30T08:0{n}:00.000Z"),
    };
    store.write(move |tx| email_thread::insert_inbound_email(tx, conv, &e))?;
    Ok(())
}

fn sent_payload(resend: &Stub, nth: usize) -> Result<serde_json::Value, Boxed> {
    let req = resend.requests().into_iter().nth(nth).ok_or("Resend was not called")?;
    Ok(serde_json::from_slice(&req.body)?)
}

#[tokio::test]
async fn an_email_reply_answers_the_customers_last_email_in_its_thread() -> TestResult {
    let resend = resend().await?;
    let Setup { twilio, dir: _dir, ob, conv, picked } = setup().await?;

    // No email yet: a plain subject, no threading headers.
    send_from_composer(&ob, &picked, email(conv, None), email_setup(&resend)).await?;
    let first = sent_payload(&resend, 0)?;
    assert_eq!(first["subject"], "Message from Ana's Bakery");
    assert!(first.get("headers").is_none(), "nothing to thread on: {first}");

    customer_wrote(
        &ob.store,
        conv,
        1,
        "Re: Message from Ana's Bakery",
        Some("<ab12@mail.example>"),
        Some("<root@mail.example>"),
    )?;
    let id = send_from_composer(&ob, &picked, email(conv, None), email_setup(&resend)).await?;
    let reply = sent_payload(&resend, 1)?;
    assert_eq!(reply["subject"], "Re: Message from Ana's Bakery", "one Re:, not Re: Re:");
    assert_eq!(reply["headers"]["In-Reply-To"], "<ab12@mail.example>");
    assert_eq!(reply["headers"]["References"], "<root@mail.example> <ab12@mail.example>");
    let stored = ob.store.read(|c| store::messages::get(c, id))?;
    assert_eq!(stored.sid.as_deref(), Some("re-0002"), "Resend's id for our email is kept");
    let next = ob.store.read(|c| email_thread::answering(c, conv))?;
    assert_eq!(next.message_id.as_deref(), Some("<ab12@mail.example>"), "the next reply answers the same email");

    // The owner's own subject wins, threading stays.
    send_from_composer(&ob, &picked, email(conv, Some("Your Friday booking")), email_setup(&resend)).await?;
    let edited = sent_payload(&resend, 2)?;
    assert_eq!(edited["subject"], "Your Friday booking");
    assert_eq!(edited["headers"]["In-Reply-To"], "<ab12@mail.example>");
    assert!(twilio.requests().is_empty(), "email never touches Twilio");
    Ok(())
}

#[tokio::test]
async fn odd_subjects_never_add_headers_or_run_long() -> TestResult {
    let resend = resend().await?;
    let Setup { twilio: _twilio, dir, ob, conv, picked } = setup().await?;
    let header_safe = |v: &serde_json::Value| v.as_str().map(|s| !s.chars().any(char::is_control)).unwrap_or(false);

    // A customer's subject with CRLF and a Message-ID with a header smuggled in.
    customer_wrote(&ob.store, conv, 1, "Hello\r\nBcc: everyone@example.com", Some("<a@b>\r\nBcc: x@y"), None)?;
    send_from_composer(&ob, &picked, email(conv, None), email_setup(&resend)).await?;
    let p = sent_payload(&resend, 0)?;
    assert_eq!(p["subject"], "Re: Hello Bcc: everyone@example.com", "one line: {p}");
    assert!(p.get("headers").is_none(), "a Message-ID with a line break is not used: {p}");

    // The owner's subject with CRLF.
    send_from_composer(&ob, &picked, email(conv, Some("Quote\r\nX-Evil: 1")), email_setup(&resend)).await?;
    assert_eq!(sent_payload(&resend, 1)?["subject"], "Quote X-Evil: 1");

    // Very long.
    customer_wrote(&ob.store, conv, 2, &"Booking ".repeat(500), Some("<c@d>"), None)?;
    send_from_composer(&ob, &picked, email(conv, None), email_setup(&resend)).await?;
    let long = sent_payload(&resend, 2)?;
    let s = long["subject"].as_str().ok_or("no subject")?;
    assert!(s.chars().count() <= switchboard::outbound::threading::MAX_SUBJECT_CHARS && s.starts_with("Re: Booking"));

    // Empty: the customer wrote no subject, so the plain one is used.
    customer_wrote(&ob.store, conv, 3, "", Some("<e@f>"), None)?;
    send_from_composer(&ob, &picked, email(conv, None), email_setup(&resend)).await?;
    let empty = sent_payload(&resend, 3)?;
    assert_eq!(empty["subject"], "Message from Ana's Bakery");
    assert_eq!(empty["headers"]["In-Reply-To"], "<e@f>", "an empty subject still threads");

    for i in 0..4 {
        let p = sent_payload(&resend, i)?;
        assert!(header_safe(&p["subject"]), "send {i}: {}", p["subject"]);
    }

    // Pictures do not go by email.
    let pic = dir.path().join("cake.png");
    std::fs::write(&pic, b"\x89PNG")?;
    let g = picked.grant(Purpose::Attachment, &pic)?.token;
    let mut with_pic = email(conv, None);
    with_pic.media = vec![g];
    assert!(send_from_composer(&ob, &picked, with_pic, email_setup(&resend)).await.is_err());
    assert_eq!(resend.requests().len(), 4);
    Ok(())
}
