//! What texting costs: a conversation's total, the last months' totals for Settings, and
//! the estimate a bulk send shows before Send. Each calls the core (`crate::costs`).

use tauri::State;

use super::super::live::Live;
use super::super::DesktopState;
use crate::costs::estimate::{self, BulkEstimate};
use crate::costs::{Costs, MonthCosts};
use crate::error::Result;
use crate::outbound::bulk::BulkChoice;
use crate::store::costs;

/// What conversation `conversation_id`'s texts cost so far, per currency.
#[tauri::command]
#[specta::specta]
pub async fn conversation_costs(state: State<'_, DesktopState>, conversation_id: i64) -> Result<Costs> {
    state.store.read_async(move |c| costs::conversation(c, conversation_id)).await
}

/// Totals per month over the last `months` months (this one included; 6 when absent).
#[tauri::command]
#[specta::specta]
pub async fn monthly_costs(state: State<'_, DesktopState>, months: Option<u32>) -> Result<Vec<MonthCosts>> {
    state.store.read_async(move |c| costs::recent_months(c, months.unwrap_or(6))).await
}

/// Segments and estimated cost of the bulk send the preview shows, sent from `number_id`.
#[tauri::command]
#[specta::specta]
pub async fn estimate_bulk(
    live: State<'_, Live>,
    state: State<'_, DesktopState>,
    number_id: i64,
    choice: BulkChoice,
) -> Result<BulkEstimate> {
    estimate::bulk_send(&state.store, &live.client().await?, number_id, choice).await
}
