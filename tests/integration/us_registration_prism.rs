//! Every request of the US registration flows, against Prism serving Twilio's official
//! Messaging v1 and Trust Hub v1 specs (`tests/oracles/oai/`). A 2xx means Twilio's spec
//! accepts the request; Prism answers 422 naming the field otherwise.
//!
//! Prism cannot read an array from a form body at all ("must be array" for one value and
//! for repeated keys alike, a known Prism limitation), and three fields are arrays:
//! `MessageSamples` (campaign), `UseCaseCategories` and `OptInImageUrls` (toll-free). Those
//! two requests are captured byte for byte from our client by a stub, then replayed to Prism;
//! the test accepts Prism's answer only if its sole complaints are "must be array" on those
//! fields, each of which the capture shows sent as repeated keys, as Twilio expects.

use std::sync::Arc;

use switchboard::twilio::api::messaging::{NewCampaign, NewTollfreeVerification};
use switchboard::twilio::api::trusthub::{policy, TrustKind};
use switchboard::twilio::client::TwilioClient;

use crate::client_stub::{client_at, creds, Recorded, Stub};
use crate::common::TestResult;
use crate::prism::sid::{BRAND, CAMPAIGN, END_USER, NUMBER, PRODUCT, PROFILE, SERVICE, VERIFICATION};
use crate::prism::{self, Spec};

type Error = Box<dyn std::error::Error>;

fn client() -> Result<TwilioClient, Error> {
    prism::client(&[Spec::Messaging, Spec::Trusthub])
}

#[tokio::test]
async fn prism_trusthub_customer_profile_and_trust_product_requests() -> TestResult {
    let c = client()?;
    for (kind, policy_sid) in [
        (TrustKind::CustomerProfile, policy::SOLE_PROPRIETOR_PROFILE),
        (TrustKind::TrustProduct, policy::SOLE_PROPRIETOR_A2P),
    ] {
        let made = c
            .create_trust_object(
                kind,
                "Maple Street Nails (Switchboard #1)",
                "dana@maplenails.example",
                policy_sid,
                Some("https://shop.example/twilio/trusthub"),
            )
            .await?;
        assert!(made.sid.starts_with("BU"), "{made:?}");
        c.find_trust_objects(kind, "Maple Street Nails (Switchboard #1)").await?;
        let sid = if kind == TrustKind::CustomerProfile { PROFILE } else { PRODUCT };
        c.fetch_trust_object(kind, sid).await?;
        c.assign_entity(kind, sid, END_USER).await?;
        c.list_entity_assignments(kind, sid).await?;
        c.evaluate_trust_object(kind, sid, policy_sid).await?;
        c.submit_trust_object(kind, sid).await?;
    }
    let attrs = serde_json::json!({"brand_name": "Maple Street Nails", "vertical": "PROFESSIONAL", "mobile_phone_number": "+14155550199"});
    c.create_trust_end_user("Maple Street Nails messaging profile", "sole_proprietor_information", &attrs).await?;
    c.create_trust_document(
        "Maple Street Nails address",
        "customer_profile_address",
        &serde_json::json!({"address_sids": "AD0123456789abcdef0123456789abcdef"}),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn prism_messaging_service_brand_and_otp_requests() -> TestResult {
    let c = client()?;
    c.create_messaging_service("Switchboard").await?;
    c.list_messaging_services().await?;
    c.add_service_number(SERVICE, NUMBER).await?;
    c.list_service_numbers(SERVICE).await?;
    c.create_brand(PROFILE, PRODUCT, "SOLE_PROPRIETOR", false).await?;
    c.create_brand(PROFILE, PRODUCT, "STANDARD", true).await?;
    c.list_brands().await?;
    c.fetch_brand(BRAND).await?;
    c.resend_brand_otp(BRAND).await?;
    c.list_campaigns(SERVICE).await?;
    c.fetch_campaign(SERVICE, CAMPAIGN).await?;
    c.find_tollfree_verifications(NUMBER).await?;
    c.fetch_tollfree_verification(VERIFICATION).await?;
    Ok(())
}

/// A stub that answers every request with `body`, to capture what the client sends.
async fn capture(body: &'static str) -> Result<Stub, Error> {
    Stub::start(Arc::new(move |_, _| (201, vec![], body.to_string()))).await
}

/// Replays a captured request to Prism; Ok when Prism accepts it, or when its only
/// complaints are "must be array" on `arrays` (each sent as repeated keys in the capture).
async fn replay(prism_base: &str, rec: &Recorded, arrays: &[&str]) -> Result<(), Error> {
    let url = format!(
        "{prism_base}{}{}",
        rec.path,
        if rec.query.is_empty() { String::new() } else { format!("?{}", rec.query) }
    );
    let resp = reqwest::Client::new()
        .post(url)
        .basic_auth(&creds().username, Some(creds().password.expose()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(rec.body.clone())
        .send()
        .await?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body: serde_json::Value = resp.json().await?;
    let problems = body.get("validation").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    if status != 422 || problems.is_empty() {
        return Err(format!("Prism answered {status}: {body}").into());
    }
    for p in &problems {
        let field =
            p.get("location").and_then(|l| l.as_array()).and_then(|l| l.get(1)).and_then(|f| f.as_str()).unwrap_or("");
        let message = p.get("message").and_then(|m| m.as_str()).unwrap_or("");
        if !(arrays.contains(&field) && message.contains(" must be array")) {
            return Err(format!("Prism refuses {field:?}: {message} ({body})").into());
        }
    }
    for field in arrays {
        let sent = rec.form().iter().filter(|(k, _)| k == field).count();
        assert!(sent >= 1, "{field} was sent (as repeated keys): {:?}", rec.form());
    }
    Ok(())
}

#[tokio::test]
async fn prism_campaign_create_request() -> TestResult {
    let stub = capture(r#"{"sid":"QE0123456789abcdef0123456789abcdef","campaign_status":"IN_PROGRESS"}"#).await?;
    let c = client_at(&stub.base)?;
    c.create_campaign(
        SERVICE,
        &NewCampaign {
            brand_registration_sid: BRAND.into(),
            description: "Appointment reminders and replies to customers who text the salon.".into(),
            message_flow: "Customers give their mobile number when they book and agree to texts about bookings.".into(),
            message_samples: vec![
                "Maple Street Nails: your appointment is Friday at 2:30pm. Reply STOP to opt out.".into(),
                "Maple Street Nails: thanks for your message, we'll reply shortly. Reply STOP to opt out.".into(),
            ],
            usecase: "SOLE_PROPRIETOR".into(),
            has_embedded_links: false,
            has_embedded_phone: false,
            opt_in_message: Some("You're subscribed to Maple Street Nails texts. Reply STOP to opt out.".into()),
            opt_out_message: None,
            help_message: None,
        },
    )
    .await?;
    let rec = stub.requests().into_iter().next().ok_or("no request")?;
    assert_eq!(rec.form().iter().filter(|(k, _)| k == "MessageSamples").count(), 2, "one key per sample");
    replay(&prism::messaging()?.base, &rec, &["MessageSamples"]).await
}

#[tokio::test]
async fn prism_tollfree_verification_create_and_update_requests() -> TestResult {
    let stub = capture(r#"{"sid":"HH0123456789abcdef0123456789abcdef","status":"PENDING_REVIEW"}"#).await?;
    let c = client_at(&stub.base)?;
    let form = NewTollfreeVerification {
        business_name: "Maple Street Nails".into(),
        business_website: "https://maplenails.example".into(),
        notification_email: "dana@maplenails.example".into(),
        use_case_categories: vec!["ACCOUNT_NOTIFICATIONS".into(), "CUSTOMER_CARE".into()],
        use_case_summary: "Appointment reminders and replies to customers who text the salon.".into(),
        production_message_sample: "Maple Street Nails: your appointment is tomorrow at 2pm. Reply STOP to opt out."
            .into(),
        opt_in_image_urls: vec!["https://maplenails.example/booking-form.png".into()],
        opt_in_type: "WEB_FORM".into(),
        message_volume: "1,000".into(),
        tollfree_phone_number_sid: NUMBER.into(),
        business_street_address: Some("12 Maple St".into()),
        business_city: Some("Oakland".into()),
        business_state_province_region: Some("CA".into()),
        business_postal_code: Some("94607".into()),
        business_country: Some("US".into()),
        business_contact_first_name: Some("Dana".into()),
        business_contact_last_name: Some("Ruiz".into()),
        business_contact_email: Some("dana@maplenails.example".into()),
        business_contact_phone: Some("+14155550100".into()),
        additional_information: None,
    };
    c.create_tollfree_verification(&form).await?;
    c.update_tollfree_verification(VERIFICATION, &form).await?;
    let recs = stub.requests();
    assert_eq!(recs.len(), 2);
    let arrays = ["UseCaseCategories", "OptInImageUrls"];
    for rec in &recs {
        replay(&prism::messaging()?.base, rec, &arrays).await?;
    }
    Ok(())
}
