//! Trust Hub v1 on trusthub.twilio.com: the customer profile (who the business is) and the
//! A2P trust product (the same business, for US carrier registration), their end users,
//! entity assignments, evaluations and submission for review.
//!
//! A customer profile and a trust product are the same shape of object on two collections,
//! so one set of functions serves both, chosen by [`TrustKind`].

use crate::error::Result;
use crate::twilio::client::{Host, Params, Retry, TwilioClient};

/// Twilio's fixed policy SIDs: what the evaluation checks the object against.
pub mod policy {
    /// "Secondary Customer Profile" for an ISV's customer: a business's own profile.
    pub const SECONDARY_CUSTOMER_PROFILE: &str = "RNdfbf3fae0e1107f8aded0e7cead80bf5";
    /// "A2P Messaging Profile" (Low-Volume Standard and Standard brands).
    pub const A2P_MESSAGING_PROFILE: &str = "RNb0d4771c2c98518d916a3d4cd70a8f8b";
    /// "Sole Proprietor" customer profile.
    pub const SOLE_PROPRIETOR_PROFILE: &str = "RN806dd6cd175f314e1f96a9727ee271f4";
    /// "Sole Proprietor A2P Messaging Profile" trust product.
    pub const SOLE_PROPRIETOR_A2P: &str = "RN670d5d2e282a6130ae063b234b6019c8";
}

/// Which Trust Hub collection an object lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustKind {
    CustomerProfile,
    TrustProduct,
}

impl TrustKind {
    fn collection(self) -> &'static str {
        match self {
            TrustKind::CustomerProfile => "CustomerProfiles",
            TrustKind::TrustProduct => "TrustProducts",
        }
    }
}

/// A customer profile or trust product.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct TrustObject {
    pub sid: String,
    pub friendly_name: Option<String>,
    /// draft, pending-review, in-review, twilio-rejected, twilio-approved.
    pub status: Option<String>,
    pub policy_sid: Option<String>,
    pub email: Option<String>,
    pub status_callback: Option<String>,
    /// Why Twilio rejected it, when it did (present on real answers, absent from the spec).
    #[serde(default)]
    pub errors: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct TrustEndUser {
    pub sid: String,
    pub friendly_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct TrustDocument {
    pub sid: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct EntityAssignment {
    pub sid: String,
    pub object_sid: Option<String>,
}

/// An evaluation: `compliant` or `noncompliant`, with per-requirement results.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct TrustEvaluation {
    pub sid: String,
    pub status: Option<String>,
    #[serde(default)]
    pub results: Vec<serde_json::Value>,
}

impl TrustEvaluation {
    pub fn is_compliant(&self) -> bool {
        self.status.as_deref() == Some("compliant")
    }

    /// Every failed requirement in a sentence each ("Business Information: website is not valid").
    pub fn failures(&self) -> Vec<String> {
        let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let mut out = Vec::new();
        for r in &self.results {
            if r.get("passed").and_then(|p| p.as_bool()) == Some(true) {
                continue;
            }
            let name = text(r, "friendly_name").or_else(|| text(r, "requirement_friendly_name")).unwrap_or_default();
            let invalid = r.get("invalid").and_then(|i| i.as_array()).cloned().unwrap_or_default();
            if invalid.is_empty() {
                out.push(format!("{name}: {}", text(r, "failure_reason").unwrap_or_else(|| "not met".into())));
            }
            for i in invalid {
                let field = text(&i, "object_field").or_else(|| text(&i, "friendly_name")).unwrap_or_default();
                let why = text(&i, "failure_reason").unwrap_or_else(|| "is not valid".into());
                out.push(format!("{name}: {field} {why}").trim().to_string());
            }
        }
        out
    }
}

impl TwilioClient {
    fn trusthub(&self, rest: &str) -> String {
        self.url(Host::TrustHub, &format!("/v1/{rest}"))
    }

    /// Creates a customer profile or trust product in `draft`.
    pub async fn create_trust_object(
        &self,
        kind: TrustKind,
        friendly_name: &str,
        email: &str,
        policy_sid: &str,
        status_callback: Option<&str>,
    ) -> Result<TrustObject> {
        let p = Params::new()
            .add("FriendlyName", friendly_name)
            .add("Email", email)
            .add("PolicySid", policy_sid)
            .opt("StatusCallback", status_callback);
        self.post_form(&self.trusthub(kind.collection()), p.as_slice(), Retry::Never).await
    }

    /// The objects of `kind` named `friendly_name`: how a create whose answer was lost is
    /// found again instead of made twice.
    pub async fn find_trust_objects(&self, kind: TrustKind, friendly_name: &str) -> Result<Vec<TrustObject>> {
        let p = Params::new().add("FriendlyName", friendly_name).add("PageSize", "50");
        self.list(Host::TrustHub, &self.trusthub(kind.collection()), p.as_slice(), "results", 200).await
    }

    pub async fn fetch_trust_object(&self, kind: TrustKind, sid: &str) -> Result<TrustObject> {
        self.get_json(&self.trusthub(&format!("{}/{sid}", kind.collection())), &[]).await
    }

    /// Submits for Twilio's review (`Status=pending-review`); safe to repeat.
    pub async fn submit_trust_object(&self, kind: TrustKind, sid: &str) -> Result<TrustObject> {
        let p = Params::new().add("Status", "pending-review");
        self.post_form(&self.trusthub(&format!("{}/{sid}", kind.collection())), p.as_slice(), Retry::Safe).await
    }

    /// Attaches an end user, supporting document or customer profile to the object.
    pub async fn assign_entity(&self, kind: TrustKind, sid: &str, object_sid: &str) -> Result<EntityAssignment> {
        let p = Params::new().add("ObjectSid", object_sid);
        let url = self.trusthub(&format!("{}/{sid}/EntityAssignments", kind.collection()));
        self.post_form(&url, p.as_slice(), Retry::Never).await
    }

    /// What is attached already, so a resumed workflow assigns each entity once.
    pub async fn list_entity_assignments(&self, kind: TrustKind, sid: &str) -> Result<Vec<EntityAssignment>> {
        let url = self.trusthub(&format!("{}/{sid}/EntityAssignments", kind.collection()));
        self.list(Host::TrustHub, &url, &[], "results", 200).await
    }

    pub async fn evaluate_trust_object(&self, kind: TrustKind, sid: &str, policy_sid: &str) -> Result<TrustEvaluation> {
        let p = Params::new().add("PolicySid", policy_sid);
        let url = self.trusthub(&format!("{}/{sid}/Evaluations", kind.collection()));
        self.post_form(&url, p.as_slice(), Retry::Never).await
    }

    /// A Trust Hub end user: `type` is e.g. `customer_profile_business_information`,
    /// `authorized_representative_1`, `sole_proprietor_information`, `us_a2p_messaging_profile_information`.
    pub async fn create_trust_end_user(
        &self,
        friendly_name: &str,
        kind: &str,
        attributes: &serde_json::Value,
    ) -> Result<TrustEndUser> {
        self.create_typed(&self.trusthub("EndUsers"), friendly_name, kind, attributes).await
    }

    /// A Trust Hub supporting document (the business address, as `customer_profile_address`).
    pub async fn create_trust_document(
        &self,
        friendly_name: &str,
        kind: &str,
        attributes: &serde_json::Value,
    ) -> Result<TrustDocument> {
        self.create_typed(&self.trusthub("SupportingDocuments"), friendly_name, kind, attributes).await
    }
}
