//! Twilio Studio, as far as Switchboard's fallback flow uses it: the Flows API (create,
//! update, fetch, delete) and an executor that RUNS a flow when a number's voice URL fails
//! (the app is closed), widget by widget, with the Liquid the flow's inputs use. So the
//! closed-laptop call flow is tested by executing what the app generated, not by a stub.
//!
//! Widgets: trigger, split-based-on (equal_to, not_equal_to, matches_any_of,
//! does_not_match_any_of, contains, starts_with, is_blank, is_not_blank, greater_than,
//! less_than), say-play, connect-call-to,
//! add-twiml-redirect (whose TwiML is played by the call-flow player; its `<Dial action>`
//! back to the flow's `?FlowEvent=return` resumes the flow), record-voicemail, send-message.
//! Liquid: `{{ value | filter: arg }}` (date, plus, url_encode), `{% assign %}`,
//! `{% if a op b and … %}…{% else %}…{% endif %}`; `'now'` is the fault clock.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{json, Value};

use super::callflow::{self, Leg};
use super::server::{deleted, json_response, remove_where, ApiError, ApiResult, Params, Sh};
use super::state::{iso8601, new_sid, FlowRec, MessageRec, RecordingRec, Shared, TranscriptionRec};
use super::twiml::Verb;
use super::CallOutcome;

/// Twilio's Echo Twimlet host (see the core's `tunnel::fallback`).
const ECHO: [&str; 2] = ["https://twimlets.com/echo", "http://twimlets.com/echo"];

/// Twilio stops an execution after this many steps.
const MAX_STEPS: usize = 1000;

fn flow_json(sh: &Shared, f: &FlowRec) -> Value {
    json!({
        "sid": f.sid,
        "account_sid": sh.config.account_sid,
        "friendly_name": f.friendly_name,
        "definition": f.definition,
        "status": f.status,
        "revision": f.revision,
        "commit_message": null,
        "valid": true,
        "errors": [],
        "warnings": [],
        "date_created": iso8601(f.date_created),
        "date_updated": iso8601(f.date_updated),
        "webhook_url": webhook_url(sh, &f.sid),
        "url": format!("{}/v2/Flows/{}", sh.base_url, f.sid),
        "links": {},
    })
}

fn webhook_url(sh: &Shared, sid: &str) -> String {
    format!("{}/v1/Accounts/{}/Flows/{sid}", sh.base_url, sh.config.account_sid)
}

fn definition(p: &Params) -> Result<Option<Value>, ApiError> {
    let Some(raw) = p.get("Definition") else { return Ok(None) };
    let v: Value = serde_json::from_str(raw).map_err(|e| ApiError::bad(20001, format!("Invalid definition: {e}")))?;
    if !v["states"].is_array() || v["initial_state"].as_str().is_none() {
        return Err(ApiError::bad(20001, "Invalid definition: states and initial_state are required"));
    }
    Ok(Some(v))
}

pub(crate) async fn create(axum::extract::State(sh): Sh, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let name = p.required("FriendlyName")?.to_string();
    let status = p.required("Status")?.to_string();
    let def = definition(&p)?.ok_or_else(|| ApiError::missing("Definition"))?;
    let now = Utc::now();
    let f = FlowRec {
        sid: new_sid("FW"),
        friendly_name: name,
        status,
        definition: def,
        revision: 1,
        date_created: now,
        date_updated: now,
    };
    let v = flow_json(&sh, &f);
    sh.with(|s| s.flows.push(f));
    Ok(json_response(StatusCode::OK, v))
}

pub(crate) async fn update(axum::extract::State(sh): Sh, Path(sid): Path<String>, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let status = p.required("Status")?.to_string();
    let def = definition(&p)?;
    let name = p.non_empty("FriendlyName").map(str::to_string);
    sh.with(|s| {
        let f = s
            .flows
            .iter_mut()
            .find(|f| f.sid == sid)
            .ok_or_else(|| ApiError::not_found(&format!("/v2/Flows/{sid}")))?;
        f.status = status;
        if let Some(d) = def {
            f.definition = d;
        }
        if let Some(n) = name {
            f.friendly_name = n;
        }
        f.revision += 1;
        f.date_updated = Utc::now();
        Ok(json_response(StatusCode::OK, flow_json(&sh, f)))
    })
}

pub(crate) async fn fetch(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    sh.with(|s| s.flows.iter().find(|f| f.sid == sid).map(|f| flow_json(&sh, f)))
        .map(|v| json_response(StatusCode::OK, v))
        .ok_or_else(|| ApiError::not_found(&format!("/v2/Flows/{sid}")))
}

pub(crate) async fn delete(axum::extract::State(sh): Sh, Path(sid): Path<String>) -> ApiResult {
    deleted(&sh, &format!("/v2/Flows/{sid}"), |s| remove_where(&mut s.flows, |f| f.sid == sid))
}

/// The flow a voice URL names, when it is one of this account's flows.
pub(crate) fn flow_of_url(sh: &Shared, url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let prefix = format!("{}/v1/Accounts/{}/Flows/", sh.base_url, sh.config.account_sid);
    let sid = path.strip_prefix(&prefix)?.trim_end_matches('/').to_string();
    sh.with(|s| s.flows.iter().any(|f| f.sid == sid)).then_some(sid)
}

/// A `<Redirect>`/`<Dial action>` back into a flow.
pub(crate) fn is_flow_return(sh: &Shared, url: &str) -> bool {
    url.contains("FlowEvent=return") && flow_of_url(sh, url).is_some()
}

pub(crate) fn note_return(sh: &Shared, params: Vec<(String, String)>) {
    let call = params.iter().find(|(k, _)| k == "CallSid").map(|(_, v)| v.clone()).unwrap_or_default();
    sh.with(|s| s.flow_returns.insert(call, params));
}

/// The TwiML an Echo Twimlet URL answers with.
pub(crate) fn echo_twimlet(url: &str) -> Option<String> {
    if !ECHO.iter().any(|e| url.starts_with(e)) {
        return None;
    }
    let parsed = url::Url::parse(url).ok()?;
    let doc = parsed.query_pairs().find(|(k, _)| k == "Twiml").map(|(_, v)| v.into_owned());
    Some(doc.unwrap_or_else(|| "<Response/>".into()))
}

/// Runs flow `flow_sid` for the call `leg`, as Twilio does when the number's voice URL
/// failed and its fallback is the flow; returns the seconds the call lasted.
pub(crate) async fn execute(sh: &Arc<Shared>, leg: &Leg, flow_sid: &str, outcome: &mut CallOutcome) -> u32 {
    outcome.host = "studio".into();
    let Some(def) = sh.with(|s| s.flows.iter().find(|f| f.sid == flow_sid).map(|f| f.definition.clone())) else {
        outcome.status = "failed".into();
        return 0;
    };
    let states: HashMap<String, Value> = def["states"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| Some((s["name"].as_str()?.to_string(), s.clone()))).collect())
        .unwrap_or_default();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("trigger.call.From".into(), leg.from.clone()),
        ("trigger.call.To".into(), leg.to.clone()),
        ("trigger.call.CallSid".into(), leg.call_sid.clone()),
        ("contact.channel.address".into(), leg.from.clone()),
        ("flow.channel.address".into(), leg.to.clone()),
        ("flow.flow_sid".into(), flow_sid.to_string()),
    ]);
    let now = sh.faults.now();
    let mut elapsed = 1u32;
    let mut current = def["initial_state"].as_str().map(str::to_string);
    let mut steps = 0;
    while let Some(name) = current.take() {
        steps += 1;
        let Some(st) = states.get(&name).filter(|_| steps <= MAX_STEPS) else { break };
        let props = &st["properties"];
        let text = |key: &str, vars: &HashMap<String, String>| render(props[key].as_str().unwrap_or(""), vars, now);
        let event = match st["type"].as_str().unwrap_or("") {
            "trigger" => "incomingCall".to_string(),
            "say-play" => {
                let said = text("say", &vars);
                elapsed += (said.split_whitespace().count() as u32).div_ceil(3);
                outcome.said.push(said);
                "audioComplete".into()
            }
            "split-based-on" => {
                let input = text("input", &vars);
                let hit = st["transitions"].as_array().into_iter().flatten().find(|t| {
                    t["event"] == "match"
                        && t["conditions"].as_array().is_some_and(|cs| {
                            cs.iter().all(|c| {
                                let value = match c["arguments"][0].as_str() {
                                    Some(arg) => render(arg, &vars, now),
                                    None => input.clone(),
                                };
                                condition(c["type"].as_str().unwrap_or(""), &value, c["value"].as_str().unwrap_or(""))
                            })
                        })
                });
                match hit {
                    Some(t) => {
                        current = t["next"].as_str().map(str::to_string);
                        continue;
                    }
                    None => "noMatch".into(),
                }
            }
            "connect-call-to" => {
                let mut attrs = HashMap::new();
                attrs.insert("timeout".to_string(), props["timeout"].to_string());
                let to = text("to", &vars);
                let dial = Verb { name: "Dial".into(), attrs, text: to, children: Vec::new() };
                callflow::dial_leg(sh, leg, &dial, &sh.base_url, outcome, &mut elapsed).await;
                vars.insert(format!("widgets.{name}.DialCallStatus"), outcome.dial_status.clone().unwrap_or_default());
                vars.insert(format!("widgets.{name}.DialBridged"), outcome.bridged.unwrap_or(false).to_string());
                "callCompleted".into()
            }
            "add-twiml-redirect" => {
                let url = text("url", &vars);
                sh.with(|s| s.flow_returns.remove(&leg.call_sid));
                if let Some(verbs) =
                    callflow::fetch_twiml(sh, &url, callflow::call_params(sh, leg, "in-progress")).await
                {
                    elapsed += callflow::play(sh, leg, verbs, url, outcome).await;
                }
                match sh.with(|s| s.flow_returns.remove(&leg.call_sid)) {
                    Some(params) => {
                        for (k, v) in params {
                            vars.insert(format!("widgets.{name}.{k}"), v);
                        }
                        "return".into()
                    }
                    None => "fail".into(),
                }
            }
            "record-voicemail" => match leg.record_secs {
                Some(secs) => {
                    let max = props["max_length"].as_u64().unwrap_or(3600) as u32;
                    let secs = secs.clamp(1, max.max(1));
                    elapsed += secs;
                    let transcribe = props["transcribe"].as_bool().unwrap_or(false);
                    let sid = record(sh, leg, secs, transcribe);
                    vars.insert(format!("widgets.{name}.RecordingSid"), sid.clone());
                    outcome.recording_sid = Some(sid);
                    "recordingComplete".into()
                }
                None => "hangup".into(),
            },
            "send-message" => {
                let (from, to, body) = (text("from", &vars), text("to", &vars), text("body", &vars));
                match send(sh, &from, &to, &body) {
                    Some(sid) => {
                        outcome.texts_sent.push(sid);
                        "sent".into()
                    }
                    None => "failed".into(),
                }
            }
            _ => break,
        };
        current = st["transitions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["event"] == event.as_str())
            .and_then(|t| t["next"].as_str())
            .map(str::to_string);
    }
    elapsed
}

fn condition(kind: &str, value: &str, expected: &str) -> bool {
    let num = |s: &str| s.trim().parse::<f64>().ok();
    match kind {
        "equal_to" => value == expected,
        // A comma-separated list, each item trimmed.
        "matches_any_of" => expected.split(',').any(|e| e.trim() == value),
        "does_not_match_any_of" => !expected.split(',').any(|e| e.trim() == value),
        "not_equal_to" => value != expected,
        "contains" => value.contains(expected),
        "starts_with" => value.starts_with(expected),
        "is_blank" => value.trim().is_empty(),
        "is_not_blank" => !value.trim().is_empty(),
        "greater_than" => matches!((num(value), num(expected)), (Some(a), Some(b)) if a > b),
        "less_than" => matches!((num(value), num(expected)), (Some(a), Some(b)) if a < b),
        _ => false,
    }
}

/// A recording (and its transcription when asked, Twilio's 2–120 s rule applied) left in
/// the account by the flow; no webhook (the app is closed), catch-up finds them.
fn record(sh: &Shared, leg: &Leg, secs: u32, transcribe: bool) -> String {
    let sid = new_sid("RE");
    let now = Utc::now();
    sh.with(|s| {
        // The flow's Record widget: a voicemail.
        s.recordings.push(RecordingRec::new(sid.clone(), leg.call_sid.clone(), secs, "RecordVerb", now));
        if transcribe {
            let ok = (2..=120).contains(&secs);
            s.transcriptions.push(TranscriptionRec {
                sid: new_sid("TR"),
                recording_sid: sid.clone(),
                status: if ok { "completed" } else { "failed" }.into(),
                text: ok.then(|| sh.config.voicemail_transcript.clone()),
                duration: secs,
                date_created: now,
                date_updated: now,
            });
        }
    });
    sid
}

/// The Send Message widget: a message from our number, in the account's log (catch-up
/// finds it) and on the customer's phone; refused (21610) to a customer who texted STOP.
fn send(sh: &Shared, from: &str, to: &str, body: &str) -> Option<String> {
    let blocked = sh.with(|s| s.opted_out.iter().any(|(c, n)| c == to && n == from));
    let sid = new_sid("SM");
    let mut rec =
        MessageRec::new(sid.clone(), from, to, body, if blocked { "failed" } else { "delivered" }, "outbound-api");
    rec.date_sent = Some(Utc::now());
    if blocked {
        rec.error_code = Some(21610);
    }
    let on_phone = rec.to_sim();
    sh.with(|s| {
        s.messages.push(rec);
        if !blocked {
            s.phones.entry(to.to_string()).or_default().push(on_phone);
        }
    });
    (!blocked).then_some(sid)
}

// ---- Liquid, the part Studio flows here use ----

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Num(f64),
}

impl Val {
    fn text(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Num(n) if n.fract() == 0.0 => format!("{}", *n as i64),
            Val::Num(n) => n.to_string(),
        }
    }
    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Str(s) => s.trim().parse().ok(),
        }
    }
}

/// Renders a Liquid template with `vars` (dotted names) and `now` for `'now'`.
pub(crate) fn render(template: &str, vars: &HashMap<String, String>, now: chrono::DateTime<Utc>) -> String {
    let mut locals: HashMap<String, Val> = HashMap::new();
    let mut out = String::new();
    // One flag per open `if`: whether its current branch is being output.
    let mut active: Vec<(bool, bool)> = Vec::new(); // (branch active, some branch taken)
    let mut rest = template;
    let on = |active: &Vec<(bool, bool)>| active.iter().all(|(a, _)| *a);
    while !rest.is_empty() {
        let next_out = rest.find("{{");
        let next_tag = rest.find("{%");
        let (at, is_tag) = match (next_out, next_tag) {
            (None, None) => {
                if on(&active) {
                    out.push_str(rest);
                }
                break;
            }
            (Some(a), Some(b)) if b < a => (b, true),
            (Some(a), _) => (a, false),
            (None, Some(b)) => (b, true),
        };
        if on(&active) {
            out.push_str(&rest[..at]);
        }
        let close = if is_tag { "%}" } else { "}}" };
        let Some(end) = rest[at + 2..].find(close) else {
            if on(&active) {
                out.push_str(&rest[at..]);
            }
            break;
        };
        let inner = rest[at + 2..at + 2 + end].trim();
        rest = &rest[at + 2 + end + 2..];
        if !is_tag {
            if on(&active) {
                out.push_str(&eval_expr(inner, vars, &locals, now).text());
            }
            continue;
        }
        let (word, args) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
        match word {
            "assign" if on(&active) => {
                if let Some((name, expr)) = args.split_once('=') {
                    let v = eval_expr(expr.trim(), vars, &locals, now);
                    locals.insert(name.trim().to_string(), v);
                }
            }
            "if" => {
                let taken = eval_cond(args, vars, &locals, now);
                active.push((taken, taken));
            }
            "else" => {
                if let Some(top) = active.last_mut() {
                    *top = (!top.1, true);
                }
            }
            "endif" => {
                active.pop();
            }
            _ => {}
        }
    }
    out
}

fn eval_cond(
    cond: &str,
    vars: &HashMap<String, String>,
    locals: &HashMap<String, Val>,
    now: chrono::DateTime<Utc>,
) -> bool {
    // `a and b or c`: Liquid evaluates right to left; Switchboard's flows use `and` only.
    cond.split(" or ").any(|alt| {
        alt.split(" and ").all(|part| {
            let part = part.trim();
            for op in ["==", "!=", ">=", "<=", ">", "<"] {
                if let Some((l, r)) = part.split_once(op) {
                    let (a, b) = (eval_expr(l.trim(), vars, locals, now), eval_expr(r.trim(), vars, locals, now));
                    return match (op, a.num(), b.num()) {
                        ("==", _, _) => a.text() == b.text(),
                        ("!=", _, _) => a.text() != b.text(),
                        (">=", Some(x), Some(y)) => x >= y,
                        ("<=", Some(x), Some(y)) => x <= y,
                        (">", Some(x), Some(y)) => x > y,
                        ("<", Some(x), Some(y)) => x < y,
                        _ => false,
                    };
                }
            }
            !eval_expr(part, vars, locals, now).text().is_empty()
        })
    })
}

fn eval_expr(
    expr: &str,
    vars: &HashMap<String, String>,
    locals: &HashMap<String, Val>,
    now: chrono::DateTime<Utc>,
) -> Val {
    let mut parts = expr.split('|');
    let head = parts.next().unwrap_or("").trim();
    let mut v = atom(head, vars, locals);
    for filter in parts {
        let (name, arg) = filter.split_once(':').map_or((filter.trim(), ""), |(n, a)| (n.trim(), a.trim()));
        let arg = atom(arg, vars, locals);
        v = match name {
            "date" => {
                let t = if v.text() == "now" {
                    Some(now)
                } else {
                    chrono::DateTime::parse_from_rfc3339(&v.text()).ok().map(|d| d.with_timezone(&Utc))
                };
                match t {
                    Some(t) => Val::Str(t.format(&arg.text()).to_string()),
                    None => v,
                }
            }
            "plus" => Val::Num(v.num().unwrap_or(0.0) + arg.num().unwrap_or(0.0)),
            "url_encode" => Val::Str(url::form_urlencoded::byte_serialize(v.text().as_bytes()).collect()),
            _ => v,
        };
    }
    v
}

fn atom(s: &str, vars: &HashMap<String, String>, locals: &HashMap<String, Val>) -> Val {
    let s = s.trim();
    if let Some(q) = s
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
    {
        return Val::Str(q.to_string());
    }
    if let Ok(n) = s.parse::<f64>() {
        return Val::Num(n);
    }
    if let Some(v) = locals.get(s) {
        return v.clone();
    }
    Val::Str(vars.get(s).cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn liquid_hours_and_widget_variables() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 3, 5, 0).unwrap(); // a Monday, 03:05 UTC
        let vars = HashMap::from([("widgets.forward.DialCallStatus".to_string(), "completed".to_string())]);
        let t = "{% assign t = 'now' | date: '%u%H%M' | plus: 0 %}{% if t >= 10300 and t < 10400 %}open{% endif %}";
        assert_eq!(render(t, &vars, now), "open");
        let t = "{% assign t = 'now' | date: '%u%H%M' | plus: 0 %}{% if t >= 10900 and t < 11700 %}open{% endif %}";
        assert_eq!(render(t, &vars, now), "");
        assert_eq!(
            render("{% if widgets.forward.DialCallStatus == 'completed' %}answered{% else %}no{% endif %}", &vars, now),
            "answered"
        );
        assert_eq!(render("Hi {{contact.channel.address}}!", &vars, now), "Hi !");
    }
}
