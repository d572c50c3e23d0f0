//! The campaign history screen's actions: its list and details (read from
//! `store::campaign_history`), Cancel, and "send again to those who failed".
//!
//! A resend is a new campaign of the same template, number and pace whose recipients are
//! the family's failures (see [`campaign_history::resend_plan`]): planned and stored in one
//! write, so two clicks cannot both pick the same people (the second finds them pending in
//! the first and leaves them out). Its texts are the ones rendered for the first attempt;
//! the runner checks the opt-out ledger again before each send, like any campaign.

use super::{campaign, scheduled, Outbound};
use crate::error::{Error, Result};
use crate::store::campaign_history::{self, CampaignSummary, RecipientOutcome, ResendPlan};
use crate::store::campaigns;

/// The history list, newest first.
pub async fn list(ob: &Outbound, limit: i64) -> Result<Vec<CampaignSummary>> {
    ob.store.read_async(move |c| campaign_history::list(c, limit)).await
}

/// One campaign and each recipient's outcome.
pub async fn detail(ob: &Outbound, id: i64) -> Result<(CampaignSummary, Vec<RecipientOutcome>)> {
    ob.store.read_async(move |c| Ok((campaign_history::summary(c, id)?, campaign_history::recipients(c, id)?))).await
}

/// Cancel: the campaign stops before its next recipient and is never resumed; a recipient
/// being sent at that moment finishes (its outbox row is already written). The texts it
/// scheduled for a later time and that have not gone yet are cancelled at Twilio too (one
/// that Twilio already sent, or that cannot be cancelled now, is logged and left as it
/// is). Returns false when nothing was left to stop.
pub async fn cancel(ob: &Outbound, id: i64) -> Result<bool> {
    let stopped = campaign::cancel(ob, id).await?;
    let waiting = ob.store.read_async(move |c| campaign_history::still_scheduled(c, id)).await?;
    let mut cancelled = 0;
    for message_id in waiting {
        match scheduled::cancel(ob, message_id).await {
            Ok(_) => cancelled += 1,
            Err(e) => tracing::warn!(campaign = id, message_id, error = %e, "a scheduled text could not be cancelled"),
        }
    }
    Ok(stopped || cancelled > 0)
}

/// What "send again to those who failed" would do, for the confirmation.
pub async fn resend_preview(ob: &Outbound, id: i64) -> Result<ResendPlan> {
    ob.store.read_async(move |c| campaign_history::resend_plan(c, id)).await
}

/// Stores a campaign that sends campaign `id`'s failed recipients their text again, and
/// returns its id and plan; the caller runs it ([`campaign::run`]) in the background.
/// Refused, saying why, when nobody is left to send to.
pub async fn resend_failed(ob: &Outbound, id: i64) -> Result<(i64, ResendPlan)> {
    ob.store
        .write_async(move |tx| {
            let plan = campaign_history::resend_plan(tx, id)?;
            if plan.recipients.is_empty() {
                return Err(Error::InvalidInput(nobody_left(&plan)));
            }
            let first = campaigns::get(tx, plan.family)?;
            let new_id =
                campaigns::create(tx, first.template_id, &first.from_number, first.rate_per_sec, &plan.recipients)?;
            let who = if plan.count == 1 { "1 who failed".to_string() } else { format!("{} who failed", plan.count) };
            campaign_history::describe(tx, new_id, &format!("again: {who} in #{id}"), Some(plan.family))?;
            Ok((new_id, plan))
        })
        .await
}

/// Why there is nobody to send again to, in the owner's words.
fn nobody_left(plan: &ResendPlan) -> String {
    let mut why = "nobody to send again to: everyone was sent to, is still being sent to, or did not fail".to_string();
    if plan.opted_out > 0 {
        why.push_str(&format!("; {} who failed have opted out since", plan.opted_out));
    }
    if plan.unconfirmed > 0 {
        why.push_str(&format!(
            "; {} may have gone out (Twilio's answer was lost): use Retry in their conversation",
            plan.unconfirmed
        ));
    }
    why
}
