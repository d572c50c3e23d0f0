//! Compliance over numbers v2: an AU business bundle is evaluated (field-level results),
//! refused while incomplete, submitted, approved or rejected after the review delay with a
//! signed callback, and then lets the account buy an AU number.

use crate::common::TestResult;
use crate::sim_support::{fast_config, start, wait_until, Api, StubApp};
use switchboard::sim::{BundleOutcome, SimConfig};

const V2: &str = "/v2/RegulatoryCompliance";

/// Builds a bundle with an incomplete business end user; returns (bundle, end user) SIDs.
async fn draft_bundle(
    api: &Api,
    regulation: &str,
    callback: &str,
) -> Result<(String, String), Box<dyn std::error::Error>> {
    let r = api
        .post(
            &format!("{V2}/EndUsers"),
            &[("FriendlyName", "Acme"), ("Type", "business"), ("Attributes", r#"{"business_name":"Acme Pty Ltd"}"#)],
        )
        .await?;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["attributes"]["business_name"], "Acme Pty Ltd", "attributes are kept as JSON");
    let end_user = r.json["sid"].as_str().ok_or("end user sid")?.to_string();
    let r = api
        .post(
            &format!("{V2}/Bundles"),
            &[
                ("FriendlyName", "Acme AU"),
                ("Email", "owner@acme.test"),
                ("RegulationSid", regulation),
                ("StatusCallback", callback),
            ],
        )
        .await?;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["status"], "draft", "a new bundle is a draft");
    let bundle = r.json["sid"].as_str().ok_or("bundle sid")?.to_string();
    let r = api.post(&format!("{V2}/Bundles/{bundle}/ItemAssignments"), &[("ObjectSid", &end_user)]).await?;
    assert_eq!(r.status, 201, "{}", r.json);
    Ok((bundle, end_user))
}

/// Completes the bundle: full end-user attributes, an AU address document, and a
/// business-registration document uploaded as multipart with a file.
async fn complete_bundle(api: &Api, bundle: &str, end_user: &str) -> Result<String, Box<dyn std::error::Error>> {
    let attrs = r#"{"business_name":"Acme Pty Ltd","business_registration_identifier":"ABN","business_registration_number":"51824753556","email":"owner@acme.test","first_name":"Ada","last_name":"Lovelace"}"#;
    let r = api.post(&format!("{V2}/EndUsers/{end_user}"), &[("Attributes", attrs)]).await?;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = api.create_au_address().await?;
    let address = r.json["sid"].as_str().ok_or("address sid")?.to_string();
    let r = api
        .post(
            &format!("{V2}/SupportingDocuments"),
            &[
                ("FriendlyName", "Office"),
                ("Type", "address"),
                ("Attributes", &format!(r#"{{"address_sids":["{address}"]}}"#)),
            ],
        )
        .await?;
    assert_eq!(r.status, 201, "{}", r.json);
    let address_doc = r.json["sid"].as_str().ok_or("doc sid")?.to_string();

    let form = reqwest::multipart::Form::new()
        .text("FriendlyName", "ASIC extract")
        .text("Type", "business_registration")
        .text("Attributes", r#"{"business_name":"Acme Pty Ltd","business_registration_number":"51824753556"}"#)
        .part(
            "File",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 simulated".to_vec())
                .file_name("asic.pdf")
                .mime_str("application/pdf")?,
        );
    let resp = api
        .http
        .post(api.url(&format!("{V2}/SupportingDocuments")))
        .basic_auth(&api.account, Some(&api.token))
        .multipart(form)
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 201, "a multipart upload creates the document");
    let doc: serde_json::Value = resp.json().await?;
    assert_eq!(doc["mime_type"], "application/pdf", "the uploaded file's type is recorded: {doc}");
    let reg_doc = doc["sid"].as_str().ok_or("doc sid")?.to_string();

    for object in [&address_doc, &reg_doc] {
        let r = api.post(&format!("{V2}/Bundles/{bundle}/ItemAssignments"), &[("ObjectSid", object)]).await?;
        assert_eq!(r.status, 201, "{}", r.json);
    }
    Ok(address)
}

#[tokio::test]
async fn sim_compliance_bundle_evaluated_submitted_approved_then_number_bought() -> TestResult {
    let sim = start(fast_config()).await?;
    let app = StubApp::start(sim.auth_token(), &[]).await?;
    let api = Api::new(&sim)?;

    let r = api.get(&format!("{V2}/Regulations?IsoCountry=AU&NumberType=local&EndUserType=business")).await?;
    let regs = r.json["results"].as_array().ok_or("results")?;
    assert_eq!(regs.len(), 1, "one AU local business regulation: {}", r.json);
    let fields = &regs[0]["requirements"]["end_user"][0]["fields"];
    for f in ["business_name", "business_registration_identifier", "business_registration_number", "email"] {
        assert!(fields.as_array().is_some_and(|a| a.iter().any(|x| x == f)), "the regulation asks for {f}: {fields}");
    }
    let regulation = regs[0]["sid"].as_str().ok_or("regulation sid")?.to_string();
    assert_eq!(sim.regulation_sid("AU", "local", "business").as_deref(), Some(regulation.as_str()));

    let (bundle, end_user) = draft_bundle(&api, &regulation, &format!("{}/twilio/compliance", app.base)).await?;
    let r = api.post(&format!("{V2}/Bundles/{bundle}/Evaluations"), &[]).await?;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["status"], "noncompliant", "an incomplete bundle is noncompliant");
    let results = r.json["results"].as_array().ok_or("results")?;
    let business = results.iter().find(|x| x["object_type"] == "business").ok_or("business result")?;
    let invalid: Vec<&str> =
        business["invalid"].as_array().ok_or("invalid")?.iter().filter_map(|x| x["object_field"].as_str()).collect();
    assert!(invalid.contains(&"business_registration_number"), "the missing field is named: {invalid:?}");
    assert!(!invalid.contains(&"business_name"), "a present field is not: {invalid:?}");
    assert!(
        results.iter().any(|x| x["object_type"] == "address" && x["error_code"] == 22216),
        "the missing document is reported"
    );

    let r = api.post(&format!("{V2}/Bundles/{bundle}"), &[("Status", "pending-review")]).await?;
    assert_eq!(r.status, 400, "an incomplete bundle cannot be submitted: {}", r.json);

    let address = complete_bundle(&api, &bundle, &end_user).await?;
    let r = api.post(&format!("{V2}/Bundles/{bundle}/Evaluations"), &[]).await?;
    assert_eq!(r.json["status"], "compliant", "the completed bundle passes: {}", r.json);

    let r = api.post(&format!("{V2}/Bundles/{bundle}"), &[("Status", "pending-review")]).await?;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "pending-review");
    wait_until("the bundle status callback", || async { !app.hits_on("/twilio/compliance").is_empty() }).await?;
    let cb = &app.hits_on("/twilio/compliance")[0];
    assert!(cb.signature_valid, "the bundle callback is signed");
    assert_eq!(cb.get("BundleSid"), Some(bundle.as_str()));
    assert_eq!(cb.get("Status"), Some("twilio-approved"));
    let r = api.get(&format!("{V2}/Bundles/{bundle}")).await?;
    assert_eq!(r.json["status"], "twilio-approved");
    assert!(r.json["valid_until"].is_string(), "an approved bundle has valid_until");

    // Now an AU local number can be bought, with the bundle and the address.
    let r = api.get("AvailablePhoneNumbers/AU/Local.json").await?;
    let number = r.json["available_phone_numbers"][0]["phone_number"].as_str().ok_or("number")?.to_string();
    let r = api.post("IncomingPhoneNumbers.json", &[("PhoneNumber", &number), ("BundleSid", &bundle)]).await?;
    assert_eq!(r.json["code"], 21631, "the address is still required: {}", r.json);
    let r = api
        .post(
            "IncomingPhoneNumbers.json",
            &[("PhoneNumber", &number), ("BundleSid", &bundle), ("AddressSid", &address)],
        )
        .await?;
    assert_eq!(r.status, 201, "bundle + address buy the number: {}", r.json);
    assert_eq!(r.json["bundle_sid"].as_str(), Some(bundle.as_str()));
    app.stop();
    Ok(())
}

#[tokio::test]
async fn sim_compliance_rejected_bundle_reports_the_reason() -> TestResult {
    let sim =
        start(SimConfig { bundle_outcome: BundleOutcome::Reject("Document is not legible".into()), ..fast_config() })
            .await?;
    let app = StubApp::start(sim.auth_token(), &[]).await?;
    let api = Api::new(&sim)?;
    let regulation = sim.regulation_sid("AU", "local", "business").ok_or("regulation")?;
    let (bundle, end_user) = draft_bundle(&api, &regulation, &format!("{}/twilio/compliance", app.base)).await?;
    complete_bundle(&api, &bundle, &end_user).await?;
    let r = api.post(&format!("{V2}/Bundles/{bundle}"), &[("Status", "pending-review")]).await?;
    assert_eq!(r.status, 200, "{}", r.json);
    wait_until("the rejection callback", || async { !app.hits_on("/twilio/compliance").is_empty() }).await?;
    let cb = &app.hits_on("/twilio/compliance")[0];
    assert_eq!(cb.get("Status"), Some("twilio-rejected"));
    assert_eq!(cb.get("FailureReason"), Some("Document is not legible"), "the reason reaches the app");
    assert_eq!(sim.bundle_status(&bundle).as_deref(), Some("twilio-rejected"));
    let r = api.get("AvailablePhoneNumbers/AU/Local.json").await?;
    let number = r.json["available_phone_numbers"][0]["phone_number"].as_str().ok_or("number")?.to_string();
    let r = api.post("IncomingPhoneNumbers.json", &[("PhoneNumber", &number), ("BundleSid", &bundle)]).await?;
    assert_eq!(r.json["code"], 21649, "a rejected bundle buys nothing: {}", r.json);
    app.stop();
    Ok(())
}
