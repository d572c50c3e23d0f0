//! The A2P 10DLC workflow, one step at a time ([`Step`]): customer profile → trust product
//! → their review → brand (→ the Sole Proprietor's OTP) → brand review → Messaging Service
//! and its numbers → campaign → campaign review → done.
//!
//! [`advance`] runs as far as it can without waiting and saves after every Twilio object it
//! makes; it is called again by polling, by a status callback, and after the owner acts
//! (the campaign form). Every create is preceded by a look-up of the objects that an earlier
//! run may have created without seeing the answer (the brand by its profile and trust
//! product, the others by their name), so an interrupted run never makes a second of any.

use serde_json::json;

use crate::domain::nanp::{sender_kind, UsSenderKind};
use crate::domain::us_registration::{
    validate_campaign, validate_details, BrandKind, BusinessDetails, CampaignForm, Step,
};
use crate::error::{Error, Result};
use crate::store::us_registration::{self as records, RegNumber, UsRegistration};
use crate::store::Store;
use crate::twilio::api::messaging::NewCampaign;
use crate::twilio::api::numbers::{NewAddress, PostalAddress};
use crate::twilio::api::trusthub::{policy, TrustKind};
use crate::twilio::client::TwilioClient;

/// The Messaging Service Switchboard makes, or reuses (shared with scheduled messages).
pub use super::service::SERVICE_NAME;

/// Starts a registration for `numbers` (E.164 US local numbers the account owns).
pub async fn start(
    store: &Store,
    kind: BrandKind,
    details: BusinessDetails,
    numbers: Vec<String>,
) -> Result<UsRegistration> {
    validate_details(kind, &details)?;
    if numbers.is_empty() {
        return Err(Error::InvalidInput("choose the US number to register".into()));
    }
    if kind == BrandKind::SoleProprietor && numbers.len() > 1 {
        return Err(Error::InvalidInput("a Sole Proprietor brand can register one number only".into()));
    }
    store
        .write_async(move |tx| {
            let mut regs = Vec::new();
            for e164 in &numbers {
                if sender_kind(e164) != UsSenderKind::Local10dlc {
                    return Err(Error::InvalidInput(format!(
                        "{e164} is not a US local number; toll-free numbers are verified with the toll-free form"
                    )));
                }
                let n = crate::store::numbers::find_by_e164(tx, e164)?
                    .ok_or_else(|| Error::not_found(format!("number {e164}")))?;
                let sid = n.sid.ok_or_else(|| {
                    Error::InvalidInput(format!("{e164} is not in your Twilio account yet; sync your numbers first"))
                })?;
                regs.push(RegNumber { e164: e164.clone(), sid, added: false });
            }
            let id = records::create(tx, kind, &details, &regs)?;
            records::get(tx, id)
        })
        .await
}

/// Records the owner's campaign description (checked as Twilio would), then [`advance`]
/// can register it. Refused once the campaign exists.
pub async fn set_campaign(store: &Store, id: i64, form: CampaignForm) -> Result<UsRegistration> {
    let mut r = load(store, id).await?;
    validate_campaign(r.brand_kind, &form)?;
    if r.campaign_sid.is_some() {
        return Err(Error::InvalidInput("the campaign is already registered".into()));
    }
    r.campaign_form = Some(form);
    save(store, &r).await?;
    Ok(r)
}

async fn load(store: &Store, id: i64) -> Result<UsRegistration> {
    store.read_async(move |c| records::get(c, id)).await
}

async fn save(store: &Store, r: &UsRegistration) -> Result<()> {
    let r = r.clone();
    store.write_async(move |tx| records::save(tx, &r)).await
}

/// What [`advance`] needs besides the registration.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub client: &'a TwilioClient,
    /// Where Twilio posts Trust Hub status changes (`<public>/twilio/trusthub`), if reachable.
    pub status_callback: Option<String>,
}

/// Runs the registration as far as it goes without waiting for Twilio's review or the
/// owner. An error is recorded in `last_error` (and returned); the next call resumes.
pub async fn advance(ctx: &Ctx<'_>, id: i64) -> Result<UsRegistration> {
    let mut r = load(ctx.store, id).await?;
    loop {
        let before = r.step;
        if before.is_final() {
            return Ok(r);
        }
        let outcome = match before {
            Step::CustomerProfile => customer_profile(ctx, &mut r).await,
            Step::TrustProduct => trust_product(ctx, &mut r).await,
            Step::ProfileReview => profile_review(ctx, &mut r).await,
            Step::Brand => brand(ctx, &mut r).await,
            Step::BrandOtp | Step::BrandReview => brand_review(ctx, &mut r).await,
            Step::MessagingService => messaging_service(ctx, &mut r).await,
            Step::Campaign => campaign(ctx, &mut r).await,
            Step::CampaignReview => campaign_review(ctx, &mut r).await,
            Step::Done | Step::Failed => Ok(()),
        };
        if let Err(e) = outcome {
            r.last_error = Some(e.to_string());
            save(ctx.store, &r).await?;
            return Err(e);
        }
        r.last_error = None;
        save(ctx.store, &r).await?;
        if r.step == before {
            return Ok(r);
        }
    }
}

/// Advances every registration still under way (start-up, the periodic sync, a callback).
/// Returns how many changed step; one failing does not stop the others.
pub async fn poll_all(ctx: &Ctx<'_>) -> Result<usize> {
    let open: Vec<UsRegistration> =
        ctx.store.read_async(|c| Ok(records::list(c)?.into_iter().filter(|r| !r.step.is_final()).collect())).await?;
    let mut changed = 0;
    for r in open {
        match advance(ctx, r.id).await {
            Ok(now) if now.step != r.step => changed += 1,
            Ok(_) => {}
            Err(e) => tracing::warn!(id = r.id, "US registration did not advance: {e}"),
        }
    }
    Ok(changed)
}

/// Sole Proprietor: asks Twilio to text the owner's mobile a new code (the first one
/// expired or never arrived).
pub async fn resend_otp(ctx: &Ctx<'_>, id: i64) -> Result<UsRegistration> {
    let r = load(ctx.store, id).await?;
    let Some(brand) = r.brand_sid.as_deref().filter(|_| r.step == Step::BrandOtp) else {
        return Err(Error::InvalidInput("there is no one-time code to resend at this step".into()));
    };
    ctx.client.resend_brand_otp(brand).await?;
    Ok(r)
}

fn profile_name(r: &UsRegistration) -> String {
    format!("{} customer profile (Switchboard #{})", r.details.business_name, r.id)
}

fn trust_product_name(r: &UsRegistration) -> String {
    format!("{} A2P trust product (Switchboard #{})", r.details.business_name, r.id)
}

fn entity(r: &UsRegistration, key: &str) -> Option<String> {
    r.trust_entities.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

fn assigned(r: &UsRegistration, key: &str, sid: &str) -> bool {
    r.trust_entities.get(key).and_then(|v| v.as_array()).is_some_and(|a| a.iter().any(|x| x.as_str() == Some(sid)))
}

fn mark_assigned(r: &mut UsRegistration, key: &str, sid: &str) {
    let list = r.trust_entities.entry(key.to_string()).or_insert_with(|| json!([]));
    if let Some(a) = list.as_array_mut() {
        a.push(json!(sid));
    }
}

/// Makes the Trust Hub object (end user or document) for `key` once.
async fn ensure_entity(
    ctx: &Ctx<'_>,
    r: &mut UsRegistration,
    key: &str,
    make: impl std::future::Future<Output = Result<String>>,
) -> Result<String> {
    if let Some(sid) = entity(r, key) {
        return Ok(sid);
    }
    let sid = make.await?;
    r.trust_entities.insert(key.to_string(), json!(sid));
    save(ctx.store, r).await?;
    Ok(sid)
}

/// Assigns each of `objects` to the trust object once; after an unconfirmed assignment the
/// object's assignments are read first.
async fn assign_all(
    ctx: &Ctx<'_>,
    r: &mut UsRegistration,
    kind: TrustKind,
    sid: &str,
    objects: &[String],
) -> Result<()> {
    let key = match kind {
        TrustKind::CustomerProfile => "cp_assigned",
        TrustKind::TrustProduct => "tp_assigned",
    };
    for object in objects {
        if assigned(r, key, object) {
            continue;
        }
        let pending = format!("assign:{object}");
        let known = r.pending_create.as_deref() == Some(pending.as_str())
            && ctx
                .client
                .list_entity_assignments(kind, sid)
                .await?
                .iter()
                .any(|a| a.object_sid.as_deref() == Some(object.as_str()));
        if !known {
            r.pending_create = Some(pending);
            save(ctx.store, r).await?;
            ctx.client.assign_entity(kind, sid, object).await?;
        }
        mark_assigned(r, key, object);
        r.pending_create = None;
        save(ctx.store, r).await?;
    }
    Ok(())
}

/// Where a registration keeps the SID and the status of its customer profile or trust product.
fn trust_fields(r: &mut UsRegistration, kind: TrustKind) -> (&mut Option<String>, &mut Option<String>) {
    match kind {
        TrustKind::CustomerProfile => (&mut r.customer_profile_sid, &mut r.customer_profile_status),
        TrustKind::TrustProduct => (&mut r.trust_product_sid, &mut r.trust_product_status),
    }
}

/// The customer profile or trust product, found by name (an earlier run's) or created.
async fn ensure_trust_object(
    ctx: &Ctx<'_>,
    r: &mut UsRegistration,
    kind: TrustKind,
    name: &str,
    policy_sid: &str,
) -> Result<String> {
    if let Some(sid) = trust_fields(r, kind).0.clone() {
        return Ok(sid);
    }
    let pending = match kind {
        TrustKind::CustomerProfile => "customer_profile",
        TrustKind::TrustProduct => "trust_product",
    };
    let found =
        ctx.client.find_trust_objects(kind, name).await?.into_iter().find(|o| o.friendly_name.as_deref() == Some(name));
    let object = match found {
        Some(o) => o,
        None => {
            r.pending_create = Some(pending.into());
            save(ctx.store, r).await?;
            ctx.client
                .create_trust_object(kind, name, &r.details.email, policy_sid, ctx.status_callback.as_deref())
                .await?
        }
    };
    let (sid, status) = trust_fields(r, kind);
    *sid = Some(object.sid.clone());
    *status = object.status;
    r.pending_create = None;
    save(ctx.store, r).await?;
    Ok(object.sid)
}

/// Evaluates, then submits a compliant object for review; a noncompliant one fails the
/// registration with Twilio's per-requirement reasons.
async fn evaluate_and_submit(
    ctx: &Ctx<'_>,
    r: &mut UsRegistration,
    kind: TrustKind,
    sid: &str,
    policy_sid: &str,
) -> Result<bool> {
    if trust_fields(r, kind).1.as_deref().is_some_and(|s| s != "draft") {
        return Ok(true);
    }
    let evaluation = ctx.client.evaluate_trust_object(kind, sid, policy_sid).await?;
    if !evaluation.is_compliant() {
        let what = match kind {
            TrustKind::CustomerProfile => "Your business profile",
            TrustKind::TrustProduct => "Your A2P messaging profile",
        };
        let reasons = evaluation.failures();
        r.failure_reason = Some(if reasons.is_empty() {
            format!("{what} is missing information Twilio requires")
        } else {
            format!("{what} is not complete: {}", reasons.join("; "))
        });
        r.step = Step::Failed;
        return Ok(false);
    }
    let submitted = ctx.client.submit_trust_object(kind, sid).await?;
    *trust_fields(r, kind).1 = Some(submitted.status.unwrap_or_else(|| "pending-review".into()));
    Ok(true)
}

async fn customer_profile(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let sole = r.brand_kind == BrandKind::SoleProprietor;
    let policy_sid = if sole { policy::SOLE_PROPRIETOR_PROFILE } else { policy::SECONDARY_CUSTOMER_PROFILE };
    let name = profile_name(r);
    let cp = ensure_trust_object(ctx, r, TrustKind::CustomerProfile, &name, policy_sid).await?;
    let d = r.details.clone();
    let client = ctx.client;
    let contact = format!("{} {}", d.first_name, d.last_name);
    let address = ensure_entity(ctx, r, "address", async {
        let a = client
            .create_address(&NewAddress {
                postal: PostalAddress {
                    customer_name: if sole { contact.clone() } else { d.business_name.clone() },
                    street: d.street.clone(),
                    city: d.city.clone(),
                    region: d.region.clone(),
                    postal_code: d.postal_code.clone(),
                    iso_country: "US".into(),
                },
                friendly_name: Some(format!("{} (Switchboard US registration)", d.business_name)),
            })
            .await?;
        Ok(a.sid)
    })
    .await?;
    let document = ensure_entity(ctx, r, "address_document", async {
        let doc = client
            .create_trust_document(
                &format!("{} address", d.business_name),
                "customer_profile_address",
                &json!({"address_sids": address}),
            )
            .await?;
        Ok(doc.sid)
    })
    .await?;
    let mut objects = Vec::new();
    if sole {
        objects.push(
            ensure_entity(ctx, r, "cp_individual", async {
                let attrs = json!({"first_name": d.first_name, "last_name": d.last_name, "email": d.email, "phone_number": d.phone});
                Ok(client.create_trust_end_user(&contact, "starter_customer_profile_information", &attrs).await?.sid)
            })
            .await?,
        );
    } else {
        objects.push(
            ensure_entity(ctx, r, "cp_business", async {
                let attrs = json!({
                    "business_name": d.business_name,
                    "business_identity": "direct_customer",
                    "business_type": d.business_type,
                    "business_industry": d.industry.clone().unwrap_or_else(|| "RETAIL".into()),
                    "business_registration_identifier": "EIN",
                    "business_registration_number": d.ein,
                    "business_regions_of_operation": "USA_AND_CANADA",
                    "website_url": d.website,
                    "social_media_profile_urls": "",
                });
                Ok(client
                    .create_trust_end_user(&d.business_name, "customer_profile_business_information", &attrs)
                    .await?
                    .sid)
            })
            .await?,
        );
        objects.push(
            ensure_entity(ctx, r, "cp_representative", async {
                let attrs = json!({
                    "first_name": d.first_name, "last_name": d.last_name, "email": d.email, "phone_number": d.phone,
                    "business_title": d.job_title.clone().unwrap_or_else(|| "Owner".into()),
                    "job_position": "Director",
                });
                Ok(client.create_trust_end_user(&contact, "authorized_representative_1", &attrs).await?.sid)
            })
            .await?,
        );
    }
    objects.push(document);
    assign_all(ctx, r, TrustKind::CustomerProfile, &cp, &objects).await?;
    if evaluate_and_submit(ctx, r, TrustKind::CustomerProfile, &cp, policy_sid).await? {
        r.step = Step::TrustProduct;
    }
    Ok(())
}

async fn trust_product(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let sole = r.brand_kind == BrandKind::SoleProprietor;
    let policy_sid = if sole { policy::SOLE_PROPRIETOR_A2P } else { policy::A2P_MESSAGING_PROFILE };
    let cp = r.customer_profile_sid.clone().ok_or_else(|| Error::Internal("the customer profile is missing".into()))?;
    let name = trust_product_name(r);
    let tp = ensure_trust_object(ctx, r, TrustKind::TrustProduct, &name, policy_sid).await?;
    let d = r.details.clone();
    let client = ctx.client;
    let info = ensure_entity(ctx, r, "tp_information", async {
        let (kind, attrs) = if sole {
            (
                "sole_proprietor_information",
                json!({
                    "brand_name": d.business_name,
                    "vertical": d.industry.clone().unwrap_or_else(|| "RETAIL".into()),
                    "mobile_phone_number": d.mobile,
                }),
            )
        } else {
            ("us_a2p_messaging_profile_information", json!({"company_type": "private"}))
        };
        Ok(client.create_trust_end_user(&format!("{} messaging profile", d.business_name), kind, &attrs).await?.sid)
    })
    .await?;
    assign_all(ctx, r, TrustKind::TrustProduct, &tp, &[info, cp]).await?;
    if evaluate_and_submit(ctx, r, TrustKind::TrustProduct, &tp, policy_sid).await? {
        r.step = Step::ProfileReview;
    }
    Ok(())
}

/// Waits for both reviews (a callback may already have recorded them; otherwise polled).
async fn profile_review(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    for kind in [TrustKind::CustomerProfile, TrustKind::TrustProduct] {
        let (sid, status) = trust_fields(r, kind);
        let (sid, status) = (sid.clone(), status.clone());
        let Some(sid) = sid else { return Err(Error::Internal("a Trust Hub SID is missing".into())) };
        let status = if status.as_deref() == Some("twilio-approved") {
            status
        } else {
            let o = ctx.client.fetch_trust_object(kind, &sid).await?;
            if o.status.as_deref() == Some("twilio-rejected") {
                let what = match kind {
                    TrustKind::CustomerProfile => "Twilio rejected your business profile",
                    TrustKind::TrustProduct => "Twilio rejected your A2P messaging profile",
                };
                let why = super::errors_text(o.errors.as_ref()).or_else(|| r.failure_reason.clone());
                r.failure_reason = Some(match why {
                    Some(w) => format!("{what}: {w}"),
                    None => format!("{what}."),
                });
                r.step = Step::Failed;
            }
            o.status
        };
        *trust_fields(r, kind).1 = status;
    }
    if r.step == Step::Failed {
        return Ok(());
    }
    let approved = |s: &Option<String>| s.as_deref() == Some("twilio-approved");
    if approved(&r.customer_profile_status) && approved(&r.trust_product_status) {
        r.step = Step::Brand;
    }
    Ok(())
}

/// Registers the brand once: Twilio is asked first whether a brand of this profile and
/// trust product exists (an earlier create whose answer was lost), and it is adopted.
async fn brand(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let (Some(cp), Some(tp)) = (r.customer_profile_sid.clone(), r.trust_product_sid.clone()) else {
        return Err(Error::Internal("the brand needs the customer profile and trust product".into()));
    };
    let existing = ctx.client.list_brands().await?.into_iter().find(|b| {
        b.customer_profile_bundle_sid.as_deref() == Some(cp.as_str())
            && b.a2p_profile_bundle_sid.as_deref() == Some(tp.as_str())
    });
    let brand = match existing {
        Some(b) => b,
        None => {
            r.pending_create = Some("brand".into());
            save(ctx.store, r).await?;
            let skip_vetting = r.brand_kind == BrandKind::LowVolumeStandard;
            ctx.client.create_brand(&cp, &tp, r.brand_kind.brand_type(), skip_vetting).await?
        }
    };
    r.pending_create = None;
    r.brand_sid = Some(brand.sid.clone());
    r.brand_status = brand.status.clone();
    r.identity_status = brand.identity_status.clone();
    r.step = if r.brand_kind == BrandKind::SoleProprietor { Step::BrandOtp } else { Step::BrandReview };
    Ok(())
}

async fn brand_review(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let sid = r.brand_sid.clone().ok_or_else(|| Error::Internal("the brand SID is missing".into()))?;
    let b = ctx.client.fetch_brand(&sid).await?;
    r.brand_status = b.status.clone();
    r.identity_status = b.identity_status.clone();
    match b.status.as_deref() {
        Some("APPROVED") => r.step = Step::MessagingService,
        Some("FAILED" | "SUSPENDED") => {
            let why = b.failure_reason.clone().or_else(|| super::errors_text(b.errors.as_ref()));
            r.failure_reason = Some(match why {
                Some(w) => format!("Your brand registration failed: {w}"),
                None => "Your brand registration failed.".into(),
            });
            r.step = Step::Failed;
        }
        _ => {}
    }
    Ok(())
}

/// Reuses the service named [`SERVICE_NAME`] (or makes it, keeping each number's own
/// inbound webhooks), then adds each number once.
async fn messaging_service(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let service = match r.messaging_service_sid.clone() {
        Some(s) => s,
        None => {
            let s = match super::service::find(ctx.client).await? {
                Some(s) => s,
                None => {
                    r.pending_create = Some("messaging_service".into());
                    save(ctx.store, r).await?;
                    super::service::create(ctx.client).await?
                }
            };
            r.pending_create = None;
            r.messaging_service_sid = Some(s.sid.clone());
            save(ctx.store, r).await?;
            s.sid
        }
    };
    for i in 0..r.numbers.len() {
        if r.numbers[i].added {
            continue;
        }
        let pn = r.numbers[i].sid.clone();
        let pending = format!("number:{pn}");
        let known = r.pending_create.as_deref() == Some(pending.as_str())
            && super::service::has_number(ctx.client, &service, &pn).await?;
        if !known {
            r.pending_create = Some(pending);
            save(ctx.store, r).await?;
            super::service::add_number(ctx.client, &service, &pn).await?;
        }
        r.numbers[i].added = true;
        r.pending_create = None;
        save(ctx.store, r).await?;
    }
    r.step = Step::Campaign;
    Ok(())
}

/// Registers the campaign once the owner has described it; an existing campaign of this
/// brand on the service (an earlier create whose answer was lost) is adopted.
async fn campaign(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let Some(form) = r.campaign_form.clone() else { return Ok(()) };
    let (Some(service), Some(brand)) = (r.messaging_service_sid.clone(), r.brand_sid.clone()) else {
        return Err(Error::Internal("the campaign needs the brand and the Messaging Service".into()));
    };
    let existing = ctx
        .client
        .list_campaigns(&service)
        .await?
        .into_iter()
        .find(|c| c.brand_registration_sid.as_deref() == Some(brand.as_str()));
    let c = match existing {
        Some(c) => c,
        None => {
            r.pending_create = Some("campaign".into());
            save(ctx.store, r).await?;
            let new = NewCampaign {
                brand_registration_sid: brand,
                description: form.description,
                message_flow: form.message_flow,
                message_samples: form.message_samples,
                usecase: form.usecase,
                has_embedded_links: form.has_embedded_links,
                has_embedded_phone: form.has_embedded_phone,
                opt_in_message: form.opt_in_message,
                opt_out_message: None,
                help_message: None,
            };
            ctx.client.create_campaign(&service, &new).await?
        }
    };
    r.pending_create = None;
    r.campaign_sid = Some(c.sid);
    r.campaign_status = c.campaign_status;
    r.step = Step::CampaignReview;
    Ok(())
}

async fn campaign_review(ctx: &Ctx<'_>, r: &mut UsRegistration) -> Result<()> {
    let (Some(service), Some(sid)) = (r.messaging_service_sid.clone(), r.campaign_sid.clone()) else {
        return Err(Error::Internal("the campaign SID is missing".into()));
    };
    let c = ctx.client.fetch_campaign(&service, &sid).await?;
    r.campaign_status = c.campaign_status.clone();
    match c.campaign_status.as_deref() {
        Some("VERIFIED") => r.step = Step::Done,
        Some("FAILED" | "SUSPENDED") => {
            r.failure_reason = Some(match super::errors_text(c.errors.as_ref()) {
                Some(w) => format!("The carriers rejected your campaign: {w}"),
                None => "The carriers rejected your campaign.".into(),
            });
            r.step = Step::Failed;
        }
        _ => {}
    }
    Ok(())
}
