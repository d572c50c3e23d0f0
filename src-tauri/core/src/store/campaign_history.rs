//! Campaign history: what each bulk send was (when, which template, to whom, from which
//! number) and what became of each recipient, read from the recipient rows and the
//! delivery status of the message each one got; and who may be sent a campaign again.
//!
//! A recipient's outcome joins two facts: the campaign runner's (`sent` means Twilio
//! accepted it, `skipped` means opted out, `failed` means Twilio refused it) and the
//! carrier's, which arrives later by status callback or catch-up (`delivered`, or
//! `undelivered`/`failed` after Twilio accepted it). "Send again to those who failed" is
//! decided over the whole family of a campaign (the first one and every resend of it), so
//! nobody who was sent to by any of them is sent to again, and nobody opted out now is.

use std::collections::{HashMap, HashSet};

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection};

use super::campaigns::NewRecipient;
use crate::domain::kinds::CampaignState;
use crate::error::{Error, Result};

/// The outcome of one recipient, as SQL over `r` (campaign_recipients), `m` (its message,
/// may be NULL) and `c` (its campaign): pending, scheduled (with Twilio, for the campaign's
/// later time), sent, delivered, failed, skipped or cancelled (never sent: the campaign was
/// cancelled first, or its scheduled text was canceled before its time).
const OUTCOME: &str = "CASE
    WHEN r.state = 'skipped' THEN 'skipped'
    WHEN r.state = 'failed' THEN 'failed'
    WHEN r.state = 'sent' AND m.status IN ('delivered', 'read') THEN 'delivered'
    WHEN r.state = 'sent' AND m.status IN ('failed', 'undelivered') THEN 'failed'
    WHEN r.state = 'sent' AND m.status = 'scheduled' THEN 'scheduled'
    WHEN r.state = 'sent' AND m.status = 'canceled' THEN 'cancelled'
    WHEN r.state = 'sent' THEN 'sent'
    WHEN c.state = 'cancelled' AND r.state = 'pending' THEN 'cancelled'
    ELSE 'pending' END";

/// One campaign in the history list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct CampaignSummary {
    pub id: i64,
    pub created_at: String,
    pub template_id: Option<i64>,
    /// The template's name now (None when it was deleted since).
    pub template_name: Option<String>,
    pub from_number: String,
    /// Who it was for, as chosen ("tag VIP", "12 contacts", "again: 3 who failed in #4").
    pub audience: String,
    pub state: CampaignState,
    /// The first campaign of its family when this one sends an earlier one again.
    pub resend_of: Option<i64>,
    pub total: i64,
    /// Accepted by Twilio, delivery not (yet) reported.
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    pub skipped: i64,
    pub pending: i64,
    /// Scheduled with Twilio for the campaign's later time, not sent yet.
    pub scheduled: i64,
    pub cancelled: i64,
    /// What its texts cost so far, per currency, as Twilio priced them.
    pub cost: super::costs::Costs,
}

/// One recipient of a campaign and what became of them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct RecipientOutcome {
    pub recipient_id: i64,
    pub contact_id: Option<i64>,
    /// The contact's name now ('' when none or deleted).
    pub name: String,
    pub to: String,
    /// pending, scheduled, sent, delivered, failed, skipped or cancelled (see [`OUTCOME`]).
    pub outcome: String,
    pub message_id: Option<i64>,
    /// The message's own status (Twilio's word), when one was created.
    pub message_status: Option<String>,
    /// Why it failed or was skipped: the runner's reason, else the message's error.
    pub error: Option<String>,
}

/// The campaigns, newest first, at most `limit` (50 when 0).
pub fn list(conn: &Connection, limit: i64) -> Result<Vec<CampaignSummary>> {
    let limit = if limit <= 0 { 50 } else { limit.min(1000) };
    summaries(conn, "c.id IN (SELECT id FROM campaigns ORDER BY id DESC LIMIT ?1)", limit)
}

/// One campaign's summary.
pub fn summary(conn: &Connection, id: i64) -> Result<CampaignSummary> {
    summaries(conn, "c.id = ?1", id)?.pop().ok_or_else(|| Error::not_found(format!("campaign {id}")))
}

/// The summaries of the campaigns `filter` (SQL over `c`, with one parameter) selects.
fn summaries(conn: &Connection, filter: &str, param: i64) -> Result<Vec<CampaignSummary>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.id, c.created_at, c.template_id, t.name, c.from_number, c.audience, c.state, c.resend_of,
                COUNT(x.o),
                COALESCE(SUM(x.o = 'sent'), 0), COALESCE(SUM(x.o = 'delivered'), 0),
                COALESCE(SUM(x.o = 'failed'), 0), COALESCE(SUM(x.o = 'skipped'), 0),
                COALESCE(SUM(x.o = 'pending'), 0), COALESCE(SUM(x.o = 'cancelled'), 0),
                COALESCE(SUM(x.o = 'scheduled'), 0)
         FROM campaigns c
         LEFT JOIN templates t ON t.id = c.template_id
         LEFT JOIN (SELECT r.campaign_id AS cid, {OUTCOME} AS o FROM campaign_recipients r
                    JOIN campaigns c ON c.id = r.campaign_id
                    LEFT JOIN messages m ON m.id = r.message_id) x ON x.cid = c.id
         WHERE {filter}
         GROUP BY c.id ORDER BY c.id DESC"
    ))?;
    let mut out: Vec<CampaignSummary> = all_rows(&mut stmt, [param], |r| {
        Ok(CampaignSummary {
            id: r.get(0)?,
            created_at: r.get(1)?,
            template_id: r.get(2)?,
            template_name: r.get(3)?,
            from_number: r.get(4)?,
            audience: r.get(5)?,
            state: r.get(6)?,
            resend_of: r.get(7)?,
            total: r.get(8)?,
            sent: r.get(9)?,
            delivered: r.get(10)?,
            failed: r.get(11)?,
            skipped: r.get(12)?,
            pending: r.get(13)?,
            cancelled: r.get(14)?,
            scheduled: r.get(15)?,
            cost: super::costs::Costs::default(),
        })
    })?;
    for s in &mut out {
        s.cost = super::costs::campaign(conn, s.id)?;
    }
    Ok(out)
}

/// The messages campaign `id` scheduled with Twilio for its later time that have not gone
/// yet (Cancel cancels them at Twilio).
pub fn still_scheduled(conn: &Connection, id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT m.id FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
          WHERE r.campaign_id = ?1 AND m.status = 'scheduled' ORDER BY m.id",
    )?;
    all_rows(&mut stmt, [id], |r| r.get(0))
}

/// Every recipient of campaign `id` with its outcome, in the order they were sent.
pub fn recipients(conn: &Connection, id: i64) -> Result<Vec<RecipientOutcome>> {
    super::campaigns::get(conn, id)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, r.contact_id, COALESCE(p.name, ''), r.to_addr, {OUTCOME}, r.message_id, m.status,
                COALESCE(r.error, m.error_message, CASE WHEN m.error_code IS NOT NULL THEN 'error ' || m.error_code END)
         FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
         LEFT JOIN messages m ON m.id = r.message_id
         LEFT JOIN contacts p ON p.id = r.contact_id
         WHERE r.campaign_id = ?1 ORDER BY r.id"
    ))?;
    all_rows(&mut stmt, [id], |r| {
        Ok(RecipientOutcome {
            recipient_id: r.get(0)?,
            contact_id: r.get(1)?,
            name: r.get(2)?,
            to: r.get(3)?,
            outcome: r.get(4)?,
            message_id: r.get(5)?,
            message_status: r.get(6)?,
            error: r.get(7)?,
        })
    })
}

/// Records who a campaign was for, and the family it belongs to when it sends an earlier
/// one again (always the family's first campaign, see the migration).
pub fn describe(conn: &Connection, id: i64, audience: &str, resend_of: Option<i64>) -> Result<()> {
    conn.exec("UPDATE campaigns SET audience = ?2, resend_of = ?3 WHERE id = ?1", params![id, audience, resend_of])?;
    Ok(())
}

/// Whom "send again to those who failed" would send to, and who is left out.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, specta::Type)]
pub struct ResendPlan {
    /// The first campaign of the family (what the new campaign's `resend_of` names).
    pub family: i64,
    /// Everyone whose every attempt in the family failed, with the text they were meant to
    /// get (the latest attempt's).
    #[serde(skip)]
    pub recipients: Vec<NewRecipient>,
    /// How many of them: the count the UI shows before the owner confirms.
    pub count: usize,
    /// Failed, but opted out since: never sent again.
    pub opted_out: usize,
    /// Failed, but Twilio's answer was lost so it may have gone out: left to the thread's
    /// Retry, which checks Twilio's log first.
    pub unconfirmed: usize,
}

/// Plans "send again to those who failed" for campaign `id` (any campaign of its family).
/// An address is chosen only if NO attempt to it in the family was sent, delivered or is
/// still pending, and it is not opted out now.
pub fn resend_plan(conn: &Connection, id: i64) -> Result<ResendPlan> {
    let family: i64 = conn
        .row("SELECT COALESCE(resend_of, id) FROM campaigns WHERE id = ?1", [id], |r| r.get(0))
        .or_not_found(|| format!("campaign {id}"))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.to_addr, r.contact_id, r.body, {OUTCOME}, COALESCE(m.unconfirmed, 0)
         FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
         LEFT JOIN messages m ON m.id = r.message_id
         WHERE c.id = ?1 OR c.resend_of = ?1
         ORDER BY r.id"
    ))?;
    let rows = stmt.query_map([family], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    // Addresses some attempt reached (or may still reach): never sent to again.
    let mut reached = HashSet::new();
    // Per address, the latest failed attempt, and whether any failure is unconfirmed.
    let mut failed: HashMap<String, (NewRecipient, bool)> = HashMap::new();
    let mut order = Vec::new();
    for row in rows {
        let (to, contact_id, body, outcome, unconfirmed) = row?;
        match outcome.as_str() {
            "failed" => {
                let unconfirmed = unconfirmed || failed.get(&to).is_some_and(|f| f.1);
                if !failed.contains_key(&to) {
                    order.push(to.clone());
                }
                failed.insert(to.clone(), (NewRecipient { contact_id, to, body }, unconfirmed));
            }
            // Skipped (opted out then) or never sent (cancelled first) decide nothing.
            "skipped" | "cancelled" => {}
            _ => {
                reached.insert(to);
            }
        }
    }
    let mut plan = ResendPlan { family, ..ResendPlan::default() };
    for to in order {
        let Some((recipient, unconfirmed)) = failed.remove(&to) else { continue };
        if reached.contains(&to) {
            continue;
        }
        if unconfirmed {
            plan.unconfirmed += 1;
        } else if super::optouts::is_opted_out(conn, &to)? {
            plan.opted_out += 1;
        } else {
            plan.recipients.push(recipient);
        }
    }
    plan.count = plan.recipients.len();
    Ok(plan)
}
