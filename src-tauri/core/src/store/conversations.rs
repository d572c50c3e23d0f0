//! Conversations: one per (our number, customer address), with the list's summary
//! columns (last message, preview, unread) kept up to date by each new message.

use super::sql::{CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::kinds::Channel;
pub use crate::domain::kinds::ConversationState;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct ConversationSummary {
    pub id: i64,
    pub number_id: i64,
    pub our_number: String,
    pub customer: String,
    pub contact_id: Option<i64>,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub reply_channel: Channel,
    pub last_message_at: Option<String>,
    pub last_preview: String,
    pub unread: i64,
    /// Whether the customer's address is opted out now: the ledger's latest event for the
    /// address, as `opt_out_state` keeps it (one row per address, not a ledger seek per row).
    pub opted_out: bool,
    pub state: ConversationState,
}

const SELECT: &str = "SELECT v.id, v.number_id, n.e164, v.customer, v.contact_id, COALESCE(c.name, ''),
    c.email, v.reply_channel, v.last_message_at, v.last_preview, v.unread,
    COALESCE(s.opted_out, 0),
    v.state
    FROM conversations v JOIN numbers n ON n.id = v.number_id LEFT JOIN contacts c ON c.id = v.contact_id
    LEFT JOIN opt_out_state s ON s.address = v.customer";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: r.get(0)?,
        number_id: r.get(1)?,
        our_number: r.get(2)?,
        customer: r.get(3)?,
        contact_id: r.get(4)?,
        contact_name: r.get(5)?,
        contact_email: r.get(6)?,
        reply_channel: r.get(7)?,
        last_message_at: r.get(8)?,
        last_preview: r.get(9)?,
        unread: r.get(10)?,
        opted_out: r.get(11)?,
        state: r.get(12)?,
    })
}

/// The conversation between our number and `customer`, created (with its contact) if new.
pub fn ensure(conn: &Connection, number_id: i64, customer: &str) -> Result<i64> {
    if let Some(id) = find(conn, number_id, customer)? {
        return Ok(id);
    }
    let contact_id = super::contacts::ensure_for_address(conn, customer)?;
    conn.exec(
        "INSERT INTO conversations (number_id, customer, contact_id) VALUES (?1, ?2, ?3)",
        params![number_id, customer, contact_id],
    )?;
    Ok(conn.last_insert_rowid())
}

/// [`ensure`] and then [`touch`] for a message at `at`, what storing a message does. A new
/// conversation is written with its first message's time, preview and unread count in its
/// INSERT: an INSERT followed by an UPDATE would write each of the list's indexes twice,
/// and a first text from a new customer is the heaviest write an arriving text makes.
pub fn ensure_touched(
    conn: &Connection,
    number_id: i64,
    customer: &str,
    at: &str,
    preview: &str,
    inbound: bool,
) -> Result<i64> {
    if let Some(id) = find(conn, number_id, customer)? {
        touch(conn, id, at, preview, inbound)?;
        return Ok(id);
    }
    let contact_id = super::contacts::ensure_for_address(conn, customer)?;
    conn.exec(
        "INSERT INTO conversations (number_id, customer, contact_id, last_message_at, last_preview, unread)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![number_id, customer, contact_id, at, list_preview(preview), inbound as i64],
    )?;
    Ok(conn.last_insert_rowid())
}

fn find(conn: &Connection, number_id: i64, customer: &str) -> Result<Option<i64>> {
    Ok(conn
        .row("SELECT id FROM conversations WHERE number_id = ?1 AND customer = ?2", params![number_id, customer], |r| {
            r.get(0)
        })
        .optional()?)
}

/// What the list shows of a message: its first 140 characters.
fn list_preview(body: &str) -> String {
    body.chars().take(140).collect()
}

/// Whom the owner starts writing to.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StartWith {
    /// A saved contact: their latest conversation, else one with their first phone
    /// number, else (no phone, only an email address) one that replies by email.
    Contact(i64),
    /// Any mobile number as the owner types it: `+CC…`, or national in the country of
    /// the number written from (`0412 555 201` from an Australian number).
    Phone(String),
}

/// The conversation to write in when the owner starts one (a customer who has not
/// written first, or a contact who only has an email address), from `number_id` or, when
/// None, our first managed number. Opening the same one twice creates nothing new.
pub fn start(conn: &Connection, number_id: Option<i64>, with: &StartWith) -> Result<i64> {
    if let StartWith::Contact(contact_id) = with {
        let latest = conn
            .row(
                "SELECT id FROM conversations WHERE contact_id = ?1
                 ORDER BY COALESCE(last_message_at, '') DESC, id DESC LIMIT 1",
                [contact_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = latest {
            return Ok(id);
        }
    }
    let ours = super::numbers::get(conn, number_id.map_or_else(|| default_number(conn), Ok)?)?;
    let number_id = ours.id;
    match with {
        StartWith::Phone(raw) => {
            let region = crate::domain::E164::parse(&ours.e164)?.region();
            let customer = crate::domain::E164::parse_with_region(raw, region.as_deref())?;
            ensure(conn, number_id, customer.as_str())
        }
        StartWith::Contact(contact_id) => {
            let contact = super::contacts::get(conn, *contact_id)?;
            if let Some(phone) = contact.phones.first() {
                return ensure(conn, number_id, phone);
            }
            let Some(email) = contact.email.as_deref().filter(|e| e.contains('@')) else {
                let who = if contact.name.is_empty() { "this contact" } else { contact.name.as_str() };
                return Err(Error::InvalidInput(format!("add a mobile number or an email address to {who} first")));
            };
            conn.exec(
                "INSERT INTO conversations (number_id, customer, contact_id, reply_channel) VALUES (?1, ?2, ?3, 'email')
                 ON CONFLICT (number_id, customer) DO UPDATE SET contact_id = excluded.contact_id",
                params![number_id, email, contact_id],
            )?;
            Ok(conn.row(
                "SELECT id FROM conversations WHERE number_id = ?1 AND customer = ?2",
                params![number_id, email],
                |r| r.get(0),
            )?)
        }
    }
}

/// The number a new conversation is written from when the owner did not choose one.
fn default_number(conn: &Connection) -> Result<i64> {
    conn.row("SELECT id FROM numbers ORDER BY managed DESC, e164 LIMIT 1", [], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::InvalidInput("add one of your Twilio numbers first (Numbers)".into()))
}

/// Updates the list's summary after a message; inbound ones count as unread and reopen a
/// conversation marked done (the customer wrote again: it is the owner's to deal with).
pub fn touch(conn: &Connection, id: i64, at: &str, preview: &str, inbound: bool) -> Result<()> {
    let preview = list_preview(preview);
    conn.exec(
        "UPDATE conversations SET
           last_preview = CASE WHEN last_message_at IS NULL OR ?2 >= last_message_at THEN ?3 ELSE last_preview END,
           last_message_at = MAX(COALESCE(last_message_at, ''), ?2),
           unread = unread + ?4,
           state = CASE WHEN ?4 THEN 'open' ELSE state END
         WHERE id = ?1",
        params![id, at, preview, inbound as i64],
    )?;
    Ok(())
}

/// Conversations in one page of the list when the caller asks for no size (the UI pages
/// by it: `CONVERSATION_PAGE` in the generated bindings).
pub const PAGE: i64 = 50;

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    pub unread_only: bool,
    /// Only open or only done conversations; None: both.
    #[serde(default)]
    pub state: Option<ConversationState>,
    /// Page size; [`PAGE`] when zero.
    #[serde(default)]
    pub limit: i64,
    /// Keyset paging: rows strictly older than this (last_message_at, id).
    pub before: Option<(String, i64)>,
}

/// A page of conversations, newest first; a blocked number's conversation is not among
/// them (`super::blocked`: its texts are kept, not shown). The plain `<=` on the sort key repeats part of
/// the row-value condition so SQLite seeks the index to the page instead of scanning
/// every newer conversation (a page 25,000 deep: 2.9 ms -> 0.03 ms). Each filter is its
/// own statement with the condition written out (`v.unread > 0`, `v.state = ?`), so SQLite
/// can use the partial and the per-state index of migration 11 instead of filtering the
/// whole list.
pub fn list(conn: &Connection, filter: &ListFilter) -> Result<Vec<ConversationSummary>> {
    let limit = if filter.limit <= 0 { PAGE } else { filter.limit.min(500) };
    let (before_at, before_id) = filter.before.clone().unwrap_or_else(|| ("\u{10FFFF}".into(), i64::MAX));
    let unread = if filter.unread_only { "v.unread > 0 AND" } else { "" };
    let state = if filter.state.is_some() { "v.state = ?4 AND" } else { "?4 IS NULL AND" };
    let not_blocked = super::blocked::not_blocked_sql!();
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE {unread} {state}
           {not_blocked}
           AND COALESCE(v.last_message_at, '') <= ?1
           AND (COALESCE(v.last_message_at, ''), v.id) < (?1, ?2)
         ORDER BY COALESCE(v.last_message_at, '') DESC, v.id DESC LIMIT ?3"
    ))?;
    let rows =
        stmt.query_map(params![before_at, before_id, limit, filter.state.map(ConversationState::as_str)], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<ConversationSummary> {
    conn.row(&format!("{SELECT} WHERE v.id = ?1"), [id], from_row).or_not_found(|| format!("conversation {id}"))
}

pub fn mark_read(conn: &Connection, id: i64) -> Result<()> {
    conn.exec("UPDATE conversations SET unread = 0 WHERE id = ?1", [id])?;
    Ok(())
}

/// Marks a conversation unread again (the owner wants to come back to it): at least one
/// unread message, so it shows in the Unread filter and the badge.
pub fn mark_unread(conn: &Connection, id: i64) -> Result<()> {
    let n = conn.exec("UPDATE conversations SET unread = MAX(unread, 1) WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(Error::not_found(format!("conversation {id}")));
    }
    Ok(())
}

/// Marks a conversation open or done. Done also marks it read: it was dealt with, and a
/// done conversation must not keep the badge up.
pub fn set_state(conn: &Connection, id: i64, state: ConversationState) -> Result<()> {
    let n = conn.exec(
        "UPDATE conversations SET state = ?2, unread = CASE WHEN ?2 = 'done' THEN 0 ELSE unread END WHERE id = ?1",
        params![id, state.as_str()],
    )?;
    if n == 0 {
        return Err(Error::not_found(format!("conversation {id}")));
    }
    Ok(())
}

/// The inbox's counts over every conversation the inbox shows (a blocked number's are
/// not), read by one query: the sidebar's badge and
/// the tray show the same numbers, however many conversations there are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Counts {
    /// Unread messages over all conversations (the badge and the tray).
    pub unread_messages: i64,
    /// Conversations with at least one unread message.
    pub unread_conversations: i64,
    pub open: i64,
    pub done: i64,
}

pub fn counts(conn: &Connection) -> Result<Counts> {
    Ok(conn.row(COUNTS, [], |r| {
        Ok(Counts { unread_messages: r.get(0)?, unread_conversations: r.get(1)?, open: r.get(2)?, done: r.get(3)? })
    })?)
}

/// Reads only the covering index `conversations_counts` (migration 18 added `customer` to
/// it): with a probe of the block list per conversation and `customer` outside the index,
/// SQLite read every row of the table (2.5× the time).
const COUNTS: &str = concat!(
    "SELECT COALESCE(SUM(unread), 0), COALESCE(SUM(unread > 0), 0),
            COALESCE(SUM(state = 'open'), 0), COALESCE(SUM(state = 'done'), 0)
     FROM conversations v WHERE ",
    super::blocked::not_blocked_sql!()
);

/// Unread messages over all conversations ([`counts`]).
pub fn total_unread(conn: &Connection) -> Result<i64> {
    Ok(conn.row(TOTAL_UNREAD, [], |r| r.get(0))?)
}

/// Reads only the entries of `conversations_counts` with something unread (a range per
/// state; `state` is 'open' or 'done' by the table's CHECK): the tray asks after every text
/// that arrives. A blocked number's are not shown. The index carries `customer`, so no row of
/// the table is read, and no index of its own is kept up to date at every text.
const TOTAL_UNREAD: &str = concat!(
    "SELECT COALESCE(SUM(unread), 0) FROM conversations v
     WHERE v.state IN ('open', 'done') AND v.unread > 0 AND ",
    super::blocked::not_blocked_sql!()
);

pub fn set_reply_channel(conn: &Connection, id: i64, channel: Channel) -> Result<()> {
    conn.exec("UPDATE conversations SET reply_channel = ?2 WHERE id = ?1", params![id, channel])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contacts::{self, ContactEdit};
    use crate::store::{numbers, write_fresh, write_with_shop};

    fn contact(tx: &Connection, name: &str, phones: &[&str], email: Option<&str>) -> Result<i64> {
        let edit = ContactEdit {
            name: name.into(),
            phones: phones.iter().map(|p| p.to_string()).collect(),
            email: email.map(str::to_string),
            notes: String::new(),
        };
        contacts::save(tx, None, &edit)
    }

    #[test]
    fn starting_a_conversation_reuses_or_creates_the_right_one() -> Result<()> {
        write_fresh(|tx| {
            let missing = start(tx, None, &StartWith::Phone("+61412555201".into()));
            assert!(matches!(missing, Err(Error::InvalidInput(_))), "no number of ours yet: {missing:?}");
            let shop = numbers::upsert_from_twilio(tx, "PN01", "+61255501234", "Shop")?;

            let by_phone = start(tx, None, &StartWith::Phone("+61 412 555 201".into()))?;
            assert_eq!(get(tx, by_phone)?.customer, "+61412555201");
            let national = start(tx, Some(shop), &StartWith::Phone("0412 555 201".into()))?;
            assert_eq!(national, by_phone, "typed as at home, in the country of our number: the same one");
            let bad = start(tx, None, &StartWith::Phone("12".into()));
            assert!(matches!(bad, Err(Error::InvalidPhoneNumber(_))), "{bad:?}");

            let ana = contact(tx, "Ana", &["+61412555202"], Some("ana@example.com"))?;
            let with_ana = start(tx, None, &StartWith::Contact(ana))?;
            let summary = get(tx, with_ana)?;
            assert_eq!((summary.customer.as_str(), summary.contact_id), ("+61412555202", Some(ana)), "by her mobile");
            assert_eq!(summary.reply_channel, Channel::Sms);

            let bo = contact(tx, "Bo", &[], Some("bo@example.com"))?;
            let with_bo = start(tx, None, &StartWith::Contact(bo))?;
            let summary = get(tx, with_bo)?;
            assert_eq!(summary.customer, "bo@example.com", "a contact with only an email address gets a thread");
            assert_eq!(summary.reply_channel, Channel::Email);
            assert_eq!(summary.contact_email.as_deref(), Some("bo@example.com"));
            assert_eq!(start(tx, None, &StartWith::Contact(bo))?, with_bo, "and keeps it");

            let cy = contact(tx, "Cy", &[], None)?;
            let nowhere = start(tx, None, &StartWith::Contact(cy));
            assert!(matches!(&nowhere, Err(Error::InvalidInput(m)) if m.contains("Cy")), "{nowhere:?}");
            Ok(())
        })
    }

    /// A message's conversation written in one INSERT when new holds exactly what creating
    /// it and then touching it holds, for an arrival and a send, and a known one is touched.
    #[test]
    fn a_new_conversation_starts_as_creating_and_touching_it_would_leave_it() -> Result<()> {
        write_with_shop(|tx, shop| {
            let summary = |id: i64| -> Result<(Option<String>, String, i64, String)> {
                Ok(tx.row(
                    "SELECT last_message_at, last_preview, unread, state FROM conversations WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?)
            };
            let long = "Can I book a cut and colour for Saturday morning? ".repeat(4);
            for (n, inbound) in [(1, true), (2, false)] {
                let (a, b) = (format!("+6141255510{n}"), format!("+6141255520{n}"));
                let two_steps = ensure(tx, shop, &a)?;
                touch(tx, two_steps, "2026-11-30T09:00:00.000Z", &long, inbound)?;
                let one_step = ensure_touched(tx, shop, &b, "2026-11-30T09:00:00.000Z", &long, inbound)?;
                assert_eq!(summary(one_step)?, summary(two_steps)?, "inbound: {inbound}");
                assert!(tx.row("SELECT contact_id IS NOT NULL FROM conversations WHERE id = ?1", [one_step], |r| r
                    .get::<_, bool>(0))?);
                let again = ensure_touched(tx, shop, &b, "2026-11-30T09:05:00.000Z", "Thanks!", inbound)?;
                assert_eq!(again, one_step, "a known conversation is reused");
                let (at, preview, unread, _) = summary(again)?;
                assert_eq!((at.as_deref(), preview.as_str()), (Some("2026-11-30T09:05:00.000Z"), "Thanks!"));
                assert_eq!(unread, if inbound { 2 } else { 0 });
            }
            Ok(())
        })
    }

    /// The tray reads these two counts after every text that arrives. They must stay exact
    /// as messages come in and are read, and come from index entries of only what is new
    /// (the unread range of `conversations_counts`, migration 18; the unheard voicemails'
    /// partial index, migration 13), not from a read of every conversation (1,771 pages per
    /// text on the 1 M-message store).
    #[test]
    fn the_tray_counts_stay_exact_and_read_only_what_is_new() -> Result<()> {
        write_with_shop(|tx, shop| {
            let ids: Vec<i64> =
                (0..40).map(|i| ensure(tx, shop, &format!("+61412555{i:03}"))).collect::<Result<_>>()?;
            assert_eq!(total_unread(tx)?, 0);
            for (k, id) in ids.iter().enumerate().take(5) {
                for _ in 0..=k {
                    touch(tx, *id, "2026-11-30T10:00:00.000Z", "hello", true)?;
                }
            }
            touch(tx, ids[6], "2026-11-30T10:00:00.000Z", "our reply", false)?;
            assert_eq!(total_unread(tx)?, 1 + 2 + 3 + 4 + 5);
            mark_read(tx, ids[4])?;
            mark_read(tx, ids[7])?;
            assert_eq!(total_unread(tx)?, 1 + 2 + 3 + 4);

            tx.execute_batch(
                "INSERT INTO recordings (sid) VALUES ('RE1'), ('RE2'), ('RE3');
                 INSERT INTO voicemails (recording_sid, listened, deleted) VALUES ('RE1', 0, 0), ('RE2', 1, 0), ('RE3', 0, 1);",
            )?;
            assert_eq!(crate::store::voicemails::unheard_count(tx)?, 1);

            tx.execute_batch("ANALYZE")?;
            for (sql, index) in [
                (TOTAL_UNREAD, "COVERING INDEX conversations_counts (state=? AND unread>?)"),
                (crate::store::voicemails::UNHEARD, "voicemails_unheard"),
            ] {
                let plan = crate::store::query_plan(tx, sql)?;
                assert!(plan.iter().any(|step| step.contains(index)), "{sql}: {plan:?}");
            }
            Ok(())
        })
    }

    /// The counts leave out every conversation of a blocked number (on each of our numbers),
    /// stay exact as it is blocked and unblocked, and read only the covering index
    /// `conversations_counts`, not every row of `conversations` (the badge asks after every
    /// text: 14 ms on 50,000 conversations).
    #[test]
    fn the_counts_leave_out_blocked_numbers_and_read_the_covering_index() -> Result<()> {
        write_with_shop(|tx, shop| {
            let clinic = numbers::upsert_from_twilio(tx, "PN02", "+61255501235", "Clinic")?;
            for (number, customer, texts) in [
                (shop, "+61412555201", 2),
                (shop, "+61412555202", 0),
                (shop, "+61412555666", 3),
                (clinic, "+61412555666", 1),
            ] {
                let id = ensure(tx, number, customer)?;
                for _ in 0..texts {
                    touch(tx, id, "2026-11-30T10:00:00.000Z", "hello", true)?;
                }
            }
            let quiet = ensure(tx, shop, "+61412555202")?;
            set_state(tx, quiet, ConversationState::Done)?;
            let all = Counts { unread_messages: 6, unread_conversations: 3, open: 3, done: 1 };
            assert_eq!(counts(tx)?, all);

            crate::store::blocked::block(tx, "+61412555666")?;
            crate::store::blocked::block(tx, "+61412555999")?; // blocked, never wrote
            assert_eq!(counts(tx)?, Counts { unread_messages: 2, unread_conversations: 1, open: 1, done: 1 });
            crate::store::blocked::unblock(tx, "+61412555666")?;
            assert_eq!(counts(tx)?, all, "unblocking counts them again");

            // Without statistics, as the app keeps its stores (with them, five rows are
            // cheaper to scan than to search, which says nothing of 50,000).
            let plan = crate::store::query_plan(tx, COUNTS)?;
            assert!(plan.iter().any(|step| step.contains("COVERING INDEX conversations_counts")), "{plan:?}");
            assert!(!plan.iter().any(|step| step == "SCAN v"), "{plan:?}");
            assert!(!plan.iter().any(|step| step.starts_with("CORRELATED")), "the block list is read once: {plan:?}");
            Ok(())
        })
    }

    /// The list's "opted out" comes from `opt_out_state`, a copy of the ledger's latest
    /// event per address: it must say what the ledger says whatever the order the changes
    /// were recorded in, for phones and email addresses alike.
    #[test]
    fn the_list_shows_the_ledgers_state_for_every_address() -> Result<()> {
        use crate::store::optouts::{self, Change, Source};
        write_with_shop(|tx, shop| {
            let customers = ["+61412555201", "+61412555202", "+61412555203", "+61412555204"];
            for c in customers {
                let id = ensure(tx, shop, c)?;
                touch(tx, id, "2026-11-30T10:00:00.000Z", "hi", true)?;
            }
            let bo = contact(tx, "Bo", &[], Some("bo@example.com"))?;
            start(tx, Some(shop), &StartWith::Contact(bo))?;
            let change = |address, opted_out, at, sid| Change {
                address,
                opted_out,
                at,
                reason: if opted_out { "STOP" } else { "START" },
                source: Source::CatchUp,
                message_sid: sid,
            };
            // 201: STOP. 202: STOP then START, recorded in reverse. 203: START then STOP,
            // recorded in reverse. 204: never. bo@: opted out by hand.
            optouts::record(tx, &change("+61412555201", true, "2026-11-30T10:00:00.000Z", Some("SM1")))?;
            optouts::record(tx, &change("+61412555202", false, "2026-11-30T10:05:00.000Z", Some("SM3")))?;
            optouts::record(tx, &change("+61412555202", true, "2026-11-30T10:00:00.000Z", Some("SM2")))?;
            optouts::record(tx, &change("+61412555203", true, "2026-11-30T10:05:00.000Z", Some("SM5")))?;
            optouts::record(tx, &change("+61412555203", false, "2026-11-30T10:00:00.000Z", Some("SM4")))?;
            optouts::set_by_owner(tx, "bo@example.com", true)?;
            let listed = list(tx, &ListFilter::default())?;
            assert_eq!(listed.len(), 5);
            for row in &listed {
                assert_eq!(row.opted_out, optouts::is_opted_out(tx, &row.customer)?, "{}", row.customer);
                assert_eq!(get(tx, row.id)?.opted_out, row.opted_out, "{}", row.customer);
            }
            let out: Vec<&str> = listed.iter().filter(|r| r.opted_out).map(|r| r.customer.as_str()).collect();
            assert_eq!(out.len(), 3, "{out:?}");
            for c in ["+61412555201", "+61412555203", "bo@example.com"] {
                assert!(out.contains(&c), "{c} in {out:?}");
            }
            Ok(())
        })
    }

    /// A store from before `opt_out_state` gets every address's latest state from its ledger.
    #[test]
    fn upgrading_copies_each_addresss_latest_state_from_the_ledger() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut conn = Connection::open(dir.path().join("old.db"))?;
        // Up to 12: the version before 13-read-less, which adds `opt_out_state`.
        crate::store::migrations()?.to_version(&mut conn, 12)?;
        conn.execute_batch(
            "INSERT INTO opt_out_events (address, channel, opted_out, at, reason, source) VALUES
               ('+61412555201', 'sms', 1, '2026-11-30T10:00:00.000Z', 'STOP', 'webhook'),
               ('+61412555201', 'sms', 0, '2026-11-30T10:05:00.000Z', 'START', 'webhook'),
               ('+61412555202', 'sms', 0, '2026-11-30T10:00:00.000Z', 'START', 'webhook'),
               ('+61412555202', 'sms', 1, '2026-11-30T10:05:00.000Z', 'STOP', 'catch-up'),
               ('+61412555203', 'sms', 1, '2026-11-30T10:00:00.000Z', 'STOP', 'webhook'),
               ('+61412555203', 'sms', 0, '2026-11-30T10:00:00.000Z', 'by hand', 'owner');",
        )?;
        crate::store::migrate(&mut conn)?;
        let mut stmt = conn.prepare("SELECT address, opted_out FROM opt_out_state ORDER BY address")?;
        let state: Vec<(String, bool)> = crate::store::sql::all_rows(&mut stmt, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        // Ties on `at` go to the later event (the owner's click on 203).
        assert_eq!(
            state,
            vec![("+61412555201".into(), false), ("+61412555202".into(), true), ("+61412555203".into(), false)]
        );
        Ok(())
    }

    /// The UI sends `{ contact: 3 }` or `{ phone: "0412…" }` (ui/src/lib/types.ts StartWith).
    #[test]
    fn start_with_reads_the_ui_shape() -> Result<()> {
        let contact: StartWith = serde_json::from_value(serde_json::json!({ "contact": 3 }))?;
        let phone: StartWith = serde_json::from_value(serde_json::json!({ "phone": "0412 555 201" }))?;
        assert_eq!((contact, phone), (StartWith::Contact(3), StartWith::Phone("0412 555 201".into())));
        Ok(())
    }

    #[test]
    fn pages_follow_on_without_gaps_or_repeats() -> Result<()> {
        write_with_shop(|tx, shop| {
            for i in 0..7 {
                let id = ensure(tx, shop, &format!("+6141255530{i}"))?;
                // Two share a time (ties are broken by id), one has no message yet.
                let at = if i == 6 { None } else { Some(format!("2026-11-2{}T10:00:00Z", i.min(4))) };
                if let Some(at) = at {
                    touch(tx, id, &at, "hi", false)?;
                }
            }
            let mut seen = Vec::new();
            let mut filter = ListFilter { limit: 3, ..Default::default() };
            loop {
                let page = list(tx, &filter)?;
                seen.extend(page.iter().map(|c| c.id));
                match page.last() {
                    Some(last) if page.len() == 3 => {
                        filter.before = Some((last.last_message_at.clone().unwrap_or_default(), last.id))
                    }
                    _ => break,
                }
            }
            let all: Vec<i64> =
                list(tx, &ListFilter { limit: 100, ..Default::default() })?.iter().map(|c| c.id).collect();
            assert_eq!(seen, all, "three pages of three give the one list");
            assert_eq!(all.len(), 7);
            Ok(())
        })
    }
}
