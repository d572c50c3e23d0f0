//! Submitting a regulatory bundle, step by step, from the owner's compliance form.
//!
//! Each Twilio object is created once and its SID stored as soon as it exists (regulation,
//! bundle, end user, registration document, address and its proof), so a failed or
//! interrupted submission resumes where it stopped instead of creating duplicates. Twilio's
//! evaluation is stored field by field for the form to point at; only a compliant bundle is
//! submitted for review. Review results arrive by the status callback
//! (`/twilio/compliance`) and by [`refresh_pending`] during sync.

use std::path::Path;

use serde_json::json;

use crate::error::{Error, Result};
use crate::store::compliance::{self as records, Compliance, SidField};
use crate::store::Store;
use crate::twilio::api::compliance::{DocumentUpload, Evaluation, NewBundle, RegulationQuery};
use crate::twilio::api::numbers::NewAddress;
use crate::twilio::client::TwilioClient;

/// The end user's attributes as regulations name them.
fn end_user_attributes(c: &Compliance) -> serde_json::Value {
    if c.end_user_type == "individual" {
        json!({"first_name": c.first_name, "last_name": c.last_name, "email": c.business_email})
    } else {
        json!({
            "business_name": c.business_name,
            "business_registration_identifier": registration_identifier(&c.country),
            "business_registration_number": c.registration_id,
            "email": c.business_email,
            "first_name": c.first_name,
            "last_name": c.last_name,
        })
    }
}

/// The name of the business registration scheme Twilio expects per country.
fn registration_identifier(country: &str) -> &'static str {
    match country.to_ascii_uppercase().as_str() {
        "AU" => "ABN",
        "GB" => "UK:CRN",
        "US" => "EIN",
        "NZ" => "NZBN",
        "CA" => "CBN",
        _ => "other",
    }
}

fn mime_for(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// Twilio's evaluation in the shape the form shows: one line per requirement field.
pub fn evaluation_json(e: &Evaluation) -> serde_json::Value {
    let results: Vec<serde_json::Value> = e
        .issues()
        .into_iter()
        .map(|i| {
            json!({
                "field": i.field.clone().unwrap_or_else(|| i.requirement.clone()),
                "requirement": i.requirement,
                "passed": false,
                "reason": i.reason,
                "error_code": i.error_code,
            })
        })
        .collect();
    json!({"status": e.status, "results": results})
}

async fn save_sid(store: &Store, id: i64, field: SidField, sid: &str) -> Result<()> {
    let sid = sid.to_string();
    store.write_async(move |tx| records::set_sid(tx, id, field, &sid)).await
}

/// Creates what is missing, evaluates, and submits when compliant. Returns the record.
pub async fn submit(
    store: &Store,
    client: &TwilioClient,
    id: i64,
    status_callback: Option<String>,
) -> Result<Compliance> {
    let mut c = store.read_async(move |conn| records::get(conn, id)).await?;
    if matches!(c.status.as_str(), "pending-review" | "in-review" | "twilio-approved") {
        return Ok(c);
    }
    if c.regulation_sid.is_none() {
        let regs = client
            .list_regulations(&RegulationQuery {
                iso_country: Some(c.country.clone()),
                number_type: Some(c.number_type.clone()),
                end_user_type: Some(c.end_user_type.clone()),
                include_constraints: true,
            })
            .await?;
        let reg = regs.first().ok_or_else(|| {
            Error::InvalidInput(format!(
                "Twilio has no regulation for {} {} numbers for a {}; no bundle is needed, or the number type is wrong",
                c.country, c.number_type, c.end_user_type
            ))
        })?;
        save_sid(store, id, SidField::Regulation, &reg.sid).await?;
        c.regulation_sid = Some(reg.sid.clone());
    }
    let bundle_sid = match &c.bundle_sid {
        Some(b) => b.clone(),
        None => {
            let b = client
                .create_bundle(&NewBundle {
                    friendly_name: format!("{} {} {}", c.business_name, c.country, c.number_type),
                    email: c.business_email.clone(),
                    status_callback,
                    regulation_sid: c.regulation_sid.clone(),
                    ..Default::default()
                })
                .await?;
            save_sid(store, id, SidField::Bundle, &b.sid).await?;
            b.sid
        }
    };
    let name =
        if c.business_name.is_empty() { format!("{} {}", c.first_name, c.last_name) } else { c.business_name.clone() };
    match &c.end_user_sid {
        // Twilio evaluates the end user as it is now: corrections need no re-assignment.
        Some(sid) => {
            client.update_end_user(sid, Some(&name), &end_user_attributes(&c)).await?;
        }
        None => {
            let eu = client.create_end_user(&name, &c.end_user_type, &end_user_attributes(&c)).await?;
            save_sid(store, id, SidField::EndUser, &eu.sid).await?;
            client.assign_item(&bundle_sid, &eu.sid).await?;
        }
    }
    if let (None, Some(path)) = (&c.document_sid, &c.document_path) {
        let file = Path::new(path);
        if !file.is_file() {
            return Err(Error::InvalidInput(format!("the registration document {path} cannot be read; pick it again")));
        }
        let doc = client
            .upload_supporting_document(&DocumentUpload {
                friendly_name: format!("{} registration", c.business_name),
                kind: "business_registration".into(),
                attributes: json!({"business_name": c.business_name, "business_registration_number": c.registration_id}),
                file,
                mime_type: mime_for(file).into(),
            })
            .await?;
        save_sid(store, id, SidField::Document, &doc.sid).await?;
        client.assign_item(&bundle_sid, &doc.sid).await?;
    }
    if let (None, Some(addr)) = (&c.address_sid, &c.address) {
        let field = |k: &str| addr.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let a = client
            .create_address(&NewAddress {
                customer_name: if field("customer_name").is_empty() { name.clone() } else { field("customer_name") },
                street: field("street"),
                city: field("city"),
                region: field("region"),
                postal_code: field("postal_code"),
                iso_country: if field("iso_country").is_empty() { c.country.clone() } else { field("iso_country") },
                friendly_name: Some(format!("{} (Switchboard)", c.business_name)),
            })
            .await?;
        save_sid(store, id, SidField::Address, &a.sid).await?;
        c.address_sid = Some(a.sid);
    }
    if let (None, Some(address_sid)) = (&c.address_document_sid, &c.address_sid) {
        let proof = client
            .create_supporting_document("Business address", "address", &json!({"address_sids": [address_sid]}))
            .await?;
        save_sid(store, id, SidField::AddressDocument, &proof.sid).await?;
        client.assign_item(&bundle_sid, &proof.sid).await?;
    }
    let evaluation = client.evaluate_bundle(&bundle_sid).await?;
    let shown = evaluation_json(&evaluation);
    let status = if evaluation.is_compliant() {
        let submitted = client.submit_bundle(&bundle_sid).await?;
        submitted.status.unwrap_or_else(|| "pending-review".into())
    } else {
        "noncompliant".into()
    };
    store
        .write_async(move |tx| {
            records::set_status(tx, id, &status, None, Some(&shown))?;
            records::get(tx, id)
        })
        .await
}

/// Fetches the status of bundles under review (in case a callback was missed).
/// Returns how many changed.
pub async fn refresh_pending(store: &Store, client: &TwilioClient) -> Result<usize> {
    let pending: Vec<Compliance> = store
        .read_async(|c| {
            Ok(records::list(c)?
                .into_iter()
                .filter(|r| r.bundle_sid.is_some() && matches!(r.status.as_str(), "pending-review" | "in-review"))
                .collect())
        })
        .await?;
    let mut changed = 0;
    for r in pending {
        let Some(sid) = r.bundle_sid.clone() else { continue };
        let b = client.fetch_bundle(&sid).await?;
        if let Some(status) = b.status.filter(|s| *s != r.status) {
            let id = r.id;
            store.write_async(move |tx| records::set_status(tx, id, &status, None, None)).await?;
            changed += 1;
        }
    }
    Ok(changed)
}
