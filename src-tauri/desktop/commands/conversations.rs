//! Conversations, threads and full-text search.

use tauri::State;

use crate::desktop::{tray, DesktopState};
use crate::domain::kinds::Channel;
use crate::error::Result;
use crate::store::conversations::{self, ConversationSummary, Counts, ListFilter, StartWith};
use crate::store::messages::{self, Message};
use crate::store::search::{self, Hit};
use crate::store::timeline::{self, TextBack};

/// A page of conversations, newest first; `before` (`[last_message_at or "", id]` of the
/// last one shown) pages further back, so the owner can scroll through all of them.
#[tauri::command]
#[specta::specta]
pub async fn list_conversations(
    state: State<'_, DesktopState>,
    unread_only: bool,
    conversation_state: Option<conversations::ConversationState>,
    before: Option<(String, i64)>,
) -> Result<Vec<ConversationSummary>> {
    let filter = ListFilter { unread_only, state: conversation_state, before, ..Default::default() };
    state.store.read_async(move |c| conversations::list(c, &filter)).await
}

/// Opens the conversation to write to a contact or a typed number (creating it when
/// new), from `number_id` or our first managed number.
#[tauri::command]
#[specta::specta]
pub async fn start_conversation(
    state: State<'_, DesktopState>,
    number_id: Option<i64>,
    // Not `with`: the generated TypeScript names its parameter after it, and `with` is
    // reserved in JavaScript.
    with_whom: StartWith,
) -> Result<ConversationSummary> {
    state
        .store
        .write_async(move |tx| {
            let id = conversations::start(tx, number_id, &with_whom)?;
            conversations::get(tx, id)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn get_conversation(state: State<'_, DesktopState>, id: i64) -> Result<ConversationSummary> {
    state.store.read_async(move |c| conversations::get(c, id)).await
}

/// The newest messages of a conversation (oldest first); `before_id` pages further back.
#[tauri::command]
#[specta::specta]
pub async fn get_thread(
    state: State<'_, DesktopState>,
    conversation_id: i64,
    before_id: Option<i64>,
) -> Result<Vec<Message>> {
    state.store.read_async(move |c| messages::thread(c, conversation_id, 100, before_id)).await
}

/// A page of the conversation's timeline (texts, calls and voicemails, oldest first);
/// `before` (the previous page's `before`) pages further back.
#[tauri::command]
#[specta::specta]
pub async fn get_timeline(
    state: State<'_, DesktopState>,
    conversation_id: i64,
    before: Option<timeline::Cursor>,
) -> Result<timeline::Page> {
    state.store.read_async(move |c| timeline::page(c, conversation_id, 50, before.as_ref())).await
}

/// The unread badge's and the filters' counts over every conversation (one query).
#[tauri::command]
#[specta::specta]
pub async fn inbox_counts(state: State<'_, DesktopState>) -> Result<Counts> {
    state.store.read_async(conversations::counts).await
}

/// Marks a conversation open or done (done also marks it read) and refreshes the tray.
#[tauri::command]
#[specta::specta]
pub async fn set_conversation_state(
    app: tauri::AppHandle,
    state: State<'_, DesktopState>,
    id: i64,
    to: conversations::ConversationState,
) -> Result<ConversationSummary> {
    tray::write_then_refresh(&app, &state.store, move |tx| {
        conversations::set_state(tx, id, to)?;
        conversations::get(tx, id)
    })
    .await
}

/// Marks a conversation unread again and refreshes the tray badge.
#[tauri::command]
#[specta::specta]
pub async fn mark_conversation_unread(app: tauri::AppHandle, state: State<'_, DesktopState>, id: i64) -> Result<()> {
    tray::write_then_refresh(&app, &state.store, move |tx| conversations::mark_unread(tx, id)).await
}

/// "Text back" on a missed call or a voicemail: the conversation with that customer on
/// the number they called (created if new); the UI opens it with the composer focused.
#[tauri::command]
#[specta::specta]
pub async fn text_back(state: State<'_, DesktopState>, from: TextBack) -> Result<ConversationSummary> {
    state
        .store
        .write_async(move |tx| {
            let id = timeline::text_back(tx, &from)?;
            conversations::get(tx, id)
        })
        .await
}

/// Clears the unread count and refreshes the tray badge.
#[tauri::command]
#[specta::specta]
pub async fn mark_conversation_read(app: tauri::AppHandle, state: State<'_, DesktopState>, id: i64) -> Result<()> {
    tray::write_then_refresh(&app, &state.store, move |tx| conversations::mark_read(tx, id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_reply_channel(state: State<'_, DesktopState>, id: i64, channel: Channel) -> Result<()> {
    state.store.write_async(move |tx| conversations::set_reply_channel(tx, id, channel)).await
}

#[tauri::command]
#[specta::specta]
pub async fn search_messages(state: State<'_, DesktopState>, query: String) -> Result<Vec<Hit>> {
    state.store.read_async(move |c| search::search(c, &query, 50)).await
}
