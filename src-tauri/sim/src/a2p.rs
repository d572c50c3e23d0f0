//! Messaging v1 for A2P 10DLC: Messaging Services and their numbers, brand registrations
//! (Sole Proprietor: an OTP texted to the owner's mobile, approved when the owner replies
//! with it), the OTP resend, and campaigns (`Compliance/Usa2p`) reviewed after a delay.
//! Brands and campaigns end approved or failed with a reason, per `SimConfig::us_outcomes`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::Extension;
use chrono::Utc;
use serde_json::{json, Value};

use super::server::{json_response, page_v2, ApiError, ApiResult, ConnKill, Params};
use super::state::{iso8601, new_sid, Shared};
use super::us_state::{self, BrandRec, CampaignRec, ServiceRec};
use super::{BundleOutcome, SimMessage};

type St = axum::extract::State<Arc<Shared>>;

/// The sender of the OTP text on the owner's phone (a short code, as The Campaign Registry's).
pub const OTP_SENDER: &str = "TCR";

fn service_json(sh: &Shared, s: &ServiceRec, registered: bool) -> Value {
    json!({
        "sid": s.sid,
        "account_sid": sh.config.account_sid,
        "friendly_name": s.friendly_name,
        "date_created": iso8601(s.date_created),
        "date_updated": iso8601(s.date_created),
        "inbound_request_url": null,
        "inbound_method": "POST",
        "use_inbound_webhook_on_number": s.use_inbound_webhook_on_number,
        "us_app_to_person_registered": registered,
        "usecase": "undeclared",
        "url": format!("https://messaging.twilio.com/v1/Services/{}", s.sid),
        "links": {},
    })
}

fn brand_json(sh: &Shared, b: &BrandRec) -> Value {
    json!({
        "sid": b.sid,
        "account_sid": sh.config.account_sid,
        "customer_profile_bundle_sid": b.customer_profile_sid,
        "a2p_profile_bundle_sid": b.trust_product_sid,
        "date_created": iso8601(b.date_created),
        "date_updated": iso8601(b.date_updated),
        "brand_type": b.brand_type,
        "status": b.status,
        "tcr_id": format!("B{}", &b.sid[2..8].to_ascii_uppercase()),
        "failure_reason": b.failure_reason,
        "errors": b.failure_reason.as_ref().map(|r| json!([{"description": r}])).unwrap_or(json!([])),
        "identity_status": b.identity_status,
        "mock": false,
        "url": format!("https://messaging.twilio.com/v1/a2p/BrandRegistrations/{}", b.sid),
        "links": {},
    })
}

fn campaign_json(sh: &Shared, c: &CampaignRec) -> Value {
    json!({
        "sid": c.sid,
        "account_sid": sh.config.account_sid,
        "brand_registration_sid": c.brand_sid,
        "messaging_service_sid": c.service_sid,
        "description": c.description,
        "message_flow": c.message_flow,
        "message_samples": c.samples,
        "us_app_to_person_usecase": c.usecase,
        "campaign_status": c.status,
        "campaign_id": format!("C{}", &c.sid[2..8].to_ascii_uppercase()),
        "errors": c.failure.as_ref().map(|r| json!([{"code": 30896, "description": r}])).unwrap_or(json!([])),
        "date_created": iso8601(c.date_created),
        "date_updated": iso8601(c.date_updated),
        "url": format!("https://messaging.twilio.com/v1/Services/{}/Compliance/Usa2p/{}", c.service_sid, c.sid),
        "mock": false,
    })
}

fn not_found(path: &str) -> ApiError {
    ApiError::not_found(&format!("/v1/{path}"))
}

fn bool_param(p: &Params, name: &str) -> bool {
    p.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

pub(crate) async fn services_create(axum::extract::State(sh): St, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let rec = ServiceRec {
        sid: new_sid("MG"),
        friendly_name: p.required("FriendlyName")?.to_string(),
        use_inbound_webhook_on_number: bool_param(&p, "UseInboundWebhookOnNumber"),
        numbers: Vec::new(),
        date_created: Utc::now(),
    };
    let v = service_json(&sh, &rec, false);
    sh.with(|s| s.us.services.push(rec));
    Ok(json_response(StatusCode::CREATED, v))
}

/// Updates a service (`FriendlyName`, `UseInboundWebhookOnNumber`).
pub(crate) async fn service_update(axum::extract::State(sh): St, Path(sid): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    sh.with(|s| {
        let registered = s.us.campaigns.iter().any(|c| c.service_sid == sid);
        let svc =
            s.us.services.iter_mut().find(|x| x.sid == sid).ok_or_else(|| not_found(&format!("Services/{sid}")))?;
        if let Some(name) = p.non_empty("FriendlyName") {
            svc.friendly_name = name.to_string();
        }
        if p.get("UseInboundWebhookOnNumber").is_some() {
            svc.use_inbound_webhook_on_number = bool_param(&p, "UseInboundWebhookOnNumber");
        }
        Ok(json_response(StatusCode::OK, service_json(&sh, svc, registered)))
    })
}

pub(crate) async fn services_list(axum::extract::State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| {
        s.us.services
            .iter()
            .map(|svc| service_json(&sh, svc, s.us.campaigns.iter().any(|c| c.service_sid == svc.sid)))
            .collect::<Vec<_>>()
    });
    page_v2(&sh.base_url, "/v1/Services", "services", &q, items)
}

pub(crate) async fn service_fetch(axum::extract::State(sh): St, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| {
        let svc = s.us.services.iter().find(|x| x.sid == sid).ok_or_else(|| not_found(&format!("Services/{sid}")))?;
        let registered = s.us.campaigns.iter().any(|c| c.service_sid == svc.sid);
        Ok(json_response(StatusCode::OK, service_json(&sh, svc, registered)))
    })
}

fn service_number_json(sh: &Shared, service: &str, pn: &str, e164: &str) -> Value {
    json!({
        "sid": pn,
        "account_sid": sh.config.account_sid,
        "service_sid": service,
        "phone_number": e164,
        "country_code": "US",
        "capabilities": ["SMS", "MMS"],
        "date_created": iso8601(Utc::now()),
        "date_updated": iso8601(Utc::now()),
        "url": format!("https://messaging.twilio.com/v1/Services/{service}/PhoneNumbers/{pn}"),
    })
}

pub(crate) async fn service_numbers_add(
    axum::extract::State(sh): St,
    Path(sid): Path<String>,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let pn = p.required("PhoneNumberSid")?.to_string();
    let v = sh.with(|s| {
        let e164 = s
            .numbers
            .iter()
            .find(|n| n.sid == pn)
            .map(|n| n.phone_number.clone())
            .ok_or_else(|| ApiError::bad(21606, format!("Phone number {pn} is not in this account")))?;
        if s.us.services.iter().any(|x| x.sid != sid && x.numbers.iter().any(|(n, _)| *n == pn)) {
            return Err(ApiError::bad(21712, format!("Phone Number {pn} is already in another Messaging Service")));
        }
        let svc =
            s.us.services.iter_mut().find(|x| x.sid == sid).ok_or_else(|| not_found(&format!("Services/{sid}")))?;
        if svc.numbers.iter().any(|(n, _)| *n == pn) {
            return Err(ApiError::bad(21710, format!("Phone Number {pn} is already in the Messaging Service")));
        }
        svc.numbers.push((pn.clone(), e164.clone()));
        Ok(service_number_json(&sh, &sid, &pn, &e164))
    })?;
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn service_numbers_list(
    axum::extract::State(sh): St,
    Path(sid): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| {
        let svc = s.us.services.iter().find(|x| x.sid == sid).ok_or_else(|| not_found(&format!("Services/{sid}")))?;
        Ok::<_, ApiError>(svc.numbers.iter().map(|(pn, e)| service_number_json(&sh, &sid, pn, e)).collect::<Vec<_>>())
    })?;
    page_v2(&sh.base_url, &format!("/v1/Services/{sid}/PhoneNumbers"), "phone_numbers", &q, items)
}

/// A six-digit code, and its text on the owner's phone.
fn text_otp(s: &mut super::state::State, mobile: &str, brand_name: &str) -> String {
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let body = format!(
        "Your one-time code to confirm the brand \"{brand_name}\" for business texting is {code}. Reply with this code within 24 hours to confirm."
    );
    s.phones.entry(mobile.to_string()).or_default().push(SimMessage {
        sid: new_sid("SM"),
        from: OTP_SENDER.into(),
        to: mobile.to_string(),
        body,
        status: "delivered".into(),
        direction: "outbound-api".into(),
        media_urls: Vec::new(),
        error_code: None,
        date_created: super::state::rfc2822(Utc::now()),
    });
    code
}

pub(crate) async fn brands_create(
    axum::extract::State(sh): St,
    kill: Option<Extension<ConnKill>>,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let cp = p.required("CustomerProfileBundleSid")?.to_string();
    let tp = p.required("A2PProfileBundleSid")?.to_string();
    let brand_type = p.non_empty("BrandType").unwrap_or("STANDARD").to_string();
    let (v, sole) = sh.with(|s| {
        let approved = |sid: &str| s.us.trust.iter().any(|t| t.sid == sid && t.status == "twilio-approved");
        if !approved(&cp) || !approved(&tp) {
            return Err(ApiError::bad(21730, "The customer profile and the A2P trust product must be approved first"));
        }
        let now = Utc::now();
        let mut rec = BrandRec {
            sid: new_sid("BN"),
            customer_profile_sid: cp.clone(),
            trust_product_sid: tp.clone(),
            brand_type: brand_type.clone(),
            status: "PENDING".into(),
            identity_status: "UNVERIFIED".into(),
            failure_reason: None,
            otp_mobile: None,
            otp: None,
            date_created: now,
            date_updated: now,
        };
        let sole = brand_type == "SOLE_PROPRIETOR";
        if sole {
            let info = s.us.trust.iter().find(|t| t.sid == tp).map(|t| t.assigned.clone()).unwrap_or_default();
            let end_user =
                s.us.end_users
                    .iter()
                    .find(|e| e.kind == "sole_proprietor_information" && info.iter().any(|(_, o)| *o == e.sid));
            let mobile = end_user.and_then(|e| e.attributes.get("mobile_phone_number")).and_then(|m| m.as_str());
            let name = end_user.and_then(|e| e.attributes.get("brand_name")).and_then(|m| m.as_str()).unwrap_or("");
            let (Some(mobile), name) = (mobile.map(str::to_string), name.to_string()) else {
                return Err(ApiError::bad(21731, "The Sole Proprietor trust product has no mobile phone number"));
            };
            rec.otp = Some(text_otp(s, &mobile, &name));
            rec.otp_mobile = Some(mobile);
        }
        let v = brand_json(&sh, &rec);
        s.us.brands.push(rec);
        Ok((v, sole))
    })?;
    let sid = v["sid"].as_str().unwrap_or_default().to_string();
    if !sole {
        sh.spawn(review_brand(sh.clone(), sid));
    }
    super::server::lose_the_answer_if_faulted(&sh, kill).await;
    Ok(json_response(StatusCode::CREATED, v))
}

/// The brand's review: approved (identity verified) or failed with the configured reason.
async fn review_brand(sh: Arc<Shared>, sid: String) {
    let outcome = sh.config.us_outcomes.brand.clone();
    us_state::review(
        &sh,
        |us| us.brands.iter_mut().find(|b| b.sid == sid),
        None,
        |b| {
            match outcome {
                BundleOutcome::Approve => {
                    b.status = "APPROVED".into();
                    b.identity_status = "VERIFIED".into();
                }
                BundleOutcome::Reject(why) => {
                    b.status = "FAILED".into();
                    b.failure_reason = Some(why);
                }
            }
            b.otp = None;
            b.date_updated = Utc::now();
        },
    )
    .await;
}

/// The owner answers the OTP text from `mobile`. A reply with the pending code starts the
/// brand's review; anything else changes nothing. Returns whether the code was accepted.
pub(crate) fn reply_to_otp(sh: &Arc<Shared>, mobile: &str, text: &str) -> bool {
    let accepted = sh.with(|s| {
        let b = s.us.brands.iter_mut().find(|b| {
            b.status == "PENDING" && b.otp_mobile.as_deref() == Some(mobile) && b.otp.as_deref() == Some(text.trim())
        })?;
        b.otp = None;
        b.identity_status = "SELF_DECLARED".into();
        Some(b.sid.clone())
    });
    match accepted {
        Some(sid) => {
            sh.spawn(review_brand(sh.clone(), sid));
            true
        }
        None => false,
    }
}

pub(crate) async fn brands_list(axum::extract::State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| s.us.brands.iter().map(|b| brand_json(&sh, b)).collect::<Vec<_>>());
    page_v2(&sh.base_url, "/v1/a2p/BrandRegistrations", "data", &q, items)
}

pub(crate) async fn brand_fetch(axum::extract::State(sh): St, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| {
        let b =
            s.us.brands
                .iter()
                .find(|b| b.sid == sid)
                .ok_or_else(|| not_found(&format!("a2p/BrandRegistrations/{sid}")))?;
        Ok(json_response(StatusCode::OK, brand_json(&sh, b)))
    })
}

/// Texts a new code to a Sole Proprietor brand still waiting for one.
pub(crate) async fn brand_otp_resend(axum::extract::State(sh): St, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| {
        let b =
            s.us.brands
                .iter()
                .find(|b| b.sid == sid)
                .ok_or_else(|| not_found(&format!("a2p/BrandRegistrations/{sid}")))?;
        if b.brand_type != "SOLE_PROPRIETOR" || b.status != "PENDING" {
            return Err(ApiError::bad(21732, "Only a pending Sole Proprietor brand can be sent a new code"));
        }
        let mobile = b.otp_mobile.clone().unwrap_or_default();
        let tp = b.trust_product_sid.clone();
        let name = s.us.trust.iter().find(|t| t.sid == tp).map(|t| t.friendly_name.clone()).unwrap_or_default();
        let code = text_otp(s, &mobile, &name);
        if let Some(b) = s.us.brands.iter_mut().find(|b| b.sid == sid) {
            b.otp = Some(code);
        }
        Ok(json_response(
            StatusCode::CREATED,
            json!({"account_sid": sh.config.account_sid, "brand_registration_sid": sid}),
        ))
    })
}

pub(crate) async fn campaigns_create(
    axum::extract::State(sh): St,
    Path(service): Path<String>,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let brand = p.required("BrandRegistrationSid")?.to_string();
    let description = p.required("Description")?.to_string();
    let flow = p.required("MessageFlow")?.to_string();
    let usecase = p.required("UsAppToPersonUsecase")?.to_string();
    p.required("HasEmbeddedLinks")?;
    p.required("HasEmbeddedPhone")?;
    let samples = p.all("MessageSamples");
    if samples.len() < 2 {
        return Err(ApiError::bad(21718, "At least two MessageSamples are required"));
    }
    let v = sh.with(|s| {
        if !s.us.services.iter().any(|x| x.sid == service) {
            return Err(not_found(&format!("Services/{service}")));
        }
        let b =
            s.us.brands
                .iter()
                .find(|b| b.sid == brand)
                .ok_or_else(|| ApiError::bad(21714, format!("Brand {brand} not found")))?;
        if b.status != "APPROVED" {
            return Err(ApiError::bad(21715, format!("Brand {brand} is {} and cannot register a campaign", b.status)));
        }
        if s.us.campaigns.iter().any(|c| c.service_sid == service) {
            return Err(ApiError::bad(21712, "This Messaging Service already has a campaign"));
        }
        let now = Utc::now();
        let rec = CampaignRec {
            sid: new_sid("QE"),
            service_sid: service.clone(),
            brand_sid: brand.clone(),
            usecase,
            description,
            message_flow: flow,
            samples,
            status: "IN_PROGRESS".into(),
            failure: None,
            date_created: now,
            date_updated: now,
        };
        let v = campaign_json(&sh, &rec);
        s.us.campaigns.push(rec);
        Ok(v)
    })?;
    let sid = v["sid"].as_str().unwrap_or_default().to_string();
    sh.spawn(review_campaign(sh.clone(), sid));
    Ok(json_response(StatusCode::CREATED, v))
}

/// The campaign's review by the carriers: verified, or failed with the configured reason.
async fn review_campaign(sh: Arc<Shared>, sid: String) {
    let outcome = sh.config.us_outcomes.campaign.clone();
    us_state::review(
        &sh,
        |us| us.campaigns.iter_mut().find(|c| c.sid == sid),
        None,
        |c| {
            let (status, reason) = outcome.decision("VERIFIED", "FAILED");
            c.status = status.into();
            if reason.is_some() {
                c.failure = reason;
            }
            c.date_updated = Utc::now();
        },
    )
    .await;
}

pub(crate) async fn campaigns_list(
    axum::extract::State(sh): St,
    Path(service): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| {
        s.us.campaigns.iter().filter(|c| c.service_sid == service).map(|c| campaign_json(&sh, c)).collect::<Vec<_>>()
    });
    page_v2(&sh.base_url, &format!("/v1/Services/{service}/Compliance/Usa2p"), "compliance", &q, items)
}

pub(crate) async fn campaign_fetch(
    axum::extract::State(sh): St,
    Path((service, sid)): Path<(String, String)>,
) -> ApiResult {
    sh.with(|s| {
        let c =
            s.us.campaigns
                .iter()
                .find(|c| c.sid == sid && c.service_sid == service)
                .ok_or_else(|| not_found(&format!("Services/{service}/Compliance/Usa2p/{sid}")))?;
        Ok(json_response(StatusCode::OK, campaign_json(&sh, c)))
    })
}
