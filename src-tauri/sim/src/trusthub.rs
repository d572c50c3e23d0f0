//! Trust Hub v1 (`/v1/CustomerProfiles`, `/v1/TrustProducts`, `/v1/EndUsers`,
//! `/v1/SupportingDocuments`): objects in `draft`, entity assignments, evaluations against
//! the policy's required entity types, and a review after submission that ends approved or
//! rejected (per `SimConfig::us_outcomes`) with a signed status callback.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde_json::{json, Value};

use super::server::{json_response, page_v2, ApiError, ApiResult, Params};
use super::state::{entity_json, iso8601, new_sid, EntityRec, Shared};
use super::us_state::{self, TrustRec, UsState};
use super::{compliance, webhooks};

/// Twilio's policy SIDs and the entity types each requires (`BU` = a customer profile).
fn required_types(policy_sid: &str) -> Option<&'static [&'static str]> {
    Some(match policy_sid {
        "RN806dd6cd175f314e1f96a9727ee271f4" => &["starter_customer_profile_information", "customer_profile_address"],
        "RNdfbf3fae0e1107f8aded0e7cead80bf5" => {
            &["customer_profile_business_information", "authorized_representative_1", "customer_profile_address"]
        }
        "RN670d5d2e282a6130ae063b234b6019c8" => &["sole_proprietor_information", "BU"],
        "RNb0d4771c2c98518d916a3d4cd70a8f8b" => &["us_a2p_messaging_profile_information", "BU"],
        _ => return None,
    })
}

fn trust_json(sh: &Shared, t: &TrustRec) -> Value {
    json!({
        "sid": t.sid,
        "account_sid": sh.config.account_sid,
        "policy_sid": t.policy_sid,
        "friendly_name": t.friendly_name,
        "status": t.status,
        "valid_until": null,
        "email": t.email,
        "status_callback": t.status_callback,
        "date_created": iso8601(t.date_created),
        "date_updated": iso8601(t.date_updated),
        "url": format!("https://trusthub.twilio.com/v1/{}/{}", t.collection, t.sid),
        "links": {},
        "errors": t.failure_reason.as_ref().map(|r| json!([{"description": r}])),
    })
}

fn not_found(path: &str) -> ApiError {
    ApiError::not_found(&format!("/v1/{path}"))
}

fn find<'a>(us: &'a mut UsState, collection: &str, sid: &str) -> Result<&'a mut TrustRec, ApiError> {
    us.trust
        .iter_mut()
        .find(|t| t.sid == sid && t.collection == collection)
        .ok_or_else(|| not_found(&format!("{collection}/{sid}")))
}

async fn create(sh: Arc<Shared>, collection: &'static str, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let friendly_name = p.required("FriendlyName")?.to_string();
    let email = p.required("Email")?.to_string();
    let policy_sid = p.required("PolicySid")?.to_string();
    if required_types(&policy_sid).is_none() {
        return Err(ApiError::bad(20001, format!("Unknown PolicySid {policy_sid}")));
    }
    let now = Utc::now();
    let rec = TrustRec {
        sid: new_sid("BU"),
        collection,
        friendly_name,
        email,
        policy_sid,
        status: "draft".into(),
        status_callback: p.non_empty("StatusCallback").map(str::to_string),
        failure_reason: None,
        assigned: Vec::new(),
        date_created: now,
        date_updated: now,
    };
    let v = trust_json(&sh, &rec);
    sh.with(|s| s.us.trust.push(rec));
    Ok(json_response(StatusCode::CREATED, v))
}

async fn list(sh: Arc<Shared>, collection: &'static str, q: Option<String>) -> ApiResult {
    let q = Params::query(q)?;
    let name = q.get("FriendlyName").map(str::to_string);
    let items = sh.with(|s| {
        s.us.trust
            .iter()
            .filter(|t| t.collection == collection && name.as_deref().is_none_or(|n| t.friendly_name == n))
            .map(|t| trust_json(&sh, t))
            .collect::<Vec<_>>()
    });
    page_v2(&sh.base_url, &format!("/v1/{collection}"), "results", &q, items)
}

async fn fetch(sh: Arc<Shared>, collection: &'static str, sid: String) -> ApiResult {
    sh.with(|s| find(&mut s.us, collection, &sid).map(|t| trust_json(&sh, t))).map(|v| json_response(StatusCode::OK, v))
}

/// The evaluation of `t` against its policy: one result per required type.
fn evaluate(us: &UsState, t: &TrustRec) -> (bool, Vec<Value>) {
    let required = required_types(&t.policy_sid).unwrap_or(&[]);
    let kinds: Vec<String> = t
        .assigned
        .iter()
        .filter_map(|(_, object)| {
            if object.starts_with("BU") {
                return Some("BU".to_string());
            }
            us.end_users.iter().chain(us.documents.iter()).find(|e| e.sid == *object).map(|e| e.kind.clone())
        })
        .collect();
    let results: Vec<Value> = required
        .iter()
        .map(|r| {
            let passed = kinds.iter().any(|k| k == r);
            json!({
                "friendly_name": if *r == "BU" { "Customer Profile" } else { r },
                "object_type": r,
                "passed": passed,
                "failure_reason": (!passed).then(|| format!("{r} is not assigned")),
                "error_code": if passed { 0 } else { 22217 },
                "valid": [],
                "invalid": [],
                "requirement_friendly_name": r,
                "requirement_name": r,
            })
        })
        .collect();
    (results.iter().all(|r| r["passed"] == json!(true)), results)
}

async fn update(sh: Arc<Shared>, collection: &'static str, sid: String, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let submit = match p.non_empty("Status") {
        None => false,
        Some("pending-review") => true,
        Some(other) => return Err(ApiError::bad(20001, format!("Status cannot be set to {other:?}"))),
    };
    let v = sh.with(|s| {
        let (compliant, _) = {
            let t = find(&mut s.us, collection, &sid)?;
            let snapshot =
                TrustRec { assigned: t.assigned.clone(), policy_sid: t.policy_sid.clone(), ..blank(collection) };
            evaluate(&s.us, &snapshot)
        };
        let t = find(&mut s.us, collection, &sid)?;
        if submit {
            if !compliant {
                return Err(ApiError::bad(
                    22214,
                    format!("{sid} is not compliant; evaluate it to see what is missing"),
                ));
            }
            if t.status == "draft" || t.status == "twilio-rejected" {
                t.status = "pending-review".into();
                t.failure_reason = None;
            }
        }
        compliance::edit_owner_fields(&p, &mut t.friendly_name, &mut t.email, &mut t.status_callback);
        t.date_updated = Utc::now();
        Ok(trust_json(&sh, t))
    })?;
    if submit {
        sh.spawn(review(sh.clone(), collection, sid));
    }
    Ok(json_response(StatusCode::OK, v))
}

fn blank(collection: &'static str) -> TrustRec {
    let now = Utc::now();
    TrustRec {
        sid: String::new(),
        collection,
        friendly_name: String::new(),
        email: String::new(),
        policy_sid: String::new(),
        status: String::new(),
        status_callback: None,
        failure_reason: None,
        assigned: Vec::new(),
        date_created: now,
        date_updated: now,
    }
}

/// pending-review → in-review → approved or rejected, with a signed callback at the end.
async fn review(sh: Arc<Shared>, collection: &'static str, sid: String) {
    let outcome = match collection {
        "CustomerProfiles" => sh.config.us_outcomes.customer_profile.clone(),
        _ => sh.config.us_outcomes.trust_product.clone(),
    };
    let (status, reason) = outcome.decision("twilio-approved", "twilio-rejected");
    let callback = us_state::review(
        &sh,
        |us| find(us, collection, &sid).ok(),
        Some(|t: &mut TrustRec| t.status = "in-review".into()),
        |t| {
            t.status = status.into();
            t.failure_reason = reason.clone();
            t.date_updated = Utc::now();
            t.status_callback.clone()
        },
    )
    .await;
    let Some(url) = callback.flatten() else { return };
    webhooks::bundle_status(&sh, &url, &sid, status, reason).await;
}

async fn assign(sh: Arc<Shared>, collection: &'static str, sid: String, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let object = p.required("ObjectSid")?.to_string();
    let v = sh.with(|s| {
        let known = s.us.end_users.iter().chain(s.us.documents.iter()).any(|e| e.sid == object)
            || s.us.trust.iter().any(|t| t.sid == object && t.collection == "CustomerProfiles");
        if !known {
            return Err(ApiError::bad(22209, format!("Object {object} does not exist")));
        }
        let t = find(&mut s.us, collection, &sid)?;
        if t.assigned.iter().any(|(_, o)| *o == object) {
            return Err(ApiError::bad(22218, format!("Object {object} is already assigned to {sid}")));
        }
        let assignment = new_sid("BV");
        t.assigned.push((assignment.clone(), object.clone()));
        Ok(assignment_json(&sh, &sid, &assignment, &object, collection))
    })?;
    Ok(json_response(StatusCode::CREATED, v))
}

fn assignment_json(sh: &Shared, parent: &str, sid: &str, object: &str, collection: &str) -> Value {
    let parent_key = if collection == "CustomerProfiles" { "customer_profile_sid" } else { "trust_product_sid" };
    json!({
        "sid": sid,
        parent_key: parent,
        "account_sid": sh.config.account_sid,
        "object_sid": object,
        "date_created": iso8601(Utc::now()),
        "url": format!("https://trusthub.twilio.com/v1/{collection}/{parent}/EntityAssignments/{sid}"),
    })
}

async fn assignments(sh: Arc<Shared>, collection: &'static str, sid: String, q: Option<String>) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| {
        find(&mut s.us, collection, &sid)
            .map(|t| t.assigned.clone())
            .map(|a| a.iter().map(|(id, o)| assignment_json(&sh, &sid, id, o, collection)).collect::<Vec<_>>())
    })?;
    page_v2(&sh.base_url, &format!("/v1/{collection}/{sid}/EntityAssignments"), "results", &q, items)
}

async fn evaluation(sh: Arc<Shared>, collection: &'static str, sid: String, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let policy = p.required("PolicySid")?.to_string();
    let v = sh.with(|s| {
        let t = find(&mut s.us, collection, &sid)?;
        if t.policy_sid != policy {
            return Err(ApiError::bad(20001, format!("{sid} was created for policy {}, not {policy}", t.policy_sid)));
        }
        let snapshot = TrustRec { assigned: t.assigned.clone(), policy_sid: t.policy_sid.clone(), ..blank(collection) };
        let (compliant, results) = evaluate(&s.us, &snapshot);
        let parent_key = if collection == "CustomerProfiles" { "customer_profile_sid" } else { "trust_product_sid" };
        let eval_sid = new_sid("EL");
        Ok(json!({
            "sid": eval_sid,
            "account_sid": sh.config.account_sid,
            "policy_sid": policy,
            parent_key: sid,
            "status": if compliant { "compliant" } else { "noncompliant" },
            "results": results,
            "date_created": iso8601(Utc::now()),
            "url": format!("https://trusthub.twilio.com/v1/{collection}/{sid}/Evaluations/{eval_sid}"),
        }))
    })?;
    Ok(json_response(StatusCode::CREATED, v))
}

async fn entity_create(sh: Arc<Shared>, documents: bool, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let kind = p.required("Type")?.to_string();
    let friendly_name = p.required("FriendlyName")?.to_string();
    let attributes: Value = match p.non_empty("Attributes") {
        Some(a) => serde_json::from_str(a).map_err(|e| ApiError::bad(20001, format!("Attributes is not JSON: {e}")))?,
        None => json!({}),
    };
    let prefix = if documents { "RD" } else { "IT" };
    let now = Utc::now();
    let rec = EntityRec { sid: new_sid(prefix), friendly_name, kind, attributes, date_created: now, date_updated: now };
    let collection = if documents { "SupportingDocuments" } else { "EndUsers" };
    let v = entity_json(&sh, &rec, format!("https://trusthub.twilio.com/v1/{collection}/{}", rec.sid));
    sh.with(|s| if documents { s.us.documents.push(rec) } else { s.us.end_users.push(rec) });
    Ok(json_response(StatusCode::CREATED, v))
}

type St = State<Arc<Shared>>;

/// The routes of one Trust Hub collection (`CustomerProfiles` or `TrustProducts`): Twilio
/// serves both with the same requests, so one set of handlers takes the collection's name.
pub(crate) fn collection_routes(collection: &'static str) -> Router<Arc<Shared>> {
    let base = format!("/v1/{collection}");
    Router::new()
        .route(
            &base,
            get(move |State(sh): St, RawQuery(q): RawQuery| list(sh, collection, q))
                .post(move |State(sh): St, body: Bytes| create(sh, collection, body)),
        )
        .route(
            &format!("{base}/{{sid}}"),
            get(move |State(sh): St, Path(sid): Path<String>| fetch(sh, collection, sid))
                .post(move |State(sh): St, Path(sid): Path<String>, body: Bytes| update(sh, collection, sid, body)),
        )
        .route(
            &format!("{base}/{{sid}}/EntityAssignments"),
            get(move |State(sh): St, Path(sid): Path<String>, RawQuery(q): RawQuery| {
                assignments(sh, collection, sid, q)
            })
            .post(move |State(sh): St, Path(sid): Path<String>, body: Bytes| assign(sh, collection, sid, body)),
        )
        .route(
            &format!("{base}/{{sid}}/Evaluations"),
            post(move |State(sh): St, Path(sid): Path<String>, body: Bytes| evaluation(sh, collection, sid, body)),
        )
}

pub(crate) async fn end_user_create(State(sh): St, body: Bytes) -> ApiResult {
    entity_create(sh, false, body).await
}
pub(crate) async fn document_create(State(sh): St, body: Bytes) -> ApiResult {
    entity_create(sh, true, body).await
}
