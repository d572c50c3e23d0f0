//! US carrier registration against the simulator: a Sole Proprietor from nothing to a number
//! that texts US phones (OTP included), a brand create whose answer is lost, a rejected
//! campaign, an unregistered number's blocked send explained with its remedy, and a
//! toll-free number verified.

use std::time::{Duration, Instant};

use switchboard::domain::twilio_errors::Remedy;
use switchboard::domain::us_registration::{BrandKind, BusinessDetails, Step};
use switchboard::events::Events;
use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::Outbound;
use switchboard::registration::overview::{self, RegistrationState};
use switchboard::registration::{a2p, suggest, tollfree};
use switchboard::secrets::TwilioCredentials;
use switchboard::sim::{BundleOutcome, SimConfig, Simulator, UsOutcomes};
use switchboard::store::us_registration::UsRegistration;
use switchboard::store::{self, Store};
use switchboard::twilio::api::messages::NewMessage;
use switchboard::twilio::api::messaging::NewTollfreeVerification;
use switchboard::twilio::client::{ClientConfig, TwilioClient};
use switchboard::webhook;

use crate::common::{temp_store, TestResult};
use crate::sim_support::{wait_until, RouterOnly};

type Error = Box<dyn std::error::Error>;

const OURS: &str = "+14155550142";
const TOLLFREE: &str = "+18885550142";
const MOBILE: &str = "+14155550199";
const CUSTOMER: &str = "+14155550123";

fn config(outcomes: UsOutcomes) -> SimConfig {
    SimConfig {
        callback_delay: Duration::from_millis(10),
        us_review_delay: Duration::from_millis(60),
        us_outcomes: outcomes,
        ..SimConfig::default()
    }
}

struct Setup {
    sim: Simulator,
    store: Store,
    client: TwilioClient,
    _dir: tempfile::TempDir,
}

/// A simulator owning a US local and a toll-free number, and a store that knows both.
async fn setup(outcomes: UsOutcomes) -> Result<Setup, Error> {
    let sim = Simulator::start(config(outcomes)).await?;
    let (dir, store) = temp_store()?;
    for (e164, name) in [(OURS, "Salon"), (TOLLFREE, "Salon toll-free")] {
        let sid = sim.add_number(e164, name);
        store.write(move |tx| store::numbers::upsert_from_twilio(tx, &sid, e164, name).map(|_| ()))?;
    }
    let creds = TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token());
    let mut cfg = ClientConfig::with_base(creds, &sim.base_url());
    cfg.retry_base_delay = Duration::from_millis(10);
    let client = TwilioClient::new(cfg)?;
    Ok(Setup { sim, store, client, _dir: dir })
}

fn sole_proprietor() -> BusinessDetails {
    BusinessDetails {
        business_name: "Maple Street Nails".into(),
        first_name: "Dana".into(),
        last_name: "Ruiz".into(),
        email: "dana@maplenails.example".into(),
        phone: "+14155550100".into(),
        mobile: Some(MOBILE.into()),
        street: "12 Maple St".into(),
        city: "Oakland".into(),
        region: "CA".into(),
        postal_code: "94607".into(),
        industry: Some("PROFESSIONAL".into()),
        ..Default::default()
    }
}

fn standard() -> BusinessDetails {
    BusinessDetails {
        ein: Some("12-3456789".into()),
        business_type: Some("Limited Liability Corporation".into()),
        website: Some("https://maplenails.example".into()),
        job_title: Some("Owner".into()),
        mobile: None,
        ..sole_proprietor()
    }
}

/// Advances (as polling would) until the registration reaches `step`, or fails the test
/// with where it stopped.
async fn advance_until(ctx: &a2p::Ctx<'_>, id: i64, step: Step) -> Result<UsRegistration, Error> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = a2p::advance(ctx, id).await?;
        if r.step == step {
            return Ok(r);
        }
        if r.step.is_final() || Instant::now() > deadline {
            return Err(format!(
                "expected {step:?}, stopped at {:?}: {:?} / {:?}",
                r.step, r.failure_reason, r.last_error
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// `from` is registered (the Numbers screen says it can text US phones), and the carriers
/// let its text through to a US phone.
async fn texts_us_phones(s: &Setup, from: &str) -> TestResult {
    let status = s.store.read(|c| overview::number_status(c, from))?;
    assert_eq!((status.state, status.can_send_to_us), (RegistrationState::Registered, true), "{status:?}");
    s.client
        .create_message(&NewMessage {
            from: from.into(),
            to: CUSTOMER.into(),
            body: "Your appointment is confirmed".into(),
            media_urls: vec![],
            status_callback: None,
            client_ref: None,
            ..Default::default()
        })
        .await?;
    wait_until("the text reaches the customer", || async { !s.sim.phone_inbox(CUSTOMER).is_empty() }).await?;
    Ok(())
}

/// The six-digit code in the newest one-time-code text on the owner's phone.
fn latest_code(sim: &Simulator) -> Result<String, Error> {
    let texts: Vec<_> = sim.phone_inbox(MOBILE).into_iter().filter(|m| m.from == Simulator::OTP_SENDER).collect();
    let body = texts.last().map(|m| m.body.clone()).ok_or("no one-time code reached the owner's mobile")?;
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_string)
        .ok_or_else(|| format!("no code in {body:?}").into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_sole_proprietor_goes_from_nothing_to_a_sending_number_with_the_otp() -> TestResult {
    let s = setup(UsOutcomes::default()).await?;
    let status = s.store.read(|c| overview::number_status(c, OURS))?;
    assert_eq!((status.state, status.can_send_to_us), (RegistrationState::NotRegistered, false), "{status:?}");

    s.store.write(|tx| {
        store::templates::save(tx, None, "reminder", "Hi {{name}}, see you {{day}} at {{time}} for your nails.")
            .map(|_| ())
    })?;
    let r = a2p::start(&s.store, BrandKind::SoleProprietor, sole_proprietor(), vec![OURS.into()]).await?;
    let ctx = a2p::Ctx { store: &s.store, client: &s.client, status_callback: None };
    let r = advance_until(&ctx, r.id, Step::BrandOtp).await?;
    assert!(r.customer_profile_sid.is_some() && r.trust_product_sid.is_some() && r.brand_sid.is_some(), "{r:?}");
    assert_eq!(s.store.read(|c| overview::number_status(c, OURS))?.state, RegistrationState::InProgress);

    // The first code "never arrived": the owner asks for another; only the newest counts.
    let first = latest_code(&s.sim)?;
    a2p::resend_otp(&ctx, r.id).await?;
    let second = latest_code(&s.sim)?;
    assert_eq!(s.sim.phone_inbox(MOBILE).len(), 2, "a new code was texted");
    if first != second {
        assert!(!s.sim.reply_to_brand_otp(MOBILE, &first), "an old code is not accepted");
    }
    assert!(!s.sim.reply_to_brand_otp(MOBILE, "000000x"), "a wrong reply changes nothing");
    let still = a2p::advance(&ctx, r.id).await?;
    assert_eq!(still.step, Step::BrandOtp, "the brand waits for the code");
    assert!(s.sim.reply_to_brand_otp(MOBILE, &second), "the owner replies with the code");

    // The campaign form, pre-filled from the owner's templates.
    let r = advance_until(&ctx, r.id, Step::Campaign).await?;
    let templates = s.store.read(store::templates::list)?;
    let form = suggest::campaign(r.brand_kind, &r.details, &templates);
    assert_eq!(form.usecase, "SOLE_PROPRIETOR");
    assert!(form.message_samples[0].contains("Hi Sam, see you Friday at 2:30pm"), "{:?}", form.message_samples);
    a2p::set_campaign(&s.store, r.id, form).await?;
    let done = advance_until(&ctx, r.id, Step::Done).await?;
    assert_eq!(done.brand_status.as_deref(), Some("APPROVED"));
    assert_eq!(done.campaign_status.as_deref(), Some("VERIFIED"));

    let services = s.client.list_messaging_services().await?;
    assert_eq!(services.len(), 1, "{services:?}");
    assert_eq!(services[0].use_inbound_webhook_on_number, Some(true), "the number keeps its own inbound webhook");
    assert_eq!(s.sim.messaging_services(), vec![(a2p::SERVICE_NAME.to_string(), vec![OURS.to_string()])]);
    texts_us_phones(&s, OURS).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_a_lost_brand_create_answer_does_not_create_a_second_brand() -> TestResult {
    let s = setup(UsOutcomes::default()).await?;
    let r = a2p::start(&s.store, BrandKind::LowVolumeStandard, standard(), vec![OURS.into()]).await?;
    let ctx = a2p::Ctx { store: &s.store, client: &s.client, status_callback: None };
    let r = advance_until(&ctx, r.id, Step::ProfileReview).await?;
    // Twilio creates the brand, and the connection drops before its answer.
    s.sim.faults().drop_connection_after_create_next(1);
    let deadline = Instant::now() + Duration::from_secs(15);
    let lost = loop {
        match a2p::advance(&ctx, r.id).await {
            Err(e) => break e,
            Ok(now) if now.step == Step::ProfileReview && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Ok(now) => return Err(format!("the brand create should have lost its answer: {now:?}").into()),
        }
    };
    assert_eq!(lost.code(), "network", "{lost}");
    let after = s.store.read(move |c| store::us_registration::get(c, r.id))?;
    assert_eq!((after.pending_create.as_deref(), after.brand_sid.as_deref()), (Some("brand"), None));
    assert!(after.last_error.is_some(), "the owner sees why it stopped");
    assert_eq!(s.sim.brand_count(), 1, "Twilio did create it");

    let resumed = advance_until(&ctx, r.id, Step::Campaign).await?;
    assert_eq!(s.sim.brand_count(), 1, "the resumed run found the brand instead of creating a second");
    let brands = s.client.list_brands().await?;
    assert_eq!(resumed.brand_sid.as_deref(), Some(brands[0].sid.as_str()));
    assert_eq!(resumed.pending_create, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_a_rejected_campaign_shows_the_reason() -> TestResult {
    let why = "Sample messages do not name the business or say how to opt out";
    let s = setup(UsOutcomes { campaign: BundleOutcome::Reject(why.into()), ..UsOutcomes::default() }).await?;
    let r = a2p::start(&s.store, BrandKind::Standard, standard(), vec![OURS.into()]).await?;
    let ctx = a2p::Ctx { store: &s.store, client: &s.client, status_callback: None };
    let r = advance_until(&ctx, r.id, Step::Campaign).await?;
    let form = suggest::campaign(BrandKind::Standard, &r.details, &[]);
    a2p::set_campaign(&s.store, r.id, form).await?;
    let failed = advance_until(&ctx, r.id, Step::Failed).await?;
    let reason = failed.failure_reason.clone().unwrap_or_default();
    assert!(reason.contains(why) && reason.contains("campaign"), "{reason}");
    assert_eq!(failed.campaign_status.as_deref(), Some("FAILED"));
    let status = s.store.read(|c| overview::number_status(c, OURS))?;
    assert_eq!((status.state, status.can_send_to_us), (RegistrationState::Failed, false));
    assert!(status.detail.contains(why), "the Numbers screen says why: {status:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_unregistered_number_send_fails_with_an_explained_30034_and_the_fix() -> TestResult {
    let s = setup(UsOutcomes::default()).await?;
    let app = RouterOnly::start(&s.sim, &s.store).await?;
    s.store.write(|tx| {
        for n in [OURS, TOLLFREE] {
            store::settings::set(tx, switchboard::outbound::rate_setting_key(n), "1000")?;
        }
        Ok(())
    })?;
    let ob = Outbound::new(s.store.clone(), s.client.clone(), Events::new(), Some(app.base.clone()));
    let local = send::send(&ob, SendRequest::text(OURS, CUSTOMER, "Your nails are ready!")).await?;
    let free = send::send(&ob, SendRequest::text(TOLLFREE, CUSTOMER, "Your nails are ready!")).await?;
    for id in [local.message_id, free.message_id] {
        wait_until("the carrier's verdict reaches the store", || async {
            s.store.read(|c| store::messages::get(c, id)).is_ok_and(|m| m.status == "failed")
        })
        .await?;
    }
    let m = s.store.read(|c| store::messages::get(c, local.message_id))?;
    assert_eq!(m.error_code, Some(30034));
    let text = m.error_message.clone().unwrap_or_default();
    assert!(text.contains("not registered") && text.contains("A2P 10DLC"), "{text}");
    assert_eq!(m.remedy, Some(Remedy::UsRegistration { number: OURS.into() }), "the thread links to the form");
    let t = s.store.read(|c| store::messages::get(c, free.message_id))?;
    assert_eq!(t.error_code, Some(30032));
    assert!(t.error_message.unwrap_or_default().contains("toll-free verification"));
    assert_eq!(t.remedy, Some(Remedy::TollfreeVerification { number: TOLLFREE.into() }));
    assert!(s.sim.phone_inbox(CUSTOMER).is_empty(), "the carriers delivered nothing");

    let numbers = s.store.read(overview::all)?;
    let ours = numbers.iter().find(|n| n.e164 == OURS).ok_or("the number is listed")?;
    assert!(!ours.can_send_to_us && ours.detail.contains("registered"), "{ours:?}");
    app.stop().await;
    Ok(())
}

fn tollfree_form(website: &str) -> NewTollfreeVerification {
    NewTollfreeVerification {
        business_name: "Maple Street Nails".into(),
        business_website: website.into(),
        notification_email: "dana@maplenails.example".into(),
        use_case_categories: vec!["ACCOUNT_NOTIFICATIONS".into(), "CUSTOMER_CARE".into()],
        use_case_summary: "Appointment reminders and replies to customers who text the salon.".into(),
        production_message_sample: "Maple Street Nails: your appointment is tomorrow at 2pm. Reply STOP to opt out."
            .into(),
        opt_in_image_urls: vec![format!("{website}/booking-form.png")],
        opt_in_type: "WEB_FORM".into(),
        message_volume: "1,000".into(),
        business_contact_first_name: Some("Dana".into()),
        business_contact_last_name: Some("Ruiz".into()),
        business_contact_email: Some("dana@maplenails.example".into()),
        business_contact_phone: Some("+14155550100".into()),
        ..Default::default()
    }
}

async fn poll_tollfree_until(s: &Setup, status: &str) -> Result<store::us_registration::TollfreeRecord, Error> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        tollfree::poll_all(&s.store, &s.client).await?;
        let t = s.store.read(|c| store::us_registration::get_tollfree(c, TOLLFREE))?.ok_or("no record")?;
        if t.status == status {
            return Ok(t);
        }
        if Instant::now() > deadline {
            return Err(format!("expected {status}, got {t:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_a_toll_free_number_is_verified_and_then_texts_us_phones() -> TestResult {
    let s = setup(UsOutcomes::default()).await?;
    let e = tollfree::submit(&s.store, &s.client, OURS, tollfree_form("https://maplenails.example")).await.err();
    assert!(e.is_some_and(|e| e.code() == "invalid_input"), "a local number is not verified as toll-free");
    let t = tollfree::submit(&s.store, &s.client, TOLLFREE, tollfree_form("https://maplenails.example")).await?;
    assert_eq!(t.status, "PENDING_REVIEW");
    assert_eq!(s.store.read(|c| overview::number_status(c, TOLLFREE))?.state, RegistrationState::InProgress);
    poll_tollfree_until(&s, "TWILIO_APPROVED").await?;
    texts_us_phones(&s, TOLLFREE).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_a_rejected_toll_free_verification_shows_the_reason_and_is_resubmitted() -> TestResult {
    let why = "Business Website is not valid or is inaccessible";
    let s = setup(UsOutcomes { tollfree: BundleOutcome::Reject(why.into()), ..UsOutcomes::default() }).await?;
    tollfree::submit(&s.store, &s.client, TOLLFREE, tollfree_form("https://old.example")).await?;
    let t = poll_tollfree_until(&s, "TWILIO_REJECTED").await?;
    assert_eq!(t.rejection_reason.as_deref(), Some(why));
    let status = s.store.read(|c| overview::number_status(c, TOLLFREE))?;
    assert_eq!(status.state, RegistrationState::Failed);
    assert_eq!(status.detail, why);
    let again = tollfree::submit(&s.store, &s.client, TOLLFREE, tollfree_form("https://maplenails.example")).await?;
    assert_eq!(
        (again.status.as_str(), again.verification_sid.as_deref()),
        ("PENDING_REVIEW", t.verification_sid.as_deref())
    );
    assert_eq!(
        s.client.find_tollfree_verifications(&again.phone_number_sid).await?.len(),
        1,
        "corrected, not duplicated"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn us_trust_hub_reviews_reach_the_app_by_status_callback() -> TestResult {
    let s = setup(UsOutcomes::default()).await?;
    let app = RouterOnly::start(&s.sim, &s.store).await?;
    let r = a2p::start(&s.store, BrandKind::SoleProprietor, sole_proprietor(), vec![OURS.into()]).await?;
    let callback = Some(format!("{}{}", app.base, webhook::paths::TRUSTHUB));
    let ctx = a2p::Ctx { store: &s.store, client: &s.client, status_callback: callback };
    let r = a2p::advance(&ctx, r.id).await?;
    assert_eq!(r.step, Step::ProfileReview, "both submitted, waiting for review");
    // No polling from here: only the callbacks can tell the store.
    wait_until("both reviews arrive by callback", || async {
        s.store.read(|c| store::us_registration::get(c, r.id)).is_ok_and(|now| {
            now.customer_profile_status.as_deref() == Some("twilio-approved")
                && now.trust_product_status.as_deref() == Some("twilio-approved")
        })
    })
    .await?;
    // The simulator logs a delivery once the app has answered it.
    wait_until("both deliveries are logged", || async {
        s.sim.webhook_log().iter().filter(|d| d.url.ends_with(webhook::paths::TRUSTHUB)).count() == 2
    })
    .await?;
    let hooks: Vec<_> = s.sim.webhook_log().into_iter().filter(|d| d.url.ends_with(webhook::paths::TRUSTHUB)).collect();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert!(hooks.iter().all(|d| d.status == Some(200)), "signed and accepted: {hooks:?}");
    s.sim.reset_request_counts();
    let next = a2p::advance(&ctx, r.id).await?;
    assert_eq!(next.step, Step::BrandOtp, "the brand is registered on the callbacks' word");
    assert_eq!(
        s.sim.requests_ending("GET", &r.customer_profile_sid.clone().unwrap_or_default()),
        0,
        "the profile was not polled"
    );
    app.stop().await;
    Ok(())
}
