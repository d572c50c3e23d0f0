//! US carrier registrations (A2P 10DLC) and toll-free verifications: what the owner entered,
//! every Twilio SID made for it and where each review stands. The workflow saves the whole
//! record after each Twilio object it creates, so a crash loses at most the one create whose
//! answer it never saw, and `pending_create` says to look that one up first.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::sql::{all_rows, CachedSql, MustExist};
use crate::domain::us_registration::{BrandKind, BusinessDetails, CampaignForm, Step};
use crate::error::{Error, Result};

/// One number in a registration, and whether it is in the Messaging Service yet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct RegNumber {
    pub e164: String,
    /// Twilio's PN… SID of the number.
    pub sid: String,
    #[serde(default)]
    pub added: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct UsRegistration {
    pub id: i64,
    pub brand_kind: BrandKind,
    pub details: BusinessDetails,
    pub campaign_form: Option<CampaignForm>,
    pub numbers: Vec<RegNumber>,
    pub step: Step,
    /// Trust Hub objects made on the way, by role ("cp_end_user", "address"…), and the
    /// assignments done ("cp_assigned", "tp_assigned": lists of object SIDs). Internal to
    /// the workflow: not sent to the UI.
    #[serde(skip)]
    #[specta(skip)]
    pub trust_entities: serde_json::Map<String, serde_json::Value>,
    pub customer_profile_sid: Option<String>,
    pub customer_profile_status: Option<String>,
    pub trust_product_sid: Option<String>,
    pub trust_product_status: Option<String>,
    pub brand_sid: Option<String>,
    pub brand_status: Option<String>,
    pub identity_status: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub campaign_sid: Option<String>,
    pub campaign_status: Option<String>,
    /// Twilio's words when something was rejected or failed.
    pub failure_reason: Option<String>,
    /// A create sent whose answer was not seen: looked up before creating again.
    pub pending_create: Option<String>,
    /// What stopped the last run (network, a refused request), for the owner.
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT id, brand_kind, details, campaign_form, numbers, step, trust_entities,
    customer_profile_sid, customer_profile_status, trust_product_sid, trust_product_status, brand_sid, brand_status,
    identity_status, messaging_service_sid, campaign_sid, campaign_status, failure_reason, pending_create, last_error,
    created_at, updated_at FROM us_registrations";

fn json_col<T: serde::de::DeserializeOwned>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<UsRegistration> {
    let kind: String = r.get(1)?;
    let campaign: Option<String> = r.get(3)?;
    let step: String = r.get(5)?;
    Ok(UsRegistration {
        id: r.get(0)?,
        brand_kind: BrandKind::parse(&kind).unwrap_or(BrandKind::Standard),
        details: json_col(r, 2)?,
        campaign_form: campaign.and_then(|c| serde_json::from_str(&c).ok()),
        numbers: json_col(r, 4)?,
        step: Step::parse(&step),
        trust_entities: json_col(r, 6)?,
        customer_profile_sid: r.get(7)?,
        customer_profile_status: r.get(8)?,
        trust_product_sid: r.get(9)?,
        trust_product_status: r.get(10)?,
        brand_sid: r.get(11)?,
        brand_status: r.get(12)?,
        identity_status: r.get(13)?,
        messaging_service_sid: r.get(14)?,
        campaign_sid: r.get(15)?,
        campaign_status: r.get(16)?,
        failure_reason: r.get(17)?,
        pending_create: r.get(18)?,
        last_error: r.get(19)?,
        created_at: r.get(20)?,
        updated_at: r.get(21)?,
    })
}

/// A new registration at its first step.
pub fn create(conn: &Connection, kind: BrandKind, details: &BusinessDetails, numbers: &[RegNumber]) -> Result<i64> {
    conn.exec(
        "INSERT INTO us_registrations (brand_kind, details, numbers) VALUES (?1, ?2, ?3)",
        params![kind.as_str(), serde_json::to_string(details)?, serde_json::to_string(numbers)?],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<UsRegistration> {
    conn.row(&format!("{SELECT} WHERE id = ?1"), [id], from_row).or_not_found(|| format!("US registration {id}"))
}

pub fn list(conn: &Connection) -> Result<Vec<UsRegistration>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    all_rows(&mut stmt, [], from_row)
}

/// The registration whose customer profile or trust product is `bundle_sid` (callbacks).
pub fn find_by_trust_sid(conn: &Connection, bundle_sid: &str) -> Result<Option<UsRegistration>> {
    Ok(conn
        .row(&format!("{SELECT} WHERE customer_profile_sid = ?1 OR trust_product_sid = ?1"), [bundle_sid], from_row)
        .optional()?)
}

/// A Trust Hub status callback: the status (and a rejection's reason) of the customer
/// profile or trust product `sid`. Returns false when no registration has that SID.
pub fn apply_trust_status(conn: &Connection, sid: &str, status: &str, reason: Option<&str>) -> Result<bool> {
    let Some(mut r) = find_by_trust_sid(conn, sid)? else { return Ok(false) };
    if r.customer_profile_sid.as_deref() == Some(sid) {
        r.customer_profile_status = Some(status.to_string());
    } else {
        r.trust_product_status = Some(status.to_string());
    }
    if status == "twilio-rejected" {
        r.failure_reason = reason.map(str::to_string).or(r.failure_reason);
    }
    save(conn, &r)?;
    Ok(true)
}

/// Writes every field of `r` (the workflow's one way to record progress).
pub fn save(conn: &Connection, r: &UsRegistration) -> Result<()> {
    let n = conn.exec(
        "UPDATE us_registrations SET details = ?2, campaign_form = ?3, numbers = ?4, step = ?5, trust_entities = ?6,
           customer_profile_sid = ?7, customer_profile_status = ?8, trust_product_sid = ?9, trust_product_status = ?10,
           brand_sid = ?11, brand_status = ?12, identity_status = ?13, messaging_service_sid = ?14, campaign_sid = ?15,
           campaign_status = ?16, failure_reason = ?17, pending_create = ?18, last_error = ?19,
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
         WHERE id = ?1",
        params![
            r.id,
            serde_json::to_string(&r.details)?,
            r.campaign_form.as_ref().map(serde_json::to_string).transpose()?,
            serde_json::to_string(&r.numbers)?,
            r.step.as_str(),
            serde_json::Value::Object(r.trust_entities.clone()).to_string(),
            r.customer_profile_sid,
            r.customer_profile_status,
            r.trust_product_sid,
            r.trust_product_status,
            r.brand_sid,
            r.brand_status,
            r.identity_status,
            r.messaging_service_sid,
            r.campaign_sid,
            r.campaign_status,
            r.failure_reason,
            r.pending_create,
            r.last_error,
        ],
    )?;
    if n == 0 {
        return Err(Error::not_found(format!("US registration {}", r.id)));
    }
    Ok(())
}

/// A toll-free number's verification.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct TollfreeRecord {
    pub id: i64,
    pub e164: String,
    pub phone_number_sid: String,
    /// The form as submitted (a `NewTollfreeVerification`), for a correction to start from.
    #[specta(type = crate::domain::tollfree::NewTollfreeVerification)]
    pub form: serde_json::Value,
    pub verification_sid: Option<String>,
    /// `draft` before it reached Twilio; then Twilio's PENDING_REVIEW, IN_REVIEW,
    /// TWILIO_APPROVED, TWILIO_REJECTED.
    pub status: String,
    pub rejection_reason: Option<String>,
    pub error_code: Option<i64>,
    pub pending_create: bool,
    pub last_error: Option<String>,
    pub updated_at: String,
}

const TF_SELECT: &str = "SELECT id, e164, phone_number_sid, form, verification_sid, status, rejection_reason,
    error_code, pending_create, last_error, updated_at FROM tollfree_verifications";

fn tf_from_row(r: &Row<'_>) -> rusqlite::Result<TollfreeRecord> {
    Ok(TollfreeRecord {
        id: r.get(0)?,
        e164: r.get(1)?,
        phone_number_sid: r.get(2)?,
        form: json_col(r, 3)?,
        verification_sid: r.get(4)?,
        status: r.get(5)?,
        rejection_reason: r.get(6)?,
        error_code: r.get(7)?,
        pending_create: r.get(8)?,
        last_error: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

/// The number's verification record, made (as a draft) or its form replaced.
pub fn upsert_tollfree(
    conn: &Connection,
    e164: &str,
    pn_sid: &str,
    form: &serde_json::Value,
) -> Result<TollfreeRecord> {
    conn.exec(
        "INSERT INTO tollfree_verifications (e164, phone_number_sid, form) VALUES (?1, ?2, ?3)
         ON CONFLICT (e164) DO UPDATE SET form = excluded.form, phone_number_sid = excluded.phone_number_sid,
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
        params![e164, pn_sid, form.to_string()],
    )?;
    get_tollfree(conn, e164)?.ok_or_else(|| Error::not_found(format!("toll-free verification of {e164}")))
}

pub fn get_tollfree(conn: &Connection, e164: &str) -> Result<Option<TollfreeRecord>> {
    Ok(conn.row(&format!("{TF_SELECT} WHERE e164 = ?1"), [e164], tf_from_row).optional()?)
}

pub fn list_tollfree(conn: &Connection) -> Result<Vec<TollfreeRecord>> {
    let mut stmt = conn.prepare(&format!("{TF_SELECT} ORDER BY id"))?;
    all_rows(&mut stmt, [], tf_from_row)
}

pub fn save_tollfree(conn: &Connection, t: &TollfreeRecord) -> Result<()> {
    conn.exec(
        "UPDATE tollfree_verifications SET verification_sid = ?2, status = ?3, rejection_reason = ?4, error_code = ?5,
           pending_create = ?6, last_error = ?7, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1",
        params![t.id, t.verification_sid, t.status, t.rejection_reason, t.error_code, t.pending_create, t.last_error],
    )?;
    Ok(())
}
