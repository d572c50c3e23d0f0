//! Call screening (issue 14): the forwarded leg hears "Call for <business>, press 1 to
//! accept" before it is connected. A mobile's own voicemail answers calls but presses
//! nothing, so it never takes one: the leg is dropped, the `<Dial>` ends unbridged, and the
//! caller comes back to our voicemail (`voice::dial_action`).
//!
//! `POST /twilio/voice/screen?call=CA…` is the `<Number url>` (Twilio requests it on the
//! forwarded leg once it answers); `POST /twilio/voice/screen/answer?call=CA…` is its
//! `<Gather action>`. `call` is the caller's call SID, inside the signed URL, so a forger
//! cannot mark a call accepted. Click-to-call's owner leg is screened the same way
//! (`/twilio/voice/click/accept`): the customer is dialled only after the owner pressed 1.

use axum::extract::{Request, State};
use axum::response::Response;

use super::error::WebhookError;
use super::verify::{self, Accept};
use super::{paths, twiml_response, AppState};
use crate::events::Event;
use crate::store::{calls, numbers};
use crate::twilio::callflow::{screen_prompt, CallFlow, ACCEPT_DIGIT, SCREEN_TIMEOUT_SECS};
use crate::twilio::twiml::{Dial, Gather, Verb};

/// The `call` parameter of the signed URL's query.
fn call_param(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "call").map(|(_, v)| v.into_owned())
}

/// What the screened leg hears: the prompt inside a one-key `<Gather>`; no key within
/// [`SCREEN_TIMEOUT_SECS`] falls through to `<Hangup/>`, which drops the leg unbridged.
pub fn screen_twiml(prompt: &str, voice: Option<String>, answer_url: &str) -> Vec<Verb> {
    vec![
        Verb::Gather(Gather {
            num_digits: Some(1),
            timeout: Some(SCREEN_TIMEOUT_SECS),
            action: Some(answer_url.to_string()),
            method: Some("POST".into()),
            say: prompt.to_string(),
            voice,
        }),
        Verb::Hangup,
    ]
}

pub async fn screen(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let Some(call_sid) = call_param(&signed.query) else {
        return Ok(twiml_response(&[Verb::Hangup]));
    };
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("call", &call_sid).finish();
    let answer = format!("{}?{query}", state.url(paths::VOICE_SCREEN_ANSWER));
    let flow = state
        .store
        .read_async(move |c| {
            let Some(id) = calls::number_id(c, &call_sid)? else { return Ok(None) };
            Ok(Some(CallFlow::of(&numbers::get(c, id)?)))
        })
        .await?;
    // A call we do not know (its webhook lost) is still screened, by the number alone.
    let (prompt, voice) = match flow {
        Some(f) => {
            let prompt = f.forward.as_ref().and_then(|fw| fw.screen_prompt.clone());
            (prompt.unwrap_or_else(|| screen_prompt(&f.label)), f.voice)
        }
        None => (screen_prompt("Switchboard"), None),
    };
    Ok(twiml_response(&screen_twiml(&prompt, voice, &answer)))
}

pub async fn answer(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let accepted = signed.params.get("Digits").is_some_and(|d| d.trim() == ACCEPT_DIGIT);
    let Some(call_sid) = call_param(&signed.query).filter(|_| accepted) else {
        // Any other key, or none: drop the forwarded leg; the caller goes to voicemail.
        return Ok(twiml_response(&[Verb::Hangup]));
    };
    let sid = call_sid.clone();
    let changed = state.store.write_async(move |tx| calls::mark_screen_accepted(tx, &sid)).await?;
    if changed {
        state.events.publish(Event::CallUpdated { call_sid });
    }
    // An empty document ends the screening and connects the two legs.
    Ok(twiml_response(&[]))
}

/// Click-to-call's owner leg pressed a key: 1 dials the customer (our number as caller ID),
/// anything else hangs up before the customer's phone ever rings.
pub async fn click_accept(State(state): State<AppState>, req: Request) -> Result<Response, WebhookError> {
    let signed = verify::signed(&state, req, Accept::Form).await?;
    let accepted = signed.params.get("Digits").is_some_and(|d| d.trim() == ACCEPT_DIGIT);
    let Some(call_sid) = signed.params.get("CallSid").map(str::to_string).filter(|_| accepted) else {
        return Ok(twiml_response(&[Verb::Hangup]));
    };
    let sid = call_sid.clone();
    let call = state
        .store
        .write_async(move |tx| {
            calls::mark_screen_accepted(tx, &sid)?;
            calls::find_by_sid(tx, &sid)
        })
        .await?;
    let Some(call) = call.filter(|c| c.direction == "outbound-api") else {
        return Ok(twiml_response(&[Verb::Hangup]));
    };
    state.events.publish(Event::CallUpdated { call_sid });
    Ok(twiml_response(&[Verb::Dial(Dial {
        number: call.to,
        number_noun: true,
        caller_id: Some(call.from),
        ..Dial::default()
    })]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_call_from_the_signed_query() {
        assert_eq!(call_param("call=CA123&x=1").as_deref(), Some("CA123"));
        assert_eq!(call_param("x=1"), None);
    }

    #[test]
    fn no_key_falls_through_to_hangup() {
        let verbs = screen_twiml("Call for Shop. Press 1 to accept.", None, "https://x/a");
        assert!(
            matches!(&verbs[0], Verb::Gather(g) if g.num_digits == Some(1) && g.action.as_deref() == Some("https://x/a"))
        );
        assert_eq!(verbs[1], Verb::Hangup);
    }
}
