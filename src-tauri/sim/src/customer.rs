//! The simulated customer texting the business: the inbound SMS/MMS webhook with Twilio's
//! real field set, STOP/START handling as Twilio's opt-out does, and delivery of any
//! `<Message>` the app answers with.

use std::sync::Arc;

use chrono::Utc;

use super::messages::media_url;
use super::state::{new_sid, MediaRec, MessageRec, Shared};
use super::{media, twiml, webhooks};
use crate::domain::optout::{classify, OptChange};
use crate::domain::phone::E164;
use crate::error::{Error, Result};

/// The reply Twilio's own opt-out handling sends to STOP.
const STOP_REPLY: &str =
    "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.";
const START_REPLY: &str =
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe.";

/// ISO country of a number, or "" when unknown (Twilio sends empty geo fields as "").
pub(crate) fn country(number: &str) -> String {
    E164::parse(number).ok().and_then(|n| n.region()).unwrap_or_default()
}

pub(crate) async fn sms(sh: &Arc<Shared>, from: &str, to: &str, body: &str, with_image: bool) -> Result<String> {
    let from = E164::parse(from)?.as_str().to_string();
    let (sms_url, fallback_url) = sh
        .with(|s| s.number(to).map(|n| (n.sms_url.clone(), n.sms_fallback_url.clone())))
        .ok_or_else(|| Error::not_found(format!("simulated number {to}")))?;
    // A number in a Messaging Service that does not keep inbound webhooks on its numbers
    // hands its texts to the service's own inbound URL, which the simulator leaves unset:
    // the app's webhook is never called.
    let taken_by_service = sh.with(|s| {
        s.us.services.iter().any(|x| !x.use_inbound_webhook_on_number && x.numbers.iter().any(|(_, e)| e == to))
    });
    let (sms_url, fallback_url) = if taken_by_service { (None, None) } else { (sms_url, fallback_url) };
    let sid = if with_image { new_sid("MM") } else { new_sid("SM") };
    let mut rec = MessageRec::new(sid.clone(), &from, to, body, "received", "inbound");
    let mut media_params = Vec::new();
    if with_image {
        let m = MediaRec {
            sid: new_sid("ME"),
            parent_sid: sid.clone(),
            content_type: "image/png".into(),
            bytes: media::png_image().into(),
            date_created: Utc::now(),
        };
        let url = media_url(sh, &sid, &m.sid);
        media_params.push(("MediaContentType0".to_string(), m.content_type.clone()));
        media_params.push(("MediaUrl0".to_string(), url.clone()));
        rec.media_sids.push(m.sid.clone());
        rec.media_urls.push(url);
        sh.with(|s| s.media.insert(m.sid.clone(), m));
    }
    let num_segments = rec.num_segments.to_string();
    let change = classify(body, None);
    sh.with(|s| {
        match change {
            Some(OptChange::OptOut) if !s.opted_out.iter().any(|(c, n)| *c == from && n == to) => {
                s.opted_out.push((from.clone(), to.to_string()));
            }
            Some(OptChange::OptIn) => s.opted_out.retain(|(c, n)| !(*c == from && n == to)),
            _ => {}
        }
        s.messages.push(rec);
    });

    let to_country = country(to);
    let from_country = country(&from);
    let mut params = webhooks::pairs(&[
        ("ToCountry", &to_country),
        ("ToState", ""),
        ("SmsMessageSid", &sid),
        ("NumMedia", if with_image { "1" } else { "0" }),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", &sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", &from_country),
        ("To", to),
        ("ToZip", ""),
        ("NumSegments", &num_segments),
        ("MessageSid", &sid),
        ("AccountSid", &sh.config.account_sid),
        ("From", &from),
        ("ApiVersion", "2010-04-01"),
    ]);
    params.extend(media_params);
    match change {
        Some(OptChange::OptOut) => params.push(("OptOutType".into(), "STOP".into())),
        Some(OptChange::OptIn) => params.push(("OptOutType".into(), "START".into())),
        None => {}
    }
    // Twilio answers opt-out keywords itself, whatever the app does.
    match change {
        Some(OptChange::OptOut) => deliver_reply(sh, to, &from, STOP_REPLY, Vec::new()),
        Some(OptChange::OptIn) => deliver_reply(sh, to, &from, START_REPLY, Vec::new()),
        None => {}
    }
    let Some(url) = sms_url else { return Ok(sid) };
    let mut delivery = webhooks::post(sh, &url, params.clone()).await;
    let mut answered_url = url.clone();
    if !delivery.status.is_some_and(|s| (200..300).contains(&s)) {
        // Twilio retries a failed SMS webhook once on the SmsFallbackUrl, naming the failure.
        if let Some(fallback) = fallback_url {
            let mut with_error = params;
            with_error.push(("ErrorCode".into(), "11200".into()));
            with_error.push(("ErrorUrl".into(), url.clone()));
            delivery = webhooks::post(sh, &fallback, with_error).await;
            answered_url = fallback;
        }
    }
    if delivery.status.is_some_and(|s| (200..300).contains(&s)) {
        sh.with(|s| s.twiml.push((answered_url, delivery.response_body.clone())));
        if change != Some(OptChange::OptOut) {
            // After STOP, Twilio blocks replies to that customer, TwiML or not.
            reply_from_twiml(sh, to, &from, &delivery.response_body);
        }
    }
    Ok(sid)
}

/// Delivers every `<Message>` in the app's answer to the phone it is addressed to.
fn reply_from_twiml(sh: &Arc<Shared>, our_number: &str, customer: &str, doc: &str) {
    let verbs = match twiml::parse(doc) {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!("simulator: the app's SMS TwiML is not valid: {e}");
            return;
        }
    };
    for v in verbs.iter().filter(|v| v.name == "Message") {
        let body = v.child_text("Body").map(str::to_string).unwrap_or_else(|| v.text.clone());
        let media = v.children_text("Media");
        let to = v.attr("to").unwrap_or(customer).to_string();
        let from = v.attr("from").unwrap_or(our_number).to_string();
        deliver_reply(sh, &from, &to, &body, media);
    }
}

/// Records an `outbound-reply` message as delivered and puts it on the customer's phone.
fn deliver_reply(sh: &Shared, from: &str, to: &str, body: &str, media: Vec<String>) {
    let sid = if media.is_empty() { new_sid("SM") } else { new_sid("MM") };
    let mut rec = MessageRec::new(sid, from, to, body, "delivered", "outbound-reply");
    rec.media_urls = media;
    rec.date_sent = Some(Utc::now());
    let on_phone = rec.to_sim();
    sh.with(|s| {
        s.messages.push(rec);
        s.phones.entry(to.to_string()).or_default().push(on_phone);
    });
}

/// `POST .../Sandbox/CustomerMessages.json` (`From`, `To`, `Body`; Basic auth as the
/// account, like every route): the simulated customer texts the business, as the sandbox
/// panel does. Answers the inbound message's SID once the app has acknowledged it.
pub(crate) async fn text_from_script(
    axum::extract::State(sh): super::server::Sh,
    body: axum::body::Bytes,
) -> super::server::ApiResult {
    use super::server::{json_response, ApiError, Params};
    let p = Params::parse(&body)?;
    let (from, to) = (p.required("From")?, p.required("To")?);
    let text = p.get("Body").unwrap_or("").to_string();
    let sid = sms(&sh, from, to, &text, false).await.map_err(|e| ApiError::bad(21211, e.to_string()))?;
    Ok(json_response(axum::http::StatusCode::CREATED, serde_json::json!({ "sid": sid })))
}
