//! Message templates and the preview of a bulk send (rendering and opt-out skipping are
//! the core's rules, `outbound::bulk`, so the preview shows exactly what the send would do).

use std::collections::BTreeMap;

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
use crate::outbound::bulk::{self, BulkPreview};
use crate::store::templates::{self, Template};

#[tauri::command]
#[specta::specta]
pub async fn list_templates(state: State<'_, DesktopState>) -> Result<Vec<Template>> {
    state.store.read_async(templates::list).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_template(
    state: State<'_, DesktopState>,
    id: Option<i64>,
    name: String,
    body: String,
) -> Result<Template> {
    state
        .store
        .write_async(move |tx| {
            let id = templates::save(tx, id, &name, &body)?;
            templates::get(tx, id)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_template(state: State<'_, DesktopState>, id: i64) -> Result<()> {
    state.store.write_async(move |tx| templates::delete(tx, id)).await
}

/// Renders `template_id` for each contact: `name` and `first_name` from the contact,
/// `vars` shared by everyone, `per_contact` values by contact id.
#[tauri::command]
#[specta::specta]
pub async fn preview_bulk(
    state: State<'_, DesktopState>,
    template_id: i64,
    contact_ids: Vec<i64>,
    vars: BTreeMap<String, String>,
    per_contact: Option<crate::desktop::contract::PerContactArg>,
    tags: Option<Vec<String>>,
) -> Result<BulkPreview> {
    let choice = crate::desktop::contract::bulk_choice(template_id, contact_ids, vars, per_contact, tags);
    state.store.read_async(move |c| bulk::preview_in(c, &choice)).await
}
