//! Twilio's Bundle Evaluation mapped onto the form: each failed requirement and each of its
//! invalid fields becomes a [`FieldIssue`] whose path names the field the form shows.
//!
//! An evaluation result names its requirement (`requirement_name`, e.g. `proof_of_address`
//! or `business_info`) and the type of object it looked at (`object_type`: the end-user
//! type or a document type); each `invalid` entry names the attribute (`object_field`).

use serde_json::{json, Value};

use super::answers::FieldIssue;
use super::form::{RegulationForm, ADDRESS_DOCUMENT};
use crate::twilio::api::compliance::Evaluation;

/// Where the issues on a record came from, so the form can say who found them.
pub const LOCAL: &str = "local";
pub const EVALUATION: &str = "evaluation";
pub const REVIEW: &str = "review";
pub const ADDRESS: &str = "address";

/// The path of the form part a result concerns (without the field).
fn part(form: &RegulationForm, result: &Value) -> String {
    let text = |k: &str| result.get(k).and_then(Value::as_str).unwrap_or_default();
    let requirement = text("requirement_name");
    if let Some(section) = form.section(requirement) {
        return format!("documents.{}", section.requirement_name);
    }
    // A document requirement named differently: find the section accepting its type.
    let object_type = text("object_type");
    if object_type != form.end_user_type {
        if let Some(section) = form.documents.iter().find(|s| s.accepts(object_type).is_some()) {
            return format!("documents.{}", section.requirement_name);
        }
    }
    "end_user".to_string()
}

/// The evaluation's failures as field issues.
pub fn issues(form: &RegulationForm, e: &Evaluation) -> Vec<FieldIssue> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let code = |v: &Value| v.get("error_code").and_then(Value::as_i64);
    let mut out = Vec::new();
    for r in &e.results {
        if r.get("passed").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let part = part(form, r);
        let invalid = r.get("invalid").and_then(Value::as_array).cloned().unwrap_or_default();
        if invalid.is_empty() {
            out.push(FieldIssue {
                field: part.clone(),
                reason: text(r, "failure_reason").unwrap_or_else(|| "does not meet the requirement".into()),
                error_code: code(r),
            });
        }
        for i in invalid {
            let field = text(&i, "object_field").unwrap_or_default();
            let path = match field.as_str() {
                "" => part.clone(),
                // The address document's only field is the Address SID we fill in: the
                // owner corrects the address itself.
                "address_sids" => "address".to_string(),
                f => format!("{part}.{f}"),
            };
            out.push(FieldIssue {
                field: path,
                reason: text(&i, "failure_reason").unwrap_or_else(|| "is not valid".into()),
                error_code: code(&i),
            });
        }
    }
    out
}

/// What the record keeps and the form shows: a status, who found the issues, the issues.
pub fn stored(status: &str, source: &str, issues: &[FieldIssue]) -> Value {
    let results: Vec<Value> = issues
        .iter()
        .map(|i| json!({"field": i.field, "passed": false, "reason": i.reason, "error_code": i.error_code}))
        .collect();
    json!({"status": status, "source": source, "results": results})
}

/// True when `issues` concern the address the owner typed (not a document or field).
pub fn touches_address(issues: &[FieldIssue]) -> bool {
    issues.iter().any(|i| i.field == ADDRESS_DOCUMENT || i.field.starts_with("address."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::form::{Constraints, DocumentSection, DocumentType, FieldSpec};

    fn form() -> RegulationForm {
        let field = |m: &str| FieldSpec {
            machine_name: m.into(),
            friendly_name: m.into(),
            description: String::new(),
            constraints: Constraints { required: true, ..Default::default() },
        };
        RegulationForm {
            regulation_sid: "RN1".into(),
            friendly_name: "Germany: Local - Business".into(),
            iso_country: "DE".into(),
            number_type: "local".into(),
            end_user_type: "business".into(),
            end_user: vec![field("business_name")],
            documents: vec![
                DocumentSection {
                    requirement_name: "commercial_register".into(),
                    name: "Commercial register".into(),
                    description: String::new(),
                    accepted: vec![DocumentType {
                        kind: "commercial_registrar_excerpt".into(),
                        name: "Handelsregisterauszug".into(),
                        fields: vec![field("business_name")],
                        needs_file: true,
                    }],
                },
                DocumentSection::proof_of_address_for_tests(),
            ],
        }
    }

    #[test]
    fn results_land_on_the_fields_they_concern() {
        let e: Evaluation = serde_json::from_value(json!({
            "sid": "EL1", "status": "noncompliant",
            "results": [
                {"passed": false, "requirement_name": "business_info", "object_type": "business",
                 "invalid": [{"object_field": "business_name", "failure_reason": "missing", "error_code": 22215}]},
                {"passed": false, "requirement_name": "commercial_register_info", "object_type": "commercial_registrar_excerpt",
                 "invalid": [], "failure_reason": "A Handelsregisterauszug is missing", "error_code": 22216},
                {"passed": false, "requirement_name": "proof_of_address", "object_type": "address",
                 "invalid": [{"object_field": "address_sids", "failure_reason": "not in DE", "error_code": 22219}]},
                {"passed": true, "requirement_name": "x", "invalid": []}
            ]
        }))
        .unwrap();
        let got: Vec<(String, Option<i64>)> =
            issues(&form(), &e).into_iter().map(|i| (i.field, i.error_code)).collect();
        assert_eq!(
            got,
            [
                ("end_user.business_name".to_string(), Some(22215)),
                ("documents.commercial_register".to_string(), Some(22216)),
                ("address".to_string(), Some(22219)),
            ]
        );
    }
}
