//! Duplicates and order: every webhook delivered twice (with and without Twilio's
//! idempotency token), status callbacks shuffled and raced against each other. Exactly one
//! row per message, and each message ends in the status its latest real event says.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};
use rand::seq::SliceRandom;
use switchboard::domain::MessageStatus;
use switchboard::store::{self, messages};

use crate::common::TestResult;
use crate::fault_support::seeded_rng;
use crate::webhook_support::{encode, request, signature_for, Fixture, TOKEN};

const OURS: &str = "+61255501234";

fn form(fields: &[(&str, &str)]) -> String {
    encode(&fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>())
}

/// One webhook as Twilio would post it: path, body, idempotency token.
#[derive(Clone)]
struct Delivery {
    path: &'static str,
    body: String,
    token: Option<String>,
}

/// One status callback: `MessageStatus` and `ErrorCode` (if any).
type Step = (&'static str, Option<&'static str>);

/// The status callbacks of one outbound message in their natural order, and the status
/// (and error code) it must end with whatever order they arrive in.
fn lifecycle(i: usize) -> (Vec<Step>, &'static str, Option<i64>) {
    match i % 4 {
        0 => (vec![("queued", None), ("sending", None), ("sent", None), ("delivered", None)], "delivered", None),
        1 => (vec![("queued", None), ("sent", None), ("undelivered", Some("30003"))], "undelivered", Some(30003)),
        2 => (vec![("sent", None), ("delivered", None), ("read", None)], "read", None),
        // A status name this build does not know sits between sent and delivered.
        _ => {
            (vec![("queued", None), ("sent", None), ("carrier_accepted", None), ("delivered", None)], "delivered", None)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_and_shuffled_webhooks_leave_one_row_each_with_the_right_final_status() -> TestResult {
    let (seed, mut rng) = seeded_rng("fault_duplicates");
    let fx = Fixture::new()?;

    // 40 messages we sent, recorded with their SIDs as `queued` (as the send path does).
    let mut expected: HashMap<String, (&'static str, Option<i64>)> = HashMap::new();
    let mut deliveries = Vec::new();
    for i in 0..40 {
        let sid = format!("SM{:032x}", 0xa000 + i);
        let to = format!("+614123450{i:02}");
        let (sid2, to2) = (sid.clone(), to.clone());
        fx.store.write(move |tx| {
            let number_id = store::numbers::ensure(tx, OURS, false)?;
            let (id, _) = messages::insert_outbound(
                tx,
                &messages::Outbound {
                    client_ref: format!("dup-test-{i}"),
                    number_id,
                    from: OURS.into(),
                    to: to2,
                    body: format!("order {i} is ready"),
                    channel: switchboard::domain::Channel::Sms,
                    num_segments: 1,
                    num_media: 0,
                    campaign_id: None,
                },
            )?;
            messages::set_sid(tx, id, &sid2, &MessageStatus::Queued)
        })?;
        let (steps, final_status, code) = lifecycle(i);
        expected.insert(sid.clone(), (final_status, code));
        for (n, (status, error)) in steps.into_iter().enumerate() {
            let mut f = vec![("MessageSid", sid.as_str()), ("MessageStatus", status), ("From", OURS), ("To", &to)];
            f.push(("AccountSid", "AC00000000000000000000000000000000"));
            if let Some(e) = error {
                f.push(("ErrorCode", e));
            }
            let token = format!("{sid}-{n}");
            deliveries.push(Delivery { path: "/twilio/sms/status", body: form(&f), token: Some(token) });
        }
    }
    // 40 messages from customers.
    let inbound: Vec<String> = (0..40).map(|i| format!("SM{:032x}", 0xb000 + i)).collect();
    for (i, sid) in inbound.iter().enumerate() {
        let from = format!("+614987650{i:02}");
        let f = [
            ("MessageSid", sid.as_str()),
            ("SmsSid", sid.as_str()),
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("From", from.as_str()),
            ("To", OURS),
            ("Body", "is my order ready?"),
            ("NumMedia", "0"),
        ];
        deliveries.push(Delivery { path: "/twilio/sms", body: form(&f), token: Some(format!("in-{sid}")) });
    }
    // Every webhook twice: once more with the same token, and (half the time) a third copy
    // with no token at all, as a retry through a proxy that drops the header might be.
    let mut all = Vec::new();
    for (i, d) in deliveries.into_iter().enumerate() {
        all.push(d.clone());
        all.push(d.clone());
        if i % 2 == 0 {
            all.push(Delivery { token: None, ..d });
        }
    }
    all.shuffle(&mut rng);
    let total = all.len();

    // Eight at a time, so callbacks of one message also race each other in the store.
    let results: Vec<Result<(u16, String), String>> = stream::iter(all)
        .map(|d| {
            let fx = &fx;
            async move {
                let sig = signature_for(TOKEN, d.path, &d.body);
                let req = request(d.path, &d.body, Some(&sig), d.token.as_deref());
                fx.send(req).await.map(|(s, b)| (s.as_u16(), b)).map_err(|e| e.to_string())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for r in &results {
        let (status, body) = r.as_ref().map_err(|e| e.clone())?;
        assert_eq!(*status, 200, "every (re)delivery of a valid webhook is acknowledged: {body}");
    }
    eprintln!("fault_duplicates: {total} deliveries");

    let rows = fx.store.read(messages::all)?;
    assert_eq!(rows.len(), 80, "40 sent + 40 received messages, one row each, whatever was repeated");
    for sid in &inbound {
        let n = rows.iter().filter(|m| m.sid.as_deref() == Some(sid.as_str())).count();
        assert_eq!(n, 1, "inbound {sid} delivered 2–3 times is stored once (seed {seed})");
    }
    for (sid, (status, code)) in &expected {
        let m = rows.iter().find(|m| m.sid.as_deref() == Some(sid.as_str())).ok_or(format!("{sid} missing"))?;
        assert_eq!(
            m.status, *status,
            "{sid}: callbacks in any order end at the furthest status, never moved back (seed {seed})"
        );
        assert_eq!(m.error_code, *code, "{sid}: the error code of the failed delivery is kept");
        if code.is_some() {
            assert!(m.error_message.as_deref().is_some_and(|e| !e.is_empty()), "{sid}: the error is explained");
        }
    }
    assert_eq!(fx.count("pending_status")?, 0, "no callback was parked for a message we know");
    Ok(())
}
