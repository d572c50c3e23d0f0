//! The one outbound path for SMS/MMS, used by the composer, campaigns and
//! `switchboard send`.
//!
//! Order matters: validate everything first (numbers, opt-out, template variables,
//! length, attachments) so a refused send leaves no trace; then write the outbox row
//! (`queued`, keyed by our `client_ref`); only then ask Twilio; then record the SID. A
//! crash between the outbox row and the SID is repaired on the next send with the same
//! `client_ref` by looking for the message in Twilio's log before sending again.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use crate::domain::segments::{self, SegmentInfo};
use crate::domain::status::MessageStatus;
use crate::domain::E164;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::{messages, numbers, optouts, templates};
use crate::twilio::api::messages::NewMessage;

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
    let to_check = to.clone();
    // The ledger, by the recipient's address: whoever the number belongs to now.
    if ob.store.read_async(move |c| optouts::is_opted_out(c, &to_check)).await? {
        return Err(Error::OptedOut(to));
    }
    let mut media_urls = Vec::new();
    if !req.media.is_empty() {
        let Some(public) = ob.public_url.as_deref() else {
            return Err(Error::InvalidInput(
                "attachments need a public URL Twilio can fetch them from; start the tunnel or set public_url".into(),
            ));
        };
        for file in &req.media {
            media_urls.push(media_links::register(&ob.store, public, file, ob.media_ttl).await?.url);
        }
    }

    let client_ref =
        req.client_ref.clone().unwrap_or_else(|| format!("send-{}", hex::encode(rand::random::<[u8; 16]>())));
    let outbox = messages::Outbound {
        client_ref: client_ref.clone(),
        number_id: 0,
        from: from.clone(),
        to: to.clone(),
        body: body.clone(),
        channel: "sms".into(),
        num_segments: info.segments as i64,
        num_media: media_urls.len() as i64,
        campaign_id: req.campaign_id,
    };
    let (previous, message_id, conversation_id) = ob
        .store
        .write_async(move |tx| {
            let previous = messages::find_by_client_ref(tx, &outbox.client_ref)?;
            let number_id = numbers::ensure(tx, &outbox.from, false)?;
            let (id, conv) = messages::insert_outbound(tx, &messages::Outbound { number_id, ..outbox })?;
            Ok((previous, id, conv))
        })
        .await?;

    let status_callback = ob.sms_status_callback();
    let new = NewMessage {
        from: from.clone(),
        to: to.clone(),
        body: body.clone(),
        media_urls,
        status_callback: status_callback.clone(),
        client_ref: Some(client_ref),
    };
    let outcome = |sid: Option<String>, status: String, already_sent: bool| SendOutcome {
        message_id,
        conversation_id,
        sid,
        status,
        segments: info.clone(),
        status_callback: status_callback.is_some(),
        already_sent,
    };

    // A repeated client_ref: never send again what was sent (or refused) before.
    if let Some(prev) = previous {
        if prev.sid.is_some() || prev.status != "queued" {
            return Ok(outcome(prev.sid, prev.status, true));
        }
        // Queued without a SID: we crashed (or lost the connection) mid-send. Adopt the
        // message if Twilio has it; send only if it does not.
        let since = chrono::DateTime::parse_from_rfc3339(&prev.created_at)
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_else(|_| chrono::Utc::now());
        let known: HashSet<String> = ob
            .store
            .read_async(move |c| messages::sids_in_conversation(c, conversation_id))
            .await?
            .into_iter()
            .collect();
        if let Some(found) = ob.client.find_sent(&new, since, &known).await? {
            let status = record_sid(ob, message_id, conversation_id, &found.sid, found.status.as_deref()).await?;
            return Ok(outcome(Some(found.sid), status, true));
        }
    }

    match ob.client.create_message(&new).await {
        Ok(created) => {
            let status = record_sid(ob, message_id, conversation_id, &created.sid, created.status.as_deref()).await?;
            Ok(outcome(Some(created.sid), status, false))
        }
        Err(e) => {
            record_failure(ob, message_id, conversation_id, &to, &e).await?;
            Err(e)
        }
    }
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

/// Twilio refused (or could not be reached): the outbox row is marked failed with the
/// plain-language reason; 21610 also marks the customer opted out.
///
/// A network error leaves the row `queued`: whether Twilio got the message is unknown, and
/// the next send with the same `client_ref` (a campaign resume, a retry from the UI) looks
/// it up in Twilio's log before sending again.
async fn record_failure(ob: &Outbound, message_id: i64, conversation_id: i64, to: &str, e: &Error) -> Result<()> {
    if matches!(e, Error::Network(_)) {
        return Ok(());
    }
    let code = match e {
        Error::Twilio { code, .. } => code.map(i64::from),
        _ => None,
    };
    let reason = e.to_string();
    let to = to.to_string();
    ob.store
        .write_async(move |tx| {
            if code == Some(21610) {
                optouts::record(tx, &optouts::Change::error_21610(&to, &crate::domain::now_rfc3339(), None))?;
            }
            messages::mark_failed(tx, message_id, code, &reason)
        })
        .await?;
    ob.events.publish(Event::MessageUpdated { conversation_id, message_id, status: "failed".into() });
    Ok(())
}
