//! Regulatory compliance records: what the owner entered, every Twilio SID created for
//! it, and where Twilio's review stands.

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Compliance {
    pub id: i64,
    pub country: String,
    pub number_type: String,
    pub end_user_type: String,
    pub business_name: String,
    pub business_email: String,
    pub registration_id: String,
    /// The authorised representative, whom regulations ask for by name.
    pub first_name: String,
    pub last_name: String,
    /// Kept as the JSON the form sent (the submit reads the fields it needs leniently);
    /// the UI sees the shape the form writes, [`PostalAddress`].
    #[specta(type = Option<PostalAddress>)]
    pub address: Option<serde_json::Value>,
    pub document_path: Option<String>,
    pub regulation_sid: Option<String>,
    pub end_user_sid: Option<String>,
    pub document_sid: Option<String>,
    pub address_sid: Option<String>,
    pub address_document_sid: Option<String>,
    pub bundle_sid: Option<String>,
    pub status: String,
    pub rejection_reason: Option<String>,
    /// `compliance::evaluation_json`: the shape is [`EvaluationShown`].
    #[specta(type = Option<EvaluationShown>)]
    pub evaluation: Option<serde_json::Value>,
    pub updated_at: String,
    /// The regulation as a typed form (`domain::bundle_form::RegulationForm`), kept
    /// from when the draft began so the form and its checks do not shift under the owner.
    /// None on records made before regulation-driven forms.
    #[specta(type = Option<crate::domain::bundle_form::RegulationForm>)]
    pub form: Option<serde_json::Value>,
    /// The owner's answers with the Twilio SIDs made for each part
    /// (`domain::bundle_form::FormAnswers`).
    #[specta(type = Option<crate::domain::bundle_form::FormAnswers>)]
    pub answers: Option<serde_json::Value>,
    /// The rejected or non-compliant record this one was copied from to be corrected.
    pub copied_from: Option<i64>,
}

/// The address part of the compliance form, as the UI writes it (TypeScript only: the
/// store keeps the JSON as sent; `compliance::legacy` reads these keys).
pub use crate::domain::postal::PostalAddress;

/// Twilio's evaluation of a bundle as `compliance::evaluation_json` writes it.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct EvaluationShown {
    pub status: Option<String>,
    /// Who found the results (`crate::compliance::evaluation`): `local`, `evaluation`,
    /// `review` or `address`; absent on records of the wave-1 form.
    pub source: Option<String>,
    pub results: Option<Vec<EvaluationResult>>,
}

/// One line of Twilio's evaluation: which field failed and why.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct EvaluationResult {
    pub field: String,
    pub requirement: Option<String>,
    pub passed: bool,
    pub reason: String,
    pub error_code: Option<i64>,
}

const SELECT: &str = "SELECT id, country, number_type, end_user_type, business_name, business_email, registration_id,
    address, document_path, regulation_sid, end_user_sid, document_sid, address_sid, bundle_sid, status,
    rejection_reason, evaluation, updated_at, first_name, last_name, address_document_sid, form, answers, copied_from
    FROM compliance";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Compliance> {
    let address: Option<String> = r.get(7)?;
    let evaluation: Option<String> = r.get(16)?;
    Ok(Compliance {
        id: r.get(0)?,
        country: r.get(1)?,
        number_type: r.get(2)?,
        end_user_type: r.get(3)?,
        business_name: r.get(4)?,
        business_email: r.get(5)?,
        registration_id: r.get(6)?,
        address: address.and_then(|a| serde_json::from_str(&a).ok()),
        document_path: r.get(8)?,
        regulation_sid: r.get(9)?,
        end_user_sid: r.get(10)?,
        document_sid: r.get(11)?,
        address_sid: r.get(12)?,
        bundle_sid: r.get(13)?,
        status: r.get(14)?,
        rejection_reason: r.get(15)?,
        evaluation: evaluation.and_then(|e| serde_json::from_str(&e).ok()),
        updated_at: r.get(17)?,
        first_name: r.get(18)?,
        last_name: r.get(19)?,
        address_document_sid: r.get(20)?,
        form: json_column(r, 21)?,
        answers: json_column(r, 22)?,
        copied_from: r.get(23)?,
    })
}

fn json_column(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    let text: Option<String> = r.get(i)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

pub fn list(conn: &Connection) -> Result<Vec<Compliance>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY id DESC"))?;
    all_rows(&mut stmt, [], from_row)
}

pub fn get(conn: &Connection, id: i64) -> Result<Compliance> {
    conn.row(&format!("{SELECT} WHERE id = ?1"), [id], from_row).or_not_found(|| format!("compliance record {id}"))
}

pub fn find_by_bundle(conn: &Connection, bundle_sid: &str) -> Result<Option<Compliance>> {
    Ok(conn.row(&format!("{SELECT} WHERE bundle_sid = ?1"), [bundle_sid], from_row).optional()?)
}

/// Records a bundle status callback verbatim, moving status (and reason) when given. An
/// approved bundle does not move back to draft or review: Twilio's callbacks arrive in no
/// set order, and a late "in-review" would stop the owner buying with an approved bundle.
/// (A rejection after approval still applies; a rejected bundle resubmitted goes back to
/// review.) Returns false when no record has that bundle.
pub fn apply_callback(
    conn: &Connection,
    bundle_sid: &str,
    status: Option<&str>,
    reason: Option<&str>,
    raw: &str,
) -> Result<bool> {
    let n = conn.exec(
        "UPDATE compliance SET
           status = CASE WHEN status = 'twilio-approved' AND ?2 IN ('draft', 'pending-review', 'in-review')
                         THEN status ELSE COALESCE(?2, status) END,
           rejection_reason = COALESCE(?3, rejection_reason),
           raw_callback = ?4, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE bundle_sid = ?1",
        params![bundle_sid, status, reason, raw],
    )?;
    Ok(n > 0)
}

/// The owner's answers to the regulation's form.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
#[serde(rename = "ComplianceDraft")] // the name the UI knows it by (bindings.ts)
pub struct Draft {
    pub country: String,
    pub number_type: String,
    pub end_user_type: String,
    pub business_name: String,
    pub business_email: String,
    pub registration_id: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[specta(type = Option<PostalAddress>)]
    pub address: Option<serde_json::Value>,
    /// Set from the file the owner chose in the dialog; a path sent by the webview is
    /// refused (see `crate::compliance::save_draft`).
    #[serde(default)]
    pub document_path: Option<String>,
}

pub fn create(conn: &Connection, d: &Draft) -> Result<i64> {
    conn.exec(
        "INSERT INTO compliance (country, number_type, end_user_type, business_name, business_email, registration_id, address,
           document_path, first_name, last_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            d.country.to_ascii_uppercase(),
            d.number_type,
            d.end_user_type,
            d.business_name,
            d.business_email,
            d.registration_id,
            d.address.as_ref().map(|a| a.to_string()),
            d.document_path,
            d.first_name.trim(),
            d.last_name.trim()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Which Twilio object a SID belongs to, for [`set_sid`].
#[derive(Debug, Clone, Copy)]
pub enum SidField {
    Regulation,
    EndUser,
    Document,
    Address,
    AddressDocument,
    Bundle,
}

pub fn set_sid(conn: &Connection, id: i64, field: SidField, sid: &str) -> Result<()> {
    let column = match field {
        SidField::Regulation => "regulation_sid",
        SidField::EndUser => "end_user_sid",
        SidField::Document => "document_sid",
        SidField::Address => "address_sid",
        SidField::AddressDocument => "address_document_sid",
        SidField::Bundle => "bundle_sid",
    };
    conn.exec(
        &format!(
            "UPDATE compliance SET {column} = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1"
        ),
        params![id, sid],
    )?;
    Ok(())
}

pub fn set_status(
    conn: &Connection,
    id: i64,
    status: &str,
    reason: Option<&str>,
    evaluation: Option<&serde_json::Value>,
) -> Result<()> {
    conn.exec(
        "UPDATE compliance SET status = ?2, rejection_reason = COALESCE(?3, rejection_reason),
           evaluation = COALESCE(?4, evaluation), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1",
        params![id, status, reason, evaluation.map(|e| e.to_string())],
    )?;
    Ok(())
}

/// A record begun from a regulation's form. The summary columns (business name, email,
/// registration number, representative, address) are filled from the answers so that
/// lists, the export and the number purchase read every record alike.
#[derive(Debug, Clone)]
pub struct FormRecord {
    pub country: String,
    pub number_type: String,
    pub end_user_type: String,
    pub form: serde_json::Value,
    pub answers: serde_json::Value,
    pub copied_from: Option<i64>,
    /// Issues to show from the start (a copy carries its source's reasons).
    pub evaluation: Option<serde_json::Value>,
}

pub fn create_form(conn: &Connection, f: &FormRecord) -> Result<i64> {
    conn.exec(
        "INSERT INTO compliance (country, number_type, end_user_type, form, answers, copied_from, evaluation)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            f.country.to_ascii_uppercase(),
            f.number_type,
            f.end_user_type,
            f.form.to_string(),
            f.answers.to_string(),
            f.copied_from,
            f.evaluation.as_ref().map(|e| e.to_string())
        ],
    )?;
    let id = conn.last_insert_rowid();
    set_answers(conn, id, &f.answers)?;
    Ok(id)
}

/// Stores the answers and refreshes the summary columns from them.
pub fn set_answers(conn: &Connection, id: i64, answers: &serde_json::Value) -> Result<()> {
    let field = |k: &str| answers["end_user"][k].as_str().unwrap_or_default().trim().to_string();
    let address = answers.get("address").filter(|a| !a.is_null()).map(|a| a.to_string());
    conn.exec(
        "UPDATE compliance SET answers = ?2, business_name = ?3, business_email = ?4, registration_id = ?5,
           first_name = ?6, last_name = ?7, address = ?8, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
         WHERE id = ?1",
        params![
            id,
            answers.to_string(),
            field("business_name"),
            field("email"),
            field("business_registration_number"),
            field("first_name"),
            field("last_name"),
            address
        ],
    )?;
    Ok(())
}

/// Replaces the evaluation shown on the form (local checks, Twilio's evaluation or review).
pub fn set_evaluation(conn: &Connection, id: i64, evaluation: &serde_json::Value) -> Result<()> {
    conn.exec(
        "UPDATE compliance SET evaluation = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1",
        params![id, evaluation.to_string()],
    )?;
    Ok(())
}
