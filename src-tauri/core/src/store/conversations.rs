//! Conversations: one per (our number, customer address), with the list's summary
//! columns (last message, preview, unread) kept up to date by each new message.

use super::sql::CachedSql;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::kinds::Channel;
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
    /// Whether the customer's address is opted out now (the ledger, by address).
    pub opted_out: bool,
}

const SELECT: &str = "SELECT v.id, v.number_id, n.e164, v.customer, v.contact_id, COALESCE(c.name, ''),
    c.email, v.reply_channel, v.last_message_at, v.last_preview, v.unread,
    COALESCE((SELECT e.opted_out FROM opt_out_events e WHERE e.address = v.customer ORDER BY e.at DESC, e.id DESC LIMIT 1), 0)
    FROM conversations v JOIN numbers n ON n.id = v.number_id LEFT JOIN contacts c ON c.id = v.contact_id";

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
    })
}

/// The conversation between our number and `customer`, created (with its contact) if new.
pub fn ensure(conn: &Connection, number_id: i64, customer: &str) -> Result<i64> {
    if let Some(id) = conn
        .row("SELECT id FROM conversations WHERE number_id = ?1 AND customer = ?2", params![number_id, customer], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok(id);
    }
    let contact_id = super::contacts::ensure_for_address(conn, customer)?;
    conn.exec(
        "INSERT INTO conversations (number_id, customer, contact_id) VALUES (?1, ?2, ?3)",
        params![number_id, customer, contact_id],
    )?;
    Ok(conn.last_insert_rowid())
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

/// Updates the list's summary after a message; inbound ones count as unread.
pub fn touch(conn: &Connection, id: i64, at: &str, preview: &str, inbound: bool) -> Result<()> {
    let preview: String = preview.chars().take(140).collect();
    conn.exec(
        "UPDATE conversations SET
           last_preview = CASE WHEN last_message_at IS NULL OR ?2 >= last_message_at THEN ?3 ELSE last_preview END,
           last_message_at = MAX(COALESCE(last_message_at, ''), ?2),
           unread = unread + ?4
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
    /// Page size; [`PAGE`] when zero.
    #[serde(default)]
    pub limit: i64,
    /// Keyset paging: rows strictly older than this (last_message_at, id).
    pub before: Option<(String, i64)>,
}

/// A page of conversations, newest first. The plain `<=` on the sort key repeats part of
/// the row-value condition so SQLite seeks the index to the page instead of scanning
/// every newer conversation (a page 25,000 deep: 2.9 ms -> 0.03 ms).
pub fn list(conn: &Connection, filter: &ListFilter) -> Result<Vec<ConversationSummary>> {
    let limit = if filter.limit <= 0 { PAGE } else { filter.limit.min(500) };
    let (before_at, before_id) = filter.before.clone().unwrap_or_else(|| ("\u{10FFFF}".into(), i64::MAX));
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE (?1 = 0 OR v.unread > 0)
           AND COALESCE(v.last_message_at, '') <= ?2
           AND (COALESCE(v.last_message_at, ''), v.id) < (?2, ?3)
         ORDER BY COALESCE(v.last_message_at, '') DESC, v.id DESC LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![filter.unread_only, before_at, before_id, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<ConversationSummary> {
    conn.row(&format!("{SELECT} WHERE v.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("conversation {id}")))
}

pub fn mark_read(conn: &Connection, id: i64) -> Result<()> {
    conn.exec("UPDATE conversations SET unread = 0 WHERE id = ?1", [id])?;
    Ok(())
}

pub fn total_unread(conn: &Connection) -> Result<i64> {
    Ok(conn.row("SELECT COALESCE(SUM(unread), 0) FROM conversations", [], |r| r.get(0))?)
}

pub fn set_reply_channel(conn: &Connection, id: i64, channel: Channel) -> Result<()> {
    conn.exec("UPDATE conversations SET reply_channel = ?2 WHERE id = ?1", params![id, channel])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contacts::{self, ContactEdit};
    use crate::store::{numbers, test_store};

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
        let (_d, store) = test_store();
        store.write(|tx| {
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
        let (_d, store) = test_store();
        store.write(|tx| {
            let shop = numbers::upsert_from_twilio(tx, "PN01", "+61255501234", "Shop")?;
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
