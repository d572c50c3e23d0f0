//! Messaging v1 toll-free verification (`/v1/Tollfree/Verifications`): one per toll-free
//! number, PENDING_REVIEW → IN_REVIEW → TWILIO_APPROVED or TWILIO_REJECTED (with a reason and
//! an error code), and a rejected one edited and reviewed again.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{json, Value};

use super::server::{json_response, page_v2, ApiError, ApiResult, Params};
use super::state::{iso8601, new_sid, Shared};
use super::us_state::{self, TollfreeRec};
use crate::domain::nanp::{sender_kind, UsSenderKind};

type St = axum::extract::State<Arc<Shared>>;

/// The error code a rejection carries ("Business Website is not valid or is inaccessible").
const REJECTION_CODE: u32 = 30498;

fn json_of(sh: &Shared, t: &TollfreeRec) -> Value {
    json!({
        "sid": t.sid,
        "account_sid": sh.config.account_sid,
        "tollfree_phone_number_sid": t.phone_number_sid,
        "tollfree_phone_number": t.phone_number,
        "business_name": t.business_name,
        "notification_email": t.notification_email,
        "status": t.status,
        "rejection_reason": t.rejection_reason,
        "error_code": t.error_code,
        "edit_allowed": t.status == "TWILIO_REJECTED",
        "date_created": iso8601(t.date_created),
        "date_updated": iso8601(t.date_updated),
        "url": format!("https://messaging.twilio.com/v1/Tollfree/Verifications/{}", t.sid),
    })
}

const REQUIRED: [&str; 9] = [
    "BusinessName",
    "BusinessWebsite",
    "NotificationEmail",
    "UseCaseCategories",
    "UseCaseSummary",
    "ProductionMessageSample",
    "OptInImageUrls",
    "OptInType",
    "MessageVolume",
];

pub(crate) async fn create(axum::extract::State(sh): St, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    for name in REQUIRED {
        p.required(name)?;
    }
    let pn = p.required("TollfreePhoneNumberSid")?.to_string();
    let v = sh.with(|s| {
        let e164 = s
            .numbers
            .iter()
            .find(|n| n.sid == pn)
            .map(|n| n.phone_number.clone())
            .ok_or_else(|| ApiError::bad(21606, format!("Phone number {pn} is not in this account")))?;
        if sender_kind(&e164) != UsSenderKind::TollFree {
            return Err(ApiError::bad(21613, format!("{e164} is not a toll-free number")));
        }
        if s.us.tollfree.iter().any(|t| t.phone_number_sid == pn) {
            return Err(ApiError::bad(30445, format!("A verification for {e164} already exists")));
        }
        let now = Utc::now();
        let rec = TollfreeRec {
            sid: new_sid("HH"),
            phone_number_sid: pn.clone(),
            phone_number: e164,
            business_name: p.get("BusinessName").unwrap_or_default().to_string(),
            notification_email: p.get("NotificationEmail").unwrap_or_default().to_string(),
            status: "PENDING_REVIEW".into(),
            rejection_reason: None,
            error_code: None,
            date_created: now,
            date_updated: now,
        };
        let v = json_of(&sh, &rec);
        s.us.tollfree.push(rec);
        Ok(v)
    })?;
    let sid = v["sid"].as_str().unwrap_or_default().to_string();
    sh.spawn(review(sh.clone(), sid));
    Ok(json_response(StatusCode::CREATED, v))
}

/// PENDING_REVIEW → IN_REVIEW → TWILIO_APPROVED or TWILIO_REJECTED (with a reason and code).
async fn review(sh: Arc<Shared>, sid: String) {
    let outcome = sh.config.us_outcomes.tollfree.clone();
    us_state::review(
        &sh,
        |us| us.tollfree.iter_mut().find(|t| t.sid == sid),
        Some(|t: &mut TollfreeRec| t.status = "IN_REVIEW".into()),
        |t| {
            let (status, reason) = outcome.decision("TWILIO_APPROVED", "TWILIO_REJECTED");
            t.status = status.into();
            if let Some(why) = reason {
                t.rejection_reason = Some(why);
                t.error_code = Some(REJECTION_CODE);
            }
            t.date_updated = Utc::now();
        },
    )
    .await;
}

pub(crate) async fn list(axum::extract::State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let pn = q.get("TollfreePhoneNumberSid").map(str::to_string);
    let items = sh.with(|s| {
        s.us.tollfree
            .iter()
            .filter(|t| pn.as_deref().is_none_or(|p| t.phone_number_sid == p))
            .map(|t| json_of(&sh, t))
            .collect::<Vec<_>>()
    });
    page_v2(&sh.base_url, "/v1/Tollfree/Verifications", "verifications", &q, items)
}

pub(crate) async fn fetch(axum::extract::State(sh): St, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| {
        let t =
            s.us.tollfree
                .iter()
                .find(|t| t.sid == sid)
                .ok_or_else(|| ApiError::not_found(&format!("/v1/Tollfree/Verifications/{sid}")))?;
        Ok(json_response(StatusCode::OK, json_of(&sh, t)))
    })
}

/// Edits a rejected verification; it goes back to review.
pub(crate) async fn update(axum::extract::State(sh): St, Path(sid): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let v = sh.with(|s| {
        let t =
            s.us.tollfree
                .iter_mut()
                .find(|t| t.sid == sid)
                .ok_or_else(|| ApiError::not_found(&format!("/v1/Tollfree/Verifications/{sid}")))?;
        if t.status != "TWILIO_REJECTED" {
            return Err(ApiError::bad(30446, "Only a rejected verification can be edited"));
        }
        if let Some(n) = p.non_empty("BusinessName") {
            t.business_name = n.to_string();
        }
        t.status = "PENDING_REVIEW".into();
        t.rejection_reason = None;
        t.error_code = None;
        t.date_updated = Utc::now();
        Ok(json_of(&sh, t))
    })?;
    sh.spawn(review(sh.clone(), sid));
    Ok(json_response(StatusCode::OK, v))
}
