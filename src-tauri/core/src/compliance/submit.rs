//! Submitting a regulation-driven record, step by step.
//!
//! Each Twilio object is created once and its SID stored with the answers as soon as it
//! exists (bundle, end user, address, each supporting document, each item assignment), so
//! a failed or interrupted submission resumes where it stopped instead of creating
//! duplicates. Nothing is sent while the local checks find something to correct. Twilio's
//! evaluation is stored field by field; only a compliant bundle is submitted for review.

use serde_json::{json, Map, Value};

use super::answers::{self, FieldIssue, FormAnswers};
use super::evaluation::{self, ADDRESS, EVALUATION, LOCAL, REVIEW};
use super::form::{RegulationForm, ADDRESS_DOCUMENT};
use super::legacy::{chosen_document, mime_for, save_sid};
use crate::error::{Error, Result};
use crate::store::compliance::{self as records, Compliance, SidField};
use crate::store::Store;
use crate::twilio::api::compliance::{DocumentUpload, Evaluation, NewBundle};
use crate::twilio::api::numbers::{NewAddress, PostalAddress};
use crate::twilio::client::TwilioClient;

/// Who found the issues shown on a record (`local`, `evaluation`, `review`, `address`).
pub(super) fn source_of(c: &Compliance) -> Option<&str> {
    c.evaluation.as_ref()?.get("source")?.as_str()
}

async fn save_answers(store: &Store, id: i64, a: &FormAnswers) -> Result<()> {
    let json = serde_json::to_value(a).map_err(|e| Error::InvalidInput(format!("cannot store the form: {e}")))?;
    store.write_async(move |tx| records::set_answers(tx, id, &json)).await
}

async fn show(store: &Store, id: i64, status: Option<&str>, shown: Value) -> Result<Compliance> {
    let status = status.map(str::to_string);
    store
        .write_async(move |tx| {
            match status {
                Some(s) => records::set_status(tx, id, &s, None, Some(&shown))?,
                None => records::set_evaluation(tx, id, &shown)?,
            }
            records::get(tx, id)
        })
        .await
}

/// The name the bundle, end user and address go by: the business, or the person.
fn display_name(a: &FormAnswers) -> String {
    let f = |k: &str| a.end_user.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let business = f("business_name");
    if !business.is_empty() {
        return business;
    }
    let person = format!("{} {}", f("first_name"), f("last_name")).trim().to_string();
    if person.is_empty() {
        a.email.clone()
    } else {
        person
    }
}

/// The regulation's fields with a value, as a JSON object of strings.
fn attributes<'a>(
    specs: impl Iterator<Item = &'a String>,
    values: &std::collections::BTreeMap<String, String>,
) -> Value {
    let mut out = Map::new();
    for name in specs {
        if let Some(v) = values.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            out.insert(name.clone(), Value::String(v.to_string()));
        }
    }
    Value::Object(out)
}

pub(super) async fn submit(
    store: &Store,
    client: &TwilioClient,
    c: Compliance,
    form: RegulationForm,
    mut a: FormAnswers,
    status_callback: Option<String>,
) -> Result<Compliance> {
    let id = c.id;
    let issues = answers::validate(&form, &a);
    if !issues.is_empty() {
        show(store, id, None, evaluation::stored("invalid", LOCAL, &issues)).await?;
        return Err(needs_attention(&issues));
    }
    if c.regulation_sid.is_none() {
        save_sid(store, id, SidField::Regulation, &form.regulation_sid).await?;
    }
    let name = display_name(&a);
    let bundle = match &c.bundle_sid {
        Some(b) => b.clone(),
        None => {
            let b = client
                .create_bundle(&NewBundle {
                    friendly_name: format!("{name} {} {}", form.iso_country, form.number_type),
                    email: a.email.clone(),
                    status_callback,
                    regulation_sid: Some(form.regulation_sid.clone()),
                    ..Default::default()
                })
                .await?;
            save_sid(store, id, SidField::Bundle, &b.sid).await?;
            b.sid
        }
    };

    // Parts replaced since they were assigned leave the bundle first.
    while let Some(item) = a.replaced_items.first().cloned() {
        client.delete_item_assignment(&bundle, &item).await?;
        a.replaced_items.remove(0);
        save_answers(store, id, &a).await?;
    }

    // The end user: Twilio evaluates it as it is now, so a correction is an update.
    let attrs = attributes(form.end_user.iter().map(|f| &f.machine_name), &a.end_user);
    match &a.end_user_sid {
        Some(sid) => {
            client.update_end_user(sid, Some(&name), &attrs).await?;
        }
        None => {
            let eu = client.create_end_user(&name, &form.end_user_type, &attrs).await?;
            save_sid(store, id, SidField::EndUser, &eu.sid).await?;
            a.end_user_sid = Some(eu.sid);
            save_answers(store, id, &a).await?;
        }
    }
    if let (None, Some(sid)) = (&a.end_user_item_sid, &a.end_user_sid) {
        let item = client.assign_item(&bundle, sid).await?;
        a.end_user_item_sid = Some(item.sid);
        save_answers(store, id, &a).await?;
    }

    if let Some(c) = ensure_address(store, client, id, &form, &mut a, &name).await? {
        return Ok(c);
    }

    for i in 0..a.documents.len() {
        let d = a.documents[i].clone();
        let Some(kind) = form.section(&d.requirement_name).and_then(|s| s.accepts(&d.kind)) else { continue };
        let section_name = form.section(&d.requirement_name).map(|s| s.name.clone()).unwrap_or_default();
        if d.sid.is_none() {
            let doc = if kind.kind == ADDRESS_DOCUMENT {
                let address = a.address.as_ref().and_then(|x| x.sid.clone()).unwrap_or_default();
                client
                    .create_supporting_document(&section_name, &kind.kind, &json!({"address_sids": [address]}))
                    .await?
            } else {
                let fields = attributes(kind.fields.iter().map(|f| &f.machine_name), &d.fields);
                let path = d.file_path.clone().unwrap_or_default();
                let file = chosen_document(&path)?;
                client
                    .upload_supporting_document(&DocumentUpload {
                        friendly_name: format!("{name}: {}", kind.name),
                        kind: kind.kind.clone(),
                        attributes: fields,
                        file,
                        mime_type: mime_for(file).into(),
                    })
                    .await?
            };
            let field = if kind.kind == ADDRESS_DOCUMENT { SidField::AddressDocument } else { SidField::Document };
            save_sid(store, id, field, &doc.sid).await?;
            a.documents[i].sid = Some(doc.sid);
            save_answers(store, id, &a).await?;
        }
        if let (None, Some(sid)) = (&a.documents[i].item_sid, a.documents[i].sid.clone()) {
            let item = client.assign_item(&bundle, &sid).await?;
            a.documents[i].item_sid = Some(item.sid);
            save_answers(store, id, &a).await?;
        }
    }

    let e = client.evaluate_bundle(&bundle).await?;
    let issues = evaluation::issues(&form, &e);
    if e.is_compliant() {
        let submitted = client.submit_bundle(&bundle).await?;
        let status = submitted.status.unwrap_or_else(|| "pending-review".into());
        show(store, id, Some(&status), evaluation::stored("compliant", EVALUATION, &issues)).await
    } else {
        show(store, id, Some("noncompliant"), evaluation::stored("noncompliant", EVALUATION, &issues)).await
    }
}

/// Creates the Address resource the address document points at, keeping Twilio's
/// validation result. A refused address (Twilio could not validate it) is shown on the
/// address fields and ends the submission: `Some(record)`.
async fn ensure_address(
    store: &Store,
    client: &TwilioClient,
    id: i64,
    form: &RegulationForm,
    a: &mut FormAnswers,
    name: &str,
) -> Result<Option<Compliance>> {
    let wanted = a.documents.iter().any(|d| d.kind == ADDRESS_DOCUMENT);
    let Some(addr) = a.address.as_mut().filter(|x| wanted && x.sid.is_none()) else { return Ok(None) };
    let i = &addr.input;
    let postal = PostalAddress {
        customer_name: if i.customer_name.trim().is_empty() { name.to_string() } else { i.customer_name.clone() },
        street: i.street.clone(),
        city: i.city.clone(),
        region: i.region.clone(),
        postal_code: i.postal_code.clone(),
        iso_country: if i.iso_country.trim().is_empty() { form.iso_country.clone() } else { i.iso_country.clone() },
    };
    let made =
        client.create_address(&NewAddress { postal, friendly_name: Some(format!("{name} (Switchboard)")) }).await;
    match made {
        Ok(made) => {
            addr.sid = Some(made.sid.clone());
            addr.validated = made.validated;
            addr.verified = made.verified;
            save_sid(store, id, SidField::Address, &made.sid).await?;
            save_answers(store, id, a).await?;
            Ok(None)
        }
        Err(Error::Twilio { status, code, message, .. }) if (400..500).contains(&status) && status != 401 => {
            let field = address_field(&message);
            let issue = FieldIssue {
                field,
                reason: format!("Twilio could not accept the address: {message}"),
                error_code: code.map(i64::from),
            };
            Ok(Some(show(store, id, None, evaluation::stored("invalid", ADDRESS, &[issue])).await?))
        }
        Err(e) => Err(e),
    }
}

/// The address part Twilio's message names, or the whole address.
fn address_field(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    for (needle, part) in [
        ("postal", "postal_code"),
        ("street", "street"),
        ("city", "city"),
        ("region", "region"),
        ("country", "iso_country"),
    ] {
        if m.contains(needle) {
            return format!("address.{part}");
        }
    }
    "address".to_string()
}

fn needs_attention(issues: &[FieldIssue]) -> Error {
    let first = issues.first().map(|i| i.reason.as_str()).unwrap_or_default();
    Error::InvalidInput(match issues.len() {
        1 => format!("one answer needs attention before Twilio sees the form: {first}"),
        n => format!("{n} answers need attention before Twilio sees the form; first: {first}"),
    })
}

/// Stores the review's findings on a rejected record: the newest evaluation's failures,
/// mapped to fields, with the rejection reason when nothing more precise is given.
pub(super) async fn fetch_review(
    store: &Store,
    client: &TwilioClient,
    c: &Compliance,
    form: &RegulationForm,
) -> Result<()> {
    let Some(bundle) = c.bundle_sid.clone() else { return Ok(()) };
    let evaluations = client.list_evaluations(&bundle).await?;
    // The newest by date; among equal dates the first listed (Twilio lists newest first).
    let newest: Option<&Evaluation> = evaluations.iter().fold(None, |best, e| match best {
        Some(b) if b.date_created >= e.date_created => Some(b),
        _ => Some(e),
    });
    let mut issues = newest.map(|e| evaluation::issues(form, e)).unwrap_or_default();
    if issues.is_empty() {
        issues.push(FieldIssue {
            field: String::new(),
            reason: c.rejection_reason.clone().unwrap_or_else(|| "Twilio rejected the bundle without a reason".into()),
            error_code: None,
        });
    }
    let shown = evaluation::stored("twilio-rejected", REVIEW, &issues);
    // A polled bundle carries no reason (only the callback does): the first finding is it.
    let reason = c.rejection_reason.is_none().then(|| issues[0].reason.clone());
    let (id, status) = (c.id, c.status.clone());
    store.write_async(move |tx| records::set_status(tx, id, &status, reason.as_deref(), Some(&shown))).await
}
