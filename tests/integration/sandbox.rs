//! The sandbox, GUI-free: seeded inbox, a text from the simulated phone arrives, a reply
//! is delivered, an unanswered call leaves a voicemail whose audio is downloaded.

use std::time::Duration;

use switchboard::outbound::send::{self, SendRequest};
use switchboard::sandbox::{Sandbox, BUSINESS_NUMBER, CUSTOMERS};
use switchboard::sim::SimConfig;
use switchboard::store::{self, conversations};

use crate::common::TestResult;
use crate::sim_support::wait_until;

#[tokio::test]
async fn sandbox_shows_a_seeded_inbox_and_every_flow_works() -> TestResult {
    let dir = tempfile::tempdir()?;
    let sb =
        Sandbox::start(dir.path(), SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() })
            .await?;
    let store = sb.runtime.store.clone();
    wait_until("the demo history is backfilled", || {
        let store = store.clone();
        async move {
            store.read(|c| conversations::list(c, &Default::default())).map(|l| l.len() == 3).unwrap_or(false)
        }
    })
    .await?;
    let list = store.read(|c| conversations::list(c, &Default::default()))?;
    assert!(list.iter().any(|c| c.contact_name == "Mia Nguyen"), "seeded contacts have names: {list:?}");

    // A customer texts: stored before the simulator's webhook returns.
    sb.sim.customer_sms(CUSTOMERS[0].0, BUSINESS_NUMBER, "Can I move my booking to 3pm?", false).await?;
    let thread = store.read(|c| {
        let conv = conversations::list(c, &Default::default())?.into_iter().find(|v| v.customer == CUSTOMERS[0].0);
        Ok(conv.map(|v| (v.id, v.unread)))
    })?;
    let (conv_id, unread) = thread.ok_or("no conversation")?;
    assert!(unread >= 1, "the new text is unread");

    // The owner replies from the inbox; it reaches the phone and is delivered.
    let out =
        send::send(&sb.runtime.outbound(), SendRequest::text(BUSINESS_NUMBER, CUSTOMERS[0].0, "Yes, 3pm is fine"))
            .await?;
    let sid = out.sid.ok_or("no sid")?;
    wait_until("the reply is delivered", || {
        let store = store.clone();
        let sid = sid.clone();
        async move {
            store.read(|c| store::messages::find_by_sid(c, &sid)).ok().flatten().map(|m| m.status)
                == Some("delivered".into())
        }
    })
    .await?;
    assert!(sb.sim.phone_inbox(CUSTOMERS[0].0).iter().any(|m| m.body == "Yes, 3pm is fine"));
    let _ = conv_id;

    // Nobody answers a call: the caller leaves a voicemail, downloaded to a local file.
    let call = sb.sim.customer_call(CUSTOMERS[1].0, BUSINESS_NUMBER, Some(2)).await?;
    assert_eq!(
        call.dialed.as_deref(),
        Some(switchboard::sandbox::OWNER_MOBILE),
        "the call was forwarded first: {call:?} {:?}",
        sb.sim.received_twiml()
    );
    let rec = call.recording_sid.ok_or("no voicemail recorded")?;
    wait_until("the voicemail audio is downloaded and transcribed", || {
        let store = store.clone();
        let rec = rec.clone();
        async move {
            store
                .read(|c| store::voicemails::find_by_recording_sid(c, &rec))
                .ok()
                .flatten()
                .is_some_and(|v| v.path.is_some() && v.transcription.is_some())
        }
    })
    .await?;
    sb.shutdown().await?;

    // Restarting the sandbox neither duplicates the history nor loses what happened.
    let sb = Sandbox::start(dir.path(), SimConfig::default()).await?;
    // Seeding happens inside start; the start's catch-up is the other place a duplicate
    // could come from, so wait until it has finished rather than for a fixed time.
    wait_until("the restart's catch-up has finished", || {
        let done = sb.runtime.reconcile_status().last_ok.is_some();
        async move { done }
    })
    .await?;
    let convs = sb.runtime.store.read(|c| conversations::list(c, &Default::default()))?;
    assert_eq!(convs.len(), 3, "no duplicate conversations after a restart");
    sb.shutdown().await?;
    Ok(())
}
