//! The regulations the simulator knows (Australian numbers, the case Switchboard's owners hit
//! first), in the shape of numbers v2 `Regulations`, and the evaluation of a bundle against
//! one: field-level results with Twilio's error codes (22214 end-user missing, 22215 field
//! missing, 22216 document missing, 22217 document field missing, 22219 address missing).

use serde_json::{json, Value};
use sha2::Digest;

/// A field an end user or document must carry: (machine name, friendly name).
type Field = (&'static str, &'static str);

pub(crate) struct DocRequirement {
    pub requirement_name: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Accepted document type (machine name), its friendly name, and its required fields.
    pub accepted: (&'static str, &'static str, &'static [Field]),
}

pub(crate) struct Regulation {
    pub sid: String,
    pub friendly_name: &'static str,
    pub iso_country: &'static str,
    pub number_type: &'static str,
    pub end_user_type: &'static str,
    pub end_user_fields: &'static [Field],
    pub documents: &'static [DocRequirement],
}

const BUSINESS_FIELDS: &[Field] = &[
    ("business_name", "Business Name"),
    ("business_registration_identifier", "Business Registration Identifier"),
    ("business_registration_number", "Business Registration Number"),
    ("email", "Email"),
    ("first_name", "First Name"),
    ("last_name", "Last Name"),
];
const INDIVIDUAL_FIELDS: &[Field] = &[("first_name", "First Name"), ("last_name", "Last Name"), ("email", "Email")];

const PROOF_OF_ADDRESS: DocRequirement = DocRequirement {
    requirement_name: "proof_of_address",
    name: "Address",
    description: "The physical location of the individual or business. Must be within the country of the phone number; a PO Box is not acceptable.",
    accepted: ("address", "Address Validation", &[("address_sids", "Address sid(s)")]),
};
const BUSINESS_REGISTRATION: DocRequirement = DocRequirement {
    requirement_name: "business_registration_info",
    name: "Business Registration",
    description: "A document issued by the government registry (e.g. an ASIC or ABN Lookup extract) showing the business name and registration number.",
    accepted: (
        "business_registration",
        "Business Registration Document",
        &[("business_name", "Business Name"), ("business_registration_number", "Business Registration Number")],
    ),
};

/// Every regulation, with SIDs derived from their names so they are stable across runs.
pub(crate) fn all() -> Vec<Regulation> {
    let sid = |key: &str| format!("RN{}", &hex::encode(sha2::Sha256::digest(key.as_bytes()))[..32]);
    vec![
        Regulation {
            sid: sid("AU-local-business"),
            friendly_name: "Australia: Local - Business",
            iso_country: "AU",
            number_type: "local",
            end_user_type: "business",
            end_user_fields: BUSINESS_FIELDS,
            documents: &[PROOF_OF_ADDRESS, BUSINESS_REGISTRATION],
        },
        Regulation {
            sid: sid("AU-mobile-business"),
            friendly_name: "Australia: Mobile - Business",
            iso_country: "AU",
            number_type: "mobile",
            end_user_type: "business",
            end_user_fields: BUSINESS_FIELDS,
            documents: &[PROOF_OF_ADDRESS, BUSINESS_REGISTRATION],
        },
        Regulation {
            sid: sid("AU-local-individual"),
            friendly_name: "Australia: Local - Individual",
            iso_country: "AU",
            number_type: "local",
            end_user_type: "individual",
            end_user_fields: INDIVIDUAL_FIELDS,
            documents: &[PROOF_OF_ADDRESS],
        },
        Regulation {
            sid: sid("AU-mobile-individual"),
            friendly_name: "Australia: Mobile - Individual",
            iso_country: "AU",
            number_type: "mobile",
            end_user_type: "individual",
            end_user_fields: INDIVIDUAL_FIELDS,
            documents: &[PROOF_OF_ADDRESS],
        },
    ]
}

pub(crate) fn regulation_by_sid(sid: &str) -> Option<Regulation> {
    all().into_iter().find(|r| r.sid == sid)
}

fn detailed(fields: &[Field], whose: &str) -> Vec<Value> {
    fields
        .iter()
        .map(|(m, f)| json!({"machine_name": m, "friendly_name": f, "description": format!("{f} of the {whose}")}))
        .collect()
}

pub(crate) fn regulation_json(numbers_base: &str, r: &Regulation) -> Value {
    let end_user_name = if r.end_user_type == "business" { "Business" } else { "Individual" };
    let docs: Vec<Value> = r
        .documents
        .iter()
        .map(|d| {
            let (kind, name, fields) = d.accepted;
            json!([{
                "name": d.name,
                "type": "document",
                "requirement_name": d.requirement_name,
                "description": d.description,
                "accepted_documents": [{
                    "name": name,
                    "type": kind,
                    "url": format!("{numbers_base}/v2/RegulatoryCompliance/DocumentTypes/{kind}"),
                    "fields": fields.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
                    "detailed_fields": detailed(fields, "document"),
                }],
            }])
        })
        .collect();
    json!({
        "sid": r.sid,
        "friendly_name": r.friendly_name,
        "iso_country": r.iso_country,
        "number_type": r.number_type,
        "end_user_type": r.end_user_type,
        "requirements": {
            "end_user": [{
                "name": end_user_name,
                "type": r.end_user_type,
                "requirement_name": format!("{}_info", r.end_user_type),
                "url": format!("{numbers_base}/v2/RegulatoryCompliance/Regulations/{}", r.end_user_type),
                "fields": r.end_user_fields.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
                "detailed_fields": detailed(r.end_user_fields, end_user_name),
            }],
            "supporting_document": docs,
        },
        "url": format!("{numbers_base}/v2/RegulatoryCompliance/Regulations/{}", r.sid),
    })
}

/// What the evaluator sees of a bundle's items.
pub(crate) struct Item<'a> {
    /// `business`/`individual` for end users, the document type for documents.
    pub kind: &'a str,
    pub is_end_user: bool,
    pub attributes: &'a Value,
}

/// Evaluates a bundle's items; returns `(compliant, results)`. `address_country` gives the
/// ISO country of an Address SID the account owns.
pub(crate) fn evaluate(
    r: &Regulation,
    items: &[Item<'_>],
    address_country: &dyn Fn(&str) -> Option<String>,
) -> (bool, Value) {
    let mut results = Vec::new();
    let mut all_passed = true;
    let end_user_name = if r.end_user_type == "business" { "Business" } else { "Individual" };
    let end_user = items.iter().find(|i| i.is_end_user && i.kind == r.end_user_type);
    let (valid, invalid) = check_fields(r.end_user_fields, end_user.map(|i| i.attributes), 22215, |f| {
        format!("The {f} is missing. Please enter in a {f} on the {end_user_name} information.")
    });
    let passed = end_user.is_some() && invalid.is_empty();
    all_passed &= passed;
    results.push(json!({
        "friendly_name": end_user_name,
        "object_type": r.end_user_type,
        "passed": passed,
        "failure_reason": (!passed).then(|| match end_user {
            None => format!("A {end_user_name} End-User is missing. Please add one to the regulatory bundle."),
            Some(_) => format!("The {end_user_name} information is incomplete."),
        }),
        "error_code": (!passed).then_some(if end_user.is_none() { 22214 } else { 22215 }),
        "valid": valid,
        "invalid": invalid,
        "requirement_friendly_name": end_user_name,
        "requirement_name": format!("{}_info", r.end_user_type),
    }));
    for d in r.documents {
        let (kind, name, fields) = d.accepted;
        let doc = items.iter().find(|i| !i.is_end_user && i.kind == kind);
        let (mut valid, mut invalid) = check_fields(fields, doc.map(|i| i.attributes), 22217, |f| {
            format!("The {f} is missing. Please enter in the {f} shown on the {name}.")
        });
        if kind == "address" {
            // The address SIDs must exist and lie in the regulation's country.
            invalid.retain(|v| v["object_field"] != "address_sids");
            valid.retain(|v| v["object_field"] != "address_sids");
            let sids: Vec<String> = match doc.map(|i| &i.attributes["address_sids"]) {
                Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                Some(Value::String(s)) => {
                    s.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
                }
                _ => Vec::new(),
            };
            let local = sids.iter().any(|s| address_country(s).as_deref() == Some(r.iso_country));
            let entry = |reason: Option<String>| json!({"friendly_name": "Address sid(s)", "object_field": "address_sids", "failure_reason": reason, "error_code": reason.as_ref().map(|_| 22219)});
            if local {
                valid.push(entry(None));
            } else if sids.is_empty() {
                invalid.push(entry(Some(format!(
                    "The Address is missing. Please enter in the address shown on the {name}."
                ))));
            } else {
                invalid.push(entry(Some(format!("The Address must be an existing address in {}.", r.iso_country))));
            }
        }
        let passed = doc.is_some() && invalid.is_empty();
        all_passed &= passed;
        results.push(json!({
            "friendly_name": name,
            "object_type": kind,
            "passed": passed,
            "failure_reason": (!passed).then(|| match doc {
                None => format!("A {name} is missing. Please add one to the regulatory bundle."),
                Some(_) => format!("The {name} is incomplete."),
            }),
            "error_code": (!passed).then_some(if doc.is_none() { 22216 } else { 22217 }),
            "valid": valid,
            "invalid": invalid,
            "requirement_friendly_name": d.name,
            "requirement_name": d.requirement_name,
        }));
    }
    (all_passed, Value::Array(results))
}

/// Splits `fields` into (valid, invalid) entries by whether `attributes` has a non-blank value.
fn check_fields(
    fields: &[Field],
    attributes: Option<&Value>,
    code: u32,
    reason: impl Fn(&str) -> String,
) -> (Vec<Value>, Vec<Value>) {
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for (machine, friendly) in fields {
        let present = match attributes.map(|a| &a[*machine]) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Null) | None => false,
            Some(_) => true,
        };
        if present {
            valid.push(
                json!({"friendly_name": friendly, "object_field": machine, "failure_reason": null, "error_code": null}),
            );
        } else {
            invalid.push(json!({"friendly_name": friendly, "object_field": machine, "failure_reason": reason(friendly), "error_code": code}));
        }
    }
    (valid, invalid)
}
