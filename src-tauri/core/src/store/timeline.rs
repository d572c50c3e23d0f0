//! One timeline per customer: the texts, calls and voicemails between one of our numbers
//! and one customer, in time order, paged like the thread.
//!
//! Each kind stays in its own table and is read by its own index seek (`messages_thread`,
//! and migration 11's `calls_timeline` and `voicemails_timeline`); a page takes at most
//! `limit + 1` rows of each kind older than the cursor and merges them, so opening a
//! conversation costs a few short seeks however many messages or calls the store holds.
//! Nothing is copied into a shared table, so a call or voicemail stored by a webhook, by
//! catch-up or before this code existed is on the timeline with no backfill.
//!
//! Call recordings are the next kind (another change adds them): a `Recording` variant of
//! [`Item`], a [`Kind`] between `Voicemail` and `Message`, and one more source in [`page`].

use rusqlite::Connection;

use super::{calls, conversations, messages, voicemails};
use crate::error::{Error, Result};

/// One row of the timeline; the UI draws each kind as its own compact row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Message(messages::Message),
    Call(calls::Call),
    Voicemail(voicemails::Voicemail),
}

/// The kinds in the order they take among items of the same instant (a call, then the
/// voicemail left on it, then a text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Call,
    Voicemail,
    Message,
}

/// A position in a timeline: the item itself, and everything strictly older comes next.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Cursor {
    pub at: String,
    pub kind: Kind,
    pub id: i64,
}

/// A page of a timeline: oldest first (as a thread reads), and where the next older page
/// starts (`None`: this is the beginning of the conversation).
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Page {
    pub items: Vec<Item>,
    pub before: Option<Cursor>,
}

impl Item {
    pub fn cursor(&self) -> Cursor {
        match self {
            Item::Message(m) => Cursor { at: m.created_at.clone(), kind: Kind::Message, id: m.id },
            Item::Call(c) => Cursor { at: c.created_at.clone(), kind: Kind::Call, id: c.id },
            Item::Voicemail(v) => Cursor { at: v.created_at.clone(), kind: Kind::Voicemail, id: v.id },
        }
    }
}

/// The bound one kind's query takes for "strictly older than `cursor`" in the merged
/// order (time, kind, id): rows at the cursor's instant pass when their kind sorts before
/// the cursor's, by id when it is the same kind, never when it sorts after.
fn bound(cursor: Option<&Cursor>, kind: Kind) -> (String, i64) {
    match cursor {
        None => ("\u{10FFFF}".into(), i64::MAX),
        Some(c) => {
            let id = match kind.cmp(&c.kind) {
                std::cmp::Ordering::Less => i64::MAX,
                std::cmp::Ordering::Equal => c.id,
                std::cmp::Ordering::Greater => i64::MIN,
            };
            (c.at.clone(), id)
        }
    }
}

/// The newest `limit` items of conversation `conversation_id` older than `before` (the
/// `before` of the previous page; None: the newest), oldest first.
pub fn page(conn: &Connection, conversation_id: i64, limit: i64, before: Option<&Cursor>) -> Result<Page> {
    let limit = if limit <= 0 { 50 } else { limit.min(500) };
    let conv = conversations::get(conn, conversation_id)?;
    let take = limit + 1;
    let mut items: Vec<Item> = Vec::new();

    let (at, id) = bound(before, Kind::Message);
    items.extend(messages::before(conn, conversation_id, (&at, id), take)?.into_iter().map(Item::Message));
    // The calls and voicemails on this conversation's number only (an email
    // conversation's customer matches none).
    let (at, id) = bound(before, Kind::Call);
    let found = calls::for_customer(conn, conv.number_id, &conv.customer, (&at, id), take)?;
    items.extend(found.into_iter().map(Item::Call));
    let (at, id) = bound(before, Kind::Voicemail);
    let found = voicemails::for_customer(conn, conv.number_id, &conv.customer, (&at, id), take)?;
    items.extend(found.into_iter().map(Item::Voicemail));

    // Newest first, keep one more than a page to know whether an older page exists.
    let mut keyed: Vec<(Cursor, Item)> = items.into_iter().map(|i| (i.cursor(), i)).collect();
    keyed.sort_by(|a, b| (&b.0.at, b.0.kind, b.0.id).cmp(&(&a.0.at, a.0.kind, a.0.id)));
    let more = keyed.len() as i64 > limit;
    keyed.truncate(limit as usize);
    let before = if more { keyed.last().map(|(c, _)| c.clone()) } else { None };
    let items = keyed.into_iter().rev().map(|(_, i)| i).collect();
    Ok(Page { items, before })
}

/// The conversation to "Text back" from a call or a voicemail: with the customer, on the
/// number they called (our first number when that is not known), created if new.
pub fn text_back(conn: &Connection, from: &TextBack) -> Result<i64> {
    let (number_id, customer) = match from {
        TextBack::Call(id) => {
            let call = calls::get(conn, *id)?;
            (call.number_id, call.customer)
        }
        TextBack::Voicemail(id) => {
            let vm = voicemails::get(conn, *id)?;
            (vm.number_id, vm.from)
        }
    };
    if customer.is_empty() {
        return Err(Error::InvalidInput("the caller's number is unknown: there is nobody to text back".into()));
    }
    if !customer.starts_with('+') {
        return Err(Error::InvalidInput(format!("{customer} is not a phone number that can receive texts")));
    }
    conversations::start(conn, number_id, &conversations::StartWith::Phone(customer))
}

/// What "Text back" answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TextBack {
    Call(i64),
    Voicemail(i64),
}
