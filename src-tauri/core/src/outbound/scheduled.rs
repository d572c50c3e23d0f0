//! Scheduled messages: "Send later" in the composer and in bulk send. Twilio holds the
//! message and sends it at its time even while this computer is closed, which it does only
//! for messages sent through a Messaging Service (`MessagingServiceSid`, `ScheduleType=fixed`,
//! `SendAt` 15 minutes to 35 days ahead). The account's Switchboard service is found or made
//! once ([`crate::registration::service`], shared with A2P registration), keeps inbound
//! texts on each number's own webhook, and gets the sending number in its sender pool.
//!
//! A scheduled message is an ordinary outbox row (written before Twilio is asked, exactly
//! once, see [`super::send`]) in status `scheduled` with its `send_at`. When it fires, the
//! status callback (or, while the app was closed, catch-up) moves it to sent/delivered.
//! Until then it can be edited (Twilio cannot change one: the old is canceled, a new one
//! scheduled and linked) or canceled (`Status=canceled`). Opt-out is checked again: every
//! opt-out recorded (webhook, catch-up, error 21610, the owner) cancels that address's
//! scheduled messages at Twilio ([`cancel_for_opted_out`], run by [`spawn_sweeper`]), and
//! Twilio itself refuses to send to a number that replied STOP.

use chrono::{DateTime, Utc};

use super::send::{self, SendRequest};
use super::Outbound;
use crate::domain::schedule;
use crate::domain::status::MessageStatus;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::registration::service;
use crate::store::messages::{self, Message};
use crate::store::{conversations, numbers, optouts, scheduled as rows, settings};

/// How a scheduled row goes to Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The Messaging Service (MG…) that holds the sending number.
    pub service_sid: String,
    /// `SendAt` (ISO 8601 UTC, whole seconds); also what the row stores.
    pub send_at: String,
}

/// Why Retry is refused on a scheduled message.
pub const RETRY_REFUSED: &str =
    "a scheduled message is not retried (Retry sends at once); schedule it again from the composer";
/// What a message canceled by the owner says.
pub const CANCELED_BY_OWNER: &str = "Canceled before it was sent.";
/// What a message replaced by an edit says.
pub const REPLACED_BY_EDIT: &str = "Edited: replaced by the new scheduled message.";
/// What a message canceled because its recipient opted out says.
pub const CANCELED_OPTED_OUT: &str = "Canceled: the customer opted out before it was sent.";

/// Everything a scheduled send needs before its outbox row is written: the time within
/// Twilio's bounds, no attachments (their public links would expire before the time), and
/// the Messaging Service with `from` in its sender pool.
pub async fn prepare(ob: &Outbound, from: &str, send_at: DateTime<Utc>, has_media: bool) -> Result<Schedule> {
    schedule::check(send_at, Utc::now())?;
    if has_media {
        return Err(Error::InvalidInput(
            "a scheduled message carries text only: send attachments now, or remove them to schedule the text".into(),
        ));
    }
    let service_sid = sender_service(ob, from).await?;
    Ok(Schedule { service_sid, send_at: schedule::to_twilio(send_at) })
}

/// The Messaging Service scheduled texts from `from` go through, with `from` in its pool.
/// Remembered in settings once done, so a bulk send asks Twilio once, not per recipient.
pub async fn sender_service(ob: &Outbound, from: &str) -> Result<String> {
    // One at a time, so two first schedules do not both make a service.
    let _held = ob.store.lock_outbox("scheduling-service").await;
    let f = from.to_string();
    let (cached, in_pool, number) = ob
        .store
        .read_async(move |c| {
            Ok((
                settings::get(c, settings::keys::SCHEDULING_SERVICE)?,
                settings::get(c, settings::keys::scheduling_sender(&f))?,
                numbers::find_by_e164(c, &f)?,
            ))
        })
        .await?;
    if let (Some(svc), Some(pool)) = (&cached, &in_pool) {
        if svc == pool {
            return Ok(svc.clone());
        }
    }
    let pn = number.and_then(|n| n.sid).ok_or_else(|| {
        Error::InvalidInput(format!("{from} is not in your Twilio account yet; sync your numbers first"))
    })?;
    let svc = match cached {
        Some(s) => s,
        None => {
            let s = service::ensure(&ob.client).await?.sid;
            let keep = s.clone();
            ob.store.write_async(move |tx| settings::set(tx, settings::keys::SCHEDULING_SERVICE, &keep)).await?;
            s
        }
    };
    if !service::has_number(&ob.client, &svc, &pn).await? {
        service::add_number(&ob.client, &svc, &pn).await?;
    }
    let (f, keep) = (from.to_string(), svc.clone());
    ob.store.write_async(move |tx| settings::set(tx, settings::keys::scheduling_sender(&f), &keep)).await?;
    Ok(svc)
}

/// "Send later" from the composer: `body` to the conversation's customer at `send_at`
/// (RFC 3339 with offset, as the picker gives it). Returns the stored message (`scheduled`).
pub async fn schedule_in_conversation(
    ob: &Outbound,
    conversation_id: i64,
    body: &str,
    send_at: &str,
) -> Result<Message> {
    let at = schedule::parse(send_at)?;
    let conv = ob.store.read_async(move |c| conversations::get(c, conversation_id)).await?;
    let mut req = SendRequest::text(&conv.our_number, &conv.customer, body);
    req.send_at = Some(at);
    let out = send::send(ob, req).await?;
    let id = out.message_id;
    ob.store.read_async(move |c| messages::get(c, id)).await
}

/// The key that holds one scheduled row while it is edited or canceled.
fn hold_key(message_id: i64) -> String {
    format!("scheduled-{message_id}")
}

/// Cancel, until it is sent. A message already sent (or sending) is refused plainly and
/// its status brought up to date.
pub async fn cancel(ob: &Outbound, message_id: i64) -> Result<Message> {
    let _held = ob.store.lock_outbox(&hold_key(message_id)).await;
    let m = ob.store.read_async(move |c| messages::get(c, message_id)).await?;
    let sid = still_scheduled(&m)?;
    cancel_at_twilio(ob, &m, &sid, CANCELED_BY_OWNER).await?;
    ob.store.read_async(move |c| messages::get(c, message_id)).await
}

/// Edit, until it is sent: the new text and time are checked first (a refused edit leaves
/// the message as it was), then the message is canceled at Twilio and the new one
/// scheduled and linked (`replaced_by`). A repeated edit of the same message returns the
/// first edit's message and schedules nothing more.
pub async fn edit(ob: &Outbound, message_id: i64, body: &str, send_at: &str) -> Result<Message> {
    let at = schedule::parse(send_at)?;
    schedule::check(at, Utc::now())?;
    send::check_body(body, false)?;
    let _held = ob.store.lock_outbox(&hold_key(message_id)).await;
    let m = ob.store.read_async(move |c| messages::get(c, message_id)).await?;
    if let Some(new) = m.replaced_by {
        return ob.store.read_async(move |c| messages::get(c, new)).await;
    }
    let sid = still_scheduled(&m)?;
    let to = m.to.clone();
    if ob.store.read_async(move |c| optouts::is_opted_out(c, &to)).await? {
        return Err(Error::OptedOut(m.to.clone()));
    }
    cancel_at_twilio(ob, &m, &sid, REPLACED_BY_EDIT).await?;
    let mut req = SendRequest::text(&m.from, &m.to, body);
    req.send_at = Some(at);
    let key = format!("edit-of-{message_id}");
    req.client_ref = Some(key.clone());
    let sent = send::send(ob, req).await;
    // Linked whenever the new row exists, even when Twilio refused it: the owner sees what
    // became of the edit rather than a canceled message and nothing else.
    let new = ob.store.read_async(move |c| messages::find_by_client_ref(c, &key)).await?;
    if let Some(n) = &new {
        let new_id = n.id;
        ob.store.write_async(move |tx| rows::set_replaced_by(tx, message_id, new_id)).await?;
    }
    let out = sent?;
    let id = out.message_id;
    ob.store.read_async(move |c| messages::get(c, id)).await
}

/// The SID of a message that can still be edited or canceled, or why not.
fn still_scheduled(m: &Message) -> Result<String> {
    if m.status != MessageStatus::Scheduled.as_str() {
        return Err(Error::InvalidInput(format!(
            "only a message still scheduled can be changed; this one is {}",
            m.status
        )));
    }
    m.sid.clone().ok_or_else(|| {
        Error::InvalidInput("Twilio has not confirmed this scheduled message yet; try again in a moment".into())
    })
}

/// Cancels `sid` at Twilio and records it. When Twilio refuses (it went out meanwhile),
/// the message's real status is fetched and stored, and the refusal returned in plain words.
async fn cancel_at_twilio(ob: &Outbound, m: &Message, sid: &str, why: &str) -> Result<()> {
    let status = match ob.client.cancel_message(sid).await {
        Ok(r) => r.status,
        Err(e @ Error::Twilio { .. }) => {
            let now = ob.client.fetch_message(sid).await.ok().and_then(|r| r.status);
            if now.as_deref() != Some("canceled") {
                if let Some(s) = now {
                    record_status(ob, m, sid, &s).await?;
                }
                return Err(Error::InvalidInput(format!("too late to change it: Twilio could not cancel it ({e})")));
            }
            now
        }
        Err(e) => return Err(e),
    };
    let status = status.unwrap_or_else(|| "canceled".into());
    if status != "canceled" {
        record_status(ob, m, sid, &status).await?;
        return Err(Error::InvalidInput(format!("too late to change it: it is already {status}")));
    }
    let (id, why) = (m.id, why.to_string());
    ob.store.write_async(move |tx| rows::mark_canceled(tx, id, &why)).await?;
    ob.events.publish(Event::MessageUpdated {
        conversation_id: m.conversation_id,
        message_id: m.id,
        status: "canceled".into(),
    });
    Ok(())
}

async fn record_status(ob: &Outbound, m: &Message, sid: &str, status: &str) -> Result<()> {
    let (sid, st) = (sid.to_string(), MessageStatus::parse(status));
    ob.store.write_async(move |tx| messages::apply_status(tx, &sid, &st, None, None).map(|_| ())).await?;
    ob.events.publish(Event::MessageUpdated {
        conversation_id: m.conversation_id,
        message_id: m.id,
        status: status.to_string(),
    });
    Ok(())
}

/// Cancels at Twilio every scheduled message to an address that is opted out now, however
/// the opt-out was recorded. Returns how many were canceled; one that cannot be canceled
/// (already sent, Twilio unreachable) is left for the next sweep and does not stop the others.
pub async fn cancel_for_opted_out(ob: &Outbound) -> Result<usize> {
    let due = ob.store.read_async(rows::pending_to_opted_out).await?;
    let mut canceled = 0;
    for (id, _, _) in due {
        let _held = ob.store.lock_outbox(&hold_key(id)).await;
        let m = ob.store.read_async(move |c| messages::get(c, id)).await?;
        let Ok(sid) = still_scheduled(&m) else { continue };
        match cancel_at_twilio(ob, &m, &sid, CANCELED_OPTED_OUT).await {
            Ok(()) => canceled += 1,
            Err(e) => {
                tracing::warn!(message_id = id, error = %e, "could not cancel a scheduled message to an opted-out customer")
            }
        }
    }
    Ok(canceled)
}

/// Every message still scheduled, soonest first.
pub async fn list(ob: &Outbound) -> Result<Vec<Message>> {
    ob.store.read_async(rows::pending).await
}

/// "Send later" in bulk send: the campaign and its time in one transaction; every
/// recipient's text is scheduled for `send_at` by the campaign runner. Checked first: the
/// bounds, and the Messaging Service with the sending number in its pool.
pub async fn start_bulk(ob: &Outbound, number_id: i64, choice: super::bulk::BulkChoice, send_at: &str) -> Result<i64> {
    let at = schedule::parse(send_at)?;
    let from = ob.store.read_async(move |c| numbers::get(c, number_id)).await?.e164;
    let prepared = prepare(ob, &from, at, false).await?;
    let audience = choice.describe();
    let f = from.clone();
    let (new, rate) = ob
        .store
        .read_async(move |c| Ok((super::bulk::campaign_in(c, number_id, &choice)?, super::number_rate(c, &f)?)))
        .await?;
    check_time_to_schedule(new.recipients.len(), rate, at, Utc::now())?;
    ob.store
        .write_async(move |tx| {
            let id = super::campaign::create_in(tx, &new, &audience)?;
            rows::set_campaign_send_at(tx, id, &prepared.send_at)?;
            Ok(id)
        })
        .await
}

/// Each recipient's text is scheduled with Twilio one at a time, at the sending number's
/// pace, and Twilio takes a schedule only 15 minutes or more ahead: a time too close for
/// the whole audience would see the last recipients refused as "too soon". Refused up front
/// with the time that does fit, counting at least a segment a text and 5 minutes to spare.
fn check_time_to_schedule(recipients: usize, rate: f64, send_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    let scheduling = chrono::Duration::seconds((recipients as f64 / rate.max(0.01)).ceil() as i64);
    let earliest = now + chrono::Duration::minutes(schedule::MIN_AHEAD_MINUTES + 5) + scheduling;
    if send_at >= earliest {
        return Ok(());
    }
    let minutes = (earliest - now).num_minutes() + 1;
    Err(Error::InvalidInput(format!(
        "scheduling {recipients} texts with Twilio takes about {} min at this number's pace: choose a time at least {minutes} minutes from now",
        scheduling.num_minutes().max(1)
    )))
}

/// Runs [`cancel_for_opted_out`] after anything that may have recorded an opt-out: a text
/// received (STOP by webhook), a catch-up, a send refused with 21610, the owner's change on
/// a contact; and once at start. Stops when the events channel closes.
pub fn spawn_sweeper(ob: Outbound, events: &Events) -> tokio::task::JoinHandle<()> {
    let mut rx = events.subscribe();
    tokio::spawn(async move {
        sweep(&ob).await;
        loop {
            let mut relevant = match rx.recv().await {
                Ok(event) => calls_for_a_sweep(&event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            // One sweep reads the state as it is now, so it answers every event already
            // queued too: a burst of arrivals costs one sweep, not one each.
            loop {
                match rx.try_recv() {
                    Ok(event) => relevant |= calls_for_a_sweep(&event),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => relevant = true,
                    Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::broadcast::error::TryRecvError::Closed) => return,
                }
            }
            if relevant {
                sweep(&ob).await;
            }
        }
    })
}

/// Whether `event` may have changed what the sweep finds: a customer may be opted out now,
/// or a scheduled text failed.
fn calls_for_a_sweep(event: &Event) -> bool {
    match event {
        Event::MessageReceived { .. } | Event::SyncCompleted { .. } | Event::ContactUpdated { .. } => true,
        Event::MessageUpdated { status, .. } => status == "failed",
        _ => false,
    }
}

async fn sweep(ob: &Outbound) {
    match cancel_for_opted_out(ob).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "canceled scheduled messages to customers who opted out"),
        Err(e) => tracing::warn!(error = %e, "could not check scheduled messages against opt-outs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 600 texts at one a second take 10 minutes to schedule: 16 minutes ahead is too
    /// soon for them (the last ones would be refused), 31 minutes is fine; a handful needs
    /// the 15 minutes Twilio asks and 5 to spare.
    #[test]
    fn a_bulk_schedule_leaves_time_to_schedule_every_text() {
        let now = Utc::now();
        let e = check_time_to_schedule(600, 1.0, now + chrono::Duration::minutes(16), now).unwrap_err().to_string();
        assert!(e.contains("600 texts") && e.contains("at least 31 minutes"), "{e}");
        assert!(check_time_to_schedule(600, 1.0, now + chrono::Duration::minutes(31), now).is_ok());
        assert!(check_time_to_schedule(5, 1.0, now + chrono::Duration::minutes(21), now).is_ok());
        assert!(check_time_to_schedule(5, 1.0, now + chrono::Duration::minutes(16), now).is_err());
    }
}
