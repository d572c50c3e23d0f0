//! The shapes of a regulation-driven compliance form and of the owner's stored answers:
//! plain data, kept in the domain (below the store) because a stored compliance record
//! carries both and the UI's bindings type them. What reads a regulation into a form and
//! checks answers against it is `crate::compliance::{form, answers}`.

use std::collections::BTreeMap;

/// What the regulation lets us check before a round trip to Twilio.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "FieldConstraints")] // its name in the UI's bindings
pub struct Constraints {
    /// False only when the regulation marks the field optional.
    pub required: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// When not empty, the value must be one of these (compared exactly).
    #[serde(default)]
    pub allowed_values: Vec<String>,
    /// A named format: `email`, `digits`, `date` (YYYY-MM-DD); unknown names are ignored.
    pub format: Option<String>,
}

/// One field of the end user or of a document type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct FieldSpec {
    /// The attribute name Twilio expects (`business_name`).
    pub machine_name: String,
    /// The label shown to the owner (`Business Name`).
    pub friendly_name: String,
    pub description: String,
    pub constraints: Constraints,
}

/// One document type a section accepts, with its own fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "AcceptedDocument")] // its name in the UI's bindings
pub struct DocumentType {
    /// Twilio's type name (`business_registration`, `utility_bill`, `address`).
    pub kind: String,
    pub name: String,
    pub fields: Vec<FieldSpec>,
    /// Whether a file must be uploaded with it: every type but an address reference.
    pub needs_file: bool,
}

/// One required supporting document: the owner picks one of `accepted`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct DocumentSection {
    /// Stable key (`proof_of_address`), used to address the section's fields.
    pub requirement_name: String,
    pub name: String,
    pub description: String,
    pub accepted: Vec<DocumentType>,
}

/// The typed description of a regulation's form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct RegulationForm {
    pub regulation_sid: String,
    pub friendly_name: String,
    pub iso_country: String,
    pub number_type: String,
    pub end_user_type: String,
    pub end_user: Vec<FieldSpec>,
    pub documents: Vec<DocumentSection>,
}

/// A postal address as the owner typed it (the Address resource's parts).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceAddressInput")] // its name in the UI's bindings
pub struct AddressInput {
    #[serde(default)]
    pub customer_name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub iso_country: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceDocumentAnswer")] // its name in the UI's bindings
pub struct DocumentAnswer {
    pub requirement_name: String,
    pub kind: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The canonical path of the file the owner chose (granted, then stored).
    #[serde(default)]
    pub file_path: Option<String>,
    /// The SupportingDocument created for it, and its assignment to the bundle.
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub item_sid: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceAddressAnswer")] // its name in the UI's bindings
pub struct AddressAnswer {
    #[serde(flatten)]
    pub input: AddressInput,
    /// The Address resource, and Twilio's validation of it.
    #[serde(default)]
    pub sid: Option<String>,
    #[serde(default)]
    pub validated: Option<bool>,
    #[serde(default)]
    pub verified: Option<bool>,
}

/// The stored answers, with every Twilio object created for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceAnswers")] // its name in the UI's bindings
pub struct FormAnswers {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub end_user: BTreeMap<String, String>,
    #[serde(default)]
    pub documents: Vec<DocumentAnswer>,
    #[serde(default)]
    pub address: Option<AddressAnswer>,
    #[serde(default)]
    pub end_user_sid: Option<String>,
    #[serde(default)]
    pub end_user_item_sid: Option<String>,
    /// Item assignments of parts that were replaced, to be removed from the bundle at submit.
    #[serde(default)]
    pub replaced_items: Vec<String>,
}
