//! Messages and Media: create (then queued→sent→delivered callbacks), list with filters and
//! paging, fetch, update, delete; media metadata, the media URL that redirects to a "CDN"
//! path, and the CDN itself.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::Extension;
use chrono::Utc;
use serde_json::{json, Value};

use super::server::{
    deleted, fetch_2010, json_response, page_2010, remove_where, ApiError, ApiResult, ConnKill, Params, Sh,
};
use super::state::{new_sid, rfc2822, MediaRec, MessageRec, Shared, State};
use super::webhooks;
use crate::domain::phone::E164;

/// The largest media file the simulator fetches for an outbound MMS (Twilio's limit is 5 MB).
const MAX_MEDIA_BYTES: usize = 5 * 1024 * 1024;

pub(crate) fn message_json(sh: &Shared, m: &MessageRec) -> Value {
    let path = sh.account_path();
    json!({
        "account_sid": sh.config.account_sid,
        "api_version": "2010-04-01",
        "body": m.body,
        "date_created": rfc2822(m.date_created),
        "date_sent": m.date_sent.map(rfc2822),
        "date_updated": rfc2822(m.date_updated),
        "direction": m.direction,
        "error_code": m.error_code,
        "error_message": m.error_code.map(error_message),
        "from": m.from,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": m.num_media().to_string(),
        "num_segments": m.num_segments.to_string(),
        "price": m.price,
        "price_unit": "USD",
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": {
            "media": format!("{path}/Messages/{}/Media.json", m.sid),
            "feedback": format!("{path}/Messages/{}/Feedback.json", m.sid),
        },
        "to": m.to,
        "uri": format!("{path}/Messages/{}.json", m.sid),
    })
}

fn error_message(code: u32) -> &'static str {
    match code {
        30003 => "Unreachable destination handset",
        30005 => "Unknown destination handset",
        30006 => "Landline or unreachable carrier",
        30007 => "Message filtered",
        30008 => "Unknown error",
        30032 => "Toll-Free Number Has Not Been Verified",
        30034 => "US A2P 10DLC - Message from an Unregistered Number",
        11200 => "HTTP retrieval failure",
        _ => "Message delivery failed",
    }
}

fn media_json(sh: &Shared, m: &MediaRec) -> Value {
    json!({
        "account_sid": sh.config.account_sid,
        "content_type": m.content_type,
        "date_created": rfc2822(m.date_created),
        "date_updated": rfc2822(m.date_created),
        "parent_sid": m.parent_sid,
        "sid": m.sid,
        "uri": format!("{}/Messages/{}/Media/{}.json", sh.account_path(), m.parent_sid, m.sid),
    })
}

/// The public URL of a stored media file, as MediaUrl{N} in an inbound MMS webhook.
pub(crate) fn media_url(sh: &Shared, parent: &str, media_sid: &str) -> String {
    format!("{}{}/Messages/{parent}/Media/{media_sid}", sh.base_url, sh.account_path())
}

pub(crate) async fn create(axum::extract::State(sh): Sh, kill: Option<Extension<ConnKill>>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let to = p.non_empty("To").ok_or_else(|| ApiError::bad(21604, "A 'To' phone number is required."))?;
    let text = p.get("Body").unwrap_or("").to_string();
    let media_urls = p.all("MediaUrl");
    if text.trim().is_empty() && media_urls.is_empty() {
        return Err(ApiError::bad(21602, "Message body is required."));
    }
    if text.chars().count() > crate::domain::segments::MAX_BODY_CHARS {
        return Err(ApiError::bad(21617, "The concatenated message body exceeds the 1600 character limit."));
    }
    let to = E164::parse(to).map_err(|_| ApiError::bad(21211, format!("Invalid 'To' Phone Number: {to}")))?;
    let to = to.as_str().to_string();
    let service = p.non_empty("MessagingServiceSid").map(str::to_string);
    let from = match p.non_empty("From") {
        Some(f) => f.to_string(),
        None => match &service {
            // A messaging service picks a sender from its pool.
            Some(svc) => super::scheduling::pool_sender(&sh, svc),
            None => return Err(ApiError::bad(21603, "A 'From' phone number is required.")),
        },
    };
    let send_at = super::scheduling::check(&sh, &p, service.as_deref(), &from)?;
    let sid = if media_urls.is_empty() { new_sid("SM") } else { new_sid("MM") };
    let created = sh.with(|s: &mut State| {
        if s.number(&from).is_none() {
            return Err(ApiError::bad(
                21606,
                format!("The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."),
            ));
        }
        if s.opted_out.iter().any(|(c, n)| *c == to && *n == from) {
            return Err(ApiError::bad(21610, "Attempt to send to unsubscribed recipient"));
        }
        let status = if send_at.is_some() { "scheduled" } else { "queued" };
        let mut m = MessageRec::new(sid.clone(), &from, &to, &text, status, "outbound-api");
        m.media_urls = media_urls.clone();
        m.status_callback = p.non_empty("StatusCallback").map(str::to_string);
        m.send_at = send_at;
        m.messaging_service_sid = service.clone();
        let v = message_json(&sh, &m);
        s.messages.push(m);
        Ok(v)
    })?;
    let task_sh = sh.clone();
    if send_at.is_some() {
        sh.spawn(super::scheduling::fire_when_due(task_sh, sid));
    } else {
        sh.spawn(deliver(task_sh, sid));
    }
    super::server::lose_the_answer_if_faulted(&sh, kill).await;
    Ok(json_response(StatusCode::CREATED, created))
}

/// Moves a sent message through its statuses, posting a signed callback at each step.
pub(crate) async fn deliver(sh: Arc<Shared>, sid: String) {
    let delay = sh.config.callback_delay;
    // US carriers block texts to US phones from unregistered US numbers (30034) and
    // unverified toll-free numbers (30032), whatever the other faults say.
    let blocked = sh
        .with(|s| s.message_mut(&sid).map(|m| (m.from.clone(), m.to.clone())))
        .and_then(|(from, to)| sh.with(|s| s.us.carrier_block(&from, &to)));
    let fail = sh.faults.fail_delivery();
    let urls = sh.with(|s| s.message_mut(&sid).map(|m| m.media_urls.clone())).unwrap_or_default();
    let mut fetch_failed = false;
    for url in urls {
        match fetch_media(&sh, &url).await {
            Ok((content_type, bytes)) => {
                let media = MediaRec {
                    sid: new_sid("ME"),
                    parent_sid: sid.clone(),
                    content_type,
                    bytes,
                    date_created: Utc::now(),
                };
                sh.with(|s| {
                    if let Some(m) = s.message_mut(&sid) {
                        m.media_sids.push(media.sid.clone());
                    }
                    s.media.insert(media.sid.clone(), media);
                });
            }
            Err(e) => {
                tracing::debug!("simulator could not fetch {url}: {e}");
                fetch_failed = true;
            }
        }
    }
    let steps: Vec<(&str, Option<u32>)> = match (fetch_failed, fail) {
        _ if blocked.is_some() => vec![("queued", None), ("failed", blocked)],
        (true, _) => vec![("queued", None), ("failed", Some(11200))],
        (false, Some(code)) => vec![("queued", None), ("sent", None), ("undelivered", Some(code))],
        (false, None) => vec![("queued", None), ("sent", None), ("delivered", None)],
    };
    let shuffle = sh.faults.shuffle_status_callbacks();
    let mut held: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (status, code) in steps {
        tokio::time::sleep(delay).await;
        let callback = sh.with(|s| advance(&sh, s, &sid, status, code));
        let Some((Some(url), params)) = callback else { continue };
        if sh.faults.silent() {
            continue;
        }
        if shuffle {
            held.push((url, params));
        } else {
            webhooks::post(&sh, &url, params).await;
        }
    }
    if held.len() > 1 {
        let natural: Vec<String> = held.iter().map(|(_, p)| format!("{p:?}")).collect();
        use rand::seq::SliceRandom;
        held.shuffle(&mut rand::rng());
        if held.iter().map(|(_, p)| format!("{p:?}")).collect::<Vec<_>>() == natural {
            held.reverse();
        }
    }
    for (url, params) in held {
        webhooks::post(&sh, &url, params).await;
        tokio::time::sleep(delay / 4).await;
    }
}

/// A status callback to post: the message's StatusCallback URL (if any) and the parameters.
pub(crate) type Callback = (Option<String>, Vec<(String, String)>);

/// Applies one status step; returns the callback URL and its parameters.
pub(crate) fn advance(sh: &Shared, s: &mut State, sid: &str, status: &str, code: Option<u32>) -> Option<Callback> {
    let m = s.message_mut(sid)?;
    let now = Utc::now();
    m.status = status.to_string();
    m.error_code = code;
    m.date_updated = now;
    m.set_price();
    if status == "sent" {
        m.date_sent = Some(now);
    }
    let mut params = webhooks::pairs(&[
        ("ApiVersion", "2010-04-01"),
        ("AccountSid", &sh.config.account_sid),
        ("From", &m.from),
        ("To", &m.to),
        ("MessageSid", &m.sid),
        ("SmsSid", &m.sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
    ]);
    if let Some(code) = code {
        params.push(("ErrorCode".into(), code.to_string()));
    }
    if status == "delivered" {
        params.push(("RawDlrDoneDate".into(), now.format("%y%m%d%H%M").to_string()));
    }
    let url = m.status_callback.clone();
    if status == "delivered" {
        let delivered = m.to_sim();
        s.phones.entry(delivered.to.clone()).or_default().push(delivered);
    }
    Some((url, params))
}

/// Fetches an outbound MMS attachment as Twilio would, from loopback URLs only.
async fn fetch_media(sh: &Shared, url: &str) -> Result<(String, Bytes), String> {
    if !webhooks::is_loopback_url(url) {
        return Err("the simulator only fetches from 127.0.0.1".into());
    }
    let resp = sh.http.get(url).timeout(Duration::from_secs(10)).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
    if bytes.len() > MAX_MEDIA_BYTES {
        return Err(format!("{} bytes is over the 5 MB limit", bytes.len()));
    }
    Ok((content_type, bytes))
}

pub(crate) async fn list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let to = q.get("To").map(str::to_string);
    let from = q.get("From").map(str::to_string);
    let on = q.get("DateSent").map(str::to_string);
    let before = q.get("DateSent<").map(str::to_string);
    let after = q.get("DateSent>").map(str::to_string);
    let items = sh.with(|s| {
        s.messages
            .iter()
            .rev()
            .filter(|m| to.as_deref().is_none_or(|t| m.to == t))
            .filter(|m| from.as_deref().is_none_or(|f| m.from == f))
            .filter(|m| {
                let day = m.date_sent.unwrap_or(m.date_created).format("%Y-%m-%d").to_string();
                on.as_deref().is_none_or(|d| day == d)
                    && before.as_deref().is_none_or(|d| day.as_str() <= d)
                    && after.as_deref().is_none_or(|d| day.as_str() >= d)
            })
            .map(|m| (m.sid.clone(), message_json(&sh, m)))
            .collect::<Vec<_>>()
    });
    page_2010(&format!("{}/Messages.json", sh.account_path()), "messages", &q, items)
}

pub(crate) async fn fetch(axum::extract::State(sh): Sh, Path((_, sid)): Path<(String, String)>) -> ApiResult {
    // Twilio rates a message a little after its final status: until then `price` is null.
    let unrated = sh.faults.take_price_pending();
    fetch_2010(&sh, "Messages", &sid, |s, id| {
        let mut v = s.messages.iter().find(|m| m.sid == id).map(|m| message_json(&sh, m))?;
        if unrated {
            v["price"] = Value::Null;
        }
        Some(v)
    })
}

/// `Body=""` redacts a message; `Status=canceled` cancels one not yet sent.
pub(crate) async fn update(
    axum::extract::State(sh): Sh,
    Path((_, sid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let id = sid.trim_end_matches(".json");
    sh.with(|s| {
        let m = s.message_mut(id).ok_or_else(|| ApiError::not_found(&format!("/Messages/{sid}")))?;
        if let Some(b) = p.get("Body") {
            m.body = b.to_string();
        }
        if p.get("Status") == Some("canceled") {
            if !matches!(m.status.as_str(), "queued" | "scheduled" | "accepted") {
                return Err(ApiError::bad(30409, "Message cannot be canceled: it has already been sent"));
            }
            m.status = "canceled".to_string();
        }
        m.date_updated = Utc::now();
        Ok(json_response(StatusCode::OK, message_json(&sh, m)))
    })
}

pub(crate) async fn delete(axum::extract::State(sh): Sh, Path((_, sid)): Path<(String, String)>) -> ApiResult {
    let id = sid.trim_end_matches(".json").to_string();
    deleted(&sh, &format!("/Messages/{sid}"), |s| {
        s.media.retain(|_, m| m.parent_sid != id);
        remove_where(&mut s.messages, |m| m.sid == id)
    })
}

pub(crate) async fn media_list(
    axum::extract::State(sh): Sh,
    Path((_, sid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let items = sh.with(|s| {
        let m = s.messages.iter().find(|m| m.sid == sid)?;
        Some(
            m.media_sids
                .iter()
                .filter_map(|id| s.media.get(id))
                .map(|md| (md.sid.clone(), media_json(&sh, md)))
                .collect::<Vec<_>>(),
        )
    });
    let items = items.ok_or_else(|| ApiError::not_found(&format!("/Messages/{sid}/Media.json")))?;
    page_2010(&format!("{}/Messages/{sid}/Media.json", sh.account_path()), "media_list", &q, items)
}

/// `…/Media/ME….json` is metadata; `…/Media/ME…` redirects to the bytes on the "CDN", as
/// Twilio's media URLs do.
pub(crate) async fn media_fetch(
    axum::extract::State(sh): Sh,
    Path((_, sid, media)): Path<(String, String, String)>,
) -> ApiResult {
    let (id, is_json) = match media.strip_suffix(".json") {
        Some(id) => (id.to_string(), true),
        None => (media.clone(), false),
    };
    let found = sh.with(|s| s.media.get(&id).filter(|m| m.parent_sid == sid).map(|m| media_json(&sh, m)));
    let Some(v) = found else {
        return Err(ApiError::not_found(&format!("/Messages/{sid}/Media/{media}")));
    };
    if is_json {
        Ok(json_response(StatusCode::OK, v))
    } else {
        Ok(Redirect::temporary(&format!("{}/cdn/media/{id}", sh.base_url)).into_response())
    }
}

pub(crate) async fn media_cdn(axum::extract::State(sh): Sh, Path(media): Path<String>) -> ApiResult {
    let found = sh.with(|s| s.media.get(&media).map(|m| (m.content_type.clone(), m.bytes.clone())));
    let (content_type, bytes) = found.ok_or_else(|| ApiError::not_found(&format!("/cdn/media/{media}")))?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}
