//! Regulatory Compliance v2 on numbers.twilio.com: the regulation a country requires, the
//! end user, supporting documents (uploaded as multipart to the upload host), the bundle,
//! its item assignments, evaluations and submission for review.

use std::path::Path;

use crate::error::{Error, Result};
use crate::twilio::client::{Host, Params, Retry, TwilioClient};

const BASE: &str = "/v2/RegulatoryCompliance";

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Regulation {
    pub sid: String,
    pub friendly_name: Option<String>,
    pub iso_country: Option<String>,
    pub number_type: Option<String>,
    pub end_user_type: Option<String>,
    /// The end-user fields and documents required, as Twilio describes them.
    pub requirements: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct RegulationQuery {
    pub iso_country: Option<String>,
    /// local, mobile, national, toll-free.
    pub number_type: Option<String>,
    /// individual or business.
    pub end_user_type: Option<String>,
    pub include_constraints: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct EndUser {
    pub sid: String,
    pub friendly_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub attributes: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct SupportingDocument {
    pub sid: String,
    pub friendly_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub mime_type: Option<String>,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Bundle {
    pub sid: String,
    pub friendly_name: Option<String>,
    /// draft, pending-review, in-review, twilio-approved, twilio-rejected, provisionally-approved.
    pub status: Option<String>,
    pub regulation_sid: Option<String>,
    pub email: Option<String>,
    pub status_callback: Option<String>,
    pub valid_until: Option<String>,
}

/// Creating a bundle: by regulation SID, or by country + number type + end-user type.
#[derive(Debug, Clone, Default)]
pub struct NewBundle {
    pub friendly_name: String,
    pub email: String,
    pub status_callback: Option<String>,
    pub regulation_sid: Option<String>,
    pub iso_country: Option<String>,
    pub number_type: Option<String>,
    pub end_user_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct ItemAssignment {
    pub sid: String,
    pub bundle_sid: Option<String>,
    pub object_sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Evaluation {
    pub sid: String,
    pub bundle_sid: Option<String>,
    /// compliant or noncompliant.
    pub status: Option<String>,
    #[serde(default)]
    pub results: Vec<serde_json::Value>,
    /// ISO 8601, so the newest of a list sorts last.
    #[serde(default)]
    pub date_created: Option<String>,
}

/// One field that failed an evaluation, for the compliance form to point at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvaluationIssue {
    /// The requirement it belongs to ("Business Name", "Proof of Address"…).
    pub requirement: String,
    /// The field inside it, when Twilio names one.
    pub field: Option<String>,
    pub reason: String,
    pub error_code: Option<i64>,
}

impl Evaluation {
    pub fn is_compliant(&self) -> bool {
        self.status.as_deref() == Some("compliant")
    }

    /// The field-level failures: every `invalid` entry of every result that did not pass.
    pub fn issues(&self) -> Vec<EvaluationIssue> {
        let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let mut out = Vec::new();
        for r in &self.results {
            if r.get("passed").and_then(|p| p.as_bool()) == Some(true) {
                continue;
            }
            let requirement = text(r, "requirement_friendly_name")
                .or_else(|| text(r, "friendly_name"))
                .or_else(|| text(r, "requirement_name"))
                .unwrap_or_default();
            let invalid = r.get("invalid").and_then(|i| i.as_array()).cloned().unwrap_or_default();
            if invalid.is_empty() {
                out.push(EvaluationIssue {
                    requirement,
                    field: None,
                    reason: text(r, "failure_reason").unwrap_or_else(|| "does not meet the requirement".into()),
                    error_code: r.get("error_code").and_then(|c| c.as_i64()),
                });
                continue;
            }
            for i in invalid {
                out.push(EvaluationIssue {
                    requirement: requirement.clone(),
                    field: text(&i, "object_field").or_else(|| text(&i, "friendly_name")),
                    reason: text(&i, "failure_reason").unwrap_or_else(|| "is not valid".into()),
                    error_code: i.get("error_code").and_then(|c| c.as_i64()),
                });
            }
        }
        out
    }
}

/// A document file for [`TwilioClient::upload_supporting_document`].
#[derive(Debug, Clone)]
pub struct DocumentUpload<'a> {
    pub friendly_name: String,
    /// Twilio's document type, e.g. "business_registration", "utility_bill".
    pub kind: String,
    /// Attribute values the document proves (JSON object).
    pub attributes: serde_json::Value,
    pub file: &'a Path,
    pub mime_type: String,
}

impl TwilioClient {
    fn v2(&self, rest: &str) -> String {
        self.url(Host::Numbers, &format!("{BASE}/{rest}"))
    }

    /// The regulations matching `q` (normally one), with their requirements.
    pub async fn list_regulations(&self, q: &RegulationQuery) -> Result<Vec<Regulation>> {
        let p = Params::new()
            .opt("IsoCountry", q.iso_country.clone())
            .opt("NumberType", q.number_type.clone())
            .opt("EndUserType", q.end_user_type.clone())
            .opt("IncludeConstraints", q.include_constraints.then(|| "true".to_string()));
        self.list(Host::Numbers, &self.v2("Regulations"), p.as_slice(), "results", 100).await
    }

    /// The business or person the bundle is for; `attributes` are the regulation's fields.
    pub async fn create_end_user(
        &self,
        friendly_name: &str,
        end_user_type: &str,
        attributes: &serde_json::Value,
    ) -> Result<EndUser> {
        self.create_typed(&self.v2("EndUsers"), friendly_name, end_user_type, attributes).await
    }

    /// Corrects an end user's fields after an evaluation pointed at them (Twilio evaluates
    /// the assigned end user as it is now, so no re-assignment is needed).
    pub async fn update_end_user(
        &self,
        sid: &str,
        friendly_name: Option<&str>,
        attributes: &serde_json::Value,
    ) -> Result<EndUser> {
        let p = Params::new().opt("FriendlyName", friendly_name).add("Attributes", attributes.to_string());
        self.post_form(&self.v2(&format!("EndUsers/{sid}")), p.as_slice(), Retry::Safe).await
    }

    /// A supporting document without a file (its attributes only), as the spec's form
    /// request on numbers.twilio.com describes it.
    pub async fn create_supporting_document(
        &self,
        friendly_name: &str,
        kind: &str,
        attributes: &serde_json::Value,
    ) -> Result<SupportingDocument> {
        self.create_typed(&self.v2("SupportingDocuments"), friendly_name, kind, attributes).await
    }

    /// Uploads a document file: multipart to the upload host, as Twilio requires for files.
    pub async fn upload_supporting_document(&self, d: &DocumentUpload<'_>) -> Result<SupportingDocument> {
        let bytes = tokio::fs::read(d.file).await?;
        let file_name = d.file.file_name().and_then(|n| n.to_str()).unwrap_or("document").to_string();
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name)
            .mime_str(&d.mime_type)
            .map_err(|e| Error::InvalidInput(format!("{:?} is not a MIME type: {e}", d.mime_type)))?;
        let form = reqwest::multipart::Form::new()
            .text("FriendlyName", d.friendly_name.clone())
            .text("Type", d.kind.clone())
            .text("Attributes", d.attributes.to_string())
            .part("File", part);
        let url = self.url(Host::Upload, &format!("{BASE}/SupportingDocuments"));
        self.post_multipart(&url, form).await
    }

    pub async fn create_bundle(&self, b: &NewBundle) -> Result<Bundle> {
        let p = Params::new()
            .add("FriendlyName", &b.friendly_name)
            .add("Email", &b.email)
            .opt("StatusCallback", b.status_callback.clone())
            .opt("RegulationSid", b.regulation_sid.clone())
            .opt("IsoCountry", b.iso_country.clone())
            .opt("NumberType", b.number_type.clone())
            .opt("EndUserType", b.end_user_type.clone());
        self.post_form(&self.v2("Bundles"), p.as_slice(), Retry::Never).await
    }

    pub async fn fetch_bundle(&self, sid: &str) -> Result<Bundle> {
        self.get_json(&self.v2(&format!("Bundles/{sid}")), &[]).await
    }

    /// Submits a bundle for Twilio's review (`Status=pending-review`).
    pub async fn submit_bundle(&self, sid: &str) -> Result<Bundle> {
        let p = Params::new().add("Status", "pending-review");
        self.post_form(&self.v2(&format!("Bundles/{sid}")), p.as_slice(), Retry::Safe).await
    }

    /// Attaches an end user, supporting document or address to a bundle.
    pub async fn assign_item(&self, bundle_sid: &str, object_sid: &str) -> Result<ItemAssignment> {
        let p = Params::new().add("ObjectSid", object_sid);
        self.post_form(&self.v2(&format!("Bundles/{bundle_sid}/ItemAssignments")), p.as_slice(), Retry::Never).await
    }

    /// Takes an item out of a bundle (a replaced document, an end user made anew).
    pub async fn delete_item_assignment(&self, bundle_sid: &str, item_sid: &str) -> Result<()> {
        self.delete(&self.v2(&format!("Bundles/{bundle_sid}/ItemAssignments/{item_sid}"))).await
    }

    /// The bundle's evaluations, newest first: after a rejection, the reviewers' findings.
    pub async fn list_evaluations(&self, bundle_sid: &str) -> Result<Vec<Evaluation>> {
        let url = self.v2(&format!("Bundles/{bundle_sid}/Evaluations"));
        self.list(Host::Numbers, &url, &[], "results", 20).await
    }

    /// Asks Twilio to check the bundle now; see [`Evaluation::issues`] for what failed.
    pub async fn evaluate_bundle(&self, bundle_sid: &str) -> Result<Evaluation> {
        self.post_form(&self.v2(&format!("Bundles/{bundle_sid}/Evaluations")), &[], Retry::Never).await
    }
}
