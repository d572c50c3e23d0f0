//! Per number: which US carrier rule it falls under, where its registration stands, and
//! whether it can text US phones today. Read from the store only, so the Numbers screen
//! shows it without asking Twilio.

use rusqlite::Connection;

use crate::domain::nanp::{sender_kind, UsSenderKind};
use crate::domain::us_registration::Step;
use crate::error::Result;
use crate::store::us_registration as records;

/// Where a number's US registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// Nothing submitted yet.
    NotRegistered,
    /// Submitted; waiting for Twilio, the carriers or the owner (OTP, campaign form).
    InProgress,
    /// Approved: US carriers accept its texts.
    Registered,
    /// Rejected or failed; `detail` says why.
    Failed,
    /// No US rule applies to this sender.
    NotNeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct NumberUsStatus {
    pub e164: String,
    pub kind: UsSenderKind,
    pub state: RegistrationState,
    /// Whether a text from this number to a US phone goes through today.
    pub can_send_to_us: bool,
    /// The A2P registration that holds it, for the UI to open.
    pub registration_id: Option<i64>,
    /// One sentence for the owner: what is missing, what Twilio said, or what is next.
    pub detail: String,
}

/// The US status of `e164`.
pub fn number_status(conn: &Connection, e164: &str) -> Result<NumberUsStatus> {
    let kind = sender_kind(e164);
    let (state, registration_id, detail) = match kind {
        UsSenderKind::Local10dlc => {
            let reg = records::list(conn)?.into_iter().find(|r| r.numbers.iter().any(|n| n.e164 == e164));
            match reg {
                None => (
                    RegistrationState::NotRegistered,
                    None,
                    "US carriers block texts from this number until it is registered for A2P 10DLC.".to_string(),
                ),
                Some(r) => {
                    let added = r.numbers.iter().any(|n| n.e164 == e164 && n.added);
                    let (state, detail) = match r.step {
                        Step::Done if added => {
                            (RegistrationState::Registered, "Registered: US carriers accept its texts.".to_string())
                        }
                        Step::Failed => (
                            RegistrationState::Failed,
                            r.failure_reason.clone().unwrap_or_else(|| "The registration failed.".into()),
                        ),
                        step => (RegistrationState::InProgress, in_progress_detail(step)),
                    };
                    (state, Some(r.id), detail)
                }
            }
        }
        UsSenderKind::TollFree => match records::get_tollfree(conn, e164)? {
            None => (
                RegistrationState::NotRegistered,
                None,
                "US carriers block texts from this toll-free number until it is verified.".to_string(),
            ),
            Some(t) => match t.status.as_str() {
                "TWILIO_APPROVED" => {
                    (RegistrationState::Registered, None, "Verified: US carriers accept its texts.".into())
                }
                "TWILIO_REJECTED" => (
                    RegistrationState::Failed,
                    None,
                    t.rejection_reason.unwrap_or_else(|| "Twilio rejected the verification.".into()),
                ),
                "draft" => {
                    (RegistrationState::NotRegistered, None, "The verification form has not reached Twilio yet.".into())
                }
                _ => (RegistrationState::InProgress, None, "Twilio is reviewing the verification.".into()),
            },
        },
        UsSenderKind::Canadian => {
            (RegistrationState::NotNeeded, None, "A Canadian number: no US registration applies to it.".to_string())
        }
        UsSenderKind::NotNanp => (
            RegistrationState::NotNeeded,
            None,
            "Not a US number: to text US phones reliably, use a registered US number.".to_string(),
        ),
    };
    let can_send_to_us = match kind {
        UsSenderKind::Local10dlc | UsSenderKind::TollFree => state == RegistrationState::Registered,
        UsSenderKind::Canadian => true,
        UsSenderKind::NotNanp => false,
    };
    Ok(NumberUsStatus { e164: e164.to_string(), kind, state, can_send_to_us, registration_id, detail })
}

fn in_progress_detail(step: Step) -> String {
    match step {
        Step::CustomerProfile | Step::TrustProduct => "Your business details are being sent to Twilio.",
        Step::ProfileReview => "Twilio is reviewing your business profile.",
        Step::Brand => "Your brand is being registered.",
        Step::BrandOtp => "Reply to the text with the one-time code sent to your mobile to confirm your brand.",
        Step::BrandReview => "Your brand is being reviewed.",
        Step::MessagingService => "The number is being added to your Messaging Service.",
        Step::Campaign => "Describe your campaign to finish the registration.",
        Step::CampaignReview => "The carriers are reviewing your campaign (this can take days).",
        Step::Done | Step::Failed => "",
    }
    .to_string()
}

/// Every number of the account with its US status, in the Numbers screen's order.
pub fn all(conn: &Connection) -> Result<Vec<NumberUsStatus>> {
    crate::store::numbers::list(conn)?.iter().map(|n| number_status(conn, &n.e164)).collect()
}
