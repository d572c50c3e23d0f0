//! The fixed compliance form of wave 1 (business name, registration number, one
//! registration document), kept so the records made with it can still be submitted and
//! shown; no screen makes new ones (`save_draft` remains for the CLI-free tests of that
//! path). New records, AU included, follow the regulation's own form (`super::submit`).
//!
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
use crate::picked::{PickedPaths, Purpose};
use crate::store::compliance::{self as records, Compliance, Draft, SidField};
use crate::store::Store;
use crate::twilio::api::compliance::{DocumentUpload, Evaluation, NewBundle, RegulationQuery};
use crate::twilio::api::numbers::{NewAddress, PostalAddress};
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

pub(super) fn mime_for(path: &Path) -> &'static str {
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

/// Stores a new draft (not yet sent to Twilio) after checking the fields a person can get
/// wrong, so the form can point at them before a round trip to Twilio.
///
/// The registration document is uploaded to Twilio on submit, so it is only ever a file
/// the owner chose in the dialog: `document` is the token of a
/// [`Purpose::ComplianceDocument`] grant, and a path in the draft itself is refused.
pub async fn save_draft(
    store: &Store,
    picked: &PickedPaths,
    mut draft: Draft,
    document: Option<&str>,
) -> Result<Compliance> {
    if draft.country.trim().len() != 2 {
        return Err(Error::InvalidInput("country must be a two-letter code such as AU or GB".into()));
    }
    if draft.business_name.trim().is_empty() {
        return Err(Error::InvalidInput("the business name is required".into()));
    }
    if !draft.business_email.contains('@') {
        return Err(Error::InvalidInput(format!("{:?} is not an email address", draft.business_email)));
    }
    if draft.document_path.is_some() {
        return Err(Error::PathNotChosen(
            "the registration document must be chosen with the Choose file button".into(),
        ));
    }
    draft.document_path = match document {
        Some(token) => Some(picked.resolve(token, Purpose::ComplianceDocument)?.display().to_string()),
        None => None,
    };
    let created = store
        .write_async(move |tx| {
            let id = records::create(tx, &draft)?;
            records::get(tx, id)
        })
        .await?;
    if let Some(token) = document {
        picked.spend([token]);
    }
    Ok(created)
}

/// The stored document path, if it is still the plain file the owner chose: a link put in
/// its place since then is refused rather than followed to another file.
pub(super) fn chosen_document(path: &str) -> Result<&Path> {
    let file = Path::new(path);
    match std::fs::symlink_metadata(file) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::PathNotChosen(format!(
            "the registration document {path} has been replaced by a link since you chose it; choose it again"
        ))),
        Ok(m) if m.is_file() => Ok(file),
        _ => Err(Error::InvalidInput(format!("the registration document {path} cannot be read; pick it again"))),
    }
}

pub(super) async fn save_sid(store: &Store, id: i64, field: SidField, sid: &str) -> Result<()> {
    let sid = sid.to_string();
    store.write_async(move |tx| records::set_sid(tx, id, field, &sid)).await
}

/// Creates what is missing, evaluates, and submits when compliant. Returns the record.
pub(super) async fn submit(
    store: &Store,
    client: &TwilioClient,
    mut c: Compliance,
    status_callback: Option<String>,
) -> Result<Compliance> {
    let id = c.id;
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
        let file = chosen_document(path)?;
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
        let postal = PostalAddress {
            customer_name: if field("customer_name").is_empty() { name.clone() } else { field("customer_name") },
            street: field("street"),
            city: field("city"),
            region: field("region"),
            postal_code: field("postal_code"),
            iso_country: if field("iso_country").is_empty() { c.country.clone() } else { field("iso_country") },
        };
        let friendly_name = Some(format!("{} (Switchboard)", c.business_name));
        let a = client.create_address(&NewAddress { postal, friendly_name }).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn draft_json(extra: serde_json::Value) -> Draft {
        let mut v = json!({
            "country": "AU", "number_type": "mobile", "end_user_type": "business",
            "business_name": "Harbour Street Clinic", "business_email": "owner@clinic.example",
            "registration_id": "51824753556", "first_name": "Ana", "last_name": "Lima", "address": null,
        });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        serde_json::from_value(v).unwrap()
    }

    #[tokio::test]
    async fn a_draft_takes_only_a_document_the_owner_chose() {
        let (dir, store) = crate::store::test_store_in_data();
        let picked = PickedPaths::default();
        let secret = dir.path().join("id_ed25519");
        std::fs::write(&secret, b"-----BEGIN OPENSSH PRIVATE KEY-----").unwrap();

        // The old IPC shape: a path straight from the webview.
        let sneaky = draft_json(json!({"document_path": secret.display().to_string()}));
        let e = save_draft(&store, &picked, sneaky, None).await.unwrap_err();
        assert_eq!(e.code(), "path_not_chosen", "{e}");
        // A token nobody granted, or the path passed as the token.
        let e = save_draft(&store, &picked, draft_json(json!({})), Some(secret.to_str().unwrap())).await.unwrap_err();
        assert_eq!(e.code(), "path_not_chosen", "{e}");
        // A picture chosen for an MMS is not a registration document.
        let pic = dir.path().join("cake.png");
        std::fs::write(&pic, b"\x89PNG").unwrap();
        let g = picked.grant(Purpose::Attachment, &pic).unwrap();
        assert!(save_draft(&store, &picked, draft_json(json!({})), Some(&g.token)).await.is_err());
        assert!(store.read(records::list).unwrap().is_empty(), "nothing was stored");

        let doc = dir.path().join("abn-extract.pdf");
        std::fs::write(&doc, b"%PDF-1.4").unwrap();
        let g = picked.grant(Purpose::ComplianceDocument, &doc).unwrap();
        let saved = save_draft(&store, &picked, draft_json(json!({})), Some(&g.token)).await.unwrap();
        assert_eq!(saved.document_path, Some(doc.canonicalize().unwrap().display().to_string()));
        assert!(
            save_draft(&store, &picked, draft_json(json!({})), Some(&g.token)).await.is_err(),
            "the grant is spent with the draft"
        );
        let bare = save_draft(&store, &picked, draft_json(json!({})), None).await.unwrap();
        assert_eq!(bare.document_path, None, "a draft may wait for its document");
    }

    #[cfg(unix)]
    #[test]
    fn a_document_replaced_by_a_link_is_not_uploaded() {
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("abn.pdf");
        std::fs::write(&doc, b"%PDF").unwrap();
        let p = doc.display().to_string();
        assert!(chosen_document(&p).is_ok());
        std::fs::remove_file(&doc).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &doc).unwrap();
        assert_eq!(chosen_document(&p).unwrap_err().code(), "path_not_chosen");
    }
}
