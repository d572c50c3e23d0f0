//! What messages cost: each message's price as Twilio reported it, the queue of messages
//! whose price is still to be fetched, totals per conversation, campaign and month, and the
//! day's cache of Twilio's per-country messaging prices (migration 16).
//!
//! Amounts are summed as integer micros (`cost_micros`, positive for a charge), per
//! currency: an account is billed in one currency, but a total never adds dollars to
//! pounds if Twilio ever reports two.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::sql::{all_rows, CachedSql};
use crate::domain::money;
use crate::error::Result;

/// How long after a message's final status (or its arrival) its price is first asked for:
/// Twilio rates a message shortly after, not at, its final status.
pub const FIRST_CHECK: Duration = Duration::from_secs(3);

/// A total in one currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct CostTotal {
    /// Twilio's `price_unit`, upper case ("USD").
    pub currency: String,
    /// The exact sum in millionths of the currency, positive for what was charged.
    pub micros: i64,
    /// The same sum as exact decimal text ("0.0158"), for display.
    pub amount: String,
    /// How many priced messages it adds up.
    pub messages: i64,
}

/// What a conversation or a campaign cost so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Costs {
    /// One total per currency (normally one), largest first.
    pub totals: Vec<CostTotal>,
    /// Texts Twilio has (they have a SID) whose price is not known yet: the totals leave
    /// them out, and the UI says so rather than showing a total that looks complete.
    pub unpriced: i64,
}

/// One month's totals (`month` is "2026-11", UTC, by when each message was created).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct MonthCosts {
    pub month: String,
    pub totals: Vec<CostTotal>,
}

/// A message whose price is due to be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCheck {
    pub message_id: i64,
    pub sid: String,
    /// Fetches already made without getting a price.
    pub attempts: i64,
}

fn total(currency: String, micros: i64, messages: i64) -> CostTotal {
    CostTotal { currency, amount: money::format_micros(micros), micros, messages }
}

/// Queues message `message_id` for a price fetch at `due_at`, unless it has a price already
/// or is queued (a later status does not restart its schedule).
pub fn enqueue(conn: &Connection, message_id: i64, due_at: &str) -> Result<()> {
    conn.exec(
        "INSERT OR IGNORE INTO price_checks (message_id, due_at)
         SELECT id, ?2 FROM messages WHERE id = ?1 AND cost_micros IS NULL AND sid IS NOT NULL AND channel = 'sms'",
        params![message_id, due_at],
    )?;
    Ok(())
}

/// [`enqueue`] [`FIRST_CHECK`] from now: what a final status or an arrival does.
pub fn enqueue_soon(conn: &Connection, message_id: i64) -> Result<()> {
    let due = chrono::Utc::now() + chrono::Duration::from_std(FIRST_CHECK).unwrap_or_default();
    // The same text as the format "%Y-%m-%dT%H:%M:%S%.3fZ", without parsing a format string
    // on the writer thread at every arrival.
    enqueue(conn, message_id, &due.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Records Twilio's `price` (and `unit`) for message `message_id` and takes it off the
/// queue. Returns false, changing nothing, when `price` is not a number Twilio would write
/// or the message already has that price. A different later price (Twilio re-rated it)
/// replaces the earlier one.
pub fn record(conn: &Connection, message_id: i64, price: &str, unit: Option<&str>) -> Result<bool> {
    let Some(cost) = money::cost_micros(price) else { return Ok(false) };
    let unit = unit.map(|u| u.trim().to_ascii_uppercase()).filter(|u| !u.is_empty());
    let changed = conn.exec(
        "UPDATE messages SET price = ?2, price_unit = COALESCE(?3, price_unit), cost_micros = ?4
         WHERE id = ?1 AND (cost_micros IS NOT ?4 OR price_unit IS NOT COALESCE(?3, price_unit))",
        params![message_id, price.trim(), unit, cost],
    )?;
    conn.exec("DELETE FROM price_checks WHERE message_id = ?1", [message_id])?;
    Ok(changed > 0)
}

/// [`record`] for the message with Twilio SID `sid`; returns (message id, conversation id)
/// when a price was recorded.
pub fn record_by_sid(conn: &Connection, sid: &str, price: &str, unit: Option<&str>) -> Result<Option<(i64, i64)>> {
    let row: Option<(i64, i64)> = conn
        .row("SELECT id, conversation_id FROM messages WHERE sid = ?1", [sid], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        Some((id, conv)) if record(conn, id, price, unit)? => Ok(Some((id, conv))),
        _ => Ok(None),
    }
}

/// Checks due at `now` (RFC 3339), oldest first, at most `limit`.
pub fn due(conn: &Connection, now: &str, limit: i64) -> Result<Vec<DueCheck>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.message_id, m.sid, p.attempts FROM price_checks p JOIN messages m ON m.id = p.message_id
         WHERE p.due_at <= ?1 AND m.sid IS NOT NULL ORDER BY p.due_at, p.message_id LIMIT ?2",
    )?;
    all_rows(&mut stmt, params![now, limit], |r| {
        Ok(DueCheck { message_id: r.get(0)?, sid: r.get(1)?, attempts: r.get(2)? })
    })
}

/// When the next check is due, if any is queued.
pub fn next_due(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.row("SELECT MIN(due_at) FROM price_checks", [], |r| r.get(0))?)
}

/// Twilio had no price yet: try again at `due_at`, counting the attempt.
pub fn retry_at(conn: &Connection, message_id: i64, due_at: &str) -> Result<()> {
    conn.exec(
        "UPDATE price_checks SET attempts = attempts + 1, due_at = ?2 WHERE message_id = ?1",
        params![message_id, due_at],
    )?;
    Ok(())
}

/// Stops asking for this message's price (tried enough, or Twilio no longer has it). It
/// stays unpriced; a later catch-up that lists it still records its price.
pub fn give_up(conn: &Connection, message_id: i64) -> Result<()> {
    conn.exec("DELETE FROM price_checks WHERE message_id = ?1", [message_id])?;
    Ok(())
}

/// Totals per currency of the messages `scope` selects (SQL over `m`, one parameter).
fn costs_of(conn: &Connection, from: &str, param: i64) -> Result<Costs> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT m.price_unit, SUM(m.cost_micros), COUNT(*) FROM {from} AND m.cost_micros IS NOT NULL
         GROUP BY m.price_unit ORDER BY SUM(m.cost_micros) DESC"
    ))?;
    let totals = all_rows(&mut stmt, [param], |r| {
        Ok(total(r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get(1)?, r.get(2)?))
    })?;
    let unpriced = conn.row(
        &format!("SELECT COUNT(*) FROM {from} AND m.cost_micros IS NULL AND m.sid IS NOT NULL AND m.channel = 'sms'"),
        [param],
        |r| r.get(0),
    )?;
    Ok(Costs { totals, unpriced })
}

/// What the texts of conversation `id` cost, both ways (Twilio charges for received texts too).
pub fn conversation(conn: &Connection, id: i64) -> Result<Costs> {
    costs_of(conn, "messages m WHERE m.conversation_id = ?1", id)
}

/// What the texts campaign `id` sent cost.
pub fn campaign(conn: &Connection, id: i64) -> Result<Costs> {
    costs_of(conn, "campaign_recipients r JOIN messages m ON m.id = r.message_id WHERE r.campaign_id = ?1", id)
}

/// The first month ("2026-06") of the `months` months up to `now`'s, this one included.
pub fn first_month(now: chrono::DateTime<chrono::Utc>, months: u32) -> String {
    use chrono::Datelike;
    let back = i64::from(months.clamp(1, 120)) - 1;
    let index = i64::from(now.year()) * 12 + i64::from(now.month0()) - back;
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// Totals per month since `since_month` ("2026-06"), newest month first; months without a
/// priced message are left out.
pub fn months(conn: &Connection, since_month: &str) -> Result<Vec<MonthCosts>> {
    let mut stmt = conn.prepare_cached(
        "SELECT substr(created_at, 1, 7) AS month, price_unit, SUM(cost_micros), COUNT(*) FROM messages
         WHERE cost_micros IS NOT NULL AND created_at >= ?1
         GROUP BY month, price_unit ORDER BY month DESC, SUM(cost_micros) DESC",
    )?;
    let rows = stmt.query_map([since_month], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
    })?;
    let mut out: Vec<MonthCosts> = Vec::new();
    for row in rows {
        let (month, unit, micros, n) = row?;
        let t = total(unit.unwrap_or_default(), micros, n);
        match out.last_mut() {
            Some(m) if m.month == month => m.totals.push(t),
            _ => out.push(MonthCosts { month, totals: vec![t] }),
        }
    }
    Ok(out)
}

/// [`months`] over the last `months` months, this one included.
pub fn recent_months(conn: &Connection, months: u32) -> Result<Vec<MonthCosts>> {
    self::months(conn, &first_month(chrono::Utc::now(), months))
}

/// Twilio's messaging prices for `iso_country` as fetched on `day` ("2026-11-30"):
/// `Some(Some(json))`, `Some(None)` when Twilio had none that day, None when not fetched.
pub fn cached_prices(conn: &Connection, iso_country: &str, day: &str) -> Result<Option<Option<String>>> {
    Ok(conn
        .row(
            "SELECT body FROM messaging_prices WHERE iso_country = ?1 AND fetched_on = ?2",
            params![iso_country, day],
            |r| r.get(0),
        )
        .optional()?)
}

/// Keeps Twilio's answer for `iso_country` (None: it has no prices there) for `day`.
pub fn cache_prices(conn: &Connection, iso_country: &str, day: &str, body: Option<&str>) -> Result<()> {
    conn.exec(
        "INSERT INTO messaging_prices (iso_country, fetched_on, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (iso_country) DO UPDATE SET fetched_on = excluded.fetched_on, body = excluded.body",
        params![iso_country, day, body],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kinds::Channel;
    use crate::domain::MessageStatus;
    use crate::store::{campaigns, messages, write_fresh, write_with_number};

    const US: &str = "+14155550100";

    /// An outbound text to `to`, given `sid`, created at `at`, delivered.
    fn sent(tx: &Connection, number: i64, to: &str, sid: &str, at: &str) -> Result<i64> {
        let (id, _) = messages::insert_outbound(
            tx,
            &messages::Outbound {
                client_ref: format!("ref-{sid}"),
                number_id: number,
                from: "+14155550199".into(),
                to: to.into(),
                body: "hi".into(),
                channel: Channel::Sms,
                num_segments: 1,
                num_media: 0,
                campaign_id: None,
            },
        )?;
        messages::set_sid(tx, id, sid, &MessageStatus::Queued)?;
        tx.exec("UPDATE messages SET created_at = ?2 WHERE id = ?1", params![id, at])?;
        messages::apply_status(tx, sid, &MessageStatus::Delivered, None, None)?;
        Ok(id)
    }

    #[test]
    fn a_final_status_queues_one_price_check_and_a_price_takes_it_off() {
        write_with_number("+14155550199", |tx, n| {
            let id = sent(tx, n, US, "SM00000000000000000000000000000a01", "2026-11-02T10:00:00.000Z")?;
            let far = "2100-01-01T00:00:00.000Z";
            assert_eq!(due(tx, far, 10)?.len(), 1, "delivered: its price is to be fetched");
            messages::apply_status(tx, "SM00000000000000000000000000000a01", &MessageStatus::Read, None, None)?;
            assert_eq!(due(tx, far, 10)?.len(), 1, "a later status does not queue it twice");
            assert!(due(tx, "2000-01-01T00:00:00.000Z", 10)?.is_empty(), "not due before FIRST_CHECK");
            assert!(!record(tx, id, "not a price", Some("USD"))?);
            assert!(record(tx, id, "-0.00790", Some("usd"))?);
            assert!(due(tx, far, 10)?.is_empty());
            assert!(!record(tx, id, "-0.00790", Some("USD"))?, "the same price again changes nothing");
            let m = messages::get(tx, id)?;
            assert_eq!(m.price.as_deref(), Some("-0.00790"));
            let (unit, micros): (String, i64) =
                tx.row("SELECT price_unit, cost_micros FROM messages WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            assert_eq!((unit.as_str(), micros), ("USD", 7_900), "stored as a positive cost in micros");
            enqueue_soon(tx, id)?;
            assert!(due(tx, far, 10)?.is_empty(), "a priced message is never queued again");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn totals_per_conversation_campaign_and_month_are_exact_sums() {
        write_with_number("+14155550199", |tx, n| {
            // 1,000 texts at 0.0079: exactly 7.90, where f64 gives 7.900000000000...
            let mut conv = 0;
            for i in 0..1000 {
                let sid = format!("SM{i:032x}");
                let month = if i < 600 { "2026-10-15T09:00:00.000Z" } else { "2026-11-03T09:00:00.000Z" };
                let id = sent(tx, n, US, &sid, month)?;
                record(tx, id, "-0.00790", Some("USD"))?;
                conv = messages::get(tx, id)?.conversation_id;
            }
            let unpriced = sent(tx, n, US, "SMffffffffffffffffffffffffffffffff", "2026-11-04T09:00:00.000Z")?;
            let c = conversation(tx, conv)?;
            assert_eq!(c.totals.len(), 1);
            assert_eq!((c.totals[0].micros, c.totals[0].amount.as_str()), (7_900_000, "7.90"));
            assert_eq!(c.totals[0].messages, 1000);
            assert_eq!(c.unpriced, 1, "the text Twilio has not priced yet is counted apart");

            let months = months(tx, "2026-10")?;
            let got: Vec<(&str, &str)> =
                months.iter().map(|m| (m.month.as_str(), m.totals[0].amount.as_str())).collect();
            assert_eq!(got, vec![("2026-11", "3.16"), ("2026-10", "4.74")], "newest month first");
            assert!(super::months(tx, "2026-11")?.iter().all(|m| m.month == "2026-11"));

            // A campaign's total covers only its own recipients' messages.
            let camp = campaigns::create(
                tx,
                None,
                "+14155550199",
                1.0,
                &[campaigns::NewRecipient { contact_id: None, to: US.into(), body: "hi".into() }],
            )?;
            tx.exec(
                "UPDATE campaign_recipients SET message_id = ?2, state = 'sent' WHERE campaign_id = ?1",
                params![camp, unpriced],
            )?;
            let before = campaign(tx, camp)?;
            assert!(before.totals.is_empty());
            assert_eq!(before.unpriced, 1);
            record(tx, unpriced, "-0.01580", Some("USD"))?;
            let after = campaign(tx, camp)?;
            assert_eq!((after.totals[0].amount.as_str(), after.unpriced), ("0.0158", 0));
            let summary = crate::store::campaign_history::summary(tx, camp)?;
            assert_eq!(summary.cost, after, "the history's summary carries the campaign's cost");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn months_count_back_across_a_year_end() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        assert_eq!(first_month(at("2026-11-30T12:00:00Z"), 6), "2026-06");
        assert_eq!(first_month(at("2026-02-01T00:00:00Z"), 3), "2025-12");
        assert_eq!(first_month(at("2026-02-01T00:00:00Z"), 0), "2026-02", "at least this month");
    }

    #[test]
    fn the_price_cache_is_per_country_per_day() {
        write_fresh(|tx| {
            assert_eq!(cached_prices(tx, "US", "2026-11-30")?, None);
            cache_prices(tx, "US", "2026-11-30", Some("{}"))?;
            cache_prices(tx, "AQ", "2026-11-30", None)?;
            assert_eq!(cached_prices(tx, "US", "2026-11-30")?, Some(Some("{}".into())));
            assert_eq!(cached_prices(tx, "AQ", "2026-11-30")?, Some(None), "no price is an answer too");
            assert_eq!(cached_prices(tx, "US", "2026-12-01")?, None, "a new day asks again");
            Ok(())
        })
        .unwrap();
    }
}
