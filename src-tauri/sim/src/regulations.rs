//! The regulations the simulator serves ([`super::regulation_table`]) in the shape of
//! numbers v2 `Regulations` (the shape of the example in Twilio's OpenAPI spec), the
//! evaluation of a bundle against one (field-level results with Twilio's error codes: 22214
//! end user missing, 22215 end-user field missing or invalid, 22216 document missing, 22217
//! document field missing or invalid, 22219 address missing or outside the country), and the
//! reviewers' checks that a form cannot make: registration numbers that fail their check
//! digits, a PO Box as the address, a document naming another business.

use serde_json::{json, Value};

pub(crate) use super::regulation_table::{all, Regulation};
use super::regulation_table::{DocRequirement, Field, Rule};

pub(crate) fn regulation_by_sid(sid: &str) -> Option<Regulation> {
    all().into_iter().find(|r| r.sid == sid)
}

fn rule_json(r: &Rule) -> Value {
    json!({
        "required": r.required,
        "min_length": r.min_length,
        "max_length": r.max_length,
        "format": r.format,
        "allowed_values": r.allowed,
    })
}

fn detailed(fields: &[Field], whose: &str, constraints: bool) -> Vec<Value> {
    fields
        .iter()
        .map(|(m, f, rule)| {
            let mut v = json!({"machine_name": m, "friendly_name": f, "description": format!("{f} of the {whose}")});
            if constraints {
                v["constraint"] = json!("String");
                v["constraints"] = rule_json(rule);
            }
            v
        })
        .collect()
}

fn end_user_name(r: &Regulation) -> &'static str {
    if r.end_user_type == "business" {
        "Business"
    } else {
        "Individual"
    }
}

/// The regulation as Twilio serves it; `constraints` adds each field's rule
/// (`IncludeConstraints=true`).
pub(crate) fn regulation_json(numbers_base: &str, r: &Regulation, constraints: bool) -> Value {
    let who = end_user_name(r);
    let docs: Vec<Value> = r
        .documents
        .iter()
        .map(|d| {
            let accepted: Vec<Value> = d
                .accepted
                .iter()
                .map(|t| {
                    json!({
                        "name": t.name,
                        "type": t.kind,
                        "url": format!("{numbers_base}/v2/RegulatoryCompliance/DocumentTypes/{}", t.kind),
                        "fields": t.fields.iter().map(|(m, _, _)| *m).collect::<Vec<_>>(),
                        "detailed_fields": detailed(t.fields, "document", constraints),
                    })
                })
                .collect();
            json!([{
                "name": d.name,
                "type": "document",
                "requirement_name": d.requirement_name,
                "description": d.description,
                "accepted_documents": accepted,
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
                "name": who,
                "type": r.end_user_type,
                "requirement_name": format!("{}_info", r.end_user_type),
                "url": format!("{numbers_base}/v2/RegulatoryCompliance/Regulations/{}", r.end_user_type),
                "fields": r.end_user_fields.iter().map(|(m, _, _)| *m).collect::<Vec<_>>(),
                "detailed_fields": detailed(r.end_user_fields, who, constraints),
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

/// What the simulator knows of an Address SID the account owns: (country, street).
pub(crate) type AddressLookup<'a> = &'a dyn Fn(&str) -> Option<(String, String)>;

fn address_sids(attributes: Option<&Value>) -> Vec<String> {
    match attributes.map(|a| &a["address_sids"]) {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => s.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        _ => Vec::new(),
    }
}

/// The document of the bundle that answers `d`: the first item of an accepted type.
fn document_for<'a, 'b>(d: &DocRequirement, items: &'b [Item<'a>]) -> Option<&'b Item<'a>> {
    items.iter().find(|i| !i.is_end_user && d.accepted.iter().any(|t| t.kind == i.kind))
}

fn result(
    friendly_name: &str,
    object_type: &str,
    requirement: (&str, &str),
    failure: Option<(String, u32)>,
    valid: Vec<Value>,
    invalid: Vec<Value>,
) -> Value {
    json!({
        "friendly_name": friendly_name,
        "object_type": object_type,
        "passed": failure.is_none(),
        "failure_reason": failure.as_ref().map(|f| f.0.clone()),
        "error_code": failure.as_ref().map(|f| f.1),
        "valid": valid,
        "invalid": invalid,
        "requirement_friendly_name": requirement.1,
        "requirement_name": requirement.0,
    })
}

/// Evaluates a bundle's items; returns `(compliant, results)`.
pub(crate) fn evaluate(r: &Regulation, items: &[Item<'_>], address: AddressLookup<'_>) -> (bool, Value) {
    let mut results = Vec::new();
    let who = end_user_name(r);
    let end_user = items.iter().find(|i| i.is_end_user && i.kind == r.end_user_type);
    let (valid, invalid) = check_fields(r.end_user_fields, end_user.map(|i| i.attributes), 22215);
    let failure = match end_user {
        None => Some((format!("A {who} End-User is missing. Please add one to the regulatory bundle."), 22214)),
        Some(_) if !invalid.is_empty() => Some((format!("The {who} information is incomplete."), 22215)),
        Some(_) => None,
    };
    let requirement_name = format!("{}_info", r.end_user_type);
    results.push(result(who, r.end_user_type, (&requirement_name, who), failure, valid, invalid));
    for d in r.documents {
        let doc = document_for(d, items);
        let kind = doc.and_then(|i| d.accepted.iter().find(|t| t.kind == i.kind)).unwrap_or(&d.accepted[0]);
        let (mut valid, mut invalid) = check_fields(kind.fields, doc.map(|i| i.attributes), 22217);
        if kind.kind == "address" {
            // The address SIDs must exist and lie in the regulation's country.
            invalid.retain(|v| v["object_field"] != "address_sids");
            valid.retain(|v| v["object_field"] != "address_sids");
            let sids = address_sids(doc.map(|i| i.attributes));
            let local = sids.iter().any(|s| address(s).is_some_and(|(c, _)| c == r.iso_country));
            let entry = |reason: Option<String>| json!({"friendly_name": "Address sid(s)", "object_field": "address_sids", "failure_reason": reason, "error_code": reason.as_ref().map(|_| 22219)});
            if local {
                valid.push(entry(None));
            } else if sids.is_empty() {
                invalid.push(entry(Some("The Address is missing. Please add an address to the document.".into())));
            } else {
                invalid.push(entry(Some(format!("The Address must be an existing address in {}.", r.iso_country))));
            }
        }
        let failure = match doc {
            None => Some((format!("A {} is missing. Please add one to the regulatory bundle.", d.name), 22216)),
            Some(_) if !invalid.is_empty() => Some((format!("The {} is incomplete.", kind.name), 22217)),
            Some(_) => None,
        };
        results.push(result(kind.name, kind.kind, (d.requirement_name, d.name), failure, valid, invalid));
    }
    let compliant = results.iter().all(|r| r["passed"] == true);
    (compliant, Value::Array(results))
}

/// Why `value` breaks `rule`, if it does.
fn broken(rule: &Rule, friendly: &str, value: Option<&Value>) -> Option<String> {
    let text = match value {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Array(a)) if !a.is_empty() => return None,
        Some(Value::Null) | None | Some(Value::Array(_)) => String::new(),
        Some(other) => other.to_string(),
    };
    if text.is_empty() {
        return rule.required.then(|| format!("The {friendly} is missing. Please enter the {friendly}."));
    }
    let len = text.chars().count();
    if rule.min_length.is_some_and(|m| len < m) || rule.max_length.is_some_and(|m| len > m) {
        return Some(format!("The {friendly} has the wrong length."));
    }
    if !rule.allowed.is_empty() && !rule.allowed.contains(&text.as_str()) {
        return Some(format!("The {friendly} must be one of {}.", rule.allowed.join(", ")));
    }
    let ok = match rule.format {
        Some("email") => text.split_once('@').is_some_and(|(u, d)| !u.is_empty() && d.contains('.')),
        Some("digits") => text.chars().filter(|c| *c != ' ').all(|c| c.is_ascii_digit()),
        Some("date") => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").is_ok(),
        _ => true,
    };
    (!ok).then(|| format!("The {friendly} is not in the expected format."))
}

/// Splits `fields` into (valid, invalid) entries.
fn check_fields(fields: &[Field], attributes: Option<&Value>, code: u32) -> (Vec<Value>, Vec<Value>) {
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for (machine, friendly, rule) in fields {
        match broken(rule, friendly, attributes.map(|a| &a[*machine])) {
            None => valid.push(
                json!({"friendly_name": friendly, "object_field": machine, "failure_reason": null, "error_code": null}),
            ),
            Some(reason) => invalid.push(
                json!({"friendly_name": friendly, "object_field": machine, "failure_reason": reason, "error_code": code}),
            ),
        }
    }
    (valid, invalid)
}

/// The reviewers' findings on a compliant bundle, as evaluation results (empty: approved).
pub(crate) fn review(r: &Regulation, items: &[Item<'_>], address: AddressLookup<'_>) -> Vec<Value> {
    let mut results = Vec::new();
    let text = |i: &Item<'_>, k: &str| i.attributes[k].as_str().unwrap_or_default().trim().to_string();
    let end_user = items.iter().find(|i| i.is_end_user && i.kind == r.end_user_type);
    let finding = |field: &str, reason: String| json!({"friendly_name": field, "object_field": field, "failure_reason": reason, "error_code": null});
    if let Some(eu) = end_user {
        let number = text(eu, "business_registration_number");
        let bad = match r.iso_country {
            "AU" if text(eu, "business_registration_identifier") == "ABN" && !number.is_empty() => !abn_valid(&number),
            "GB" if !number.is_empty() => !companies_house_valid(&number),
            _ => false,
        };
        if bad {
            let reason = format!("The registration number {number} does not exist in the {} register.", r.iso_country);
            let requirement_name = format!("{}_info", r.end_user_type);
            let invalid = vec![finding("business_registration_number", reason.clone())];
            let who = end_user_name(r);
            results.push(result(
                who,
                r.end_user_type,
                (&requirement_name, who),
                Some((reason, 22215)),
                vec![],
                invalid,
            ));
        }
    }
    for d in r.documents {
        let Some(doc) = document_for(d, items) else { continue };
        let mut invalid = Vec::new();
        if doc.kind == "address" {
            let po_box = address_sids(Some(doc.attributes))
                .iter()
                .filter_map(|s| address(s))
                .any(|(_, street)| is_po_box(&street));
            if po_box {
                invalid.push(finding("address_sids", "A PO Box is not accepted as the address.".into()));
            }
        } else if let Some(eu) = end_user {
            let (on_doc, registered) = (text(doc, "business_name"), text(eu, "business_name"));
            if !on_doc.is_empty() && !registered.is_empty() && !on_doc.eq_ignore_ascii_case(&registered) {
                invalid.push(finding(
                    "business_name",
                    format!("The document names {on_doc:?}, not the business {registered:?}."),
                ));
            }
            let number = text(doc, "business_registration_number");
            if r.iso_country == "AU" && !number.is_empty() && !abn_valid(&number) {
                invalid.push(finding(
                    "business_registration_number",
                    format!("The ABN {number} on the document is not valid."),
                ));
            }
        }
        if !invalid.is_empty() {
            let reason = format!("The {} was rejected by the reviewers.", d.name);
            results.push(result(
                doc.kind,
                doc.kind,
                (d.requirement_name, d.name),
                Some((reason, 22217)),
                vec![],
                invalid,
            ));
        }
    }
    results
}

fn is_po_box(street: &str) -> bool {
    let s: String = street.to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    s.starts_with("pobox") || s.starts_with("postfach") || s.starts_with("gpobox")
}

/// The ABN check: subtract 1 from the first digit, weight, sum, divisible by 89.
pub(crate) fn abn_valid(abn: &str) -> bool {
    let digits: Vec<u32> = abn.chars().filter(|c| *c != ' ').filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 11 || abn.chars().filter(|c| *c != ' ').count() != 11 {
        return false;
    }
    const WEIGHTS: [u32; 11] = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .enumerate()
        .map(|(i, (d, w))| if i == 0 { d.saturating_sub(1) * w } else { d * w })
        .sum();
    digits[0] > 0 && sum.is_multiple_of(89)
}

/// A Companies House number: eight digits, or two letters (SC, NI, OC…) and six digits.
fn companies_house_valid(n: &str) -> bool {
    let b = n.trim().as_bytes();
    b.len() == 8
        && (b.iter().all(u8::is_ascii_digit)
            || (b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abn_check_digits() {
        assert!(abn_valid("51824753556"), "the ATO's example ABN");
        assert!(abn_valid("51 824 753 556"));
        assert!(!abn_valid("51824753557"));
        assert!(!abn_valid("5182475355"));
        assert!(companies_house_valid("09446231") && companies_house_valid("SC123456"));
        assert!(!companies_house_valid("1234567") && !companies_house_valid("S1234567"));
    }
}
