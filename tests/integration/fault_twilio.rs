//! Twilio misbehaving: 429 with Retry-After, 500s, a connection dropped after the message
//! was created, and responses slower than our timeout, from the simulator (behind a delaying
//! proxy for the slow case). Sends through the one outbound path never crash, never text a
//! customer twice (counted on the simulator), and leave the message row in a state the UI
//! can show: sent with a SID, or failed with an explanation, or queued with the error
//! returned to the caller — and a retry with the same `client_ref` still sends at most once.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use switchboard::outbound::send::{self, SendOutcome, SendRequest};
use switchboard::outbound::Outbound;
use switchboard::sim::Simulator;
use switchboard::store::{self, Store};
use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::common::{unpaced_outbound, TestResult};
use crate::sim_support::{creds, serve, sim_owning};

const OURS: &str = "+61255501234";

type Error = Box<dyn std::error::Error>;

fn outbound(sim: &Simulator, base: &str, timeout: Duration, dir: &std::path::Path) -> Result<Outbound, Error> {
    let mut cfg = ClientConfig::with_base(creds(sim), base);
    cfg.timeout = timeout;
    cfg.retry_base_delay = Duration::from_millis(20);
    cfg.max_retry_delay = Duration::from_secs(2);
    unpaced_outbound(Store::open(dir)?, OURS, TwilioClient::new(cfg)?, None)
}

/// How many messages to `to` the simulator accepted (what the customer would receive).
fn copies(sim: &Simulator, to: &str) -> usize {
    sim.sent_messages().iter().filter(|m| m.to == to).count()
}

/// The invariant after any send under a fault: at most one copy went out, and the row says
/// what happened.
fn check_clear_state(
    sim: &Simulator,
    ob: &Outbound,
    to: &str,
    what: &str,
    result: &Result<SendOutcome, switchboard::Error>,
) -> Result<(), Error> {
    let n = copies(sim, to);
    assert!(n <= 1, "{what}: the customer was texted {n} times");
    let rows: Vec<_> = ob.store.read(store::messages::all)?.into_iter().filter(|m| m.to == to).collect();
    assert_eq!(rows.len(), 1, "{what}: exactly one outbox row for one send");
    let row = &rows[0];
    match result {
        Ok(o) => {
            assert_eq!(n, 1, "{what}: reported sent, so Twilio has it");
            assert_eq!(row.sid, o.sid, "{what}: the row carries the SID Twilio gave");
            let sid = row.sid.as_deref().ok_or(format!("{what}: sent without a SID"))?;
            assert!(sim.sent_messages().iter().any(|m| m.sid == sid), "{what}: the recorded SID is Twilio's");
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "{what}: the error says why");
            match row.status.as_str() {
                "failed" => {
                    assert_eq!(n, 0, "{what}: marked failed, so nothing may have gone out");
                    assert!(row.error_message.as_deref().is_some_and(|m| !m.is_empty()), "{what}: failure explained");
                }
                // Unknown outcome (network): kept queued for reconciliation by client_ref.
                "queued" => assert!(row.sid.is_none(), "{what}: queued rows have no SID yet"),
                other => return Err(format!("{what}: unclear state {other:?} after error {e}").into()),
            }
        }
    }
    Ok(())
}

/// Sends once under the fault, checks, then retries with the same `client_ref` (what the
/// UI's retry or a campaign resume does) with the fault gone: exactly one copy in the end.
async fn send_under_fault(sim: &Simulator, ob: &Outbound, to: &str, what: &str) -> Result<(), Error> {
    let mut req = SendRequest::text(OURS, to, &format!("fault: {what}"));
    req.client_ref = Some(format!("fault-{to}"));
    let first = send::send(ob, req.clone()).await;
    eprintln!("fault_twilio {what}: {:?}", first.as_ref().map(|o| (&o.sid, &o.status)));
    check_clear_state(sim, ob, to, what, &first)?;
    sim.faults().clear();
    let retry = send::send(ob, req).await;
    let n = copies(sim, to);
    match (&first, &retry) {
        (Ok(_), Ok(r)) => assert!(r.already_sent, "{what}: a retry of a sent message sends nothing"),
        (Err(_), Ok(_)) => {}
        (_, Err(e)) => {
            // Only a send refused for good may stay refused.
            let row = ob.store.read(store::messages::all)?.into_iter().find(|m| m.to == to).ok_or("row")?;
            assert_eq!(row.status, "failed", "{what}: a retry failed ({e}) without a final state");
        }
    }
    assert!(n <= 1, "{what}: after the retry the customer has {n} copies");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_survive_429_500_dropped_connections_and_never_text_twice() -> TestResult {
    let sim = sim_owning(Duration::from_millis(5), OURS).await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound(&sim, &sim.base_url(), Duration::from_secs(10), dir.path())?;

    sim.faults().rate_limit_next(2, 1);
    send_under_fault(&sim, &ob, "+61412000001", "429 Retry-After 1 s").await?;
    sim.faults().server_error_next(1);
    send_under_fault(&sim, &ob, "+61412000002", "one 500").await?;
    sim.faults().server_error_next(5);
    send_under_fault(&sim, &ob, "+61412000003", "five 500s").await?;
    sim.faults().drop_connection_after_create_next(1);
    send_under_fault(&sim, &ob, "+61412000004", "connection dropped after create").await?;
    assert_eq!(copies(&sim, "+61412000004"), 1, "the dropped create is adopted from Twilio's log");
    sim.faults().drop_connection_after_create_next(2);
    send_under_fault(&sim, &ob, "+61412000005", "two dropped creates").await?;

    // Ordinary sends still work once Twilio behaves.
    let ok = send::send(&ob, SendRequest::text(OURS, "+61412000009", "all good")).await?;
    assert!(ok.sid.is_some(), "a normal send after the faults gets a SID");
    Ok(())
}

#[derive(Clone)]
struct Slow {
    upstream: String,
    http: reqwest::Client,
    /// How many of the next `POST …/Messages.json` answers to hold back.
    slow_creates: Arc<AtomicU32>,
    delay: Duration,
}

/// Forwards everything to the simulator at once, but holds the answer to a message create
/// back longer than the client waits: Twilio created it, we never heard.
async fn slow_proxy(
    State(s): State<Slow>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let mut req = s.http.request(method.clone(), format!("{}{path}", s.upstream)).body(body);
    for name in ["authorization", "content-type", "i-twilio-idempotency-token"] {
        if let Some(v) = headers.get(name) {
            req = req.header(name, v);
        }
    }
    let Ok(resp) = req.send().await else { return (StatusCode::BAD_GATEWAY, String::new()) };
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let text = resp.text().await.unwrap_or_default();
    let is_create = method == Method::POST && path.ends_with("/Messages.json");
    if is_create && s.slow_creates.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        tokio::time::sleep(s.delay).await;
    }
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_slower_than_the_timeout_is_adopted_not_sent_again() -> TestResult {
    let sim = sim_owning(Duration::from_millis(5), OURS).await?;
    let slow = Slow {
        upstream: sim.base_url(),
        http: reqwest::Client::builder().no_proxy().build()?,
        slow_creates: Arc::new(AtomicU32::new(0)),
        delay: Duration::from_millis(1500),
    };
    let counter = slow.slow_creates.clone();
    let (base, server) = serve(axum::Router::new().fallback(slow_proxy).with_state(slow)).await?;
    let dir = tempfile::tempdir()?;
    let ob = outbound(&sim, &base, Duration::from_millis(400), dir.path())?;

    counter.store(1, Ordering::SeqCst);
    send_under_fault(&sim, &ob, "+61412000011", "one create slower than the timeout").await?;
    assert_eq!(copies(&sim, "+61412000011"), 1, "the slow create is found in the log and adopted");
    counter.store(3, Ordering::SeqCst);
    send_under_fault(&sim, &ob, "+61412000012", "every create slower than the timeout").await?;
    assert_eq!(copies(&sim, "+61412000012"), 1, "Twilio got it on the first try; never sent again");

    server.abort();
    Ok(())
}
