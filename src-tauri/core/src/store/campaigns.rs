//! Bulk templated sends. Each recipient row is the crash-safe unit of work: it moves
//! pending → sending → sent/skipped/failed, and its outbox `client_ref` is derived from
//! its id, so a send interrupted by a crash is resumed on the same outbox row.

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::kinds::CampaignState;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    pub template_id: Option<i64>,
    pub from_number: String,
    pub rate_per_sec: f64,
    pub state: CampaignState,
    pub created_at: String,
}

/// A recipient as it will be sent: the body is rendered when the campaign is created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecipient {
    pub contact_id: Option<i64>,
    pub to: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Recipient {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub to: String,
    pub body: String,
    pub state: String,
    pub message_id: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub sent: i64,
    pub skipped: i64,
    pub failed: i64,
    /// Pending or interrupted mid-send.
    pub pending: i64,
}

/// Creates a campaign and its recipients (a repeated address is kept once).
pub fn create(
    conn: &Connection,
    template_id: Option<i64>,
    from_number: &str,
    rate_per_sec: f64,
    recipients: &[NewRecipient],
) -> Result<i64> {
    if !(rate_per_sec.is_finite() && rate_per_sec > 0.0) {
        return Err(Error::InvalidInput(format!("the sending rate must be above 0 per second, not {rate_per_sec}")));
    }
    conn.exec(
        "INSERT INTO campaigns (template_id, from_number, rate_per_sec) VALUES (?1, ?2, ?3)",
        params![template_id, from_number, rate_per_sec],
    )?;
    let id = conn.last_insert_rowid();
    for r in recipients {
        conn.exec(
            "INSERT INTO campaign_recipients (campaign_id, contact_id, to_addr, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(campaign_id, to_addr) DO NOTHING",
            params![id, r.contact_id, r.to, r.body],
        )?;
    }
    Ok(id)
}

pub fn get(conn: &Connection, id: i64) -> Result<Campaign> {
    conn.row(
        "SELECT id, template_id, from_number, rate_per_sec, state, created_at FROM campaigns WHERE id = ?1",
        [id],
        |r| {
            Ok(Campaign {
                id: r.get(0)?,
                template_id: r.get(1)?,
                from_number: r.get(2)?,
                rate_per_sec: r.get(3)?,
                state: r.get(4)?,
                created_at: r.get(5)?,
            })
        },
    )
    .or_not_found(|| format!("campaign {id}"))
}

/// Campaigns still to finish (running or paused), oldest first: resumed at start-up.
pub fn unfinished(conn: &Connection) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT id FROM campaigns WHERE state IN ('running','paused') ORDER BY id")?;
    all_rows(&mut stmt, [], |r| r.get(0))
}

/// Moves a campaign to `to` only from one of `from` (pause only what runs, and so on).
/// Returns whether it changed.
pub fn set_state(conn: &Connection, id: i64, from: &[CampaignState], to: CampaignState) -> Result<bool> {
    let current = get(conn, id)?.state;
    if !from.contains(&current) {
        return Ok(false);
    }
    conn.exec("UPDATE campaigns SET state = ?2 WHERE id = ?1", params![id, to])?;
    Ok(true)
}

/// Takes (or renews) the campaign's lease for `runner` until `until`, if nobody else holds
/// an unexpired one at `now`. Only the holder sends, so Pause then Resume never leaves
/// two runners on one campaign. Returns whether `runner` holds it now.
pub fn acquire_lease(conn: &Connection, id: i64, runner: &str, now: &str, until: &str) -> Result<bool> {
    let n = conn.exec(
        "UPDATE campaigns SET runner = ?2, lease_until = ?4
         WHERE id = ?1 AND (runner IS NULL OR runner = ?2 OR lease_until IS NULL OR lease_until <= ?3)",
        params![id, runner, now, until],
    )?;
    Ok(n == 1)
}

/// Gives the lease up (only if `runner` still holds it).
pub fn release_lease(conn: &Connection, id: i64, runner: &str) -> Result<()> {
    conn.exec(
        "UPDATE campaigns SET runner = NULL, lease_until = NULL WHERE id = ?1 AND runner = ?2",
        params![id, runner],
    )?;
    Ok(())
}

/// Recipients a crashed (or stopped) runner left mid-send go back to `pending`; called by
/// a runner that has just taken the lease, so nobody else is sending them. Their outbox
/// rows keep their `client_ref`, so the send path reconciles them with Twilio's log.
pub fn requeue_interrupted(conn: &Connection, campaign_id: i64) -> Result<usize> {
    Ok(conn.exec(
        "UPDATE campaign_recipients SET state = 'pending' WHERE campaign_id = ?1 AND state = 'sending'",
        [campaign_id],
    )?)
}

/// Claims the next pending recipient atomically (`pending` → `sending` in one statement),
/// so two runners can never pick the same one. None when nobody is left.
pub fn claim_next(conn: &Connection, campaign_id: i64) -> Result<Option<Recipient>> {
    Ok(conn
        .row(
            "UPDATE campaign_recipients SET state = 'sending'
             WHERE id = (SELECT id FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'pending'
                         ORDER BY id LIMIT 1)
               AND state = 'pending'
             RETURNING id, contact_id, to_addr, body, state, message_id, error",
            [campaign_id],
            recipient_from_row,
        )
        .optional()?)
}

/// Maps `id, contact_id, to_addr, body, state, message_id, error` to a [`Recipient`].
fn recipient_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Recipient> {
    Ok(Recipient {
        id: r.get(0)?,
        contact_id: r.get(1)?,
        to: r.get(2)?,
        body: r.get(3)?,
        state: r.get(4)?,
        message_id: r.get(5)?,
        error: r.get(6)?,
    })
}

pub fn recipients(conn: &Connection, campaign_id: i64) -> Result<Vec<Recipient>> {
    let mut stmt = conn.prepare(
        "SELECT id, contact_id, to_addr, body, state, message_id, error FROM campaign_recipients
         WHERE campaign_id = ?1 ORDER BY id",
    )?;
    all_rows(&mut stmt, [campaign_id], recipient_from_row)
}

/// Records a recipient's new state (sending, sent, skipped, failed).
pub fn set_recipient(
    conn: &Connection,
    recipient_id: i64,
    state: &str,
    message_id: Option<i64>,
    error: Option<&str>,
) -> Result<()> {
    conn.exec(
        "UPDATE campaign_recipients SET state = ?2, message_id = COALESCE(?3, message_id), error = ?4 WHERE id = ?1",
        params![recipient_id, state, message_id, error],
    )?;
    Ok(())
}

pub fn progress(conn: &Connection, campaign_id: i64) -> Result<Progress> {
    let mut p = Progress::default();
    let mut stmt =
        conn.prepare("SELECT state, COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 GROUP BY state")?;
    let rows = stmt.query_map([campaign_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (state, n) = row?;
        match state.as_str() {
            "sent" => p.sent += n,
            "skipped" => p.skipped += n,
            "failed" => p.failed += n,
            _ => p.pending += n,
        }
    }
    Ok(p)
}
