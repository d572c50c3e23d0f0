//! Scheduled messages as Twilio runs them: a message created with `MessagingServiceSid`,
//! `ScheduleType=fixed` and `SendAt` 15 minutes to 35 days ahead is held as `scheduled`
//! and sent at that time — whether or not anyone is listening for its callbacks (the app
//! "closed"). `Status=canceled` (in `messages::update`) stops it. At send time Twilio checks
//! opt-out again: a customer who replied STOP meanwhile gets nothing, and the message fails
//! with 21610.
//!
//! Time is the simulator's clock ([`State::now`]), which a test or the sandbox moves
//! forward with `Simulator::advance_clock` instead of waiting.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::messages::{advance, deliver};
use super::server::{ApiError, Params};
use super::state::{Shared, State};
use super::webhooks;

/// How often a pending scheduled message looks at the clock (which tests move in jumps).
const TICK: Duration = Duration::from_millis(200);

/// The first number in the service's sender pool (what Twilio sends from without `From`).
pub(crate) fn pool_sender(sh: &Shared, service: &str) -> String {
    sh.with(|s| s.us.services.iter().find(|x| x.sid == service).and_then(|x| x.numbers.first().map(|(_, e)| e.clone())))
        .unwrap_or_default()
}

/// The checks Twilio makes on a create with scheduling parameters; returns `SendAt` when
/// the message is to be scheduled. A service must exist and hold `from` in its pool.
pub(crate) fn check(
    sh: &Shared,
    p: &Params,
    service: Option<&str>,
    from: &str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    if let Some(svc) = service {
        let in_pool =
            sh.with(|s| s.us.services.iter().find(|x| x.sid == svc).map(|x| x.numbers.iter().any(|(_, e)| e == from)));
        match in_pool {
            None => return Err(ApiError::bad(21701, format!("The Messaging Service Sid {svc} is invalid."))),
            Some(false) => {
                return Err(ApiError::bad(
                    21703,
                    format!("The From phone number {from} is not in the sender pool of Messaging Service {svc}."),
                ))
            }
            Some(true) => {}
        }
    }
    let Some(kind) = p.non_empty("ScheduleType") else {
        if p.non_empty("SendAt").is_some() {
            return Err(ApiError::bad(35111, "ScheduleType is required when SendAt is given."));
        }
        return Ok(None);
    };
    if kind != "fixed" {
        return Err(ApiError::bad(35118, format!("Invalid ScheduleType: {kind}")));
    }
    if service.is_none() {
        return Err(ApiError::bad(35115, "MessagingServiceSid is required to schedule a message."));
    }
    let at = p
        .non_empty("SendAt")
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| ApiError::bad(35114, "Scheduling does not support this timestamp."))?;
    let now = sh.with(|s| s.now());
    if at < now + chrono::Duration::seconds(900) || at > now + chrono::Duration::days(35) {
        return Err(ApiError::bad(
            35114,
            "Scheduling does not support this timestamp: SendAt must be 15 minutes to 35 days ahead.",
        ));
    }
    Ok(Some(at))
}

/// Waits for the message's time on the simulated clock, then sends it (once).
pub(crate) async fn fire_when_due(sh: Arc<Shared>, sid: String) {
    loop {
        let due = sh.with(|s| {
            let now = s.now();
            s.messages
                .iter()
                .find(|m| m.sid == sid)
                .map(|m| (m.status == "scheduled", m.send_at.is_some_and(|t| t <= now)))
        });
        match due {
            Some((true, true)) => return fire(sh, sid).await,
            Some((true, false)) => tokio::time::sleep(TICK).await,
            // Canceled, already fired, or deleted.
            _ => return,
        }
    }
}

/// Sends a due scheduled message: opt-out checked again (STOP meanwhile → failed, 21610),
/// otherwise the usual queued → sent → delivered, with a callback at each step that
/// nobody may be listening to.
async fn fire(sh: Arc<Shared>, sid: String) {
    let blocked = sh.with(|s: &mut State| {
        let m = s.message_mut(&sid)?;
        if m.status != "scheduled" {
            return None;
        }
        // Taken now, so a concurrent tick or clock jump never fires it twice.
        m.status = "queued".into();
        let (from, to) = (m.from.clone(), m.to.clone());
        Some(s.opted_out.iter().any(|(c, n)| *c == to && *n == from))
    });
    match blocked {
        None => {}
        Some(true) => {
            let callback = sh.with(|s| advance(&sh, s, &sid, "failed", Some(21610)));
            if let Some((Some(url), params)) = callback {
                if !sh.faults.silent() {
                    webhooks::post(&sh, &url, params).await;
                }
            }
        }
        Some(false) => deliver(sh, sid).await,
    }
}

/// Moves the simulated clock forward and starts every scheduled message now due; returns
/// how many it started.
pub(crate) fn advance_clock(sh: &Arc<Shared>, by: chrono::Duration) -> usize {
    let due: Vec<String> = sh.with(|s| {
        s.clock_offset += by;
        let now = s.now();
        s.messages
            .iter()
            .filter(|m| m.status == "scheduled" && m.send_at.is_some_and(|t| t <= now))
            .map(|m| m.sid.clone())
            .collect()
    });
    for sid in &due {
        sh.spawn(fire(sh.clone(), sid.clone()));
    }
    due.len()
}
