//! The address book, and the owner's hand on the opt-out ledger. Contact edits never change
//! who opted out: that is kept per address (`store::optouts`) and changes only by keyword,
//! Twilio error 21610, or [`set_opt_out`] after the UI asked the owner to confirm.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
use crate::events::Event;
use crate::store::contacts::{self, Contact, ContactEdit};
use crate::store::optouts::{self, OptOutEvent};

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
pub async fn set_opt_out(state: State<'_, DesktopState>, address: String, opted_out: bool) -> Result<OptOutEvent> {
    let (event, contact_id) = state
        .store
        .write_async(move |tx| {
            let event = optouts::set_by_owner(tx, &address, opted_out)?;
            Ok((event, contacts::id_for_address(tx, &address)?))
        })
        .await?;
    if let Some(contact_id) = contact_id {
        state.events.publish(Event::ContactUpdated { contact_id });
    }
    Ok(event)
}
