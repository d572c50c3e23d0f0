//! Sends the missed-call text-backs the call-status webhook decided on
//! (`store::text_backs`), through the one send path: outbox row first, opt-out ledger
//! checked again, exactly once per call (the outbox key is `text-back-<call SID>`), and
//! stored in the customer's thread like any text we send.

use std::time::Duration;

use super::send::{self, SendRequest};
use super::Outbound;
use crate::error::{Error, Result};
use crate::media::Wake;
use crate::store::{numbers, text_backs};
use crate::twilio::callflow::CallFlow;

/// How often pending text-backs are looked at without a wake-up (a crash between the
/// decision and the send leaves one pending; the next look sends it, once).
pub const POLL: Duration = Duration::from_secs(30);

/// How often while one waits for its call's dial result ([`text_backs::due`]).
const HELD_POLL: Duration = Duration::from_secs(5);

/// Sends every pending text-back that is due ([`text_backs::due`]) once; returns how many
/// went out.
pub async fn send_pending(ob: &Outbound) -> Result<usize> {
    let pending = ob.store.read_async(|c| text_backs::due(c, chrono::Utc::now())).await?;
    let mut sent = 0;
    for tb in pending {
        let number_id = tb.number_id;
        let number = ob.store.read_async(move |c| numbers::get(c, number_id)).await?;
        let flow = CallFlow::of(&number);
        let Some(text_back) = flow.text_back else {
            let id = tb.id;
            ob.store
                .write_async(move |tx| text_backs::finish(tx, id, "skipped", None, Some("text-back was turned off")))
                .await?;
            continue;
        };
        let mut req = SendRequest::text(&number.e164, &tb.caller, &text_back.body);
        req.client_ref = Some(format!("text-back-{}", tb.call_sid));
        let id = tb.id;
        match send::send(ob, req).await {
            Ok(out) => {
                sent += 1;
                ob.store.write_async(move |tx| text_backs::finish(tx, id, "sent", Some(out.message_id), None)).await?;
            }
            Err(Error::OptedOut(_)) => {
                ob.store
                    .write_async(move |tx| {
                        text_backs::finish(tx, id, "skipped", None, Some(text_backs::SKIP_OPTED_OUT))
                    })
                    .await?;
            }
            Err(e) if e.is_transient() => {
                // Twilio unreachable or busy: left pending, tried again on the next look
                // (the same outbox key, so it goes at most once).
                tracing::warn!(call = %tb.call_sid, error = %e, "missed-call text-back waits for Twilio");
            }
            Err(e) => {
                tracing::warn!(call = %tb.call_sid, error = %e, "missed-call text-back not sent");
                let reason = e.to_string();
                ob.store.write_async(move |tx| text_backs::finish(tx, id, "failed", None, Some(&reason))).await?;
            }
        }
    }
    Ok(sent)
}

/// The worker: sends pending text-backs when woken by the webhook, and every [`POLL`].
/// `outbound` follows the tunnel (`Outbound::following`), so its status-callback URL is
/// the current one. Never panics; errors are logged and retried on the next round.
pub async fn run(outbound: Outbound, wake: Wake) {
    loop {
        if let Err(e) = send_pending(&outbound).await {
            tracing::warn!(error = %e, "could not send missed-call text-backs");
        }
        // One left pending waits for its dial result: look again soon, not in 30 s.
        let held = outbound.store.read_async(text_backs::pending).await.is_ok_and(|p| !p.is_empty());
        let _ = tokio::time::timeout(if held { HELD_POLL } else { POLL }, wake.wait()).await;
    }
}
