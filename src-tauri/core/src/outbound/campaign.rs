//! Bulk templated sends: one template to many contacts, paced to a rate per number
//! (1 message a second by default, shared across campaigns through [`super::Pacer`]),
//! skipping anyone opted out, with progress events.
//!
//! Crash-safe: every body is rendered when the campaign is created (a missing variable
//! fails the whole campaign before anything is sent), and each recipient is claimed
//! (`pending` → `sending`, atomically) before its send, whose outbox key is
//! `campaign-<id>-<recipient id>`. One runner per campaign: a lease in the store, renewed
//! at each recipient, lapsing by itself after a crash. After a crash, [`run`] takes the
//! lease, puts the interrupted recipient back first and the send path finds its outbox row
//! (adopting the message from Twilio's log if it went out), so nobody gets a message twice.

use crate::domain::kinds::CampaignState;
use crate::domain::E164;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::blocked;
use crate::store::campaign_history;
use crate::store::campaigns::{self, NewRecipient, Progress};
use crate::store::contacts::Contact;
use crate::store::optouts;
use crate::store::templates;
use std::collections::BTreeMap;

use super::send::{self, Content, SendRequest};
use super::Outbound;

/// Default pace: Twilio queues what a long code cannot send at once (1 segment/s in the US).
pub const DEFAULT_RATE_PER_SEC: f64 = 1.0;

/// One recipient with the variables of their message (e.g. `first_name`).
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub contact_id: Option<i64>,
    pub to: String,
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub template_id: i64,
    /// One of our numbers; the pace applies to it.
    pub from: String,
    pub recipients: Vec<Recipient>,
    /// Messages per second; None = [`DEFAULT_RATE_PER_SEC`].
    pub rate_per_sec: Option<f64>,
}

/// The values a template is rendered with for `contact`: `name` and `first_name` from the
/// contact, then the variables `shared` by everyone, then this contact's own values
/// (`own`, e.g. their appointment time), where a blank own value means "the shared one".
pub fn contact_vars(
    contact: &Contact,
    shared: &BTreeMap<String, String>,
    own: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    vars.insert("name".to_string(), contact.name.clone());
    vars.insert("first_name".to_string(), contact.name.split_whitespace().next().unwrap_or_default().to_string());
    vars.extend(shared.iter().map(|(k, v)| (k.clone(), v.clone())));
    let own = own.into_iter().flatten().filter(|(_, v)| !v.trim().is_empty());
    vars.extend(own.map(|(k, v)| (k.clone(), v.clone())));
    vars
}

/// The outbox key of a campaign recipient: deterministic, so a resumed send reuses it.
pub fn client_ref(campaign_id: i64, recipient_id: i64) -> String {
    format!("campaign-{campaign_id}-{recipient_id}")
}

/// Validates and stores a campaign (state `running`); nothing is sent yet. Fails, naming
/// the recipient, when a number is invalid or a template variable has no value.
pub async fn create(ob: &Outbound, c: NewCampaign) -> Result<i64> {
    let audience = format!("{} recipients", c.recipients.len());
    create_for(ob, c, audience).await
}

/// [`create`], recording who the campaign was for as the owner chose it (the history
/// shows "tag VIP" rather than a count).
pub async fn create_for(ob: &Outbound, c: NewCampaign, audience: String) -> Result<i64> {
    ob.store.write_async(move |tx| create_in(tx, &c, &audience)).await
}

/// [`create_for`] inside the caller's transaction (a scheduled bulk send records its time
/// in the same one, so no runner can ever start it as a send-now campaign).
pub fn create_in(tx: &rusqlite::Connection, c: &NewCampaign, audience: &str) -> Result<i64> {
    let from = E164::parse(&c.from)?.as_str().to_string();
    let rate = c.rate_per_sec.unwrap_or(DEFAULT_RATE_PER_SEC);
    let template = templates::get(tx, c.template_id)?;
    let mut rendered = Vec::with_capacity(c.recipients.len());
    for r in &c.recipients {
        let to = E164::parse(&r.to)?.as_str().to_string();
        let body = crate::domain::template::render(&template.body, &r.vars)
            .map_err(|e| Error::InvalidInput(format!("{to}: {e}")))?;
        send::check_body(&body, false).map_err(|e| Error::InvalidInput(format!("{to}: {e}")))?;
        rendered.push(NewRecipient { contact_id: r.contact_id, to, body });
    }
    let id = campaigns::create(tx, Some(template.id), &from, rate, &rendered)?;
    campaign_history::describe(tx, id, audience, None)?;
    Ok(id)
}

/// Pauses a running campaign; [`run`] stops before its next recipient.
pub async fn pause(ob: &Outbound, campaign_id: i64) -> Result<bool> {
    move_state(ob, campaign_id, &[CampaignState::Running], CampaignState::Paused).await
}

/// Marks a paused campaign running again; call [`run`] to continue sending.
pub async fn resume(ob: &Outbound, campaign_id: i64) -> Result<bool> {
    move_state(ob, campaign_id, &[CampaignState::Paused], CampaignState::Running).await
}

/// Stops a campaign for good; recipients not yet reached are never sent.
pub async fn cancel(ob: &Outbound, campaign_id: i64) -> Result<bool> {
    move_state(ob, campaign_id, &[CampaignState::Running, CampaignState::Paused], CampaignState::Cancelled).await
}

/// Moves a campaign that is in one of `from` to `to` (nothing happens otherwise; returns
/// whether it moved), then tells the UI where the campaign stands.
async fn move_state(
    ob: &Outbound,
    campaign_id: i64,
    from: &'static [CampaignState],
    to: CampaignState,
) -> Result<bool> {
    let changed = ob.store.write_async(move |tx| campaigns::set_state(tx, campaign_id, from, to)).await?;
    publish(ob, campaign_id).await?;
    Ok(changed)
}

async fn publish(ob: &Outbound, campaign_id: i64) -> Result<Progress> {
    let (p, state) = ob
        .store
        .read_async(move |c| Ok((campaigns::progress(c, campaign_id)?, campaigns::get(c, campaign_id)?.state)))
        .await?;
    ob.events.publish(Event::CampaignProgress {
        campaign_id,
        sent: p.sent,
        skipped: p.skipped,
        failed: p.failed,
        pending: p.pending,
        state,
    });
    Ok(p)
}

/// Sends a running campaign's remaining recipients, paced, until done or paused.
/// Returns the progress when it stops. Safe to call again after a crash or a pause, and
/// safe to call while another runner is at work: only the holder of the campaign's lease
/// sends (the other call waits, and returns once the campaign is no longer running),
/// recipients are claimed one at a time in a single statement, and every send waits for
/// its number's turn on the shared pacer.
pub async fn run(ob: &Outbound, campaign_id: i64) -> Result<Progress> {
    let runner = format!("runner-{}", hex::encode(rand::random::<[u8; 8]>()));
    // Another runner holds the lease: it may be alive (a Resume while it was still
    // sending) or dead (a crash; its lease lapses by itself). Wait in the wings while the
    // campaign is meant to run, so a dead runner's campaign is taken over, a live one's
    // is left alone.
    while !take_lease(ob, campaign_id, &runner).await? {
        let state = ob.store.read_async(move |c| campaigns::get(c, campaign_id)).await?.state;
        if state != CampaignState::Running {
            return publish(ob, campaign_id).await;
        }
        tokio::time::sleep((ob.campaign_lease / 2).min(std::time::Duration::from_secs(1))).await;
    }
    // Recipients a crashed runner left mid-send are ours to reconcile now.
    ob.store.write_async(move |tx| campaigns::requeue_interrupted(tx, campaign_id)).await?;
    let result = run_leased(ob, campaign_id, &runner).await;
    let r = runner.clone();
    let released = ob.store.write_async(move |tx| campaigns::release_lease(tx, campaign_id, &r)).await;
    let progress = result?;
    released?;
    // A Resume that came while this runner was stopping found the lease still held and
    // left the work to it: pick it up rather than leave a running campaign unattended.
    let state = ob.store.read_async(move |c| campaigns::get(c, campaign_id)).await?.state;
    if state == CampaignState::Running && progress.pending > 0 {
        return Box::pin(run(ob, campaign_id)).await;
    }
    Ok(progress)
}

/// Takes or renews the lease for `runner` (see [`campaigns::acquire_lease`]).
async fn take_lease(ob: &Outbound, campaign_id: i64, runner: &str) -> Result<bool> {
    let now = chrono::Utc::now();
    let until = now + chrono::Duration::from_std(ob.campaign_lease).unwrap_or(chrono::Duration::seconds(30));
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let (now, until, r) = (fmt(now), fmt(until), runner.to_string());
    ob.store.write_async(move |tx| campaigns::acquire_lease(tx, campaign_id, &r, &now, &until)).await
}

async fn run_leased(ob: &Outbound, campaign_id: i64, runner: &str) -> Result<Progress> {
    let (campaign, send_at) = ob
        .store
        .read_async(move |c| {
            Ok((campaigns::get(c, campaign_id)?, crate::store::scheduled::campaign_send_at(c, campaign_id)?))
        })
        .await?;
    // A bulk send scheduled for later: every recipient's text is scheduled for that time.
    let send_at = send_at.as_deref().map(crate::domain::schedule::parse).transpose()?;
    loop {
        let state = ob.store.read_async(move |c| Ok(campaigns::get(c, campaign_id)?.state)).await?;
        if state != CampaignState::Running {
            return publish(ob, campaign_id).await;
        }
        if !take_lease(ob, campaign_id, runner).await? {
            // The lease lapsed (this runner stalled) and another took over: stop here.
            tracing::warn!(campaign = campaign_id, "lost the campaign's lease; another runner continues");
            return publish(ob, campaign_id).await;
        }
        let Some(r) = ob.store.write_async(move |tx| campaigns::claim_next(tx, campaign_id)).await? else {
            ob.store
                .write_async(move |tx| {
                    campaigns::set_state(tx, campaign_id, &[CampaignState::Running], CampaignState::Done)
                })
                .await?;
            return publish(ob, campaign_id).await;
        };
        let to = r.to.clone();
        // Asked now, not when the campaign was made: a STOP or a block may have come since.
        let skip = ob
            .store
            .read_async(move |c| {
                Ok(if optouts::is_opted_out(c, &to)? {
                    Some("opted out")
                } else if blocked::is_blocked(c, &to)? {
                    Some("blocked")
                } else {
                    None
                })
            })
            .await?;
        if let Some(why) = skip {
            ob.store.write_async(move |tx| campaigns::set_recipient(tx, r.id, "skipped", None, Some(why))).await?;
            publish(ob, campaign_id).await?;
            continue;
        }
        // The campaign's own pace and its number's rate are both kept by the send path's
        // pacer, shared with everything else sending from this number.
        let req = SendRequest {
            from: campaign.from_number.clone(),
            to: r.to.clone(),
            content: Content::Text(r.body.clone()),
            media: Vec::new(),
            client_ref: Some(client_ref(campaign_id, r.id)),
            campaign_id: Some(campaign_id),
            send_at,
        };
        let result = send::send(ob, req).await;
        let (state, message_id, error) = match result {
            Ok(o) if o.status == "failed" => ("failed", Some(o.message_id), Some("the message failed".to_string())),
            Ok(o) => ("sent", Some(o.message_id), None),
            Err(Error::OptedOut(_)) => ("skipped", None, Some("opted out".to_string())),
            Err(Error::Twilio { code: Some(crate::domain::twilio_errors::code::UNSUBSCRIBED), .. }) => {
                ("skipped", None, Some("opted out".to_string()))
            }
            Err(e) if e.is_transient() => {
                // Twilio unreachable, or answering 429/5xx: stop here rather than failing
                // everyone after it. The recipient goes back to pending; its outbox row
                // (failed, unconfirmed) is reconciled with Twilio's log by the next send
                // with the same client_ref.
                ob.store
                    .write_async(move |tx| {
                        campaigns::set_recipient(tx, r.id, "pending", None, None)?;
                        campaigns::set_state(tx, campaign_id, &[CampaignState::Running], CampaignState::Paused)
                    })
                    .await?;
                publish(ob, campaign_id).await?;
                return Err(e);
            }
            Err(e) => ("failed", None, Some(e.to_string())),
        };
        ob.store.write_async(move |tx| campaigns::set_recipient(tx, r.id, state, message_id, error.as_deref())).await?;
        publish(ob, campaign_id).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::vars;

    #[test]
    fn own_values_beat_shared_ones_and_blank_own_values_fall_back() {
        let contact = Contact {
            id: 7,
            name: "Ana Lima".into(),
            phones: vec!["+61412555201".into()],
            email: None,
            notes: String::new(),
            opted_out: false,
            opted_out_at: None,
            opt_out_source: None,
            opted_out_phones: Vec::new(),
            email_opted_out: false,
            tags: Vec::new(),
            blocked_phones: Vec::new(),
        };
        let shared = vars(&[("clinic", "Harbour Dental"), ("time", "9:00")]);
        let got = contact_vars(&contact, &shared, Some(&vars(&[("time", "14:30"), ("clinic", "  ")])));
        assert_eq!(
            got,
            vars(&[("name", "Ana Lima"), ("first_name", "Ana"), ("clinic", "Harbour Dental"), ("time", "14:30")])
        );
        assert_eq!(contact_vars(&contact, &shared, None)["time"], "9:00", "no own values: the shared ones");
    }
}
