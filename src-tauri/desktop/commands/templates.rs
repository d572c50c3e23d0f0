//! Message templates and the preview of a bulk send (rendering and opt-out skipping are
//! the core's rules, `outbound::bulk`, so the preview shows exactly what the send would do).

use tauri::State;

use crate::desktop::DesktopState;
use crate::error::Result;
use crate::outbound::bulk::{self, BulkChoice, BulkPreview};
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

/// Renders the chosen template for each contact: `name` and `first_name` from the contact,
/// `vars` shared by everyone, `per_contact` values by contact id.
#[tauri::command]
#[specta::specta]
pub async fn preview_bulk(state: State<'_, DesktopState>, choice: BulkChoice) -> Result<BulkPreview> {
    state.store.read_async(move |c| bulk::preview_in(c, &choice)).await
}
