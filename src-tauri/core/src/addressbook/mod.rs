//! The address book at scale, as the desktop (and the tests) use it: CSV import with a
//! preview and a report of refused rows (`import`, over a file the owner chose: `picked`),
//! merge, delete, tags and blocking. Each is a function of a few lines over the store; what
//! belongs to an address (opt-out, block) is never changed by what is done to a contact.

pub mod import;
pub mod table;

use rusqlite::Connection;

use crate::domain::E164;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::outbound::{scheduled, Outbound};
use crate::picked::{PickedPaths, Purpose};
use crate::store::optouts::{self, OptOutEvent};
use crate::store::sql::all_rows;
use crate::store::{blocked, contact_merge, contacts, tags, Store};
use import::{ImportOptions, Plan, PlannedRow, RowProblem};
use table::Table;

/// How many rows the preview lists (the totals and the refusals cover every row).
pub const PREVIEW_ROWS: usize = 50;

/// What the import dialog shows before the owner confirms.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ImportPreview {
    /// The column names (from the header, or "Column 1"… when there is none).
    pub columns: Vec<String>,
    /// The first rows as they are in the file, for the mapping step.
    pub sample: Vec<Vec<String>>,
    /// The options used: the ones given, or the guess (mapping, header, region).
    pub options: ImportOptions,
    /// The first rows as they would be imported.
    pub rows: Vec<PlannedRow>,
    pub total_rows: usize,
    pub created: usize,
    pub merged: usize,
    pub unchanged: usize,
    /// Every refused row, and why.
    pub refused: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct ImportReport {
    pub created: usize,
    pub merged: usize,
    pub unchanged: usize,
    pub refused: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
}

impl From<Plan> for ImportReport {
    fn from(p: Plan) -> Self {
        ImportReport {
            created: p.created,
            merged: p.merged,
            unchanged: p.unchanged,
            refused: p.refused,
            warnings: p.warnings,
        }
    }
}

/// The country national numbers are read in: that of our first managed number (the
/// business number), else of any number we have.
pub fn business_region(conn: &Connection) -> Result<Option<String>> {
    let mut stmt = conn.prepare("SELECT e164 FROM numbers ORDER BY managed DESC, id")?;
    let numbers: Vec<String> = all_rows(&mut stmt, [], |r| r.get(0))?;
    Ok(numbers.iter().find_map(|n| E164::parse(n).ok().and_then(|e| e.region())))
}

/// The options a file suggests: its header (if it looks like one), the mapping its column
/// names suggest, and the business number's country.
pub fn guess_options(conn: &Connection, t: &Table) -> Result<ImportOptions> {
    let first = t.rows.first().cloned().unwrap_or_default();
    let has_header = table::looks_like_header(&first);
    let mapping = if has_header { table::guess_mapping(&first) } else { guess_headerless(t) };
    Ok(ImportOptions { mapping, has_header, region: business_region(conn)?, add_tags: Vec::new() })
}

/// With no header: the first column whose cells parse as numbers is the phone, the first
/// with an `@` the email, and the first other one the name.
fn guess_headerless(t: &Table) -> table::Mapping {
    let width = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    let sample: Vec<&Vec<String>> = t.rows.iter().take(20).collect();
    let mut m = table::Mapping::default();
    for i in 0..width {
        let cells: Vec<&str> =
            sample.iter().filter_map(|r| r.get(i)).map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
        if cells.is_empty() {
            continue;
        }
        let digits = cells.iter().all(|c| c.chars().filter(char::is_ascii_digit).count() >= 6);
        if digits {
            m.phones.push(i);
        } else if m.email.is_none() && cells.iter().all(|c| c.contains('@')) {
            m.email = Some(i);
        } else if m.name.is_none() {
            m.name = Some(i);
        }
    }
    m
}

/// The preview of importing `bytes` (`options` None: guessed).
pub fn preview_bytes(conn: &Connection, bytes: &[u8], options: Option<ImportOptions>) -> Result<ImportPreview> {
    let t = table::parse(bytes)?;
    let options = match options {
        Some(o) => o,
        None => guess_options(conn, &t)?,
    };
    let plan = import::plan(conn, &t, &options)?;
    let width = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    let columns = match (options.has_header, t.rows.first()) {
        (true, Some(h)) => (0..width).map(|i| h.get(i).map(|c| import::clean(c)).unwrap_or_default()).collect(),
        _ => (1..=width).map(|i| format!("Column {i}")).collect(),
    };
    let skip = usize::from(options.has_header);
    Ok(ImportPreview {
        columns,
        sample: t.rows.iter().skip(skip).take(5).cloned().collect(),
        total_rows: t.rows.len().saturating_sub(skip),
        created: plan.created,
        merged: plan.merged,
        unchanged: plan.unchanged,
        rows: plan.rows.into_iter().take(PREVIEW_ROWS).collect(),
        refused: plan.refused,
        warnings: plan.warnings,
        options,
    })
}

/// Reads the file the owner chose for import (the grant is kept until the import is done,
/// so the preview can be redone with another mapping).
async fn read_chosen(picked: &PickedPaths, token: &str) -> Result<Vec<u8>> {
    let path = picked.resolve(token, Purpose::ContactsImport)?;
    let len = tokio::fs::metadata(&path).await?.len();
    if len > table::MAX_BYTES as u64 {
        return Err(Error::InvalidInput(format!(
            "the file is {} MB; Switchboard imports files of up to {} MB",
            len / (1024 * 1024),
            table::MAX_BYTES / (1024 * 1024)
        )));
    }
    Ok(tokio::fs::read(&path).await?)
}

/// The import dialog's preview of the chosen file.
pub async fn preview(
    store: &Store,
    picked: &PickedPaths,
    token: &str,
    options: Option<ImportOptions>,
) -> Result<ImportPreview> {
    let bytes = read_chosen(picked, token).await?;
    store.read_async(move |c| preview_bytes(c, &bytes, options)).await
}

/// Imports `bytes` in one transaction: all of it, or (on an error) none of it.
pub async fn import_bytes(store: &Store, bytes: Vec<u8>, options: ImportOptions) -> Result<ImportReport> {
    let t = table::parse(&bytes)?;
    store.write_async(move |tx| import::apply(tx, &t, &options)).await.map(ImportReport::from)
}

/// Imports the chosen file with the options the owner confirmed; the grant is spent.
pub async fn import_chosen(
    store: &Store,
    events: &Events,
    picked: &PickedPaths,
    token: &str,
    options: ImportOptions,
) -> Result<ImportReport> {
    let bytes = read_chosen(picked, token).await?;
    let report = import_bytes(store, bytes, options).await?;
    picked.spend([token]);
    // One event for the list rather than one per contact: the UI reloads the address book.
    events.publish(Event::ContactUpdated { contact_id: 0 });
    Ok(report)
}

/// Merges contact `from` into `into` (see [`contact_merge::merge`]); returns the result.
pub async fn merge(store: &Store, events: &Events, into: i64, from: i64) -> Result<contacts::Contact> {
    let c = store
        .write_async(move |tx| {
            let id = contact_merge::merge(tx, into, from)?;
            contacts::get(tx, id)
        })
        .await?;
    events.publish(Event::ContactUpdated { contact_id: into });
    Ok(c)
}

/// Deletes a contact; its threads, opt-outs and blocks stay (see [`contact_merge::delete`]).
pub async fn delete(store: &Store, events: &Events, id: i64) -> Result<()> {
    store.write_async(move |tx| contact_merge::delete(tx, id)).await?;
    events.publish(Event::ContactUpdated { contact_id: id });
    Ok(())
}

/// Replaces a contact's tags.
pub async fn set_tags(store: &Store, events: &Events, id: i64, new: Vec<String>) -> Result<contacts::Contact> {
    let c = store
        .write_async(move |tx| {
            contacts::get(tx, id)?;
            tags::set(tx, id, &new)?;
            contacts::get(tx, id)
        })
        .await?;
    events.publish(Event::ContactUpdated { contact_id: id });
    Ok(c)
}

/// Blocks (or unblocks) `address`: its calls are rejected, its texts kept but hidden and
/// never notified. Returns whether anything changed.
pub async fn set_blocked(store: &Store, events: &Events, address: String, block: bool) -> Result<bool> {
    let (changed, contact_id) = store
        .write_async(move |tx| {
            let changed = if block { blocked::block(tx, &address)? } else { blocked::unblock(tx, &address)? };
            let key = crate::domain::Address::from_twilio(&address).into_string();
            Ok((changed, contacts::id_for_address(tx, &key)?))
        })
        .await?;
    if let Some(contact_id) = contact_id {
        events.publish(Event::ContactUpdated { contact_id });
    }
    Ok(changed)
}

/// The owner opts `address` (a phone number or an email address) out, or back in, by hand,
/// recorded in the ledger as the owner's; returns the ledger's new latest event for it.
/// An opt-out also cancels the address's scheduled messages at Twilio at once when the core
/// is running (`sender`): an address that is no contact raises no event for the runtime's
/// sweeper to hear. A cancel that fails is left to the next sweep, as the sweeper does.
pub async fn set_opted_out(
    store: &Store,
    events: &Events,
    sender: Option<&Outbound>,
    address: String,
    opted_out: bool,
) -> Result<OptOutEvent> {
    let (event, shown_on) = store
        .write_async(move |tx| {
            let event = optouts::set_by_owner(tx, &address, opted_out)?;
            let shown_on = contacts::ids_for_opt_out_key(tx, &event.address)?;
            Ok((event, shown_on))
        })
        .await?;
    for contact_id in shown_on {
        events.publish(Event::ContactUpdated { contact_id });
    }
    if let (true, Some(ob)) = (opted_out, sender) {
        if let Err(e) = scheduled::cancel_for_opted_out(ob).await {
            tracing::warn!(error = %e, "could not cancel scheduled messages after an opt-out");
        }
    }
    Ok(event)
}
