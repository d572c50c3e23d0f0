//! IPC commands: each a few lines that call the core and return `Result<_, Error>`, which
//! reaches the UI as `{code, message}`.

use tauri::State;

use super::DesktopState;
use crate::error::Result;
use crate::store::conversations::{self, ConversationSummary, ListFilter};

#[derive(serde::Serialize)]
pub struct AppInfo {
    version: &'static str,
    sandbox: bool,
    data_dir: String,
}

#[tauri::command]
pub fn app_info(state: State<'_, DesktopState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        sandbox: state.sandbox,
        data_dir: state.store.data_dir().display().to_string(),
    }
}

#[tauri::command]
pub async fn list_conversations(state: State<'_, DesktopState>, unread_only: bool) -> Result<Vec<ConversationSummary>> {
    let filter = ListFilter { unread_only, ..Default::default() };
    state.store.read_async(move |c| conversations::list(c, &filter)).await
}
