//! Regulatory bundles, from the regulation's own form to Twilio's review.
//!
//! A record begins from the regulation Twilio serves for its country, number type and
//! end-user type ([`form`]): the owner answers its end-user fields and one document per
//! required section ([`answers`]), is told locally what the regulation constrains, and
//! submits ([`submit`]). A draft or a non-compliant record stays editable; a rejected one
//! is copied, corrected and submitted as a new bundle, carrying its reasons with it
//! ([`copy_for_resubmission`]). Twilio's evaluations and review land on the fields they
//! concern ([`evaluation`]). Records of the fixed wave-1 form keep their own path
//! ([`legacy`]).

pub mod answers;
pub mod evaluation;
pub mod form;
mod legacy;
mod submit;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::picked::{PickedPaths, Purpose};
use crate::store::compliance::{self as records, Compliance, FormRecord};
use crate::store::Store;
use crate::twilio::api::compliance::RegulationQuery;
use crate::twilio::client::TwilioClient;

pub use answers::{FieldIssue, FormAnswers, FormInput};
pub use form::RegulationForm;
pub use legacy::{evaluation_json, save_draft};

/// Statuses in which the owner may still change the answers of a record.
const EDITABLE: &[&str] = &["draft", "noncompliant"];
/// Statuses from which a corrected copy makes sense.
const COPYABLE: &[&str] = &["twilio-rejected", "noncompliant", "draft"];

/// The form Twilio's regulation describes for these numbers and this end user.
pub async fn load_form(
    client: &TwilioClient,
    country: &str,
    number_type: &str,
    end_user_type: &str,
) -> Result<RegulationForm> {
    let regs = client
        .list_regulations(&RegulationQuery {
            iso_country: Some(country.trim().to_ascii_uppercase()),
            number_type: Some(number_type.to_string()),
            end_user_type: Some(end_user_type.to_string()),
            include_constraints: true,
        })
        .await?;
    let reg = regs.first().ok_or_else(|| {
        Error::InvalidInput(format!(
            "Twilio has no regulation for {country} {number_type} numbers for a {end_user_type}; no bundle is needed, or the number type is wrong"
        ))
    })?;
    RegulationForm::from_regulation(reg)
}

/// The record's form and answers; records of the wave-1 form have none.
pub fn form_of(c: &Compliance) -> Result<Option<(RegulationForm, FormAnswers)>> {
    let (Some(form), answers) = (&c.form, &c.answers) else { return Ok(None) };
    let bad = |e: serde_json::Error| Error::InvalidInput(format!("compliance record {} is damaged: {e}", c.id));
    let form: RegulationForm = serde_json::from_value(form.clone()).map_err(bad)?;
    let answers: FormAnswers = match answers {
        Some(a) => serde_json::from_value(a.clone()).map_err(bad)?,
        None => FormAnswers::default(),
    };
    Ok(Some((form, answers)))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::InvalidInput(format!("cannot store the form: {e}")))
}

/// Resolves the new file tokens of `input` (each a [`Purpose::ComplianceDocument`] grant),
/// by section. A path sent in place of a token is refused by the grant check.
fn resolve_files(picked: &PickedPaths, input: &FormInput) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for d in &input.documents {
        if let Some(token) = &d.file {
            let path = picked.resolve(token, Purpose::ComplianceDocument)?;
            files.insert(d.requirement_name.clone(), path.display().to_string());
        }
    }
    Ok(files)
}

fn spend_files(picked: &PickedPaths, input: &FormInput) {
    picked.spend(input.documents.iter().filter_map(|d| d.file.as_deref()));
}

/// What the form shows after a save: the local checks' findings (status `draft`).
fn local_findings(form: &RegulationForm, answers: &FormAnswers) -> serde_json::Value {
    evaluation::stored("draft", evaluation::LOCAL, &answers::validate(form, answers))
}

/// Begins a record from the regulation's form. Incomplete answers are kept (the draft
/// shows what is still missing); a document type the section does not accept, a field
/// the regulation does not have, or a file not chosen in the dialog is refused.
pub async fn begin(store: &Store, picked: &PickedPaths, form: RegulationForm, input: FormInput) -> Result<Compliance> {
    answers::check_structure(&form, &input)?;
    let files = resolve_files(picked, &input)?;
    let answers = answers::merge(None, &input, &files);
    let record = FormRecord {
        country: form.iso_country.clone(),
        number_type: form.number_type.clone(),
        end_user_type: form.end_user_type.clone(),
        evaluation: Some(local_findings(&form, &answers)),
        form: to_json(&form)?,
        answers: to_json(&answers)?,
        copied_from: None,
    };
    let created = store
        .write_async(move |tx| {
            let id = records::create_form(tx, &record)?;
            records::get(tx, id)
        })
        .await?;
    spend_files(picked, &input);
    Ok(created)
}

/// Changes the answers of a draft or non-compliant record. Parts whose values changed
/// lose their Twilio objects (made anew at submit); those that did not keep them.
pub async fn update(store: &Store, picked: &PickedPaths, id: i64, input: FormInput) -> Result<Compliance> {
    let c = store.read_async(move |conn| records::get(conn, id)).await?;
    if !EDITABLE.contains(&c.status.as_str()) {
        return Err(Error::InvalidInput(format!(
            "this registration is {}; copy it to correct and submit it again",
            c.status
        )));
    }
    let (form, old) = form_of(&c)?.ok_or_else(|| {
        Error::InvalidInput("this registration was made with the old form; start a new one from the regulation".into())
    })?;
    answers::check_structure(&form, &input)?;
    let files = resolve_files(picked, &input)?;
    let merged = answers::merge(Some(&old), &input, &files);
    let shown = local_findings(&form, &merged);
    let json = to_json(&merged)?;
    let updated = store
        .write_async(move |tx| {
            records::set_answers(tx, id, &json)?;
            records::set_evaluation(tx, id, &shown)?;
            records::get(tx, id)
        })
        .await?;
    spend_files(picked, &input);
    Ok(updated)
}

/// A new draft with the answers of a rejected or non-compliant record, to be corrected
/// and submitted as a new bundle. It shows the source's reasons next to the fields until
/// it is edited; for a rejection not yet explained field by field, the review's
/// evaluation is fetched first.
pub async fn copy_for_resubmission(store: &Store, client: &TwilioClient, id: i64) -> Result<Compliance> {
    let mut source = store.read_async(move |conn| records::get(conn, id)).await?;
    if !COPYABLE.contains(&source.status.as_str()) {
        return Err(Error::InvalidInput(format!("a registration that is {} needs no correction", source.status)));
    }
    let (form, answers) = form_of(&source)?.ok_or_else(|| {
        Error::InvalidInput("this registration was made with the old form; start a new one from the regulation".into())
    })?;
    if source.status == "twilio-rejected" && submit::source_of(&source) != Some(evaluation::REVIEW) {
        if let Err(e) = submit::fetch_review(store, client, &source, &form).await {
            tracing::warn!(id, "the review's findings could not be fetched: {e}");
        }
        source = store.read_async(move |conn| records::get(conn, id)).await?;
    }
    let record = FormRecord {
        country: source.country.clone(),
        number_type: source.number_type.clone(),
        end_user_type: source.end_user_type.clone(),
        form: to_json(&form)?,
        answers: to_json(&answers.copy_for_new_bundle())?,
        copied_from: Some(id),
        evaluation: source.evaluation.clone(),
    };
    store
        .write_async(move |tx| {
            let new_id = records::create_form(tx, &record)?;
            records::get(tx, new_id)
        })
        .await
}

/// Creates what is missing, evaluates, and submits when compliant. Returns the record.
pub async fn submit(
    store: &Store,
    client: &TwilioClient,
    id: i64,
    status_callback: Option<String>,
) -> Result<Compliance> {
    let c = store.read_async(move |conn| records::get(conn, id)).await?;
    if matches!(c.status.as_str(), "pending-review" | "in-review" | "twilio-approved") {
        return Ok(c);
    }
    match form_of(&c)? {
        // Sent again unchanged, a rejected bundle would only be rejected again.
        Some(_) if c.status == "twilio-rejected" => Err(Error::InvalidInput(
            "Twilio rejected this registration; copy it, correct what the reviewers point at, and submit the copy"
                .into(),
        )),
        Some((form, answers)) => submit::submit(store, client, c, form, answers, status_callback).await,
        // The wave-1 form has no copy: its rejected bundle is sent again, as before.
        None => legacy::submit(store, client, c, status_callback).await,
    }
}

/// Fetches the status of bundles under review (in case a callback was missed), and the
/// review's findings of a rejected bundle not yet explained field by field.
/// Returns how many records changed.
pub async fn refresh_pending(store: &Store, client: &TwilioClient) -> Result<usize> {
    let records: Vec<Compliance> = store.read_async(records::list).await?;
    let mut changed = 0;
    for r in records.iter().filter(|r| r.bundle_sid.is_some()) {
        let mut r = r.clone();
        if matches!(r.status.as_str(), "pending-review" | "in-review") {
            let Some(sid) = r.bundle_sid.clone() else { continue };
            let b = client.fetch_bundle(&sid).await?;
            if let Some(status) = b.status.filter(|s| *s != r.status) {
                let (id, st) = (r.id, status.clone());
                store.write_async(move |tx| records::set_status(tx, id, &st, None, None)).await?;
                r.status = status;
                changed += 1;
            }
        }
        if r.status == "twilio-rejected" && submit::source_of(&r) != Some(evaluation::REVIEW) {
            if let Some((form, _)) = form_of(&r)? {
                submit::fetch_review(store, client, &r, &form).await?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}
