//! Catch-up of messages: paged back to the watermark, applied oldest first. Inbound
//! messages go through the one inbound pipeline ([`crate::inbound`]) like a webhook's, so
//! a STOP sent while the app was closed is honoured; outbound messages we did not send
//! through the outbox are stored by SID, and an `outbound-reply` (our auto-reply, which
//! Twilio created from our TwiML) adopts the row stored when we answered.

use chrono::Utc;

use super::backfill::{self, progress, rfc3339, CHUNK};
use super::pages::{self, Listed, TwilioList, PAGE_SIZE};
use crate::domain::now_rfc3339;
use crate::domain::phone::Address;
use crate::domain::status::MessageStatus;
use crate::error::Result;
use crate::events::{Event, Events};
use crate::inbound::{self, Applied, InboundMessage, Via};
use crate::store::{auto_replies, conversations, messages, numbers, settings, Store};
use crate::twilio::api::messages::MessageResource;
use crate::twilio::api::to_rfc3339;
use crate::twilio::client::TwilioClient;

/// Messages found by catch-up this recent are announced like a webhook's (a notification);
/// older ones only through the "while you were away" summary.
const NOTIFY_MINUTES: i64 = 10;

/// What storing one listed message did.
enum Stored {
    Inbound(Applied),
    Outbound { conversation_id: i64, message_id: i64, created: bool, status: String },
}

pub(super) async fn catch_up(store: &Store, client: &TwilioClient, events: &Events) -> Result<usize> {
    let mark = backfill::watermark(store, "messages").await?;
    let mut source = TwilioList {
        client,
        url: client.account_url("Messages.json"),
        query: vec![("DateSent>".into(), backfill::day_filter(mark)), ("PageSize".into(), PAGE_SIZE.to_string())],
        key: "messages",
    };
    let listed: Vec<MessageResource> =
        pages::back_to(&mut source, backfill::stop_before(mark), |n| progress(events, "messages", n, 0)).await?;
    let total = listed.len();
    let new_mark = backfill::next_mark(&listed, |_| false);
    // The pages carry each message's price: recorded after the messages are stored, for
    // new and known ones alike (a known one's price may have been missing until now).
    let mut priced = crate::costs::prices::priced_in(&listed);
    let fresh = drop_known(store, listed).await?;
    // New messages get their price as they are stored (below); these are the known ones.
    {
        let fresh_sids: std::collections::HashSet<&str> = fresh.iter().map(|m| m.sid.as_str()).collect();
        priced.retain(|(sid, _, _)| !fresh_sids.contains(sid.as_str()));
    }
    let notify_after = Utc::now() - chrono::Duration::minutes(NOTIFY_MINUTES);
    let mut added = 0;
    let mut rest = fresh.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<MessageResource> = rest.by_ref().take(CHUNK).collect();
        let chunk_mark = chunk.iter().filter_map(|m| m.created()).max().map(rfc3339);
        let mut prepared = Vec::with_capacity(chunk.len());
        for m in chunk {
            // Media URLs need one more call per MMS; fetched before the write transaction.
            let media = if m.num_media.unwrap_or(0) > 0 && !is_outbound(&m) {
                client
                    .list_media(&m.sid)
                    .await?
                    .iter()
                    .filter_map(|md| Some((md.content_type.clone().unwrap_or_default(), client.media_content_url(md)?)))
                    .collect()
            } else {
                Vec::new()
            };
            let notify = m.created().is_some_and(|c| c > notify_after);
            prepared.push((m, media, notify));
        }
        let results = store
            .write_async(move |tx| {
                let mut results = Vec::with_capacity(prepared.len());
                for (m, media, notify) in &prepared {
                    results.push((store_message(tx, m, media.clone())?, *notify));
                    if let Some(price) = &m.price {
                        crate::store::costs::record_by_sid(tx, &m.sid, price, m.price_unit.as_deref())?;
                    }
                }
                if let Some(w) = &chunk_mark {
                    settings::set_watermark(tx, "messages", w)?;
                }
                Ok(results)
            })
            .await?;
        for (stored, notify) in &results {
            match stored {
                Stored::Inbound(applied) => {
                    added += applied.created.is_some() as usize;
                    inbound::publish(events, applied, *notify);
                }
                Stored::Outbound { conversation_id, message_id, created, status } => {
                    added += *created as usize;
                    if *notify || !created {
                        let (conversation_id, message_id, status) = (*conversation_id, *message_id, status.clone());
                        events.publish(Event::MessageUpdated { conversation_id, message_id, status });
                    }
                }
            }
        }
        progress(events, "messages", total, added);
    }
    crate::costs::prices::record_listed(store, events, priced).await?;
    if let Some(m) = new_mark {
        // Everything listed is stored now (known before, or just written).
        let w = rfc3339(m);
        store.write_async(move |tx| settings::set_watermark(tx, "messages", &w)).await?;
    }
    Ok(added)
}

/// Drops the items the store already has, SID by SID (each a unique-index lookup), never by
/// loading every stored SID: with a million messages that set alone took ~120 MB.
async fn drop_known(store: &Store, items: Vec<MessageResource>) -> Result<Vec<MessageResource>> {
    store
        .read_async(move |c| {
            let mut stmt = c.prepare_cached("SELECT 1 FROM messages WHERE sid = ?1")?;
            let mut fresh = Vec::with_capacity(items.len());
            for item in items {
                if !stmt.exists([&item.sid])? {
                    fresh.push(item);
                }
            }
            Ok(fresh)
        })
        .await
}

fn is_outbound(m: &MessageResource) -> bool {
    m.direction.as_deref().is_some_and(|d| d.starts_with("outbound"))
}

fn store_message(tx: &rusqlite::Connection, m: &MessageResource, media: Vec<(String, String)>) -> Result<Stored> {
    let from = Address::from_twilio(m.from.as_deref().unwrap_or_default());
    let to = Address::from_twilio(m.to.as_deref().unwrap_or_default()).into_string();
    let at = to_rfc3339(m.date_sent.as_deref().or(m.date_created.as_deref())).unwrap_or_else(now_rfc3339);
    let body = m.body.clone().unwrap_or_default();
    if !is_outbound(m) {
        let applied = inbound::apply(
            tx,
            &InboundMessage {
                sid: m.sid.clone(),
                from,
                to,
                body,
                num_segments: m.num_segments.unwrap_or(1),
                media,
                opt_out_type: None,
                at,
                via: Via::CatchUp,
            },
        )?;
        return Ok(Stored::Inbound(applied));
    }
    let from = from.into_string();
    let number_id = numbers::ensure(tx, &from, true)?;
    let status = MessageStatus::parse(m.status.as_deref().unwrap_or("sent"));
    if m.direction.as_deref() == Some("outbound-reply") {
        let conversation_id = conversations::ensure(tx, number_id, &to)?;
        if let Some(message_id) = auto_replies::adopt(tx, conversation_id, &body, &m.sid, &status)? {
            let status = status.as_str().to_string();
            return Ok(Stored::Outbound { conversation_id, message_id, created: false, status });
        }
    }
    let (message_id, created) = messages::insert_outbound_from_twilio(
        tx,
        &messages::KnownOutbound {
            sid: m.sid.clone(),
            number_id,
            from,
            to,
            body,
            status,
            error_code: m.error_code,
            num_segments: m.num_segments.unwrap_or(1),
            created_at: at,
        },
    )?;
    let stored = messages::get(tx, message_id)?;
    Ok(Stored::Outbound { conversation_id: stored.conversation_id, message_id, created, status: stored.status })
}
