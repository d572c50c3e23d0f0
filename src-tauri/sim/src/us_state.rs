//! The simulator's memory of US carrier registration (Trust Hub objects, Messaging
//! Services, brands, campaigns, toll-free verifications), the outcomes the simulated
//! reviewers decide, and the carriers' rule that blocks unregistered US traffic.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::state::{EntityRec, Shared};
use super::BundleOutcome;
use crate::domain::nanp::{is_nanp_destination, sender_kind, UsSenderKind};

/// What the simulated Twilio and carrier reviewers decide, per kind of review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsOutcomes {
    pub customer_profile: BundleOutcome,
    pub trust_product: BundleOutcome,
    pub brand: BundleOutcome,
    pub campaign: BundleOutcome,
    pub tollfree: BundleOutcome,
}

impl Default for UsOutcomes {
    fn default() -> Self {
        UsOutcomes {
            customer_profile: BundleOutcome::Approve,
            trust_product: BundleOutcome::Approve,
            brand: BundleOutcome::Approve,
            campaign: BundleOutcome::Approve,
            tollfree: BundleOutcome::Approve,
        }
    }
}

/// One US registration review as Twilio runs it: the record waits `us_review_delay`, showing
/// `in_review` after half of it where Twilio has such a state, then `decide` records the
/// reviewers' decision on it and returns what comes next (e.g. the status callback's URL).
/// `find` looks the record up again each time: it may have been deleted meanwhile.
pub(crate) async fn review<T, R>(
    sh: &Shared,
    find: impl Fn(&mut UsState) -> Option<&mut T>,
    in_review: Option<fn(&mut T)>,
    decide: impl FnOnce(&mut T) -> R,
) -> Option<R> {
    let delay = sh.config.us_review_delay;
    match in_review {
        None => tokio::time::sleep(delay).await,
        Some(mark) => {
            tokio::time::sleep(delay / 2).await;
            sh.with(|s| find(&mut s.us).map(mark));
            tokio::time::sleep(delay / 2).await;
        }
    }
    sh.with(|s| find(&mut s.us).map(decide))
}

/// How long each simulated review takes, by default.
pub const DEFAULT_US_REVIEW_DELAY: Duration = Duration::from_millis(300);

#[derive(Default)]
pub(crate) struct UsState {
    pub trust: Vec<TrustRec>,
    pub end_users: Vec<EntityRec>,
    pub documents: Vec<EntityRec>,
    pub services: Vec<ServiceRec>,
    pub brands: Vec<BrandRec>,
    pub campaigns: Vec<CampaignRec>,
    pub tollfree: Vec<TollfreeRec>,
}

/// A customer profile (`collection` "CustomerProfiles") or trust product ("TrustProducts").
pub(crate) struct TrustRec {
    pub sid: String,
    pub collection: &'static str,
    pub friendly_name: String,
    pub email: String,
    pub policy_sid: String,
    pub status: String,
    pub status_callback: Option<String>,
    pub failure_reason: Option<String>,
    /// Assigned objects: (assignment SID, object SID).
    pub assigned: Vec<(String, String)>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct ServiceRec {
    pub sid: String,
    pub friendly_name: String,
    pub use_inbound_webhook_on_number: bool,
    /// (PN SID, E.164) of each number in the sender pool.
    pub numbers: Vec<(String, String)>,
    pub date_created: DateTime<Utc>,
}

pub(crate) struct BrandRec {
    pub sid: String,
    pub customer_profile_sid: String,
    pub trust_product_sid: String,
    pub brand_type: String,
    pub status: String,
    pub identity_status: String,
    pub failure_reason: Option<String>,
    /// Sole Proprietor: the mobile the code was texted to, and the code.
    pub otp_mobile: Option<String>,
    pub otp: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct CampaignRec {
    pub sid: String,
    pub service_sid: String,
    pub brand_sid: String,
    pub usecase: String,
    pub description: String,
    pub message_flow: String,
    pub samples: Vec<String>,
    pub status: String,
    pub failure: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

pub(crate) struct TollfreeRec {
    pub sid: String,
    pub phone_number_sid: String,
    pub phone_number: String,
    pub business_name: String,
    pub notification_email: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub error_code: Option<u32>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

impl UsState {
    /// Whether `e164` is in a Messaging Service whose campaign the carriers verified.
    pub fn in_verified_campaign(&self, e164: &str) -> bool {
        self.services
            .iter()
            .filter(|s| s.numbers.iter().any(|(_, n)| n == e164))
            .any(|s| self.campaigns.iter().any(|c| c.service_sid == s.sid && c.status == "VERIFIED"))
    }

    pub fn tollfree_verified(&self, e164: &str) -> bool {
        self.tollfree.iter().any(|t| t.phone_number == e164 && t.status == "TWILIO_APPROVED")
    }

    /// The carriers' rule: a text to a US/Canadian phone from an unregistered US local
    /// number fails with 30034, from an unverified toll-free number with 30032.
    pub fn carrier_block(&self, from: &str, to: &str) -> Option<u32> {
        if !is_nanp_destination(to) {
            return None;
        }
        match sender_kind(from) {
            UsSenderKind::Local10dlc if !self.in_verified_campaign(from) => Some(30034),
            UsSenderKind::TollFree if !self.tollfree_verified(from) => Some(30032),
            _ => None,
        }
    }
}
