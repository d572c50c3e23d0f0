//! The owner's answers to a regulation's form, and the local check of them against what
//! the regulation constrains, so the form can point at a mistake before Twilio does.
//!
//! What the webview sends ([`FormInput`]) carries values and grant tokens only; the stored
//! answers ([`FormAnswers`]) add the Twilio SIDs created for each part, which the webview can
//! never set: [`merge`] keeps a part's SIDs only while the part is unchanged, and remembers
//! the item assignments of replaced parts so that submit can take them out of the bundle.

use std::collections::BTreeMap;

use super::form::{Constraints, FieldSpec, RegulationForm, ADDRESS_DOCUMENT};
use crate::error::{Error, Result};

pub use crate::domain::bundle_form::{AddressAnswer, AddressInput, DocumentAnswer, FormAnswers};

/// One field-level finding, addressed by a path the form renders next to the field:
/// `end_user.<field>`, `documents.<requirement>[.<field>|.type|.file]`, `address[.<part>]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct FieldIssue {
    pub field: String,
    pub reason: String,
    pub error_code: Option<i64>,
}

impl FieldIssue {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldIssue { field: field.into(), reason: reason.into(), error_code: None }
    }
}

/// One document section as the webview sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceDocumentInput")] // its name in the UI's bindings
pub struct DocumentInput {
    pub requirement_name: String,
    /// The accepted document type the owner chose.
    pub kind: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Token of a file granted for [`crate::picked::Purpose::ComplianceDocument`]; none keeps
    /// the file already stored for this section and type.
    #[serde(default)]
    pub file: Option<String>,
}

/// The whole form as the webview sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceFormInput")] // its name in the UI's bindings
pub struct FormInput {
    /// Where Twilio writes about the bundle's review (the bundle's `Email`).
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub end_user: BTreeMap<String, String>,
    #[serde(default)]
    pub documents: Vec<DocumentInput>,
    #[serde(default)]
    pub address: Option<AddressInput>,
}

impl FormAnswers {
    pub fn document(&self, requirement_name: &str) -> Option<&DocumentAnswer> {
        self.documents.iter().find(|d| d.requirement_name == requirement_name)
    }

    /// A fresh copy for a new bundle: the values stay, every Twilio object is made anew
    /// (the old ones belong to the rejected bundle).
    pub fn copy_for_new_bundle(&self) -> FormAnswers {
        FormAnswers {
            email: self.email.clone(),
            end_user: self.end_user.clone(),
            documents: self
                .documents
                .iter()
                .map(|d| DocumentAnswer { sid: None, item_sid: None, ..d.clone() })
                .collect(),
            address: self.address.as_ref().map(|a| AddressAnswer { input: a.input.clone(), ..Default::default() }),
            ..Default::default()
        }
    }
}

/// Refuses what no correction of values can fix: a section the regulation does not have,
/// a document type the section does not accept, a field the type does not carry.
pub fn check_structure(form: &RegulationForm, input: &FormInput) -> Result<()> {
    for d in &input.documents {
        let section = form.section(&d.requirement_name).ok_or_else(|| {
            Error::InvalidInput(format!(
                "the regulation {} asks for no {:?} document",
                form.friendly_name, d.requirement_name
            ))
        })?;
        let kind = section.accepts(&d.kind).ok_or_else(|| {
            let names: Vec<&str> = section.accepted.iter().map(|t| t.name.as_str()).collect();
            Error::InvalidInput(format!(
                "{:?} is not accepted as {}; choose one of: {}",
                d.kind,
                section.name,
                names.join(", ")
            ))
        })?;
        if let Some(extra) = d.fields.keys().find(|k| !kind.fields.iter().any(|f| &&f.machine_name == k)) {
            return Err(Error::InvalidInput(format!("a {} has no field {extra:?}", kind.name)));
        }
        if d.file.is_some() && !kind.needs_file {
            return Err(Error::InvalidInput(format!("a {} takes no file", kind.name)));
        }
    }
    if let Some(extra) = input.end_user.keys().find(|k| !form.end_user.iter().any(|f| &&f.machine_name == k)) {
        return Err(Error::InvalidInput(format!("the {} form has no field {extra:?}", form.end_user_type)));
    }
    Ok(())
}

/// The stored answers after an edit. `files` are the resolved paths of the sections whose
/// input carried a new file token, by requirement name.
pub fn merge(old: Option<&FormAnswers>, input: &FormInput, files: &BTreeMap<String, String>) -> FormAnswers {
    let empty = FormAnswers::default();
    let old = old.unwrap_or(&empty);
    let mut replaced = old.replaced_items.clone();
    // The address document names the Address resource: a new address needs a new one.
    let address_changed = old.address.as_ref().is_some_and(|o| Some(&o.input) != input.address.as_ref());
    let mut documents = Vec::new();
    for d in &input.documents {
        let before = old.document(&d.requirement_name).filter(|o| o.kind == d.kind);
        let file_path = files.get(&d.requirement_name).cloned().or_else(|| before.and_then(|o| o.file_path.clone()));
        let unchanged = before.is_some_and(|o| o.fields == d.fields && o.file_path == file_path)
            && !(d.kind == ADDRESS_DOCUMENT && address_changed);
        let (sid, item_sid) = match before {
            Some(o) if unchanged => (o.sid.clone(), o.item_sid.clone()),
            _ => (None, None),
        };
        documents.push(DocumentAnswer {
            requirement_name: d.requirement_name.clone(),
            kind: d.kind.clone(),
            fields: d.fields.clone(),
            file_path,
            sid,
            item_sid,
        });
    }
    for o in &old.documents {
        let kept = documents.iter().any(|d| d.item_sid.is_some() && d.item_sid == o.item_sid);
        if let (Some(item), false) = (&o.item_sid, kept) {
            replaced.push(item.clone());
        }
    }
    let address = input.address.as_ref().map(|a| match &old.address {
        Some(o) if &o.input == a => o.clone(),
        _ => AddressAnswer { input: a.clone(), ..Default::default() },
    });
    FormAnswers {
        email: input.email.trim().to_string(),
        end_user: input.end_user.clone(),
        documents,
        address,
        end_user_sid: old.end_user_sid.clone(),
        end_user_item_sid: old.end_user_item_sid.clone(),
        replaced_items: replaced,
    }
}

/// Every value the regulation constrains that the answers do not meet.
pub fn validate(form: &RegulationForm, answers: &FormAnswers) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if !looks_like_email(answers.email.trim()) {
        issues.push(FieldIssue::new("email", "the email Twilio writes to about the review is required"));
    }
    for spec in &form.end_user {
        let value = answers.end_user.get(&spec.machine_name).map(String::as_str).unwrap_or("");
        if let Some(reason) = check_value(spec, value) {
            issues.push(FieldIssue::new(format!("end_user.{}", spec.machine_name), reason));
        }
    }
    for section in &form.documents {
        let path = format!("documents.{}", section.requirement_name);
        let Some(answer) = answers.document(&section.requirement_name) else {
            let names: Vec<&str> = section.accepted.iter().map(|t| t.name.as_str()).collect();
            issues.push(FieldIssue::new(&path, format!("{} is required: one of {}", section.name, names.join(", "))));
            continue;
        };
        let Some(kind) = section.accepts(&answer.kind) else {
            issues.push(FieldIssue::new(format!("{path}.type"), format!("{:?} is not accepted", answer.kind)));
            continue;
        };
        if kind.kind == ADDRESS_DOCUMENT {
            issues.extend(check_address(form, answers.address.as_ref()));
            continue;
        }
        for spec in &kind.fields {
            let value = answer.fields.get(&spec.machine_name).map(String::as_str).unwrap_or("");
            if let Some(reason) = check_value(spec, value) {
                issues.push(FieldIssue::new(format!("{path}.{}", spec.machine_name), reason));
            }
        }
        if kind.needs_file && answer.file_path.is_none() {
            issues.push(FieldIssue::new(format!("{path}.file"), format!("choose the {} file", kind.name)));
        }
    }
    issues
}

fn check_address(form: &RegulationForm, address: Option<&AddressAnswer>) -> Vec<FieldIssue> {
    let Some(a) = address else {
        return vec![FieldIssue::new("address", "the address is required")];
    };
    let a = &a.input;
    // The name at the address may be left out: the business's or person's name is used.
    let mut issues: Vec<FieldIssue> = [
        ("street", &a.street, "the street"),
        ("city", &a.city, "the city"),
        ("region", &a.region, "the region or state"),
        ("postal_code", &a.postal_code, "the postal code"),
    ]
    .into_iter()
    .filter(|(_, v, _)| v.trim().is_empty())
    .map(|(k, _, what)| FieldIssue::new(format!("address.{k}"), format!("{what} is required")))
    .collect();
    let country = if a.iso_country.trim().is_empty() { form.iso_country.as_str() } else { a.iso_country.trim() };
    if !country.eq_ignore_ascii_case(&form.iso_country) {
        issues.push(FieldIssue::new(
            "address.iso_country",
            format!("the address must be in {} for a {} number", form.iso_country, form.iso_country),
        ));
    }
    issues
}

/// Why `value` does not meet `spec`, if it does not.
pub fn check_value(spec: &FieldSpec, value: &str) -> Option<String> {
    let v = value.trim();
    let name = &spec.friendly_name;
    let Constraints { required, min_length, max_length, allowed_values, format } = &spec.constraints;
    if v.is_empty() {
        return required.then(|| format!("{name} is required"));
    }
    let len = v.chars().count();
    if let Some(min) = min_length.filter(|m| len < *m) {
        return Some(format!("{name} must be at least {min} characters"));
    }
    if let Some(max) = max_length.filter(|m| len > *m) {
        return Some(format!("{name} must be at most {max} characters"));
    }
    if !allowed_values.is_empty() && !allowed_values.iter().any(|a| a == v) {
        return Some(format!("{name} must be one of: {}", allowed_values.join(", ")));
    }
    match format.as_deref() {
        Some("email") if !looks_like_email(v) => Some(format!("{name} is not an email address")),
        Some("digits") if !v.chars().filter(|c| *c != ' ').all(|c| c.is_ascii_digit()) => {
            Some(format!("{name} must be digits only"))
        }
        Some("date") if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() => {
            Some(format!("{name} must be a date such as 2024-01-31"))
        }
        _ => None,
    }
}

fn looks_like_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !v.contains(' ')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::form::{DocumentSection, DocumentType};

    fn field(m: &str, c: Constraints) -> FieldSpec {
        FieldSpec { machine_name: m.into(), friendly_name: m.into(), description: String::new(), constraints: c }
    }

    fn required() -> Constraints {
        Constraints { required: true, ..Default::default() }
    }

    fn form() -> RegulationForm {
        RegulationForm {
            regulation_sid: "RN1".into(),
            friendly_name: "Australia: Local - Business".into(),
            iso_country: "AU".into(),
            number_type: "local".into(),
            end_user_type: "business".into(),
            end_user: vec![
                field("business_name", required()),
                field(
                    "business_registration_number",
                    Constraints { format: Some("digits".into()), max_length: Some(11), ..required() },
                ),
                field("website", Constraints::default()),
            ],
            documents: vec![
                DocumentSection {
                    requirement_name: "registration".into(),
                    name: "Business Registration".into(),
                    description: String::new(),
                    accepted: vec![DocumentType {
                        kind: "business_registration".into(),
                        name: "Registration extract".into(),
                        fields: vec![field("business_name", required())],
                        needs_file: true,
                    }],
                },
                DocumentSection::proof_of_address_for_tests(),
            ],
        }
    }

    fn input(v: serde_json::Value) -> FormInput {
        serde_json::from_value(v).unwrap()
    }

    fn complete() -> FormInput {
        input(serde_json::json!({
            "email": "owner@clinic.example",
            "end_user": {"business_name": "Clinic", "business_registration_number": "51824753556"},
            "documents": [
                {"requirement_name": "registration", "kind": "business_registration", "fields": {"business_name": "Clinic"}},
                {"requirement_name": "proof_of_address", "kind": "address"}
            ],
            "address": {"street": "1 George St", "city": "Sydney", "region": "NSW", "postal_code": "2000", "iso_country": "AU"}
        }))
    }

    fn files() -> BTreeMap<String, String> {
        BTreeMap::from([("registration".to_string(), "/docs/abn.pdf".to_string())])
    }

    #[test]
    fn complete_answers_pass_and_each_constraint_points_at_its_field() {
        let f = form();
        assert_eq!(validate(&f, &merge(None, &complete(), &files())), []);
        let mut bad = complete();
        bad.end_user.insert("business_registration_number".into(), "5182475355X".into());
        bad.end_user.remove("business_name");
        bad.documents[0].fields.clear();
        bad.address.as_mut().unwrap().iso_country = "NZ".into();
        let got: Vec<String> =
            validate(&f, &merge(None, &bad, &BTreeMap::new())).into_iter().map(|i| i.field).collect();
        assert_eq!(
            got,
            [
                "end_user.business_name",
                "end_user.business_registration_number",
                "documents.registration.business_name",
                "documents.registration.file",
                "address.iso_country",
            ],
            "the optional website is not asked for"
        );
        let none = merge(None, &input(serde_json::json!({})), &BTreeMap::new());
        let got: Vec<String> = validate(&f, &none).into_iter().map(|i| i.field).collect();
        assert!(
            got.contains(&"email".to_string()) && got.contains(&"documents.proof_of_address".to_string()),
            "{got:?}"
        );
    }

    #[test]
    fn a_type_or_field_the_regulation_does_not_have_is_refused() {
        let f = form();
        assert!(check_structure(&f, &complete()).is_ok());
        let mut wrong = complete();
        wrong.documents[0].kind = "utility_bill".into();
        let e = check_structure(&f, &wrong).unwrap_err().to_string();
        assert!(e.contains("not accepted") && e.contains("Registration extract"), "{e}");
        let mut extra = complete();
        extra.end_user.insert("tax_id".into(), "1".into());
        assert!(check_structure(&f, &extra).is_err());
        let mut section = complete();
        section.documents[0].requirement_name = "identity".into();
        assert!(check_structure(&f, &section).is_err());
        let mut file_on_address = complete();
        file_on_address.documents[1].file = Some("token".into());
        assert!(check_structure(&f, &file_on_address).is_err());
    }

    #[test]
    fn an_edit_keeps_the_twilio_objects_of_unchanged_parts_only() {
        let mut stored = merge(None, &complete(), &files());
        stored.end_user_sid = Some("IT1".into());
        stored.documents[0].sid = Some("RD1".into());
        stored.documents[0].item_sid = Some("BV1".into());
        stored.documents[1].sid = Some("RD2".into());
        stored.documents[1].item_sid = Some("BV2".into());
        stored.address.as_mut().unwrap().sid = Some("AD1".into());

        // Same values, no new file: everything is kept.
        let same = merge(Some(&stored), &complete(), &BTreeMap::new());
        assert_eq!(same, stored);

        // The registration extract's field changes: a new document replaces the old one.
        let mut edited = complete();
        edited.documents[0].fields.insert("business_name".into(), "Clinic Pty Ltd".into());
        let after = merge(Some(&stored), &edited, &BTreeMap::new());
        assert_eq!(after.documents[0].sid, None);
        assert_eq!(after.documents[0].file_path.as_deref(), Some("/docs/abn.pdf"), "the chosen file stays");
        assert_eq!(after.documents[1].sid.as_deref(), Some("RD2"));
        assert_eq!(after.replaced_items, ["BV1"], "the old document leaves the bundle at submit");
        assert_eq!(after.end_user_sid.as_deref(), Some("IT1"), "the end user is updated in place");
        assert_eq!(after.address.as_ref().and_then(|a| a.sid.as_deref()), Some("AD1"));

        // A corrected address is a new Address resource.
        let mut moved = complete();
        moved.address.as_mut().unwrap().postal_code = "2001".into();
        let after = merge(Some(&stored), &moved, &BTreeMap::new());
        assert_eq!(after.address.as_ref().and_then(|a| a.sid.clone()), None);
        assert_eq!(after.documents[1].sid, None, "and a new address document to name it");
        assert_eq!(after.replaced_items, ["BV2"]);

        // A copy for a new bundle keeps the values and none of the objects.
        let copy = stored.copy_for_new_bundle();
        assert_eq!(copy.end_user, stored.end_user);
        assert!(copy.end_user_sid.is_none() && copy.documents.iter().all(|d| d.sid.is_none() && d.item_sid.is_none()));
        assert_eq!(copy.documents[0].file_path, stored.documents[0].file_path);
    }
}
