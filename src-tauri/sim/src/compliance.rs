//! numbers v2 Regulatory Compliance over REST: Regulations, EndUsers, SupportingDocuments
//! (form or multipart upload), Bundles (draft → pending-review → twilio-approved/-rejected
//! after the configured delay, with a signed status callback), ItemAssignments, Evaluations.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, StatusCode};
use chrono::Utc;
use serde_json::{json, Value};

use super::regulations::{self, Item};
use super::server::{deleted, json_response, page_v2, remove_where, ApiError, ApiResult, Params, Sh};
use super::state::{
    entity_json, iso8601, new_sid, BundleRec, DocumentRec, EntityRec, EvaluationRec, ItemRec, Shared, State,
};
use super::{webhooks, BundleOutcome};

const V2: &str = "/v2/RegulatoryCompliance";

fn url(sh: &Shared, rest: &str) -> String {
    format!("{}{V2}/{rest}", sh.base_url)
}

fn not_found(what: &str) -> ApiError {
    ApiError::not_found(&format!("{V2}/{what}"))
}

fn attributes(p: &Params) -> Result<Value, ApiError> {
    match p.non_empty("Attributes") {
        Some(raw) => serde_json::from_str::<Value>(raw)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| ApiError::bad(20001, "Attributes must be a JSON object")),
        None => Ok(json!({})),
    }
}

pub(crate) async fn regulations_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let constraints = q.non_empty("IncludeConstraints").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let items = regulations::all()
        .iter()
        .filter(|r| q.non_empty("IsoCountry").is_none_or(|c| c.eq_ignore_ascii_case(r.iso_country)))
        .filter(|r| q.non_empty("NumberType").is_none_or(|t| t == r.number_type))
        .filter(|r| q.non_empty("EndUserType").is_none_or(|t| t == r.end_user_type))
        .map(|r| regulations::regulation_json(&sh.base_url, r, constraints))
        .collect();
    page_v2(&sh.base_url, &format!("{V2}/Regulations"), "results", &q, items)
}

pub(crate) async fn regulation_fetch(
    axum::extract::State(sh): Sh,
    Path(sid): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let constraints = q.non_empty("IncludeConstraints").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    regulations::regulation_by_sid(&sid)
        .map(|r| json_response(StatusCode::OK, regulations::regulation_json(&sh.base_url, &r, constraints)))
        .ok_or_else(|| not_found(&format!("Regulations/{sid}")))
}

fn end_user_json(sh: &Shared, e: &EntityRec) -> Value {
    entity_json(sh, e, url(sh, &format!("EndUsers/{}", e.sid)))
}

pub(crate) async fn end_user_create(axum::extract::State(sh): Sh, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let kind = p.required("Type")?;
    if kind != "individual" && kind != "business" {
        return Err(ApiError::bad(20001, format!("Type must be individual or business, not {kind:?}")));
    }
    let now = Utc::now();
    let e = EntityRec {
        sid: new_sid("IT"),
        friendly_name: p.required("FriendlyName")?.to_string(),
        kind: kind.to_string(),
        attributes: attributes(&p)?,
        date_created: now,
        date_updated: now,
    };
    let v = end_user_json(&sh, &e);
    sh.with(|s| s.end_users.push(e));
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn end_users_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| s.end_users.iter().map(|e| end_user_json(&sh, e)).collect());
    page_v2(&sh.base_url, &format!("{V2}/EndUsers"), "results", &q, items)
}

pub(crate) async fn end_user_fetch(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| s.end_users.iter().find(|e| e.sid == sid).map(|e| end_user_json(&sh, e)))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| not_found(&format!("EndUsers/{sid}")))
}

pub(crate) async fn end_user_update(axum::extract::State(sh): Sh, Path(sid): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let attrs = p.non_empty("Attributes").map(|_| attributes(&p)).transpose()?;
    sh.with(|s| {
        let e = s.end_users.iter_mut().find(|e| e.sid == sid).ok_or_else(|| not_found(&format!("EndUsers/{sid}")))?;
        if let Some(name) = p.non_empty("FriendlyName") {
            e.friendly_name = name.to_string();
        }
        if let Some(a) = attrs {
            e.attributes = a;
        }
        e.date_updated = Utc::now();
        Ok(json_response(StatusCode::OK, end_user_json(&sh, e)))
    })
}

pub(crate) async fn end_user_delete(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    deleted(&sh, &format!("{V2}/{sid}"), |s| remove_where(&mut s.end_users, |e| e.sid == sid))
}

fn document_json(sh: &Shared, d: &DocumentRec) -> Value {
    json!({
        "sid": d.sid,
        "account_sid": sh.config.account_sid,
        "friendly_name": d.friendly_name,
        "mime_type": d.mime_type,
        "status": "draft",
        "failure_reason": null,
        "errors": null,
        "type": d.kind,
        "attributes": d.attributes,
        "date_created": iso8601(d.date_created),
        "date_updated": iso8601(d.date_updated),
        "url": url(sh, &format!("SupportingDocuments/{}", d.sid)),
    })
}

/// A form post, or a multipart upload whose text parts are the form fields and whose file
/// part (any part with a filename) is the document itself.
pub(crate) async fn document_create(axum::extract::State(sh): Sh, headers: HeaderMap, body: Bytes) -> ApiResult {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (p, file) = if content_type.starts_with("multipart/form-data") {
        super::multipart::parse(content_type, &body)?
    } else {
        (Params::parse(&body)?, None)
    };
    let now = Utc::now();
    let d = DocumentRec {
        sid: new_sid("RD"),
        friendly_name: p.required("FriendlyName")?.to_string(),
        kind: p.required("Type")?.to_string(),
        mime_type: file.as_ref().map(|(mime, _)| mime.clone()),
        attributes: attributes(&p)?,
        file: file.map(|(_, bytes)| bytes),
        date_created: now,
        date_updated: now,
    };
    let v = document_json(&sh, &d);
    sh.with(|s| s.documents.push(d));
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn documents_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| s.documents.iter().map(|d| document_json(&sh, d)).collect());
    page_v2(&sh.base_url, &format!("{V2}/SupportingDocuments"), "results", &q, items)
}

pub(crate) async fn document_fetch(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| s.documents.iter().find(|d| d.sid == sid).map(|d| document_json(&sh, d)))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| not_found(&format!("SupportingDocuments/{sid}")))
}

pub(crate) async fn document_update(axum::extract::State(sh): Sh, Path(sid): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let attrs = p.non_empty("Attributes").map(|_| attributes(&p)).transpose()?;
    sh.with(|s| {
        let d = s
            .documents
            .iter_mut()
            .find(|d| d.sid == sid)
            .ok_or_else(|| not_found(&format!("SupportingDocuments/{sid}")))?;
        if let Some(name) = p.non_empty("FriendlyName") {
            d.friendly_name = name.to_string();
        }
        if let Some(a) = attrs {
            d.attributes = a;
        }
        d.date_updated = Utc::now();
        Ok(json_response(StatusCode::OK, document_json(&sh, d)))
    })
}

pub(crate) async fn document_delete(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    deleted(&sh, &format!("{V2}/{sid}"), |s| remove_where(&mut s.documents, |d| d.sid == sid))
}

fn bundle_json(sh: &Shared, b: &BundleRec) -> Value {
    let base = url(sh, &format!("Bundles/{}", b.sid));
    json!({
        "sid": b.sid,
        "account_sid": sh.config.account_sid,
        "regulation_sid": b.regulation_sid,
        "friendly_name": b.friendly_name,
        "status": b.status,
        "valid_until": b.valid_until.map(iso8601),
        "email": b.email,
        "status_callback": b.status_callback,
        "date_created": iso8601(b.date_created),
        "date_updated": iso8601(b.date_updated),
        "url": base,
        "links": {
            "evaluations": format!("{base}/Evaluations"),
            "item_assignments": format!("{base}/ItemAssignments"),
            "bundle_copies": format!("{base}/Copies"),
        },
    })
}

pub(crate) async fn bundle_create(axum::extract::State(sh): Sh, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let friendly_name = p.required("FriendlyName")?.to_string();
    let email = p.required("Email")?.to_string();
    let regulation = match p.non_empty("RegulationSid") {
        Some(sid) => regulations::regulation_by_sid(sid),
        None => regulations::all().into_iter().find(|r| {
            p.non_empty("IsoCountry").is_some_and(|c| c.eq_ignore_ascii_case(r.iso_country))
                && p.non_empty("NumberType").is_some_and(|t| t == r.number_type)
                && p.non_empty("EndUserType").is_some_and(|t| t == r.end_user_type)
        }),
    }
    .ok_or_else(|| {
        ApiError::bad(22201, "No regulation matches RegulationSid, or IsoCountry + NumberType + EndUserType")
    })?;
    let now = Utc::now();
    let b = BundleRec {
        sid: new_sid("BU"),
        friendly_name,
        email,
        status_callback: p.non_empty("StatusCallback").map(str::to_string),
        regulation_sid: regulation.sid,
        status: "draft".into(),
        failure_reason: None,
        valid_until: None,
        date_created: now,
        date_updated: now,
    };
    let v = bundle_json(&sh, &b);
    sh.with(|s| s.bundles.push(b));
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn bundles_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let status = q.non_empty("Status").map(str::to_string);
    let items = sh.with(|s| {
        s.bundles
            .iter()
            .filter(|b| status.as_deref().is_none_or(|st| b.status == st))
            .map(|b| bundle_json(&sh, b))
            .collect()
    });
    page_v2(&sh.base_url, &format!("{V2}/Bundles"), "results", &q, items)
}

pub(crate) async fn bundle_fetch(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| s.bundles.iter().find(|b| b.sid == sid).map(|b| bundle_json(&sh, b)))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| not_found(&format!("Bundles/{sid}")))
}

/// Edits a bundle; `Status=pending-review` submits it (only when its evaluation is
/// compliant) and schedules the review.
pub(crate) async fn bundle_update(axum::extract::State(sh): Sh, Path(sid): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let submit = match p.non_empty("Status") {
        None => false,
        Some("pending-review") => true,
        Some(other) => {
            return Err(ApiError::bad(20001, format!("Status can only be set to pending-review, not {other:?}")))
        }
    };
    let v = sh.with(|s| {
        if submit {
            let b = s.bundles.iter().find(|b| b.sid == sid).ok_or_else(|| not_found(&format!("Bundles/{sid}")))?;
            if b.status != "draft" && b.status != "twilio-rejected" {
                return Err(ApiError::bad(22210, format!("Bundle {sid} is {} and cannot be submitted", b.status)));
            }
            let evaluation = evaluate(&sh, s, &sid)?;
            let compliant = evaluation.status == "compliant";
            s.evaluations.push(evaluation);
            if !compliant {
                return Err(ApiError::bad(
                    22214,
                    format!("Bundle {sid} is not compliant; its latest Evaluation lists what is missing"),
                ));
            }
        }
        let b = s.bundles.iter_mut().find(|b| b.sid == sid).ok_or_else(|| not_found(&format!("Bundles/{sid}")))?;
        edit_owner_fields(&p, &mut b.friendly_name, &mut b.email, &mut b.status_callback);
        if submit {
            b.status = "pending-review".into();
            b.failure_reason = None;
        }
        b.date_updated = Utc::now();
        Ok(bundle_json(&sh, b))
    })?;
    if submit {
        let task_sh = sh.clone();
        let bundle = sid.clone();
        sh.spawn(async move { review(task_sh, bundle).await });
    }
    Ok(json_response(StatusCode::OK, v))
}

/// The fields an update may change on a regulatory bundle and on a Trust Hub object alike:
/// a non-empty name or email replaces the old one; `StatusCallback` is set, or cleared by
/// an empty value.
pub(crate) fn edit_owner_fields(p: &Params, name: &mut String, email: &mut String, callback: &mut Option<String>) {
    if let Some(v) = p.non_empty("FriendlyName") {
        *name = v.to_string();
    }
    if let Some(v) = p.non_empty("Email") {
        *email = v.to_string();
    }
    if let Some(v) = p.get("StatusCallback") {
        *callback = Some(v.trim().to_string()).filter(|v| !v.is_empty());
    }
}

/// The review, with Twilio's delays: `in-review` after half the configured delay, then the
/// decision. A configured rejection rejects everything with its reason; otherwise the
/// reviewers' checks ([`regulations::review`]) reject with field-level findings, stored
/// as the bundle's newest evaluation, or approve. Then the signed callback.
async fn review(sh: Arc<Shared>, sid: String) {
    let half = sh.config.bundle_review_delay / 2;
    tokio::time::sleep(half).await;
    sh.with(|s| {
        if let Some(b) = s.bundles.iter_mut().find(|b| b.sid == sid && b.status == "pending-review") {
            b.status = "in-review".into();
            b.date_updated = Utc::now();
        }
    });
    tokio::time::sleep(sh.config.bundle_review_delay - half).await;
    let decided = sh.with(|s| {
        let (status, reason) = match &sh.config.bundle_outcome {
            BundleOutcome::Reject(why) => ("twilio-rejected", Some(why.clone())),
            BundleOutcome::Approve => match reviewers(s, &sid) {
                Some(e) => {
                    let first = e.results[0]["invalid"][0]["failure_reason"].as_str().map(str::to_string);
                    s.evaluations.push(e);
                    ("twilio-rejected", first.or_else(|| Some("The bundle was rejected by the reviewers.".into())))
                }
                None => ("twilio-approved", None),
            },
        };
        let b = s.bundles.iter_mut().find(|b| b.sid == sid)?;
        let now = Utc::now();
        b.status = status.to_string();
        b.failure_reason = reason.clone();
        b.valid_until = (status == "twilio-approved").then(|| now + chrono::Duration::days(365));
        b.date_updated = now;
        Some((status, reason, b.status_callback.clone()))
    });
    let Some((status, reason, callback)) = decided else { return };
    let Some(url) = callback else { return };
    webhooks::bundle_status(&sh, &url, &sid, status, reason).await;
}

pub(crate) async fn bundle_delete(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    deleted(&sh, &format!("{V2}/{sid}"), |s| {
        s.items.retain(|i| i.bundle_sid != sid);
        remove_where(&mut s.bundles, |b| b.sid == sid)
    })
}

fn item_json(sh: &Shared, i: &ItemRec) -> Value {
    json!({
        "sid": i.sid,
        "bundle_sid": i.bundle_sid,
        "account_sid": sh.config.account_sid,
        "object_sid": i.object_sid,
        "date_created": iso8601(i.date_created),
        "url": url(sh, &format!("Bundles/{}/ItemAssignments/{}", i.bundle_sid, i.sid)),
    })
}

pub(crate) async fn item_create(axum::extract::State(sh): Sh, Path(bundle): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let object = p.required("ObjectSid")?.to_string();
    let v = sh.with(|s| {
        let b = s.bundles.iter().find(|b| b.sid == bundle).ok_or_else(|| not_found(&format!("Bundles/{bundle}")))?;
        if b.status != "draft" && b.status != "twilio-rejected" {
            return Err(ApiError::bad(22210, format!("Bundle {bundle} is {} and cannot be changed", b.status)));
        }
        let exists = s.end_users.iter().any(|e| e.sid == object) || s.documents.iter().any(|d| d.sid == object);
        if !exists {
            return Err(ApiError::bad(
                20001,
                format!("ObjectSid {object} is not an EndUser or SupportingDocument of this account"),
            ));
        }
        let i = ItemRec {
            sid: new_sid("BV"),
            bundle_sid: bundle.clone(),
            object_sid: object.clone(),
            date_created: Utc::now(),
        };
        let v = item_json(&sh, &i);
        s.items.push(i);
        Ok(v)
    })?;
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn items_list(
    axum::extract::State(sh): Sh,
    Path(bundle): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| s.items.iter().filter(|i| i.bundle_sid == bundle).map(|i| item_json(&sh, i)).collect());
    page_v2(&sh.base_url, &format!("{V2}/Bundles/{bundle}/ItemAssignments"), "results", &q, items)
}

pub(crate) async fn item_fetch(
    axum::extract::State(sh): Sh,
    Path((bundle, item)): Path<(String, String)>,
) -> ApiResult {
    sh.with(|s| s.items.iter().find(|i| i.sid == item && i.bundle_sid == bundle).map(|i| item_json(&sh, i)))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| not_found(&format!("Bundles/{bundle}/ItemAssignments/{item}")))
}

pub(crate) async fn item_delete(
    axum::extract::State(sh): Sh,
    Path((bundle, item)): Path<(String, String)>,
) -> ApiResult {
    deleted(&sh, &format!("{V2}/{item}"), |s| remove_where(&mut s.items, |i| i.sid == item && i.bundle_sid == bundle))
}

fn evaluation_json(sh: &Shared, e: &EvaluationRec) -> Value {
    json!({
        "sid": e.sid,
        "account_sid": sh.config.account_sid,
        "regulation_sid": e.regulation_sid,
        "bundle_sid": e.bundle_sid,
        "status": e.status,
        "results": e.results,
        "date_created": iso8601(e.date_created),
        "url": url(sh, &format!("Bundles/{}/Evaluations/{}", e.bundle_sid, e.sid)),
    })
}

/// The reviewers' findings on a bundle as a non-compliant evaluation, or None to approve.
fn reviewers(s: &State, bundle: &str) -> Option<EvaluationRec> {
    let b = s.bundles.iter().find(|b| b.sid == bundle)?;
    let regulation = regulations::regulation_by_sid(&b.regulation_sid)?;
    let items = items_of(s, bundle);
    let address =
        |sid: &str| s.addresses.iter().find(|a| a.sid == sid).map(|a| (a.iso_country.clone(), a.street.clone()));
    let results = regulations::review(&regulation, &items, &address);
    (!results.is_empty()).then(|| EvaluationRec {
        sid: new_sid("EL"),
        bundle_sid: bundle.to_string(),
        regulation_sid: regulation.sid,
        status: "noncompliant".into(),
        results: Value::Array(results),
        date_created: Utc::now(),
    })
}

fn items_of<'a>(s: &'a State, bundle: &str) -> Vec<Item<'a>> {
    let mut items = Vec::new();
    for i in s.items.iter().filter(|i| i.bundle_sid == bundle) {
        if let Some(e) = s.end_users.iter().find(|e| e.sid == i.object_sid) {
            items.push(Item { kind: &e.kind, is_end_user: true, attributes: &e.attributes });
        } else if let Some(d) = s.documents.iter().find(|d| d.sid == i.object_sid) {
            items.push(Item { kind: &d.kind, is_end_user: false, attributes: &d.attributes });
        }
    }
    items
}

/// Evaluates the bundle's current items against its regulation.
fn evaluate(_sh: &Shared, s: &State, bundle: &str) -> Result<EvaluationRec, ApiError> {
    let b = s.bundles.iter().find(|b| b.sid == bundle).ok_or_else(|| not_found(&format!("Bundles/{bundle}")))?;
    let regulation = regulations::regulation_by_sid(&b.regulation_sid)
        .ok_or_else(|| ApiError::bad(22201, format!("Regulation {} is unknown", b.regulation_sid)))?;
    let items = items_of(s, bundle);
    let address =
        |sid: &str| s.addresses.iter().find(|a| a.sid == sid).map(|a| (a.iso_country.clone(), a.street.clone()));
    let (compliant, results) = regulations::evaluate(&regulation, &items, &address);
    Ok(EvaluationRec {
        sid: new_sid("EL"),
        bundle_sid: bundle.to_string(),
        regulation_sid: regulation.sid,
        status: if compliant { "compliant" } else { "noncompliant" }.into(),
        results,
        date_created: Utc::now(),
    })
}

pub(crate) async fn evaluation_create(axum::extract::State(sh): Sh, Path(bundle): Path<String>) -> ApiResult {
    let v = sh.with(|s| {
        let e = evaluate(&sh, s, &bundle)?;
        let v = evaluation_json(&sh, &e);
        s.evaluations.push(e);
        Ok::<_, ApiError>(v)
    })?;
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn evaluations_list(
    axum::extract::State(sh): Sh,
    Path(bundle): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| {
        s.evaluations.iter().rev().filter(|e| e.bundle_sid == bundle).map(|e| evaluation_json(&sh, e)).collect()
    });
    page_v2(&sh.base_url, &format!("{V2}/Bundles/{bundle}/Evaluations"), "results", &q, items)
}

pub(crate) async fn evaluation_fetch(
    axum::extract::State(sh): Sh,
    Path((bundle, eval)): Path<(String, String)>,
) -> ApiResult {
    sh.with(|s| s.evaluations.iter().find(|e| e.sid == eval && e.bundle_sid == bundle).map(|e| evaluation_json(&sh, e)))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| not_found(&format!("Bundles/{bundle}/Evaluations/{eval}")))
}
