//! Toll-free verification: one form per toll-free number, submitted once (a lost answer is
//! looked up by the number before submitting again), its review polled until Twilio
//! approves or rejects it with a reason. A rejected form is corrected and resubmitted on the
//! same verification when Twilio allows the edit.

use crate::domain::nanp::{sender_kind, UsSenderKind};
use crate::error::{Error, Result};
use crate::store::us_registration::{self as records, TollfreeRecord};
use crate::store::Store;
use crate::twilio::api::messaging::{NewTollfreeVerification, TollfreeVerification};
use crate::twilio::client::TwilioClient;

fn check(form: &NewTollfreeVerification) -> Result<()> {
    let required = [
        ("the business name", &form.business_name),
        ("the business website", &form.business_website),
        ("the use case summary", &form.use_case_summary),
        ("a sample message", &form.production_message_sample),
        ("the opt-in type", &form.opt_in_type),
        ("the monthly volume", &form.message_volume),
    ];
    for (name, value) in required {
        if value.trim().is_empty() {
            return Err(Error::InvalidInput(format!("{name} is required")));
        }
    }
    if !form.notification_email.contains('@') {
        return Err(Error::InvalidInput(format!("{:?} is not an email address", form.notification_email)));
    }
    if form.use_case_categories.is_empty() {
        return Err(Error::InvalidInput("choose at least one use case".into()));
    }
    if form.opt_in_image_urls.iter().all(|u| u.trim().is_empty()) {
        return Err(Error::InvalidInput(
            "give the address of a page or picture that shows how customers opt in".into(),
        ));
    }
    Ok(())
}

fn apply(t: &mut TollfreeRecord, v: &TollfreeVerification) {
    t.verification_sid = Some(v.sid.clone());
    if let Some(s) = &v.status {
        t.status = s.clone();
    }
    t.rejection_reason = v.rejection_reason.clone();
    t.error_code = v.error_code;
}

async fn save(store: &Store, t: &TollfreeRecord) -> Result<()> {
    let t = t.clone();
    store.write_async(move |tx| records::save_tollfree(tx, &t)).await
}

/// Submits (or, after a rejection, corrects and resubmits) the verification of toll-free
/// number `e164`. The number's PN SID comes from the store.
pub async fn submit(
    store: &Store,
    client: &TwilioClient,
    e164: &str,
    mut form: NewTollfreeVerification,
) -> Result<TollfreeRecord> {
    if sender_kind(e164) != UsSenderKind::TollFree {
        return Err(Error::InvalidInput(format!("{e164} is not a toll-free number")));
    }
    let number = e164.to_string();
    let pn = store
        .read_async(move |c| crate::store::numbers::find_by_e164(c, &number))
        .await?
        .and_then(|n| n.sid)
        .ok_or_else(|| {
            Error::InvalidInput(format!("{e164} is not in your Twilio account yet; sync your numbers first"))
        })?;
    form.tollfree_phone_number_sid = pn.clone();
    check(&form)?;
    let stored = serde_json::to_value(&form)?;
    let number = e164.to_string();
    let mut t = store.write_async(move |tx| records::upsert_tollfree(tx, &number, &pn, &stored)).await?;
    if matches!(t.status.as_str(), "PENDING_REVIEW" | "IN_REVIEW" | "TWILIO_APPROVED") {
        return Ok(t);
    }
    let result = match t.verification_sid.clone() {
        // Rejected: correct the same verification (Twilio keeps its history).
        Some(sid) => client.update_tollfree_verification(&sid, &form).await,
        None => {
            let earlier = if t.pending_create {
                client.find_tollfree_verifications(&form.tollfree_phone_number_sid).await?.into_iter().next()
            } else {
                None
            };
            match earlier {
                Some(v) => Ok(v),
                None => {
                    t.pending_create = true;
                    save(store, &t).await?;
                    client.create_tollfree_verification(&form).await
                }
            }
        }
    };
    match result {
        Ok(v) => {
            apply(&mut t, &v);
            t.pending_create = false;
            t.last_error = None;
            save(store, &t).await?;
            Ok(t)
        }
        Err(e) => {
            t.last_error = Some(e.to_string());
            save(store, &t).await?;
            Err(e)
        }
    }
}

/// Polls every verification under review (and finishes an unconfirmed submission).
/// Returns how many changed status.
pub async fn poll_all(store: &Store, client: &TwilioClient) -> Result<usize> {
    let open: Vec<TollfreeRecord> = store
        .read_async(|c| {
            Ok(records::list_tollfree(c)?
                .into_iter()
                .filter(|t| t.pending_create || matches!(t.status.as_str(), "PENDING_REVIEW" | "IN_REVIEW"))
                .collect())
        })
        .await?;
    let mut changed = 0;
    for mut t in open {
        let found = match &t.verification_sid {
            Some(sid) => Some(client.fetch_tollfree_verification(sid).await?),
            None => client.find_tollfree_verifications(&t.phone_number_sid).await?.into_iter().next(),
        };
        let Some(v) = found else { continue };
        let before = t.status.clone();
        apply(&mut t, &v);
        t.pending_create = false;
        save(store, &t).await?;
        if t.status != before {
            changed += 1;
        }
    }
    Ok(changed)
}
