//! The address book. Opt-out is read-only here: only the customer (STOP/START) changes it.

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
use crate::store::contacts::{self, Contact, ContactEdit};

#[tauri::command]
pub async fn list_contacts(state: State<'_, DesktopState>) -> Result<Vec<Contact>> {
    state.store.read_async(contacts::list).await
}

/// Creates (`id` null) or updates a contact and returns it as stored.
#[tauri::command]
pub async fn save_contact(state: State<'_, DesktopState>, id: Option<i64>, edit: ContactEdit) -> Result<Contact> {
    state
        .store
        .write_async(move |tx| {
            let id = contacts::save(tx, id, &edit)?;
            contacts::get(tx, id)
        })
        .await
}
