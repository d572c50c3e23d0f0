//! A regulation turned into the form the owner fills in.
//!
//! Twilio's `Regulations` resource (numbers v2, fetched with `IncludeConstraints=true`) says
//! per country, number type and end-user type which end-user fields a bundle needs and
//! which supporting documents, each a choice among accepted document types with their own
//! fields. The OpenAPI spec leaves `requirements` untyped, so it is read here leniently, in
//! the shape of the spec's own example: `requirements.end_user[]` with `detailed_fields`,
//! and `requirements.supporting_document` as a list of groups of requirements, each with
//! `accepted_documents[]`. Constraints are read from each detailed field's `constraint`
//! (a type name, as in the spec's `EndUserTypes` example) and `constraints` object
//! (`required`, `min_length`, `max_length`, `allowed_values`, `format`); what is absent is
//! simply not checked here, and Twilio's evaluation remains the authority.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::twilio::api::compliance::Regulation;

pub use crate::domain::bundle_form::{Constraints, DocumentSection, DocumentType, FieldSpec, RegulationForm};

/// The document type that points at Address resources instead of carrying a file.
pub const ADDRESS_DOCUMENT: &str = "address";

impl DocumentSection {
    pub fn accepts(&self, kind: &str) -> Option<&DocumentType> {
        self.accepted.iter().find(|t| t.kind == kind)
    }

    /// The proof-of-address section as the tests' regulations have it: met by Address
    /// resources (a required `address_sids`), with no file.
    #[cfg(test)]
    pub(crate) fn proof_of_address_for_tests() -> Self {
        DocumentSection {
            requirement_name: "proof_of_address".into(),
            name: "Address".into(),
            description: String::new(),
            accepted: vec![DocumentType {
                kind: ADDRESS_DOCUMENT.into(),
                name: "Address".into(),
                fields: vec![FieldSpec {
                    machine_name: "address_sids".into(),
                    friendly_name: "address_sids".into(),
                    description: String::new(),
                    constraints: Constraints { required: true, ..Default::default() },
                }],
                needs_file: false,
            }],
        }
    }
}

impl RegulationForm {
    pub fn section(&self, requirement_name: &str) -> Option<&DocumentSection> {
        self.documents.iter().find(|s| s.requirement_name == requirement_name)
    }

    /// True when some section can be met by an Address resource.
    pub fn wants_address(&self) -> bool {
        self.documents.iter().any(|s| s.accepts(ADDRESS_DOCUMENT).is_some())
    }

    /// Reads Twilio's regulation. A regulation without requirements, or whose end user
    /// is of another type than asked, is refused rather than turned into an empty form.
    pub fn from_regulation(r: &Regulation) -> Result<RegulationForm> {
        let bad = |what: &str| Error::InvalidInput(format!("Twilio's regulation {} {what}", r.sid));
        let req = r.requirements.as_ref().ok_or_else(|| bad("lists no requirements"))?;
        let end_user_type = r.end_user_type.clone().unwrap_or_default();
        let end_user = req
            .get("end_user")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter().find(|e| text(e, "type") == end_user_type || end_user_type.is_empty()).or(list.first())
            })
            .map(fields)
            .unwrap_or_default();
        let mut documents = Vec::new();
        // Each entry is a group (a list) of requirements; older answers give them flat.
        for group in req.get("supporting_document").and_then(Value::as_array).into_iter().flatten() {
            let items: Vec<&Value> = match group {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for d in items {
                let accepted: Vec<DocumentType> = d
                    .get("accepted_documents")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        let kind = text(t, "type");
                        DocumentType {
                            needs_file: kind != ADDRESS_DOCUMENT,
                            name: text(t, "name"),
                            fields: fields(t),
                            kind,
                        }
                    })
                    .filter(|t| !t.kind.is_empty())
                    .collect();
                if accepted.is_empty() {
                    return Err(bad("has a document requirement with no accepted document type"));
                }
                documents.push(DocumentSection {
                    requirement_name: text(d, "requirement_name"),
                    name: text(d, "name"),
                    description: text(d, "description"),
                    accepted,
                });
            }
        }
        Ok(RegulationForm {
            regulation_sid: r.sid.clone(),
            friendly_name: r.friendly_name.clone().unwrap_or_default(),
            iso_country: r.iso_country.clone().unwrap_or_default().to_ascii_uppercase(),
            number_type: r.number_type.clone().unwrap_or_default(),
            end_user_type,
            end_user,
            documents,
        })
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The fields of an end user or document type: `detailed_fields` when given, else the
/// bare `fields` names. `address_sids` is filled by Switchboard, never typed by the owner.
fn fields(v: &Value) -> Vec<FieldSpec> {
    if let Some(detailed) = v.get("detailed_fields").and_then(Value::as_array) {
        return detailed
            .iter()
            .map(|f| FieldSpec {
                machine_name: text(f, "machine_name"),
                friendly_name: text(f, "friendly_name"),
                description: text(f, "description"),
                constraints: constraints(f),
            })
            .filter(|f| !f.machine_name.is_empty())
            .collect();
    }
    v.get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|m| FieldSpec {
            machine_name: m.to_string(),
            friendly_name: m.replace('_', " "),
            description: String::new(),
            constraints: Constraints { required: true, ..Default::default() },
        })
        .collect()
}

fn constraints(f: &Value) -> Constraints {
    let c = f.get("constraints").cloned().unwrap_or(Value::Null);
    let size = |k: &str| c.get(k).and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok());
    Constraints {
        required: c.get("required").and_then(Value::as_bool).unwrap_or(true),
        min_length: size("min_length"),
        max_length: size("max_length"),
        allowed_values: c
            .get("allowed_values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        format: c.get("format").and_then(Value::as_str).map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example regulation of Twilio's own OpenAPI spec (numbers v2, fetch).
    fn spec_example() -> Regulation {
        serde_json::from_value(serde_json::json!({
            "sid": "RNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "friendly_name": "Australia: Local - Individual",
            "iso_country": "AU", "number_type": "local", "end_user_type": "individual",
            "requirements": {
                "end_user": [{"name": "Individual", "type": "individual", "requirement_name": "individual_info",
                    "fields": ["first_name", "last_name"],
                    "detailed_fields": [
                        {"machine_name": "first_name", "friendly_name": "First Name", "description": "First name of the Individual"},
                        {"machine_name": "last_name", "friendly_name": "Last Name", "description": "Last name of the Individual"}]}],
                "supporting_document": [[{"name": "Address", "type": "document", "requirement_name": "proof_of_address",
                    "description": "The physical location",
                    "accepted_documents": [{"name": "Address Validation", "type": "address", "fields": ["address_sids"],
                        "detailed_fields": [{"machine_name": "address_sids", "friendly_name": "Address sid(s)", "description": "Address sid of the individual"}]}]}]]
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_spec_example_becomes_a_form() {
        let f = RegulationForm::from_regulation(&spec_example()).unwrap();
        let names: Vec<_> = f.end_user.iter().map(|f| f.machine_name.as_str()).collect();
        assert_eq!(names, ["first_name", "last_name"]);
        assert!(f.end_user.iter().all(|f| f.constraints.required), "a field is required unless marked optional");
        assert_eq!(f.documents.len(), 1);
        assert_eq!(f.documents[0].requirement_name, "proof_of_address");
        assert!(f.wants_address());
        assert!(!f.documents[0].accepted[0].needs_file, "an address reference has no file");
    }

    #[test]
    fn constraints_are_read_and_a_regulation_without_requirements_is_refused() {
        let mut r = spec_example();
        r.requirements.as_mut().unwrap()["end_user"][0]["detailed_fields"][0]["constraints"] =
            serde_json::json!({"required": false, "max_length": 40, "format": "digits", "allowed_values": ["a"]});
        let f = RegulationForm::from_regulation(&r).unwrap();
        let c = &f.end_user[0].constraints;
        assert!(!c.required);
        assert_eq!(c.max_length, Some(40));
        assert_eq!(c.format.as_deref(), Some("digits"));
        assert_eq!(c.allowed_values, ["a"]);
        r.requirements = None;
        assert!(RegulationForm::from_regulation(&r).is_err());
    }
}
