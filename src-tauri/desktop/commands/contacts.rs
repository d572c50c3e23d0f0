//! The address book (CSV import, merge, delete, tags, blocking: `crate::addressbook`), and
//! the owner's hand on the opt-out ledger. Contact edits never change
//! who opted out: that is kept per address (`store::optouts`) and changes only by keyword,
//! Twilio error 21610, or [`set_opt_out`] after the UI asked the owner to confirm.

use tauri::State;

use crate::addressbook::{self, import::ImportOptions, ImportPreview, ImportReport};
use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::blocked::{self, Blocked};
use crate::store::contacts::{self, Contact, ContactEdit};
use crate::store::optouts::{self, OptOutEvent};
use crate::store::tags::{self, TagCount};

#[tauri::command]
#[specta::specta]
pub async fn list_contacts(state: State<'_, DesktopState>) -> Result<Vec<Contact>> {
    state.store.read_async(contacts::list).await
}

/// Creates (`id` null) or updates a contact and returns it as stored.
#[tauri::command]
#[specta::specta]
pub async fn save_contact(state: State<'_, DesktopState>, id: Option<i64>, edit: ContactEdit) -> Result<Contact> {
    state
        .store
        .write_async(move |tx| {
            let id = contacts::save(tx, id, &edit)?;
            contacts::get(tx, id)
        })
        .await
}

/// Opts `address` (a phone number or an email address) out, or back in, by hand, recorded
/// as the owner's. Returns the ledger's new latest event for the address.
#[tauri::command]
#[specta::specta]
pub async fn set_opt_out(
    state: State<'_, DesktopState>,
    live: State<'_, super::super::live::Live>,
    address: String,
    opted_out: bool,
) -> Result<OptOutEvent> {
    // Without a running core the runtime's sweeper cancels at its start instead.
    let sender = live.outbound().await.ok();
    addressbook::set_opted_out(&state.store, &state.events, sender.as_ref(), address, opted_out).await
}

/// Every opt-out and opt-in ever recorded for `address`, newest first: when, which keyword
/// or error, and by which path (the ledger that contact edits and merges never change).
#[tauri::command]
#[specta::specta]
pub async fn opt_out_history(state: State<'_, DesktopState>, address: String) -> Result<Vec<OptOutEvent>> {
    state.store.read_async(move |conn| optouts::history(conn, &address)).await
}

/// The import dialog's preview of the CSV the owner chose (`pick_files` with kind
/// `contacts`): with `options` None, the columns and country are guessed.
#[tauri::command]
#[specta::specta]
pub async fn preview_contacts_import(
    state: State<'_, DesktopState>,
    token: String,
    options: Option<ImportOptions>,
) -> Result<ImportPreview> {
    addressbook::preview(&state.store, &state.picked, &token, options).await
}

/// Imports the chosen CSV with the mapping the owner confirmed; returns the report.
#[tauri::command]
#[specta::specta]
pub async fn import_contacts(
    state: State<'_, DesktopState>,
    token: String,
    options: ImportOptions,
) -> Result<ImportReport> {
    addressbook::import_chosen(&state.store, &state.events, &state.picked, &token, options).await
}

/// Merges contact `from` into `into`; threads, numbers and tags move, opt-outs stay by number.
#[tauri::command]
#[specta::specta]
pub async fn merge_contacts(state: State<'_, DesktopState>, into: i64, from: i64) -> Result<Contact> {
    addressbook::merge(&state.store, &state.events, into, from).await
}

/// Deletes a contact; its threads stay, shown by number, and its numbers' opt-outs stay.
#[tauri::command]
#[specta::specta]
pub async fn delete_contact(state: State<'_, DesktopState>, id: i64) -> Result<()> {
    addressbook::delete(&state.store, &state.events, id).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_contact_tags(state: State<'_, DesktopState>, id: i64, tags: Vec<String>) -> Result<Contact> {
    addressbook::set_tags(&state.store, &state.events, id, tags).await
}

/// Every tag in use and how many contacts have it (the bulk-send audience picker).
#[tauri::command]
#[specta::specta]
pub async fn list_tags(state: State<'_, DesktopState>) -> Result<Vec<TagCount>> {
    state.store.read_async(tags::all).await
}

/// Blocks or unblocks a number: calls rejected, texts kept but hidden and not notified.
/// A change regenerates the closed-app flows (rewire), which carry the block list.
#[tauri::command]
#[specta::specta]
pub async fn set_blocked(
    live: State<'_, super::super::live::Live>,
    state: State<'_, DesktopState>,
    address: String,
    blocked: bool,
) -> Result<bool> {
    let changed = addressbook::set_blocked(&state.store, &state.events, address, blocked).await?;
    if changed {
        live.rewire().await;
    }
    Ok(changed)
}

#[tauri::command]
#[specta::specta]
pub async fn list_blocked(state: State<'_, DesktopState>) -> Result<Vec<Blocked>> {
    state.store.read_async(blocked::list).await
}
