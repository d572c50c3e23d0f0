//! Issue 14 against the simulator: call screening, one call flow open or closed (the TwiML
//! the app answers and the Studio flow the simulator EXECUTES while the app is closed), and
//! missed-call text-back. The runtime is the real one (listener, wiring, fallback flows,
//! text-back worker); "the app is closed" is every webhook to it being lost, so Twilio's
//! side (the simulator) falls back to the number's flow.

use std::time::Duration;

use chrono::{Datelike, TimeZone, Utc};
use switchboard::domain::hours::{BusinessHours, Span};
use switchboard::domain::status::CallStatus;
use switchboard::media::MediaConfig;
use switchboard::runtime::{Runtime, RuntimeConfig};
use switchboard::sim::{CallOutcome, LegAnswer, SimConfig, Simulator};
use switchboard::store::numbers::NumberSettings;
use switchboard::store::{blocked, calls, numbers, text_backs, Store};
use switchboard::twilio::callflow::{CallFlow, Outcome};

use crate::common::TestResult;
use crate::sim_support::{creds, runtime_config, within};

const OURS: &str = "+61255501234";
const MOBILE: &str = "+61400000001";
const NAME: &str = "Brighton Clinic";
const TEXT_BACK: &str = "Sorry we missed your call. Reply here and we'll get back to you.";
const CLOSED: &str = "Thanks for calling Brighton Clinic. We are closed right now.";

struct App {
    sim: Simulator,
    rt: Runtime,
    number_id: i64,
    _dir: tempfile::TempDir,
}

/// The real runtime: it wires the number and keeps its fallback flow.
fn config(sim: &Simulator, dir: &std::path::Path, backfill: bool) -> Result<RuntimeConfig, Box<dyn std::error::Error>> {
    Ok(RuntimeConfig {
        media: MediaConfig::new(&sim.base_url(), Some(&creds(sim))),
        wire_numbers: true,
        fallback_flows: true,
        // Catch-up runs (at start) only where a test says so (`Closed::reopen`).
        backfill,
        reconcile_interval: Some(Duration::from_secs(3600)),
        ..runtime_config(sim, Store::open(dir)?)
    })
}

impl App {
    async fn start() -> Result<App, Box<dyn std::error::Error>> {
        let sim =
            Simulator::start(SimConfig { callback_delay: Duration::from_millis(5), ..SimConfig::default() }).await?;
        let pn = sim.add_number(OURS, NAME);
        let dir = tempfile::tempdir()?;
        let rt = Runtime::start(config(&sim, dir.path(), false)?).await?;
        let managed = switchboard::tunnel::numbers::manage(&rt.store, &rt.client, &[pn]).await?;
        let number_id = managed.iter().find(|n| n.e164 == OURS).ok_or("the number is ours")?.id;
        let app = App { sim, rt, number_id, _dir: dir };
        app.set(|_| {}).await?;
        Ok(app)
    }

    /// Changes the number's settings as the settings screen does, then rewires (which
    /// regenerates the hosted flow).
    async fn set(&self, change: impl FnOnce(&mut NumberSettings)) -> TestResult {
        let id = self.number_id;
        let mut s = self.rt.store.read(|c| numbers::get(c, id))?.settings;
        s.forwarding_number = Some(MOBILE.into());
        s.text_back_enabled = true;
        s.voicemail_max_seconds = 60;
        change(&mut s);
        switchboard::tunnel::numbers::save_settings(&self.rt.store, id, NAME, s).await?;
        self.rt.rewire().await;
        Ok(())
    }

    /// The number's flow with the block list, as both hosts see it.
    fn flow(&self) -> CallFlow {
        let id = self.number_id;
        let number = self.rt.store.read(|c| numbers::get(c, id)).expect("the number is stored");
        let blocked = self.rt.store.read(blocked::list).expect("the block list");
        CallFlow::of(&number).with_blocked(blocked.into_iter().map(|b| b.address))
    }

    /// The app is closed: nothing Twilio posts to it arrives (`false` opens it again).
    fn closed(&self, closed: bool) {
        let url = format!("http://{}", self.rt.addr);
        self.sim.faults().drop_webhooks_to(closed.then_some(url.as_str()));
    }

    fn call(&self, sid: &str) -> Option<calls::Call> {
        self.rt.store.read(|c| calls::find_by_sid(c, sid)).ok().flatten()
    }

    /// The app's text-back decision for `call`, once it has made one (`what` says which).
    async fn text_back_decision(
        &self,
        call: &CallOutcome,
        what: &str,
    ) -> Result<text_backs::TextBack, Box<dyn std::error::Error>> {
        let sid = call.call_sid.as_str();
        let decided = || self.rt.store.read(|c| text_backs::for_call(c, sid)).ok().flatten();
        within(WAIT, what, || decided().is_some()).await?;
        Ok(decided().ok_or("decided")?)
    }

    fn text_backs_to(&self, caller: &str) -> usize {
        self.sim.phone_inbox(caller).iter().filter(|m| m.body == TEXT_BACK).count()
    }

    /// Waits until the text-backs of `calls` have played out: the app has each call's final
    /// status (its text-back is decided in that same write), none is pending at the worker,
    /// and each one sent is on its caller's phone. Nothing more can go out without another
    /// call, so a count asserted after this is final (a positive marker, not a sleep).
    async fn text_backs_settled(&self, calls: &[&CallOutcome]) -> TestResult {
        let settled = || -> Result<bool, switchboard::Error> {
            let all_final = calls
                .iter()
                .all(|c| self.call(&c.call_sid).is_some_and(|call| CallStatus::parse(&call.status).is_final()));
            let pending = self.rt.store.read(text_backs::pending)?;
            let sent: Vec<(String, i64)> = self.rt.store.read(|c| {
                let mut stmt =
                    c.prepare("SELECT caller, COUNT(*) FROM text_backs WHERE state = 'sent' GROUP BY caller")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })?;
            let delivered = sent.iter().all(|(caller, n)| self.text_backs_to(caller) == *n as usize);
            Ok(all_final && pending.is_empty() && delivered)
        };
        within(WAIT, "every text-back decided has played out", || settled().unwrap_or(false)).await?;
        Ok(())
    }

    /// Quits the app: the listener is gone, so Twilio's side falls back to the flow.
    async fn quit(self) -> Result<Closed, Box<dyn std::error::Error>> {
        let App { sim, rt, number_id, _dir } = self;
        rt.shutdown().await?;
        Ok(Closed { sim, number_id, dir: _dir })
    }

    async fn stop(self) -> TestResult {
        self.rt.shutdown().await?;
        self.sim.shutdown().await;
        Ok(())
    }
}

/// The app while it is closed: the simulator (Twilio) runs on.
struct Closed {
    sim: Simulator,
    number_id: i64,
    dir: tempfile::TempDir,
}

impl Closed {
    /// Starts the app again on the same data, with its start catch-up.
    async fn reopen(self) -> Result<App, Box<dyn std::error::Error>> {
        let rt = Runtime::start(config(&self.sim, self.dir.path(), true)?).await?;
        Ok(App { sim: self.sim, rt, number_id: self.number_id, _dir: self.dir })
    }
}

/// Generous for a loaded 2-core machine; only waits this long when something is wrong.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_answered_by_the_mobiles_own_voicemail_ends_in_a_switchboard_voicemail() -> TestResult {
    let app = App::start().await?;
    app.set(|s| s.screening_enabled = true).await?;
    let caller = "+61412555401";
    let out = app.sim.customer_call_with(caller, OURS, LegAnswer::CarrierVoicemail, Some(3)).await?;
    assert_eq!(out.dialed.as_deref(), Some(MOBILE), "the owner's mobile rang: {out:?}");
    assert_eq!(out.screened.first().map(String::as_str), Some("Call for Brighton Clinic. Press 1 to accept."));
    assert_eq!(out.bridged, Some(false), "the voicemail pressed nothing, so it never got the caller: {out:?}");
    let recording = out.recording_sid.clone().ok_or("the caller was sent to our voicemail")?;
    within(WAIT, "the voicemail is in Switchboard", || app.call(&out.call_sid).is_some_and(|c| c.has_voicemail))
        .await?;
    let call = app.call(&out.call_sid).ok_or("the call is logged")?;
    assert!(call.missed && call.answered_by.is_none(), "logged as missed, not answered: {call:?}");
    assert!(!recording.is_empty());

    // Without screening the mobile's voicemail takes the call: Twilio sees it answered and
    // the message stays on the carrier's voicemail (what screening is for).
    app.set(|s| s.screening_enabled = false).await?;
    let out = app.sim.customer_call_with("+61412555402", OURS, LegAnswer::CarrierVoicemail, Some(3)).await?;
    assert_eq!((out.bridged, out.recording_sid.as_deref()), (Some(true), None), "{out:?}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screened_and_accepted_call_is_logged_as_answered_by_the_owner() -> TestResult {
    let app = App::start().await?;
    app.set(|s| s.screening_enabled = true).await?;
    let caller = "+61412555411";
    let out = app.sim.customer_call_with(caller, OURS, LegAnswer::Accept, Some(3)).await?;
    assert_eq!((out.bridged, out.recording_sid.as_deref()), (Some(true), None), "connected, no voicemail: {out:?}");
    within(WAIT, "the final status", || app.call(&out.call_sid).is_some_and(|c| c.status == "completed")).await?;
    let call = app.call(&out.call_sid).ok_or("the call is logged")?;
    assert_eq!(call.answered_by.as_deref(), Some("owner"), "{call:?}");
    assert_eq!(call.dial_status.as_deref(), Some("completed"));
    assert!(!call.missed && !call.has_voicemail, "{call:?}");
    // An answered call earns no text-back.
    let sid = out.call_sid.clone();
    assert_eq!(app.rt.store.read(|c| text_backs::for_call(c, &sid))?, None);

    // Declined: hears the prompt, hangs up; the caller gets our voicemail.
    let out = app.sim.customer_call_with("+61412555412", OURS, LegAnswer::Decline, Some(3)).await?;
    assert_eq!(out.bridged, Some(false));
    assert!(out.recording_sid.is_some(), "declined → voicemail: {out:?}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_3am_with_the_app_closed_the_hosted_flow_takes_a_voicemail_with_the_closed_greeting() -> TestResult {
    let app = App::start().await?;
    app.set(|s| {
        s.closed_greeting = CLOSED.into();
        s.business_hours = Some(BusinessHours {
            // India: UTC+5:30 all year, so 3 a.m. there is known without a zone database.
            tz: "Asia/Kolkata".into(),
            spans: (0..7).map(|day| Span { day, open: "09:00".into(), close: "17:00".into() }).collect(),
        });
    })
    .await?;
    let (_, flow) = app.sim.studio_flows().into_iter().next().ok_or("the app made the number's hosted flow")?;
    let fallback = app.sim.voice_fallback_url(OURS).ok_or("the number has a fallback URL")?;
    assert!(fallback.contains("/Flows/FW"), "the fallback is the flow: {fallback}");
    assert!(flow.to_string().contains(CLOSED), "the flow has the closed-hours greeting");

    // 3 a.m. in India (21:30 UTC the day before), the laptop shut.
    let today = Utc::now().date_naive();
    let three_am =
        Utc.with_ymd_and_hms(today.year(), today.month(), today.day(), 21, 30, 0).single().ok_or("a valid time")?;
    app.sim.faults().set_clock(Some(three_am));
    app.closed(true);
    let caller = "+61412555421";
    let out = app.sim.customer_call_with(caller, OURS, LegAnswer::Accept, Some(4)).await?;
    assert_eq!(out.host, "studio", "Twilio's side answered: {out:?}");
    assert_eq!(out.said.first().map(String::as_str), Some(CLOSED), "the closed-hours greeting first: {out:?}");
    assert_eq!(out.dialed, None, "the owner's mobile never rang: {out:?}");
    assert!(out.recording_sid.is_some(), "a voicemail was left: {out:?}");
    assert_eq!(out.texts_sent.len(), 1, "the hosted flow sent the text-back: {out:?}");
    assert_eq!(app.text_backs_to(caller), 1);

    // The same call at 10 a.m. rings the owner (the hours are the hours, not "always closed").
    app.sim.faults().set_clock(Some(three_am + chrono::Duration::hours(7)));
    let out = app.sim.customer_call_with("+61412555422", OURS, LegAnswer::Accept, None).await?;
    assert_eq!((out.host.as_str(), out.dialed.as_deref()), ("studio", Some(MOBILE)), "{out:?}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_call_gets_exactly_one_text_back_per_caller_within_the_window_and_none_after_stop() -> TestResult {
    let app = App::start().await?;
    let alice = "+61412555431";
    let first = app.sim.customer_call_with(alice, OURS, LegAnswer::NoAnswer, Some(3)).await?;
    within(WAIT, "the text-back reaches Alice", || app.text_backs_to(alice) == 1).await?;
    // Stored in Alice's thread, through the outbox.
    let sid = first.call_sid.clone();
    let tb = app.rt.store.read(|c| text_backs::for_call(c, &sid))?.ok_or("decided")?;
    assert_eq!(tb.state, "sent", "{tb:?}");
    let in_thread: i64 = app.rt.store.read(|c| {
        Ok(c.query_row(
            "SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND to_addr = ?1 AND body = ?2 AND client_ref = ?3",
            [alice, TEXT_BACK, &format!("text-back-{}", first.call_sid)],
            |r| r.get(0),
        )?)
    })?;
    assert_eq!(in_thread, 1, "the text-back is in Alice's thread");

    // Missed again within 12 hours (no voicemail this time): no second text.
    let second = app.sim.customer_call_with(alice, OURS, LegAnswer::Decline, None).await?;
    let tb = app.text_back_decision(&second, "the second call is decided").await?;
    assert_eq!((tb.state.as_str(), tb.reason.as_deref()), ("skipped", Some(text_backs::SKIP_WINDOW)));

    // Bob said STOP: his missed call gets nothing.
    let bob = "+61412555432";
    app.sim.customer_sms(bob, OURS, "STOP", false).await?;
    let call = app.sim.customer_call_with(bob, OURS, LegAnswer::NoAnswer, Some(2)).await?;
    let tb = app.text_back_decision(&call, "Bob's call is decided").await?;
    assert_eq!(tb.reason.as_deref(), Some(text_backs::SKIP_OPTED_OUT), "{tb:?}");
    // Everything that could have gone out has: still exactly one, and none to Bob.
    app.text_backs_settled(&[&first, &second, &call]).await?;
    assert_eq!(app.text_backs_to(alice), 1, "exactly one text-back to Alice");
    assert_eq!(app.text_backs_to(bob), 0, "never to a number that opted out");
    app.stop().await
}

/// The caller hangs up on the conversation, and Twilio's call-ended callback reaches the app
/// before the dial result: the text-back decided at the end waits for the result, which says
/// the owner took the call, so the caller gets no "sorry we missed your call".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_owner_took_gets_no_text_back_whatever_order_twilio_reports_it_in() -> TestResult {
    let app = App::start().await?;
    app.sim.faults().set_dial_result_after_call_end(true);
    let caller = "+61412555441";
    let call = app.sim.customer_call_with(caller, OURS, LegAnswer::Accept, None).await?;
    assert_eq!(call.bridged, Some(true), "{call:?}");
    let tb = app.text_back_decision(&call, "the call's end decides").await?;
    within(WAIT, "the dial result skips it", || {
        app.rt
            .store
            .read(|c| text_backs::for_call(c, &call.call_sid))
            .ok()
            .flatten()
            .is_some_and(|t| t.state != "pending")
    })
    .await?;
    let tb = app.rt.store.read(|c| text_backs::for_call(c, &call.call_sid))?.ok_or(format!("{tb:?}"))?;
    assert_eq!((tb.state.as_str(), tb.reason.as_deref()), ("skipped", Some(text_backs::SKIP_ANSWERED)), "{tb:?}");
    app.text_backs_settled(&[&call]).await?;
    assert_eq!(app.text_backs_to(caller), 0, "no text-back to a caller the owner talked to");

    // The same order on a call nobody took still gets its text-back.
    let missed = app.sim.customer_call_with("+61412555442", OURS, LegAnswer::NoAnswer, None).await?;
    within(WAIT, "the missed caller's text-back", || app.text_backs_to("+61412555442") == 1).await?;
    app.text_backs_settled(&[&missed]).await?;
    app.stop().await
}

/// While the app is closed the hosted flow texts a missed caller; catch-up brings that text
/// into the thread and never sends one of its own for that call, and a second missed call
/// within the window gets none either (the hosted text counts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_back_sent_while_closed_is_not_sent_again_after_catch_up() -> TestResult {
    let app = App::start().await?;
    let alice = "+61412555441";
    let closed = app.quit().await?;
    let out = closed.sim.customer_call_with(alice, OURS, LegAnswer::NoAnswer, Some(3)).await?;
    assert_eq!((out.host.as_str(), out.texts_sent.len()), ("studio", 1), "{out:?}");
    let app = closed.reopen().await?;
    let in_thread = |app: &App| -> i64 {
        app.rt
            .store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND to_addr = ?1 AND body = ?2",
                    [alice, TEXT_BACK],
                    |r| r.get(0),
                )?)
            })
            .unwrap_or(-1)
    };
    within(WAIT, "catch-up brings the hosted text-back into Alice's thread", || in_thread(&app) == 1).await?;
    let decided: i64 = app.rt.store.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM text_backs", [], |r| r.get(0))?))?;
    assert_eq!(decided, 0, "catch-up decides no text-back for a call the hosted flow handled");

    let again = app.sim.customer_call_with(alice, OURS, LegAnswer::NoAnswer, None).await?;
    let tb = app.text_back_decision(&again, "the open app decides").await?;
    assert_eq!(tb.reason.as_deref(), Some(text_backs::SKIP_WINDOW), "the hosted text counts: {tb:?}");
    app.text_backs_settled(&[&again]).await?;
    assert_eq!(app.text_backs_to(alice), 1, "one text-back in all");
    assert_eq!(in_thread(&app), 1);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_flow_follows_the_settings_and_goes_when_the_number_stops_being_managed() -> TestResult {
    let app = App::start().await?;
    app.set(|s| s.greeting = "Hello from the first greeting".into()).await?;
    let flows = app.sim.studio_flows();
    assert_eq!(flows.len(), 1, "one flow per number");
    assert!(flows[0].1.to_string().contains("Hello from the first greeting"));
    app.set(|s| s.greeting = "A changed greeting".into()).await?;
    let flows = app.sim.studio_flows();
    assert_eq!(flows.len(), 1, "updated, not a second flow");
    assert!(flows[0].1.to_string().contains("A changed greeting"), "regenerated on a settings change");
    switchboard::tunnel::numbers::stop_managing(&app.rt.store, &app.rt.client, app.number_id).await?;
    assert!(app.sim.studio_flows().is_empty(), "deleted when the number stops being managed");
    app.stop().await
}

/// A number that records calls: the owner takes a forwarded call, and its recording reaches
/// the call log by the recording status callback (this app never catches up here), with its
/// duration, downloaded, playable from the data folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_forwarded_call_reaches_the_call_log_by_its_callback() -> TestResult {
    let app = App::start().await?;
    app.set(|s| {
        s.screening_enabled = true;
        s.record_calls = true;
        s.recording_notice = "This call is recorded.".into();
    })
    .await?;
    let out = app.sim.customer_call_with("+61412555451", OURS, LegAnswer::Accept, None).await?;
    assert_eq!(out.said.first().map(String::as_str), Some("This call is recorded."), "{out:?}");
    let recording = out.call_recording_sid.clone().ok_or("the simulator recorded the answered call")?;
    let sid = out.call_sid.clone();
    let recorded = || {
        app.rt
            .store
            .read(|c| calls::find_by_sid(c, &sid))
            .ok()
            .flatten()
            .and_then(|c| c.recordings.into_iter().find(|r| r.recording_sid == recording))
    };
    within(WAIT, "the recording is in the call log, downloaded", || {
        recorded().is_some_and(|r| r.download == switchboard::store::call_recordings::DownloadState::Downloaded)
    })
    .await?;
    let rec = recorded().ok_or("the recording")?;
    assert!(rec.duration.is_some_and(|d| d > 0), "with its duration: {rec:?}");
    let audio = switchboard::recordings::audio(&app.rt.store, rec.id).await?;
    assert!(audio.starts_with(b"RIFF"), "the audio plays from the data folder");
    app.stop().await
}

/// What a simulated call ended as, in the parity table's terms.
fn seen(out: &CallOutcome, text_back: bool) -> Outcome {
    Outcome {
        // `<Reject/>` ends the call busy, before anything else.
        rejected: out.status == "busy",
        rang_owner: out.dialed.is_some(),
        answered: out.bridged == Some(true),
        voicemail: out.recording_sid.is_some(),
        text_back,
    }
}

#[derive(Debug, Clone, Copy)]
struct Case {
    open: bool,
    forwarding: bool,
    screening: bool,
    voicemail: bool,
    leg: LegAnswer,
    /// The callers of this case are on the block list.
    blocked: bool,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for voicemail in [true, false] {
        for screening in [true, false] {
            for leg in [LegAnswer::Accept, LegAnswer::Decline, LegAnswer::NoAnswer, LegAnswer::CarrierVoicemail] {
                out.push(Case { open: true, forwarding: true, screening, voicemail, leg, blocked: false });
            }
        }
        // Nothing rings: what the leg would do does not matter.
        for (open, forwarding) in [(true, false), (false, true), (false, false)] {
            out.push(Case { open, forwarding, screening: true, voicemail, leg: LegAnswer::Accept, blocked: false });
        }
        // A blocked caller is refused open or closed, whatever would have rung.
        for open in [true, false] {
            out.push(Case {
                open,
                forwarding: true,
                screening: true,
                voicemail,
                leg: LegAnswer::Accept,
                blocked: true,
            });
        }
    }
    out
}

/// The parity table: each case is called once with the app open (its TwiML) and once with
/// it closed (the simulator executes the Studio flow), and both end as the flow's oracle says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_and_closed_hosts_end_every_case_the_same_way() -> TestResult {
    let app = App::start().await?;
    let mut failures = Vec::new();
    let mut live_text_backs = Vec::new();
    for (i, case) in cases().into_iter().enumerate() {
        // A fresh caller per call, so the 12-hour rule never hides a text-back.
        let live_caller = format!("+614125560{:02}", 2 * i);
        let hosted_caller = format!("+614125560{:02}", 2 * i + 1);
        if case.blocked {
            // As the Contacts screen blocks (`set_blocked`); `set` then rewires, which
            // regenerates the hosted flow with the new list.
            for caller in [&live_caller, &hosted_caller] {
                switchboard::addressbook::set_blocked(&app.rt.store, &app.rt.events, caller.clone(), true).await?;
            }
        }
        app.set(|s| {
            s.forwarding_enabled = case.forwarding;
            s.screening_enabled = case.screening;
            s.voicemail_enabled = case.voicemail;
            // Closed: no opening span at all; open: no hours (always open).
            s.business_hours = (!case.open).then(|| BusinessHours { tz: "Australia/Sydney".into(), spans: vec![] });
        })
        .await?;
        let flow = app.flow();
        let expected = flow.expected_from(&live_caller, case.open, case.leg);
        assert_eq!(expected, flow.expected_from(&hosted_caller, case.open, case.leg), "both callers alike");
        assert_eq!(expected.rejected, case.blocked);
        app.closed(false);
        let live = app.sim.customer_call_with(&live_caller, OURS, case.leg, Some(3)).await?;
        app.closed(true);
        let hosted = app.sim.customer_call_with(&hosted_caller, OURS, case.leg, Some(3)).await?;
        app.closed(false);
        if live.host != "app" || hosted.host != "studio" {
            failures.push(format!("{case:?}: hosts {} / {}", live.host, hosted.host));
        }
        let hosted_seen = seen(&hosted, app.text_backs_to(&hosted_caller) == 1);
        if hosted_seen != expected {
            failures.push(format!("{case:?} closed: {hosted_seen:?} != {expected:?}"));
        }
        live_text_backs.push((case, live, live_caller, expected));
    }
    // The app's text-backs go out through the outbox after the call: wait for the expected
    // ones, then every case is compared (none extra can be on its way by then).
    let want: Vec<String> =
        live_text_backs.iter().filter(|(_, _, _, e)| e.text_back).map(|(_, _, c, _)| c.clone()).collect();
    // They leave one a second: the number's pacer (a long code sends 1 segment/s).
    let limit = WAIT + Duration::from_secs(want.len() as u64);
    let waited = within(limit, "the open app's text-backs", || want.iter().all(|c| app.text_backs_to(c) == 1)).await;
    if let Err(e) = waited {
        let missing: Vec<String> = live_text_backs
            .iter()
            .filter(|(_, _, c, e)| e.text_back && app.text_backs_to(c) != 1)
            .map(|(case, out, c, _)| {
                let sid = out.call_sid.clone();
                let tb = app.rt.store.read(|x| text_backs::for_call(x, &sid)).ok().flatten();
                format!("{case:?} {c}: {:?} {tb:?} {:?}", app.call(&out.call_sid), out)
            })
            .collect();
        return Err(format!("{e}:\n{}", missing.join("\n")).into());
    }
    // Then none unexpected is still on its way either.
    let live_calls: Vec<&CallOutcome> = live_text_backs.iter().map(|(_, live, _, _)| live).collect();
    app.text_backs_settled(&live_calls).await?;
    for (case, live, caller, expected) in &live_text_backs {
        let live_seen = seen(live, app.text_backs_to(caller) == 1);
        if live_seen != *expected {
            failures.push(format!("{case:?} open: {live_seen:?} != {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
    app.stop().await
}
