//! Issue 15, scheduled messages, against the simulator: "Send later" goes to Twilio now
//! through the account's Messaging Service with `ScheduleType=fixed` and `SendAt`, Twilio
//! (the simulator, on a clock the test moves) sends it at its time even while the app is
//! closed, and catch-up records it as sent, exactly once. Edit and cancel work until it is
//! sent; a STOP before the time cancels it; times Twilio would refuse are refused plainly;
//! a lost answer while scheduling never schedules twice.

use std::time::Duration;

use chrono::Utc;
use switchboard::addressbook;
use switchboard::events::Events;
use switchboard::outbound::send::{self, SendRequest};
use switchboard::outbound::Outbound;
use switchboard::outbound::{bulk, campaign, history, scheduled};
use switchboard::registration::a2p;
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{campaign_history, messages, numbers, optouts, Store};
use switchboard::webhook::Running;

use crate::common::{temp_store, TestResult};
use crate::sim_support::{client, open_listener, wait_until};

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412555201";

/// The simulator, the app's store and webhook listener ("open"), and a sender.
struct App {
    sim: Simulator,
    store: Store,
    events: Events,
    running: Option<Running>,
    ob: Outbound,
    _dir: tempfile::TempDir,
}

async fn open(sim: Simulator) -> Result<App, Box<dyn std::error::Error>> {
    let pn = sim.add_number(OURS, "Shop");
    let (dir, store) = temp_store()?;
    store.write(move |tx| numbers::upsert_from_twilio(tx, &pn, OURS, "Shop").map(|_| ()))?;
    let events = Events::new();
    let (running, base) = open_listener(&sim, OURS, &store, events.clone()).await?;
    let ob = Outbound::new(store.clone(), client(&sim)?, events.clone(), Some(base));
    Ok(App { sim, store, events, running: Some(running), ob, _dir: dir })
}

async fn app() -> Result<App, Box<dyn std::error::Error>> {
    open(Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?).await
}

impl App {
    /// Quits the app: no listener, so nothing Twilio posts is heard.
    async fn close(&mut self) -> TestResult {
        if let Some(r) = self.running.take() {
            r.shutdown().await?;
        }
        Ok(())
    }

    async fn schedule(&self, body: &str, ahead_minutes: i64) -> Result<send::SendOutcome, switchboard::Error> {
        let mut req = SendRequest::text(OURS, ALICE, body);
        req.send_at = Some(Utc::now() + chrono::Duration::minutes(ahead_minutes));
        send::send(&self.ob, req).await
    }

    fn message(&self, id: i64) -> messages::Message {
        self.store.read(|c| messages::get(c, id)).expect("the message is stored")
    }

    fn count(&self, sql: &str) -> i64 {
        self.store.read(|c| Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))?)).unwrap_or(-1)
    }

    /// What Twilio holds with this body: (status, messaging service) of each.
    fn at_twilio(&self, body: &str) -> Vec<String> {
        self.sim.all_messages().into_iter().filter(|m| m.body == body).map(|m| m.status).collect()
    }

    fn on_phone(&self, body: &str) -> usize {
        self.sim.phone_inbox(ALICE).iter().filter(|m| m.body == body).count()
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_scheduled_message_fires_while_closed_and_is_caught_up_as_sent_exactly_once() -> TestResult {
    let mut a = app().await?;
    let body = "Reminder: your appointment is tomorrow at 9";
    let out = a.schedule(body, 60).await?;
    assert_eq!(out.status, "scheduled", "{out:?}");
    let m = a.message(out.message_id);
    assert_eq!(m.status, "scheduled");
    assert!(m.send_at.is_some() && m.sid.is_some(), "stored with its time and Twilio's SID: {m:?}");
    assert_eq!(a.at_twilio(body), ["scheduled"], "Twilio holds it, nothing sent yet");
    assert_eq!(a.on_phone(body), 0);
    assert_eq!(
        a.sim.messaging_services(),
        vec![(a2p::SERVICE_NAME.to_string(), vec![OURS.to_string()])],
        "one Switchboard service, with the number in its sender pool"
    );

    a.close().await?;
    assert_eq!(a.sim.advance_clock(HOUR), 1, "due once the clock passes its time");
    wait_until("the scheduled text reaches Alice", || async { a.on_phone(body) == 1 }).await?;
    assert_eq!(a.message(out.message_id).status, "scheduled", "nobody heard the callbacks while closed");

    switchboard::sync::run(&a.store, &client(&a.sim)?, &Events::new()).await?;
    let after = a.message(out.message_id);
    assert_eq!(after.status, "delivered", "catch-up moved it on: {after:?}");
    assert_eq!(
        a.count(&format!("SELECT COUNT(*) FROM messages WHERE body = '{body}'")),
        1,
        "one row: catch-up did not bring the fired message back as a second one"
    );
    assert_eq!(a.sim.advance_clock(HOUR), 0, "and it never fires again");
    assert_eq!(a.on_phone(body), 1, "exactly once on Alice's phone");
    Ok(())
}

#[tokio::test]
async fn while_open_the_status_callbacks_move_it_to_delivered() -> TestResult {
    let a = app().await?;
    let out = a.schedule("See you Friday", 30).await?;
    a.sim.advance_clock(HOUR);
    wait_until("delivered by callback", || async { a.message(out.message_id).status == "delivered" }).await?;
    Ok(())
}

#[tokio::test]
async fn edit_cancels_at_twilio_and_schedules_the_new_text_once() -> TestResult {
    let a = app().await?;
    let out = a.schedule("Your table is at 7", 60).await?;
    let at = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let new = scheduled::edit(&a.ob, out.message_id, "Your table is at 8", &at).await?;
    assert_eq!(new.status, "scheduled");
    assert_eq!(new.body, "Your table is at 8");
    let old = a.message(out.message_id);
    assert_eq!((old.status.as_str(), old.replaced_by), ("canceled", Some(new.id)), "{old:?}");
    assert_eq!(a.at_twilio("Your table is at 7"), ["canceled"]);
    assert_eq!(a.at_twilio("Your table is at 8"), ["scheduled"]);

    let again = scheduled::edit(&a.ob, out.message_id, "Your table is at 8", &at).await?;
    assert_eq!(again.id, new.id, "a repeated edit returns the first edit's message");
    assert_eq!(a.at_twilio("Your table is at 8").len(), 1, "and schedules nothing more");

    let bad = scheduled::edit(&a.ob, new.id, "Your table is at 9", &Utc::now().to_rfc3339()).await;
    assert!(matches!(bad, Err(switchboard::Error::InvalidInput(_))), "{bad:?}");
    assert_eq!(a.message(new.id).status, "scheduled", "a refused edit leaves the message as it was");

    a.sim.advance_clock(3 * HOUR);
    wait_until("the edited text arrives", || async { a.on_phone("Your table is at 8") == 1 }).await?;
    assert_eq!(a.on_phone("Your table is at 7"), 0, "the old text never goes out");
    Ok(())
}

#[tokio::test]
async fn cancel_until_sent_then_a_plain_refusal() -> TestResult {
    let a = app().await?;
    let out = a.schedule("Flu shots this week", 45).await?;
    let m = scheduled::cancel(&a.ob, out.message_id).await?;
    assert_eq!(m.status, "canceled");
    assert_eq!(a.at_twilio("Flu shots this week"), ["canceled"]);
    assert!(scheduled::list(&a.ob).await?.is_empty(), "no longer listed as scheduled");
    let again = scheduled::cancel(&a.ob, out.message_id).await;
    assert!(
        matches!(&again, Err(switchboard::Error::InvalidInput(m)) if m.contains("only a message still scheduled")),
        "{again:?}"
    );
    // Twilio's clock passes its time: nothing is due to go out (a canceled message is never
    // started: `advance_clock` counts what it starts), so none can reach the phone later.
    assert_eq!(a.sim.advance_clock(HOUR), 0, "a canceled message never goes out");
    assert_eq!(a.on_phone("Flu shots this week"), 0);

    // One that already went out cannot be canceled, and its real status is recorded.
    // Scheduled by the real clock, past the simulated hour already added above.
    let sent = a.schedule("Already gone", 80).await?;
    a.sim.advance_clock(HOUR);
    wait_until("it went out", || async { a.on_phone("Already gone") == 1 }).await?;
    let late = scheduled::cancel(&a.ob, sent.message_id).await;
    assert!(late.is_err(), "{late:?}");
    assert_ne!(a.message(sent.message_id).status, "canceled");
    Ok(())
}

#[tokio::test]
async fn stop_before_the_time_cancels_it_at_twilio() -> TestResult {
    let a = app().await?;
    let sweeper = scheduled::spawn_sweeper(a.ob.clone(), &a.events);
    let out = a.schedule("Last chance: 30% off", 60).await?;
    a.sim.customer_sms(ALICE, OURS, "STOP", false).await?;
    wait_until("the sweep cancels it", || async { a.message(out.message_id).status == "canceled" }).await?;
    assert_eq!(a.message(out.message_id).error_message.as_deref(), Some(scheduled::CANCELED_OPTED_OUT));
    assert_eq!(a.at_twilio("Last chance: 30% off"), ["canceled"]);
    assert_eq!(a.sim.advance_clock(HOUR), 0, "nothing is due to go out at its time");
    assert_eq!(a.on_phone("Last chance: 30% off"), 0);
    sweeper.abort();
    Ok(())
}

#[tokio::test]
async fn an_opt_out_recorded_by_hand_cancels_it_too() -> TestResult {
    let a = app().await?;
    let out = a.schedule("Birthday voucher inside", 60).await?;
    // What the contact screen's switch does (`set_opt_out`), with the core running.
    let event = addressbook::set_opted_out(&a.store, &a.events, Some(&a.ob), ALICE.into(), true).await?;
    assert!(event.opted_out && event.reason == "by hand", "{event:?}");
    assert_eq!(a.message(out.message_id).status, "canceled", "canceled at once, not at the next sweep");
    assert_eq!(a.at_twilio("Birthday voucher inside"), ["canceled"]);
    assert_eq!(scheduled::cancel_for_opted_out(&a.ob).await?, 0, "nothing left to cancel");
    Ok(())
}

#[tokio::test]
async fn a_stop_while_closed_is_checked_again_when_twilio_sends() -> TestResult {
    let mut a = app().await?;
    let out = a.schedule("Weekend sale", 60).await?;
    a.close().await?;
    a.sim.customer_sms(ALICE, OURS, "STOP", false).await?;
    a.sim.advance_clock(HOUR);
    wait_until("Twilio refuses it at send time", || async { a.at_twilio("Weekend sale") == ["failed"] }).await?;
    assert_eq!(a.on_phone("Weekend sale"), 0);
    switchboard::sync::run(&a.store, &client(&a.sim)?, &Events::new()).await?;
    let m = a.message(out.message_id);
    assert_eq!((m.status.as_str(), m.error_code), ("failed", Some(21610)), "{m:?}");
    assert!(a.store.read(|c| optouts::is_opted_out(c, ALICE))?, "and the STOP is in the ledger");
    Ok(())
}

#[tokio::test]
async fn times_out_of_bounds_are_refused_plainly_and_leave_no_trace() -> TestResult {
    let a = app().await?;
    for minutes in [5, 60 * 24 * 36, -10] {
        let r = a.schedule("Out of bounds", minutes).await;
        match r {
            Err(switchboard::Error::InvalidInput(m)) => {
                assert!(m.contains("15 minutes to 35 days"), "{m}")
            }
            other => panic!("{minutes} minutes ahead must be refused: {other:?}"),
        }
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM messages"), 0, "nothing written");
    assert_eq!(a.sim.requests_ending("POST", "/Messages.json"), 0, "nothing asked of Twilio");
    let with_media = {
        let mut req = SendRequest::text(OURS, ALICE, "pic");
        req.media = vec![std::path::PathBuf::from("tests/oracles/oai/twilio_api_v2010.json")];
        req.send_at = Some(Utc::now() + chrono::Duration::hours(1));
        send::send(&a.ob, req).await
    };
    assert!(with_media.is_err(), "attachments are not scheduled: {with_media:?}");
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_while_scheduling_never_schedules_twice() -> TestResult {
    let a = app().await?;
    // The service exists first, so the one create whose answer is lost is the message's.
    scheduled::sender_service(&a.ob, OURS).await?;
    a.sim.faults().drop_connection_after_create_next(1);
    let out = a.schedule("Pick-up at 4", 60).await?;
    assert!(out.already_sent, "adopted from Twilio's log: {out:?}");
    assert_eq!(out.status, "scheduled");
    assert_eq!(a.at_twilio("Pick-up at 4"), ["scheduled"], "one message at Twilio");
    assert!(a.message(out.message_id).sid.is_some(), "the SID Twilio gave it is recorded");
    Ok(())
}

#[tokio::test]
async fn a_service_made_elsewhere_is_reused_and_left_inbound_on_the_number() -> TestResult {
    let sim = Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?;
    sim.add_messaging_service(a2p::SERVICE_NAME, false);
    let a = open(sim).await?;
    a.schedule("Hello later", 60).await?;
    let services = a.sim.messaging_services();
    assert_eq!(services.len(), 1, "reused, not a second: {services:?}");
    assert_eq!(services[0].1, [OURS.to_string()]);
    a.sim.customer_sms(ALICE, OURS, "Is the shop open?", false).await?;
    assert_eq!(
        a.count("SELECT COUNT(*) FROM messages WHERE body = 'Is the shop open?'"),
        1,
        "Alice's text still reaches the app's webhook on the number"
    );
    Ok(())
}

/// A reminder to Alice and Bo, and our number's id: the audience of a bulk "Send later".
fn reminder_to_alice_and_bo(a: &App) -> Result<(bulk::BulkChoice, i64), Box<dyn std::error::Error>> {
    use switchboard::store::{contacts, templates};
    let (tid, ids, number_id) = a.store.write(|tx| {
        let tid = templates::save(tx, None, "reminder", "Hi {{first_name}}, see you soon")?;
        let mut ids = Vec::new();
        for (name, phone) in [("Alice Lee", ALICE), ("Bo Chen", "+61412555202")] {
            let edit = contacts::ContactEdit {
                name: name.into(),
                phones: vec![phone.into()],
                email: None,
                notes: String::new(),
            };
            ids.push(contacts::save(tx, None, &edit)?);
        }
        Ok((tid, ids, numbers::find_by_e164(tx, OURS)?.map(|n| n.id).unwrap_or_default()))
    })?;
    Ok((bulk::BulkChoice { template_id: tid, contact_ids: ids, ..Default::default() }, number_id))
}

#[tokio::test]
async fn a_scheduled_bulk_send_schedules_each_recipient() -> TestResult {
    let a = app().await?;
    let (choice, number_id) = reminder_to_alice_and_bo(&a)?;
    let soon = (Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    let refused = scheduled::start_bulk(&a.ob, number_id, choice.clone(), &soon).await;
    assert!(matches!(refused, Err(switchboard::Error::InvalidInput(_))), "{refused:?}");
    // Within Twilio's bounds for one text, but not with the time to schedule every one of
    // them (and some to spare): refused up front, saying what time fits.
    let tight = (Utc::now() + chrono::Duration::minutes(16)).to_rfc3339();
    let refused = scheduled::start_bulk(&a.ob, number_id, choice.clone(), &tight).await;
    assert!(
        matches!(&refused, Err(switchboard::Error::InvalidInput(m)) if m.contains("minutes from now")),
        "{refused:?}"
    );
    assert_eq!(a.count("SELECT COUNT(*) FROM campaigns"), 0, "a refused time makes no campaign");

    let at = (Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let id = scheduled::start_bulk(&a.ob, number_id, choice, &at).await?;
    campaign::run(&a.ob, id).await?;
    assert_eq!(a.at_twilio("Hi Alice, see you soon"), ["scheduled"]);
    assert_eq!(a.at_twilio("Hi Bo, see you soon"), ["scheduled"]);
    assert_eq!(scheduled::list(&a.ob).await?.len(), 2, "both listed as scheduled");
    // The campaign's history says scheduled, not sent: nothing has gone out yet.
    let summary = a.store.read(move |c| campaign_history::summary(c, id))?;
    assert_eq!((summary.scheduled, summary.sent, summary.delivered), (2, 0, 0), "{summary:?}");
    let outcomes: Vec<String> =
        a.store.read(move |c| campaign_history::recipients(c, id))?.into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["scheduled", "scheduled"]);
    a.sim.advance_clock(4 * HOUR);
    wait_until("both arrive at their time", || async {
        a.sim.phone_inbox("+61412555202").len() == 1 && a.on_phone("Hi Alice, see you soon") == 1
    })
    .await?;
    Ok(())
}

/// Cancel on a bulk send already scheduled with Twilio (the runner is done: every text
/// waits at Twilio for its time) cancels those texts there: nobody gets the promo.
#[tokio::test]
async fn cancelling_a_scheduled_bulk_send_cancels_its_texts_at_twilio() -> TestResult {
    let a = app().await?;
    let (choice, number_id) = reminder_to_alice_and_bo(&a)?;
    let at = (Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let id = scheduled::start_bulk(&a.ob, number_id, choice, &at).await?;
    campaign::run(&a.ob, id).await?;
    assert_eq!(a.at_twilio("Hi Alice, see you soon"), ["scheduled"]);
    assert!(history::cancel(&a.ob, id).await?, "something was stopped");
    assert_eq!(a.at_twilio("Hi Alice, see you soon"), ["canceled"]);
    assert_eq!(a.at_twilio("Hi Bo, see you soon"), ["canceled"]);
    let summary = a.store.read(move |c| campaign_history::summary(c, id))?;
    assert_eq!((summary.scheduled, summary.cancelled), (0, 2), "{summary:?}");
    assert_eq!(a.sim.advance_clock(4 * HOUR), 0, "nothing is left to go out at its time");
    assert!(!history::cancel(&a.ob, id).await?, "a second Cancel finds nothing left");
    Ok(())
}

#[tokio::test]
async fn the_simulator_refuses_what_twilio_refuses_when_scheduling() -> TestResult {
    use switchboard::twilio::api::messages::NewMessage;
    let a = app().await?;
    let service = scheduled::sender_service(&a.ob, OURS).await?;
    let c = client(&a.sim)?;
    let base = NewMessage { from: OURS.into(), to: ALICE.into(), body: "x".into(), ..Default::default() };
    let soon = switchboard::domain::schedule::to_twilio(Utc::now() + chrono::Duration::minutes(5));
    let too_soon = NewMessage { messaging_service_sid: Some(service.clone()), send_at: Some(soon), ..base.clone() };
    let later = switchboard::domain::schedule::to_twilio(Utc::now() + chrono::Duration::hours(1));
    let no_service = NewMessage { send_at: Some(later), ..base.clone() };
    for (what, m, code) in [("too soon", too_soon, 35114), ("no service", no_service, 35115)] {
        match c.create_message(&m).await {
            Err(switchboard::Error::Twilio { code: Some(got), .. }) => assert_eq!(got, code, "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
    assert!(a.sim.all_messages().is_empty(), "nothing was created");
    Ok(())
}
