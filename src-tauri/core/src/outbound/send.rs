//! The one outbound path for SMS/MMS, used by the composer, campaigns and
//! `switchboard send`.
//!
//! Order matters: validate everything first (numbers, opt-out, template variables,
//! length, attachments) so a refused send leaves no trace; then write the outbox row
//! (`queued`, keyed by our `client_ref`); wait for the number's turn (one pacer per
//! sending number); note when the request started; only then ask Twilio; then record the
//! SID.
//!
//! Exactly once: when the answer is lost, Twilio's log is searched for a message that is
//! provably ours (exact body, same ends and media count, created after our request
//! started, not already stored); if there is none, it is sent once more; if that cannot
//! be known, the row is marked failed in plain words and the owner gets a Retry. A crash
//! between the outbox row and the SID is repaired on the next send with the same
//! `client_ref` (a campaign resume) or by [`repair_interrupted`] at the next start.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use crate::domain::segments::{self, SegmentInfo};
use crate::domain::status::MessageStatus;
use crate::domain::E164;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::{campaigns, messages, numbers, optouts, outbound_media, templates};
use crate::twilio::api::messages::{MessageResource, NewMessage};

use super::{media_links, Outbound};

/// What to say: literal text, or a saved template with its variables.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    Template { name: String, vars: BTreeMap<String, String> },
}

#[derive(Debug, Clone)]
pub struct SendRequest {
    /// One of our Twilio numbers.
    pub from: String,
    pub to: String,
    pub content: Content,
    /// Files to attach (sent as MMS through [`media_links`]).
    pub media: Vec<PathBuf>,
    /// Idempotency key; the same key never sends twice. None: a fresh random one.
    pub client_ref: Option<String>,
    pub campaign_id: Option<i64>,
    /// Schedule it: Twilio sends it at this time, 15 minutes to 35 days ahead (through the
    /// account's Messaging Service, see [`super::scheduled`]). None: send now.
    pub send_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl SendRequest {
    pub fn text(from: &str, to: &str, body: &str) -> Self {
        SendRequest {
            from: from.into(),
            to: to.into(),
            content: Content::Text(body.into()),
            media: Vec::new(),
            client_ref: None,
            campaign_id: None,
            send_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SendOutcome {
    pub message_id: i64,
    pub conversation_id: i64,
    pub sid: Option<String>,
    pub status: String,
    pub segments: SegmentInfo,
    /// False when no public URL was known, so Twilio will not report delivery.
    pub status_callback: bool,
    /// True when this `client_ref` had already been sent and nothing new went out.
    pub already_sent: bool,
}

/// The segment meter for the composer (GSM-7 160/153, UCS-2 70/67, 1,600 max).
pub fn preview(body: &str) -> SegmentInfo {
    segments::count(body)
}

/// Parses `k=v` pairs (`--var first_name=Ana`) into template variables.
pub fn parse_vars(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(Error::Usage(format!("--var {p:?} must be KEY=VALUE"))),
        })
        .collect()
}

/// Checks a body Twilio would refuse, before anything is written.
pub fn check_body(body: &str, has_media: bool) -> Result<SegmentInfo> {
    if body.trim().is_empty() && !has_media {
        return Err(Error::InvalidInput("the message is empty".into()));
    }
    let info = segments::count(body);
    if info.too_long {
        return Err(Error::InvalidInput(format!(
            "the message is {} characters; Twilio's limit is {}",
            info.chars,
            segments::MAX_BODY_CHARS
        )));
    }
    Ok(info)
}

/// What a send says when the tunnel is down and the message carries attachments.
pub const TUNNEL_OFF_FOR_ATTACHMENTS: &str =
    "the tunnel is off: attachments need it (Twilio fetches them from this computer). Turn the tunnel on in Settings, or send the text without attachments";

/// What the owner reads on a message whose fate Twilio never told us.
pub const UNCONFIRMED: &str = "The connection to Twilio dropped before it answered, and Switchboard could not check whether this message went out. Retry checks Twilio first and sends it only if it did not.";

/// Sends an SMS/MMS on the one outbound path. See the module docs for the order of steps.
pub async fn send(ob: &Outbound, req: SendRequest) -> Result<SendOutcome> {
    let from = E164::parse(&req.from)?.as_str().to_string();
    let to = E164::parse(&req.to)?.as_str().to_string();
    let body = match &req.content {
        Content::Text(t) => t.clone(),
        Content::Template { name, vars } => {
            let name = name.clone();
            let t = ob.store.read_async(move |c| templates::find_by_name(c, &name)).await?;
            crate::domain::template::render(&t.body, vars)?
        }
    };
    let info = check_body(&body, !req.media.is_empty())?;
    // Every attachment rule (count, types, the total size) before anything is copied.
    media_links::check_attachments(&req.media).await?;
    let to_check = to.clone();
    // The ledger, by the recipient's address: whoever the number belongs to now.
    if ob.store.read_async(move |c| optouts::is_opted_out(c, &to_check)).await? {
        return Err(Error::OptedOut(to));
    }
    // Read once: the tunnel may drop while this send waits below, and a second read would
    // then send an MMS without its attachments instead of refusing it here.
    let public_url = ob.public_url();
    if !req.media.is_empty() && public_url.is_none() {
        return Err(Error::InvalidInput(TUNNEL_OFF_FOR_ATTACHMENTS.into()));
    }
    let schedule = match req.send_at {
        Some(at) => Some(super::scheduled::prepare(ob, &from, at, !req.media.is_empty()).await?),
        None => None,
    };
    let client_ref =
        req.client_ref.clone().unwrap_or_else(|| format!("send-{}", hex::encode(rand::random::<[u8; 16]>())));
    // One sender of this row at a time; a repeat waits and then finds the first's outcome.
    let guard = ob.store.lock_outbox(&client_ref).await;
    let mut links = Vec::new();
    if let Some(public) = public_url.as_deref() {
        for file in &req.media {
            links.push(media_links::register(&ob.store, public, file, ob.media_ttl).await?);
        }
    }
    let row = Row {
        from,
        to,
        body,
        info,
        media_urls: links.iter().map(|l| l.url.clone()).collect(),
        tokens: links.into_iter().map(|l| l.token).collect(),
        client_ref,
        campaign_id: req.campaign_id,
        retry_of: None,
        schedule,
    };
    enqueue_and_deliver(ob, &guard, row).await
}

/// An outbox row about to be written (or found again by its `client_ref`) and sent.
struct Row {
    from: String,
    to: String,
    body: String,
    info: SegmentInfo,
    media_urls: Vec<String>,
    tokens: Vec<String>,
    client_ref: String,
    campaign_id: Option<i64>,
    /// The failed message this row retries.
    retry_of: Option<i64>,
    /// Sent later by Twilio, through the Messaging Service.
    schedule: Option<super::scheduled::Schedule>,
}

/// Writes `row` to the outbox (or finds it by its `client_ref`) and delivers it exactly
/// once. The caller holds the row's [`crate::store::outbox_lock`] (`_held`), so what is
/// read here is not changing under another sender of the same row.
async fn enqueue_and_deliver(
    ob: &Outbound,
    _held: &crate::store::outbox_lock::OutboxGuard,
    row: Row,
) -> Result<SendOutcome> {
    let outbox = messages::Outbound {
        client_ref: row.client_ref.clone(),
        number_id: 0,
        from: row.from.clone(),
        to: row.to.clone(),
        body: row.body.clone(),
        channel: crate::domain::Channel::Sms,
        num_segments: row.info.segments as i64,
        num_media: row.media_urls.len() as i64,
        campaign_id: row.campaign_id,
    };
    let (tokens, retry_of) = (row.tokens.clone(), row.retry_of);
    let send_at = row.schedule.as_ref().map(|s| s.send_at.clone());
    let (previous, message_id, conversation_id, state) = ob
        .store
        .write_async(move |tx| {
            let previous = messages::find_by_client_ref(tx, &outbox.client_ref)?;
            let number_id = numbers::ensure(tx, &outbox.from, false)?;
            let (id, conv) = messages::insert_outbound(tx, &messages::Outbound { number_id, ..outbox })?;
            if previous.is_none() {
                outbound_media::attach(tx, &tokens, id)?;
                if let Some(failed) = retry_of {
                    messages::set_retry_of(tx, id, failed)?;
                }
                if let Some(at) = &send_at {
                    crate::store::scheduled::mark_scheduled(tx, id, at)?;
                }
            }
            Ok((previous, id, conv, messages::outbox_state(tx, id)?))
        })
        .await?;

    let status_callback = ob.sms_status_callback();
    if status_callback.is_none() {
        tracing::info!("no public URL: sending without a StatusCallback; catch-up repairs the delivery status");
    }
    let new = NewMessage {
        from: row.from.clone(),
        to: row.to.clone(),
        body: row.body.clone(),
        media_urls: row.media_urls.clone(),
        status_callback: status_callback.clone(),
        client_ref: Some(row.client_ref.clone()),
        messaging_service_sid: row.schedule.as_ref().map(|s| s.service_sid.clone()),
        send_at: row.schedule.as_ref().map(|s| s.send_at.clone()),
    };
    let info = row.info.clone();
    let attempt = Attempt { message_id, conversation_id, segments: info.segments, campaign_id: row.campaign_id, new };
    let outcome = |d: Delivered| SendOutcome {
        message_id,
        conversation_id,
        sid: d.sid,
        status: d.status,
        segments: info.clone(),
        status_callback: status_callback.is_some(),
        already_sent: d.already_sent,
    };

    // A repeated client_ref: never send again what was sent (or refused) before.
    if let Some(prev) = previous {
        let interrupted =
            prev.sid.is_none() && (matches!(prev.status.as_str(), "queued" | "scheduled") || state.unconfirmed);
        if !interrupted {
            return Ok(outcome(Delivered { sid: prev.sid, status: prev.status, already_sent: true }));
        }
        // Queued without a SID (we crashed or were stopped mid-send) or unconfirmed:
        // adopt the message if Twilio provably has it; send only if it does not. (A row
        // from before request times were kept is looked up since it was written.)
        let earlier = state.request_started_at.unwrap_or(prev.created_at);
        if state.unconfirmed {
            ob.store.write_async(move |tx| messages::requeue(tx, message_id)).await?;
        }
        return deliver(ob, &attempt, Some(&earlier)).await.map(outcome);
    }
    deliver(ob, &attempt, None).await.map(outcome)
}

/// The `client_ref` of the send that retries failed message `failed_id`: one per failed
/// message, so Retry pressed twice finds the first retry instead of sending again.
pub fn retry_ref(failed_id: i64) -> String {
    format!("retry-of-{failed_id}")
}

/// Retry on a failed outbound text (the thread's Retry button). Never a second copy:
/// - Twilio's answer was lost and its log could not be read (`unconfirmed`): the same row,
///   after a look in Twilio's log (adopted when Twilio has it, sent only when it does not);
/// - Twilio refused it, or accepted it and the carrier failed it: a NEW outbox row linked
///   to the failed one (`retry_of`), keyed by [`retry_ref`], so a second Retry of the same
///   message returns the first retry's outcome and sends nothing.
///
/// Either way the row is held ([`crate::store::outbox_lock`]) while it is sent, and read
/// again once held: Retry clicked twice in a row waits for the first and sends nothing.
pub async fn retry(ob: &Outbound, message_id: i64) -> Result<SendOutcome> {
    let (m, state, client_ref) = ob.store.read_async(move |c| retry_view(c, message_id)).await?;
    if m.direction != crate::domain::kinds::Direction::Outbound || m.channel != crate::domain::Channel::Sms {
        return Err(Error::InvalidInput("only a text message we sent can be retried".into()));
    }
    if m.send_at.is_some() {
        // Retry sends at once; a scheduled text goes out at its time or not at all.
        return Err(Error::InvalidInput(super::scheduled::RETRY_REFUSED.into()));
    }
    if m.sid.is_none() && state.unconfirmed {
        let key = client_ref.unwrap_or_else(|| format!("message-{message_id}"));
        return retry_unconfirmed(ob, message_id, &key).await;
    }
    let key = retry_ref(message_id);
    let guard = ob.store.lock_outbox(&key).await;
    let k = key.clone();
    let earlier = ob.store.read_async(move |c| messages::find_by_client_ref(c, &k)).await?;
    if earlier.is_none() && !matches!(m.status.as_str(), "failed" | "undelivered") {
        return Err(Error::InvalidInput("only a message that failed can be retried".into()));
    }
    let tokens = if earlier.is_none() {
        ob.store.read_async(move |c| outbound_media::live_tokens(c, message_id, &crate::domain::now_rfc3339())).await?
    } else {
        Vec::new()
    };
    if earlier.is_none() {
        may_send_again(ob, &m, &tokens).await?;
    }
    let media_urls = retry_media_urls(ob, &tokens)?;
    let row = Row {
        info: segments::count(&m.body),
        from: m.from,
        to: m.to,
        body: m.body,
        media_urls,
        tokens,
        client_ref: key,
        campaign_id: None,
        retry_of: Some(message_id),
        schedule: None,
    };
    enqueue_and_deliver(ob, &guard, row).await
}

/// What Retry reads of the message it is asked to send again: the message, where it stands
/// in the outbox, and the key it was sent under.
fn retry_view(
    c: &rusqlite::Connection,
    message_id: i64,
) -> Result<(messages::Message, messages::OutboxState, Option<String>)> {
    Ok((messages::get(c, message_id)?, messages::outbox_state(c, message_id)?, messages::client_ref(c, message_id)?))
}

/// What both kinds of Retry check before a failed text goes out again: its attachments are
/// still kept (their public copies expire), and the customer has not opted out since.
async fn may_send_again(ob: &Outbound, m: &messages::Message, tokens: &[String]) -> Result<()> {
    if m.num_media as usize != tokens.len() {
        return Err(Error::InvalidInput(
            "the attachments of this message are no longer kept; send it again with its attachments".into(),
        ));
    }
    let to = m.to.clone();
    if ob.store.read_async(move |c| optouts::is_opted_out(c, &to)).await? {
        return Err(Error::OptedOut(m.to.clone()));
    }
    Ok(())
}

/// The public links Twilio fetches a retried text's attachments from: none without
/// attachments; refused without a public URL (Twilio could not reach them).
fn retry_media_urls(ob: &Outbound, tokens: &[String]) -> Result<Vec<String>> {
    match (ob.public_url().as_deref(), tokens.is_empty()) {
        (_, true) => Ok(Vec::new()),
        (Some(public), false) => Ok(tokens.iter().map(|t| media_links::url(public, t)).collect()),
        (None, false) => Err(Error::InvalidInput(TUNNEL_OFF_FOR_ATTACHMENTS.into())),
    }
}

/// Retry of a row whose fate Twilio never told us, on the same row: held, read again (a
/// Retry that got there first may have settled it), then Twilio's log is checked first.
async fn retry_unconfirmed(ob: &Outbound, message_id: i64, key: &str) -> Result<SendOutcome> {
    let _held = ob.store.lock_outbox(key).await;
    let ((m, state, client_ref), tokens) = ob
        .store
        .read_async(move |c| {
            let view = retry_view(c, message_id)?;
            Ok((view, outbound_media::live_tokens(c, message_id, &crate::domain::now_rfc3339())?))
        })
        .await?;
    let info = segments::count(&m.body);
    if m.sid.is_some() || !state.unconfirmed {
        // Settled meanwhile (adopted, sent or refused by the Retry before this one).
        return Ok(SendOutcome {
            message_id,
            conversation_id: m.conversation_id,
            sid: m.sid,
            status: m.status,
            segments: info,
            status_callback: ob.sms_status_callback().is_some(),
            already_sent: true,
        });
    }
    may_send_again(ob, &m, &tokens).await?;
    let media_urls = retry_media_urls(ob, &tokens)?;
    let conversation_id = m.conversation_id;
    ob.store.write_async(move |tx| messages::requeue(tx, message_id)).await?;
    ob.events.publish(Event::MessageUpdated { conversation_id, message_id, status: "queued".into() });
    let status_callback = ob.sms_status_callback();
    let new = NewMessage {
        from: m.from.clone(),
        to: m.to.clone(),
        body: m.body.clone(),
        media_urls,
        status_callback: status_callback.clone(),
        client_ref,
        ..NewMessage::default()
    };
    let attempt = Attempt { message_id, conversation_id, segments: info.segments, campaign_id: None, new };
    let earlier = state.request_started_at.unwrap_or(m.created_at);
    let d = deliver(ob, &attempt, Some(&earlier)).await?;
    Ok(SendOutcome {
        message_id,
        conversation_id,
        sid: d.sid,
        status: d.status,
        segments: info,
        status_callback: status_callback.is_some(),
        already_sent: d.already_sent,
    })
}

/// One outbox row on its way to Twilio.
struct Attempt {
    message_id: i64,
    conversation_id: i64,
    segments: usize,
    campaign_id: Option<i64>,
    new: NewMessage,
}

/// How an outbox row ended: its SID and status, and whether it was adopted rather than sent.
struct Delivered {
    sid: Option<String>,
    status: String,
    already_sent: bool,
}

/// What the lookup in Twilio's log found.
enum Lookup {
    /// Twilio provably has our message (and we had not recorded it).
    Ours(Box<MessageResource>),
    /// Twilio has nothing that is ours: sending is safe.
    Nothing,
    /// The log could not be read: whether Twilio has it is unknown.
    Unknown(Error),
}

/// Exactly once: sends `a` unless an earlier request (started at `earlier`) provably
/// reached Twilio; after a lost answer, adopts the message only if it is provably ours;
/// sends again at most once, and only when Twilio's log shows it created nothing. When
/// the outcome cannot be known the row is marked failed with [`UNCONFIRMED`] (never left
/// `queued`) and a `Network` error is returned.
async fn deliver(ob: &Outbound, a: &Attempt, earlier: Option<&str>) -> Result<Delivered> {
    if let Some(since) = earlier.and_then(parse_time) {
        match lookup(ob, a, since).await {
            Lookup::Ours(found) => return adopt(ob, a, *found).await,
            Lookup::Nothing => {}
            Lookup::Unknown(e) => return unconfirmed(ob, a, e).await,
        }
    }
    let mut resends_left = 1;
    loop {
        // Scheduling sends nothing now: only a text going out takes the number's turn.
        if a.new.send_at.is_none() {
            pace(ob, a).await?;
        }
        let started = chrono::Utc::now();
        let at = started.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let id = a.message_id;
        ob.store.write_async(move |tx| messages::set_request_started(tx, id, &at)).await?;
        let since = earlier.and_then(parse_time).map_or(started, |e| e.min(started));
        match ob.client.create_message(&a.new).await {
            Ok(created) => {
                let status =
                    record_sid(ob, a.message_id, a.conversation_id, &created.sid, created.status.as_deref()).await?;
                return Ok(Delivered { sid: Some(created.sid), status, already_sent: false });
            }
            Err(Error::Network(why)) => {
                tracing::warn!(%why, "sending a message lost its answer; checking Twilio's log");
                match lookup(ob, a, since).await {
                    Lookup::Ours(found) => return adopt(ob, a, *found).await,
                    Lookup::Nothing if resends_left > 0 => resends_left -= 1,
                    Lookup::Nothing => return unconfirmed(ob, a, Error::Network(why)).await,
                    Lookup::Unknown(e) => return unconfirmed(ob, a, e).await,
                }
            }
            // A 429 or 5xx (the network error is the arm above).
            Err(e) if e.is_transient() => return busy(ob, a, e).await,
            Err(e) => {
                record_failure(ob, a.message_id, a.conversation_id, &a.new.to, &e).await?;
                return Err(e);
            }
        }
    }
}

/// After a 429 or 5xx on a create: the row is failed but unconfirmed, so the next send with
/// its key (Retry, a campaign resumed) looks in Twilio's log first (a 5xx may come after
/// Twilio created the message) and sends only if it is not there.
async fn busy(ob: &Outbound, a: &Attempt, why: Error) -> Result<Delivered> {
    tracing::warn!(error = %why, message_id = a.message_id, "Twilio could not take a message just now");
    let id = a.message_id;
    let text = format!("Twilio could not take this message just now ({why}). Retry checks Twilio first and sends it only if it did not go out.");
    ob.store.write_async(move |tx| messages::mark_unconfirmed(tx, id, &text)).await?;
    ob.events.publish(Event::MessageUpdated {
        conversation_id: a.conversation_id,
        message_id: a.message_id,
        status: "failed".into(),
    });
    Err(why)
}

/// Waits for the sending number's turn: its rate (segments a second) is shared by every
/// path that sends from it; a campaign may ask for a slower pace of its own.
async fn pace(ob: &Outbound, a: &Attempt) -> Result<()> {
    let (from, campaign_id) = (a.new.from.clone(), a.campaign_id);
    let (rate, campaign_rate) = ob
        .store
        .read_async(move |c| {
            let rate = super::number_rate(c, &from)?;
            let campaign_rate = match campaign_id {
                Some(id) => campaigns::get(c, id).ok().map(|c| c.rate_per_sec),
                None => None,
            };
            Ok((rate, campaign_rate))
        })
        .await?;
    let mut slot = super::slot_for(a.segments, rate);
    if let Some(r) = campaign_rate.filter(|r| r.is_finite() && *r > 0.0) {
        slot = slot.max(std::time::Duration::from_secs_f64(1.0 / r));
    }
    ob.pacer.wait_turn(&a.new.from, slot).await;
    Ok(())
}

fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&chrono::Utc))
}

/// Looks in Twilio's log for our message, skipping every SID already stored with us.
async fn lookup(ob: &Outbound, a: &Attempt, since: chrono::DateTime<chrono::Utc>) -> Lookup {
    let conversation_id = a.conversation_id;
    let known: HashSet<String> =
        match ob.store.read_async(move |c| messages::sids_in_conversation(c, conversation_id)).await {
            Ok(k) => k.into_iter().collect(),
            Err(e) => return Lookup::Unknown(e),
        };
    match ob.client.find_sent(&a.new, since, &known).await {
        Ok(Some(found)) => Lookup::Ours(Box::new(found)),
        Ok(None) => Lookup::Nothing,
        Err(e) => Lookup::Unknown(e),
    }
}

async fn adopt(ob: &Outbound, a: &Attempt, found: MessageResource) -> Result<Delivered> {
    let status = record_sid(ob, a.message_id, a.conversation_id, &found.sid, found.status.as_deref()).await?;
    Ok(Delivered { sid: Some(found.sid), status, already_sent: true })
}

/// The outcome is unknown: the row is marked failed in plain words, with Retry offered.
async fn unconfirmed(ob: &Outbound, a: &Attempt, why: Error) -> Result<Delivered> {
    tracing::warn!(error = %why, message_id = a.message_id, "whether Twilio has this message is unknown");
    let id = a.message_id;
    ob.store.write_async(move |tx| messages::mark_unconfirmed(tx, id, UNCONFIRMED)).await?;
    ob.events.publish(Event::MessageUpdated {
        conversation_id: a.conversation_id,
        message_id: a.message_id,
        status: "failed".into(),
    });
    Err(Error::Network(UNCONFIRMED.into()))
}

/// Sends interrupted by a crash or a quit (queued, no SID, older than `grace`): each is
/// adopted from Twilio's log if provably there, and otherwise marked failed with Retry
/// offered, so no row stays `queued` across a restart. Returns how many were repaired.
pub async fn repair_interrupted(ob: &Outbound, grace: std::time::Duration) -> Result<usize> {
    let before = (chrono::Utc::now() - chrono::Duration::from_std(grace).unwrap_or_default())
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let ids = ob.store.read_async(move |c| messages::interrupted_outbox(c, &before)).await?;
    let mut repaired = 0;
    for id in ids {
        let (m, state, client_ref) = ob
            .store
            .read_async(move |c| {
                Ok((messages::get(c, id)?, messages::outbox_state(c, id)?, messages::client_ref(c, id)?))
            })
            .await?;
        let new = NewMessage {
            from: m.from.clone(),
            to: m.to.clone(),
            body: m.body.clone(),
            // Only the count matters to the lookup.
            media_urls: vec![String::new(); m.num_media.max(0) as usize],
            status_callback: None,
            client_ref,
            ..NewMessage::default()
        };
        let a = Attempt { message_id: id, conversation_id: m.conversation_id, segments: 1, campaign_id: None, new };
        let found = match state.request_started_at.as_deref().or(Some(m.created_at.as_str())).and_then(parse_time) {
            Some(since) => lookup(ob, &a, since).await,
            None => Lookup::Nothing,
        };
        let result = match found {
            Lookup::Ours(r) => adopt(ob, &a, *r).await.map(|_| ()),
            Lookup::Nothing | Lookup::Unknown(_) => {
                unconfirmed(ob, &a, Error::Internal("interrupted".into())).await.map(|_| ())
            }
        };
        match result {
            Ok(()) | Err(Error::Network(_)) => repaired += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(repaired)
}

async fn record_sid(
    ob: &Outbound,
    message_id: i64,
    conversation_id: i64,
    sid: &str,
    status: Option<&str>,
) -> Result<String> {
    let status = MessageStatus::parse(status.unwrap_or("queued"));
    let sid = sid.to_string();
    let stored = ob
        .store
        .write_async(move |tx| {
            messages::set_sid(tx, message_id, &sid, &status)?;
            Ok(messages::get(tx, message_id)?.status)
        })
        .await?;
    ob.events.publish(Event::MessageUpdated { conversation_id, message_id, status: stored.clone() });
    Ok(stored)
}

/// Twilio refused: the outbox row is marked failed with the plain-language reason; 21610
/// also marks the customer opted out. (A lost answer never comes here: [`deliver`]
/// reconciles it with Twilio's log.)
async fn record_failure(ob: &Outbound, message_id: i64, conversation_id: i64, to: &str, e: &Error) -> Result<()> {
    let code = match e {
        Error::Twilio { code, .. } => code.map(i64::from),
        _ => None,
    };
    let reason = e.to_string();
    let to = to.to_string();
    ob.store
        .write_async(move |tx| {
            if code == Some(i64::from(crate::domain::twilio_errors::code::UNSUBSCRIBED)) {
                optouts::record(tx, &optouts::Change::error_21610(&to, &crate::domain::now_rfc3339(), None))?;
            }
            messages::mark_failed(tx, message_id, code, &reason)
        })
        .await?;
    ob.events.publish(Event::MessageUpdated { conversation_id, message_id, status: "failed".into() });
    Ok(())
}
