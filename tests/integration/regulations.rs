//! Regulation-driven compliance forms (issue 16), through the core's workflow against the
//! simulator, with every request also checked by Twilio's own spec under Prism
//! ([`PrismTee`]): GB and DE bundles built from their own regulations and approved, an AU
//! bundle rejected by the reviewers, copied, corrected and approved, the individual form
//! without a business name, and what the form refuses before Twilio sees it.

use std::time::Duration;

use serde_json::json;
use switchboard::compliance::{self, FormInput, RegulationForm};
use switchboard::error::Error;
use switchboard::picked::{PickedPaths, Purpose};
use switchboard::secrets::TwilioCredentials;
use switchboard::sim::Simulator;
use switchboard::store::{compliance as records, Store};
use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::common::TestResult;
use crate::prism_tee::PrismTee;
use crate::sim_support::fast_config;

/// Every request kind a submission makes, each of which Prism must have accepted.
const SUBMISSION: &[&str] = &[
    "GET /v2/RegulatoryCompliance/Regulations",
    "POST /v2/RegulatoryCompliance/Bundles",
    "POST /v2/RegulatoryCompliance/EndUsers",
    "POST /v2/RegulatoryCompliance/SupportingDocuments",
    "POST /2010-04-01/Accounts/",
    "GET /v2/RegulatoryCompliance/Bundles/",
];

struct World {
    sim: Simulator,
    tee: PrismTee,
    client: TwilioClient,
    store: Store,
    picked: PickedPaths,
    dir: tempfile::TempDir,
}

impl World {
    async fn start() -> Result<World, Box<dyn std::error::Error>> {
        let sim = Simulator::start(fast_config()).await?;
        let tee = PrismTee::start(&sim.base_url()).await?;
        let creds = TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token());
        let mut cfg = ClientConfig::with_base(creds, &tee.base);
        cfg.max_retries = 0;
        let client = TwilioClient::new(cfg)?;
        let dir = tempfile::tempdir()?;
        let store = Store::open(&dir.path().join("data"))?;
        Ok(World { sim, tee, client, store, picked: PickedPaths::default(), dir })
    }

    /// A file the owner chose in the dialog: its grant token.
    fn choose(&self, name: &str, content: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content)?;
        Ok(self.picked.grant(Purpose::ComplianceDocument, &path)?.token)
    }

    /// Polls Twilio (as the sync does) until the record reaches `status`.
    async fn until_status(&self, id: i64, status: &str) -> Result<records::Compliance, Box<dyn std::error::Error>> {
        for _ in 0..200 {
            compliance::refresh_pending(&self.store, &self.client).await?;
            let r = self.store.read(|c| records::get(c, id))?;
            if r.status == status {
                return Ok(r);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let r = self.store.read(|c| records::get(c, id))?;
        Err(format!("record {id} never became {status}: {} {:?}", r.status, r.evaluation).into())
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.sim.stop();
    }
}

fn input(v: serde_json::Value) -> Result<FormInput, serde_json::Error> {
    serde_json::from_value(v)
}

fn names(form: &RegulationForm) -> (Vec<String>, Vec<String>) {
    (
        form.end_user.iter().map(|f| f.machine_name.clone()).collect(),
        form.documents.iter().map(|s| s.requirement_name.clone()).collect(),
    )
}

/// The fields shown with issues on a record, with who found them.
fn issues(r: &records::Compliance) -> (String, Vec<String>) {
    let e = r.evaluation.clone().unwrap_or_default();
    let fields = e["results"].as_array().into_iter().flatten().filter_map(|i| i["field"].as_str()).map(str::to_string);
    (e["source"].as_str().unwrap_or_default().to_string(), fields.collect())
}

#[tokio::test]
async fn gb_and_de_bundles_are_built_from_their_regulations_and_approved() -> TestResult {
    let w = World::start().await?;
    let au = compliance::load_form(&w.client, "AU", "local", "business").await?;
    let gb = compliance::load_form(&w.client, "GB", "local", "business").await?;
    let de = compliance::load_form(&w.client, "DE", "local", "business").await?;
    assert_ne!(names(&gb), names(&au), "GB asks for other things than AU");
    assert_ne!(names(&de), names(&au), "DE asks for other things than AU");
    assert_eq!(names(&gb).1, ["proof_of_address"], "GB: a local address, no registration document");
    let register = de.section("commercial_register_proof").ok_or("DE wants the commercial register")?;
    let kinds: Vec<&str> = register.accepted.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["commercial_registrar_excerpt", "trade_license"], "a choice of document types");
    let reg_number = gb.end_user.iter().find(|f| f.machine_name == "business_registration_number").ok_or("GB CRN")?;
    assert_eq!(reg_number.constraints.max_length, Some(8), "constraints come with the regulation");

    let gb_record = compliance::begin(
        &w.store,
        &w.picked,
        gb,
        input(json!({
            "email": "owner@bakery.example",
            "end_user": {"business_name": "Ana's Bakery Ltd", "business_registration_number": "09446231"},
            "documents": [{"requirement_name": "proof_of_address", "kind": "address"}],
            "address": {"customer_name": "Ana's Bakery Ltd", "street": "221 Baker Street", "city": "London",
                        "region": "Greater London", "postal_code": "NW1 6XE", "iso_country": "GB"}
        }))?,
    )
    .await?;
    assert_eq!(issues(&gb_record).1, Vec::<String>::new(), "the GB answers are complete");
    let submitted = compliance::submit(&w.store, &w.client, gb_record.id, None).await?;
    assert_eq!(submitted.status, "pending-review", "{:?}", submitted.evaluation);
    let approved = w.until_status(gb_record.id, "twilio-approved").await?;
    assert!(approved.address_sid.is_some(), "the Address resource is kept for the purchase");

    // DE: the trade licence, the second accepted type, with its own date field and file.
    let licence = w.choose("gewerbeanmeldung.pdf", b"%PDF-1.4 Gewerbeanmeldung")?;
    let de_record = compliance::begin(
        &w.store,
        &w.picked,
        de,
        input(json!({
            "email": "inhaber@baeckerei.example",
            "end_user": {"business_name": "Bäckerei Lima", "first_name": "Ana", "last_name": "Lima"},
            "documents": [
                {"requirement_name": "commercial_register_proof", "kind": "trade_license",
                 "fields": {"business_name": "Bäckerei Lima", "issue_date": "2021-03-01"}, "file": licence},
                {"requirement_name": "proof_of_address", "kind": "address"}
            ],
            "address": {"customer_name": "Bäckerei Lima", "street": "Hauptstraße 5", "city": "Berlin",
                        "region": "Berlin", "postal_code": "10115", "iso_country": "DE"}
        }))?,
    )
    .await?;
    let submitted = compliance::submit(&w.store, &w.client, de_record.id, None).await?;
    assert_eq!(submitted.status, "pending-review", "{:?}", submitted.evaluation);
    w.until_status(de_record.id, "twilio-approved").await?;
    assert_eq!(
        w.sim.requests_ending("POST", "/v2/RegulatoryCompliance/SupportingDocuments"),
        3,
        "GB's address, DE's licence (its file goes to the upload host) and address"
    );
    w.tee.assert_accepted(SUBMISSION)?;
    Ok(())
}

fn au_business(abn: &str, postal_code: &str, file: Option<&str>) -> serde_json::Value {
    json!({
        "email": "owner@clinic.example",
        "end_user": {"business_name": "Harbour Street Clinic Pty Ltd", "business_registration_identifier": "ABN",
                     "business_registration_number": abn, "email": "owner@clinic.example",
                     "first_name": "Ana", "last_name": "Lima"},
        "documents": [
            {"requirement_name": "proof_of_address", "kind": "address"},
            {"requirement_name": "business_registration_info", "kind": "business_registration",
             "fields": {"business_name": "Harbour Street Clinic Pty Ltd", "business_registration_number": abn},
             "file": file}
        ],
        "address": {"customer_name": "Harbour Street Clinic Pty Ltd", "street": "1 George St", "city": "Sydney",
                    "region": "NSW", "postal_code": postal_code, "iso_country": "AU"}
    })
}

#[tokio::test]
async fn an_au_bundle_is_rejected_corrected_and_approved_on_resubmission() -> TestResult {
    let w = World::start().await?;
    let form = compliance::load_form(&w.client, "AU", "local", "business").await?;
    // A mistyped ABN (last digit) passes the form and Twilio's evaluation, but not review;
    // the postal code has five digits, which Twilio's address validation refuses.
    let file = w.choose("abn-extract.pdf", b"%PDF-1.4 ABN")?;
    let record =
        compliance::begin(&w.store, &w.picked, form, input(au_business("51824753557", "20000", Some(&file)))?).await?;
    let after = compliance::submit(&w.store, &w.client, record.id, None).await?;
    assert_eq!(after.status, "draft", "an address Twilio refused stops the submission");
    assert_eq!(issues(&after), ("address".into(), vec!["address.postal_code".into()]), "{:?}", after.evaluation);

    // The draft is edited: the postal code corrected, the document kept without a new file.
    let fixed = input(au_business("51824753557", "2000", None))?;
    let edited = compliance::update(&w.store, &w.picked, record.id, fixed).await?;
    assert_eq!(issues(&edited).1, Vec::<String>::new(), "nothing left to correct locally");
    let submitted = compliance::submit(&w.store, &w.client, record.id, None).await?;
    assert_eq!(submitted.status, "pending-review", "{:?}", submitted.evaluation);
    assert_eq!(
        w.sim.requests_ending("POST", "/v2/RegulatoryCompliance/Bundles"),
        1,
        "the resumed submission reuses its bundle"
    );

    let rejected = w.until_status(record.id, "twilio-rejected").await?;
    let (source, fields) = issues(&rejected);
    assert_eq!(source, "review", "the reviewers' findings were fetched: {:?}", rejected.evaluation);
    assert!(
        fields.contains(&"end_user.business_registration_number".to_string())
            && fields.contains(&"documents.business_registration_info.business_registration_number".to_string()),
        "the reasons sit next to the ABN fields: {fields:?}"
    );
    assert!(rejected.rejection_reason.is_some(), "and the bundle's reason is kept");
    let refused =
        compliance::update(&w.store, &w.picked, record.id, input(au_business("51824753556", "2000", None))?).await;
    assert!(matches!(refused, Err(Error::InvalidInput(ref m)) if m.contains("copy")), "{refused:?}");
    let again = compliance::submit(&w.store, &w.client, record.id, None).await;
    assert!(matches!(again, Err(Error::InvalidInput(ref m)) if m.contains("copy")), "{again:?}");

    // Copy, correct, resubmit: a new bundle, approved.
    let copy = compliance::copy_for_resubmission(&w.store, &w.client, record.id).await?;
    assert_eq!(copy.copied_from, Some(record.id));
    assert_eq!(copy.status, "draft");
    assert_eq!(issues(&copy).1, fields, "the copy shows the reasons while it is corrected");
    let corrected =
        compliance::update(&w.store, &w.picked, copy.id, input(au_business("51824753556", "2000", None))?).await?;
    assert_eq!(issues(&corrected).1, Vec::<String>::new());
    compliance::submit(&w.store, &w.client, copy.id, None).await?;
    let approved = w.until_status(copy.id, "twilio-approved").await?;
    assert_ne!(approved.bundle_sid, rejected.bundle_sid, "a new bundle was submitted");
    assert_eq!(w.sim.requests_ending("POST", "/v2/RegulatoryCompliance/Bundles"), 2);
    w.tee.assert_accepted(SUBMISSION)?;
    Ok(())
}

#[tokio::test]
async fn the_individual_form_asks_for_no_business_name() -> TestResult {
    let w = World::start().await?;
    for country in ["AU", "GB"] {
        let form = compliance::load_form(&w.client, country, "local", "individual").await?;
        let (fields, sections) = names(&form);
        assert!(!fields.iter().any(|f| f.starts_with("business")), "{country} individual: {fields:?}");
        assert_eq!(sections, ["proof_of_address"], "{country}: no registration document for a person");
    }
    let form = compliance::load_form(&w.client, "AU", "local", "individual").await?;
    let record = compliance::begin(
        &w.store,
        &w.picked,
        form,
        input(json!({
            "email": "ana@example.com",
            "end_user": {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com"},
            "documents": [{"requirement_name": "proof_of_address", "kind": "address"}],
            "address": {"street": "1 George St", "city": "Sydney", "region": "NSW", "postal_code": "2000", "iso_country": "AU"}
        }))?,
    )
    .await?;
    assert_eq!(issues(&record).1, Vec::<String>::new(), "complete without a business name");
    assert_eq!(record.business_name, "");
    let submitted = compliance::submit(&w.store, &w.client, record.id, None).await?;
    assert_eq!(submitted.status, "pending-review", "{:?}", submitted.evaluation);
    w.until_status(record.id, "twilio-approved").await?;
    w.tee.assert_accepted(&["POST /v2/RegulatoryCompliance/EndUsers", "POST /v2/RegulatoryCompliance/Bundles/"])?;
    Ok(())
}

#[tokio::test]
async fn the_form_refuses_locally_what_the_regulation_does_not_allow() -> TestResult {
    let w = World::start().await?;
    let de = compliance::load_form(&w.client, "DE", "local", "business").await?;
    let file = w.choose("abn.pdf", b"%PDF")?;
    // An Australian registration document is not one of the types DE accepts.
    let wrong_type = input(json!({
        "email": "inhaber@baeckerei.example",
        "end_user": {"business_name": "Bäckerei Lima", "first_name": "Ana", "last_name": "Lima"},
        "documents": [{"requirement_name": "commercial_register_proof", "kind": "business_registration",
                       "fields": {"business_name": "Bäckerei Lima"}, "file": file}]
    }))?;
    let refused = compliance::begin(&w.store, &w.picked, de.clone(), wrong_type).await;
    match refused {
        Err(Error::InvalidInput(m)) => {
            assert!(m.contains("not accepted") && m.contains("Handelsregisterauszug"), "{m}")
        }
        other => return Err(format!("expected a local refusal, got {other:?}").into()),
    }
    assert!(w.store.read(records::list)?.is_empty(), "nothing was stored");

    // A path in place of the file the owner chose is refused too.
    let by_path = input(json!({
        "email": "a@b.example",
        "documents": [{"requirement_name": "commercial_register_proof", "kind": "trade_license",
                       "file": w.dir.path().join("abn.pdf").display().to_string()}]
    }))?;
    let refused = compliance::begin(&w.store, &w.picked, de, by_path).await;
    assert!(matches!(refused, Err(Error::PathNotChosen(_))), "{refused:?}");

    // GB: a company number of the wrong length and a missing email are shown on their
    // fields, and nothing is sent to Twilio.
    let gb = compliance::load_form(&w.client, "GB", "local", "business").await?;
    let record = compliance::begin(
        &w.store,
        &w.picked,
        gb,
        input(json!({
            "end_user": {"business_name": "Ana's Bakery Ltd", "business_registration_number": "123"},
            "documents": [{"requirement_name": "proof_of_address", "kind": "address"}],
            "address": {"customer_name": "Ana's Bakery Ltd", "street": "221 Baker Street", "city": "London",
                        "region": "Greater London", "postal_code": "NW1 6XE", "iso_country": "FR"}
        }))?,
    )
    .await?;
    let sent_before = w.tee.checked().len();
    let refused = compliance::submit(&w.store, &w.client, record.id, None).await;
    assert!(matches!(refused, Err(Error::InvalidInput(_))), "{refused:?}");
    let shown = w.store.read(|c| records::get(c, record.id))?;
    assert_eq!(
        issues(&shown),
        (
            "local".into(),
            vec!["email".into(), "end_user.business_registration_number".into(), "address.iso_country".into()]
        )
    );
    assert_eq!(w.tee.checked().len(), sent_before, "Twilio saw nothing");
    assert_eq!(w.sim.requests_ending("POST", "/v2/RegulatoryCompliance/Bundles"), 0);
    Ok(())
}

/// The requests only an edit or a rejection makes, checked by the spec on their own.
#[tokio::test]
async fn prism_accepts_item_removal_and_the_evaluations_list() -> TestResult {
    let c = crate::client_prism::prism_client()?;
    c.delete_item_assignment("BU0123456789abcdef0123456789abcdef", "BV0123456789abcdef0123456789abcdef").await?;
    c.list_evaluations("BU0123456789abcdef0123456789abcdef").await?;
    Ok(())
}

/// The tee is a real check: a request outside Twilio's spec (a bundle SID of the wrong
/// shape, an evaluation of no bundle) is reported, whatever the simulator answered.
#[tokio::test]
async fn the_prism_tee_reports_a_request_the_spec_refuses() -> TestResult {
    let w = World::start().await?;
    let _ = w.client.fetch_bundle("BU-not-a-sid").await;
    let refused = w.tee.assert_accepted(&[]);
    assert!(refused.is_err_and(|e| e.to_string().contains("BU-not-a-sid")), "the spec refuses the SID's shape");
    Ok(())
}
