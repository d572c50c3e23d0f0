//! Issue 14, what calls leave on the owner's computer, against the simulator: every
//! voicemail's transcript is settled (caught up, or "too long for Twilio's transcription",
//! never pending for ever), and recordings of calls are downloaded once, listed with their
//! call, deleted locally or also at Twilio, and a failed download is retried and reported.

use std::time::Duration;

use switchboard::domain::transcript::TranscriptState;
use switchboard::events::Events;
use switchboard::media::{MediaConfig, Wake, Worker};
use switchboard::outbound::click_to_call::click_to_call;
use switchboard::recordings::{self, DeleteScope};
use switchboard::sandbox::{BUSINESS_NUMBER, CUSTOMERS};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::call_recordings::{CallRecording, DownloadState};
use switchboard::store::{self, calls, numbers, Store};
use switchboard::twilio::client::TwilioClient;

use crate::common::{count, TestResult};
use crate::sim_support::{client, creds, fast_config, sandbox, sim_and_store, wait_until};

const OURS: &str = "+61255501234";
const BOB: &str = "+61412555202";
const CAROL: &str = "+61412555203";

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

/// The app's download worker for recordings and media, over `store`, fetching from the simulator.
fn media_worker(sim: &Simulator, store: &Store, events: &Events) -> Result<Worker, switchboard::Error> {
    Worker::new(store.clone(), events.clone(), MediaConfig::new(&sim.base_url(), Some(&creds(sim))))
}

/// The app after catching up on calls recorded while it was closed.
struct CaughtUp {
    sim: Simulator,
    dir: tempfile::TempDir,
    store: Store,
    events: Events,
    tw: TwilioClient,
    /// (call SID, recording SID) of each recorded call, in the order asked for.
    calls: Vec<(String, String)>,
}

/// Each of `calls` (caller, seconds recorded, minutes ago) is recorded on Twilio's side,
/// then the app's first catch-up runs over a fresh store.
async fn caught_up(calls: &[(&str, u32, u64)]) -> Result<CaughtUp, Box<dyn std::error::Error>> {
    let (sim, dir, store) = sim_and_store(OURS).await?;
    let calls =
        calls.iter().map(|(from, secs, ago)| sim.seed_recorded_call(from, OURS, *secs, minutes(*ago))).collect();
    let events = Events::new();
    let tw = client(&sim)?;
    switchboard::sync::run(&store, &tw, &events).await?;
    Ok(CaughtUp { sim, dir, store, events, tw, calls })
}

/// Waits until the first recording of `call_sid` is downloaded.
async fn downloaded(store: &Store, call_sid: &str) -> TestResult {
    wait_until("the recording downloaded", || {
        let recs = recordings_of(store, call_sid);
        async move { recs.first().is_some_and(|r| r.download == DownloadState::Downloaded) }
    })
    .await?;
    Ok(())
}

/// The recordings the call log shows for `call_sid`.
fn recordings_of(store: &Store, call_sid: &str) -> Vec<CallRecording> {
    let sid = call_sid.to_string();
    store.read(move |c| calls::find_by_sid(c, &sid)).ok().flatten().map(|c| c.recordings).unwrap_or_default()
}

/// GETs of recording audio (not `.json` metadata) the simulator answered.
fn audio_downloads(sim: &Simulator) -> u64 {
    sim.request_counts()
        .iter()
        .filter(|(k, _)| k.starts_with("GET ") && k.contains("/Recordings/RE") && !k.ends_with(".json"))
        .map(|(_, n)| n)
        .sum()
}

/// A voicemail's transcript completes at Twilio after a catch-up already listed newer
/// transcriptions: it is dated when the message was left, before where a list by date
/// would stop. Asked for per voicemail, it is found; it never stays "pending".
#[tokio::test]
async fn a_transcript_that_completes_after_catch_up_moved_on_is_still_fetched() -> TestResult {
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    let (_, late) = sim.seed_voicemail(BOB, OURS, 12, None, minutes(40));
    let (_, quick) = sim.seed_voicemail(CAROL, OURS, 8, Some("Carol here, see you at ten."), minutes(5));
    let first = switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!(first.voicemails, 2, "{first:?}");
    let vm = store.read(|c| store::voicemails::find_by_recording_sid(c, &late))?.ok_or("no voicemail")?;
    assert_eq!(vm.transcript_state, TranscriptState::Pending, "Twilio has not finished it yet");

    let said = "Hi, it's Bob. Can you call me back about the order?";
    assert!(sim.finish_transcription(&late, Some(said)));
    let second = switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!(second.transcriptions, 1, "{second:?}");
    let vm = store.read(|c| store::voicemails::find_by_recording_sid(c, &late))?.ok_or("no voicemail")?;
    assert_eq!(vm.transcription.as_deref(), Some(said), "not 'Transcript pending…' for ever");
    assert_eq!(vm.transcript_state, TranscriptState::Done);
    let other = store.read(|c| store::voicemails::find_by_recording_sid(c, &quick))?.ok_or("no voicemail")?;
    assert_eq!(other.transcript_state, TranscriptState::Done);
    let third = switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!(third.transcriptions, 0, "a settled transcript is not asked for again: {third:?}");
    Ok(())
}

/// A five-minute voicemail left while the app was closed: Twilio transcribes 2–120 s only,
/// so the app says "too long" from the moment it stores it, and catch-up stops asking.
#[tokio::test]
async fn a_five_minute_voicemail_is_too_long_never_pending() -> TestResult {
    let (sim, _dir, store) = sim_and_store(OURS).await?;
    let (_, recording) = sim.seed_voicemail(BOB, OURS, 300, None, minutes(30));
    switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    let vm = store.read(|c| store::voicemails::find_by_recording_sid(c, &recording))?.ok_or("no voicemail")?;
    assert_eq!(vm.transcript_state, TranscriptState::TooLong, "{vm:?}");
    sim.reset_request_counts();
    switchboard::sync::run(&store, &client(&sim)?, &Events::new()).await?;
    assert_eq!(sim.requests_ending("GET", "/Transcriptions.json"), 0, "nothing to ask Twilio about");
    Ok(())
}

/// The same through the webhooks: a caller speaks for five minutes with a 10-minute limit;
/// Twilio's failed transcription arrives by callback and is said as "too long".
#[tokio::test]
async fn a_long_voicemail_by_webhook_is_too_long_not_failed() -> TestResult {
    let (_dir, sb, store, number) = sandbox(fast_config()).await?;
    let mut settings = number.settings.clone();
    settings.forwarding_enabled = false;
    settings.voicemail_max_seconds = 600;
    store.write(move |tx| numbers::update_settings(tx, number.id, &settings))?;
    let st = store.clone();
    wait_until("the number wired to the app", || {
        let wired = st.read(|c| numbers::find_by_e164(c, BUSINESS_NUMBER)).ok().flatten().and_then(|n| n.wired_url);
        async move { wired.is_some() }
    })
    .await?;
    let out = sb.sim.customer_call(CUSTOMERS[0].0, BUSINESS_NUMBER, Some(300)).await?;
    let rec = out.recording_sid.clone().ok_or_else(|| format!("no voicemail recorded: {out:?}"))?;
    let r = rec.clone();
    let st = store.clone();
    wait_until("the failed transcription callback", || {
        let (st, r) = (st.clone(), r.clone());
        async move {
            st.read(move |c| store::voicemails::find_by_recording_sid(c, &r))
                .ok()
                .flatten()
                .is_some_and(|v| v.transcription_status.as_deref() == Some("failed"))
        }
    })
    .await?;
    let vm = store.read(move |c| store::voicemails::find_by_recording_sid(c, &rec))?.ok_or("no voicemail")?;
    assert_eq!(vm.transcript_state, TranscriptState::TooLong, "{vm:?}");
    sb.shutdown().await?;
    Ok(())
}

/// A recorded click-to-call whose recording callback is delivered twice (Twilio retries):
/// one recording in the call log, downloaded once, with its duration; then Twilio's log
/// read by catch-up adds nothing.
#[tokio::test]
async fn a_recorded_call_is_downloaded_once_when_its_callback_comes_twice() -> TestResult {
    let (_dir, sb, store, number) = sandbox(fast_config()).await?;
    sb.sim.faults().set_duplicate_webhooks(true);
    let call = click_to_call(&sb.runtime.outbound(), number.id, CUSTOMERS[0].0, true).await?;
    downloaded(&store, &call.sid).await?;
    let deliveries = sb.sim.webhook_log().iter().filter(|d| d.url.ends_with("/twilio/voice/recording")).count();
    assert_eq!(deliveries, 2, "the fault delivered the callback twice");
    switchboard::sync::run(&store, &sb.runtime.client, &Events::new()).await?;
    let recs = recordings_of(&store, &call.sid);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].source.as_deref(), Some("OutboundAPI"));
    assert!(recs[0].duration.is_some_and(|d| d > 0), "with its duration: {recs:?}");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM downloads WHERE kind = 'recording'"), 1);
    assert_eq!(audio_downloads(&sb.sim), 1, "the audio is fetched once");
    assert_eq!(count(&store, "SELECT COUNT(*) FROM voicemails"), 0, "a call recording is not a voicemail");
    sb.shutdown().await?;
    Ok(())
}

/// The recording callback arrives after catch-up already stored the recording from
/// Twilio's log: still one recording, one download.
#[tokio::test]
async fn a_recording_found_by_catch_up_before_its_callback_is_stored_once() -> TestResult {
    // Slow callbacks: the recording is in the log well before its callback is posted.
    let config = SimConfig { callback_delay: Duration::from_millis(400), ..fast_config() };
    let (_dir, sb, store, number) = sandbox(config).await?;
    let call = click_to_call(&sb.runtime.outbound(), number.id, CUSTOMERS[1].0, true).await?;
    let sid = call.sid.clone();
    let sim = &sb.sim;
    wait_until("the recording in Twilio's log", || {
        let found = !sim.recordings_of_call(&sid).is_empty();
        async move { found }
    })
    .await?;
    switchboard::sync::run(&store, &sb.runtime.client, &Events::new()).await?;
    assert_eq!(recordings_of(&store, &call.sid).len(), 1, "catch-up stored it first");
    wait_until("the late callback", || {
        let n = sim
            .webhook_log()
            .iter()
            .filter(|d| d.url.ends_with("/twilio/voice/recording") && d.status.is_some())
            .count();
        async move { n == 1 }
    })
    .await?;
    downloaded(&store, &call.sid).await?;
    assert_eq!(recordings_of(&store, &call.sid).len(), 1);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM recordings"), 1);
    assert_eq!(audio_downloads(&sb.sim), 1, "the audio is fetched once");
    sb.shutdown().await?;
    Ok(())
}

/// Two recorded calls of the same length have the same audio, so one content-addressed
/// file: deleting the first locally keeps the file (the second plays it) and Twilio's copy;
/// deleting the second also at Twilio removes the file and Twilio's recording.
#[tokio::test]
async fn delete_removes_the_file_and_on_request_twilios_copy() -> TestResult {
    let CaughtUp { sim, dir, store, events, tw, calls } = caught_up(&[(BOB, 30, 20), (CAROL, 30, 10)]).await?;
    let Ok([(call_a, rec_a), (call_b, rec_b)]) = <[_; 2]>::try_from(calls) else { return Err("two calls".into()) };
    let worker = media_worker(&sim, &store, &events)?;
    worker.run_once().await?;
    let a = recordings_of(&store, &call_a).pop().ok_or("no recording of the first call")?;
    let b = recordings_of(&store, &call_b).pop().ok_or("no recording of the second call")?;
    assert_eq!(
        (a.recording_sid.as_str(), a.duration, a.download),
        (rec_a.as_str(), Some(30), DownloadState::Downloaded)
    );
    let path = a.path.clone().ok_or("not downloaded")?;
    assert_eq!(b.path.as_deref(), Some(path.as_str()), "identical audio, one file");
    let played = recordings::audio(&store, a.id).await?;
    assert_eq!(&played[..4], b"RIFF", "the player gets the WAV");

    let gone = recordings::delete(&store, Some(&tw), &events, a.id, DeleteScope::Local).await?;
    assert!(!gone.file_removed && !gone.twilio_deleted, "{gone:?}");
    assert!(dir.path().join(&path).exists(), "the other recording still plays this file");
    assert!(sim.has_recording(&rec_a), "Twilio's copy is kept unless asked");
    assert!(recordings_of(&store, &call_a).is_empty(), "gone from the call log");

    let gone = recordings::delete(&store, Some(&tw), &events, b.id, DeleteScope::LocalAndTwilio).await?;
    assert!(gone.file_removed && gone.twilio_deleted, "{gone:?}");
    assert!(!dir.path().join(&path).exists(), "the file is removed once nothing uses it");
    assert!(!sim.has_recording(&rec_b), "Twilio's copy deleted on request");
    assert_eq!(sim.requests_ending("DELETE", ".json"), 1);

    // Deleted stays deleted: catch-up does not bring either back or download it again.
    switchboard::sync::run(&store, &tw, &events).await?;
    assert_eq!(worker.run_once().await?, 0, "nothing queued");
    assert!(recordings_of(&store, &call_a).is_empty() && recordings_of(&store, &call_b).is_empty());
    let missing = recordings::delete(&store, Some(&tw), &events, a.id, DeleteScope::Local).await;
    assert!(matches!(missing, Err(switchboard::Error::NotFound { .. })), "{missing:?}");
    Ok(())
}

/// Deleting Twilio's copy when Twilio cannot be reached deletes nothing, so "try again"
/// still has both copies to delete.
#[tokio::test]
async fn a_failed_twilio_delete_leaves_the_recording_whole() -> TestResult {
    let CaughtUp { sim, dir: _dir, store, events, tw, calls } = caught_up(&[(BOB, 20, 5)]).await?;
    let (call, rec) = calls.into_iter().next().ok_or("the recorded call")?;
    let r = recordings_of(&store, &call).pop().ok_or("no recording")?;
    sim.faults().server_error_next(10);
    let failed = recordings::delete(&store, Some(&tw), &events, r.id, DeleteScope::LocalAndTwilio).await;
    assert!(failed.is_err(), "{failed:?}");
    sim.faults().clear();
    assert_eq!(recordings_of(&store, &call).len(), 1, "still listed");
    assert!(sim.has_recording(&rec));
    let no_account = recordings::delete(&store, None, &events, r.id, DeleteScope::LocalAndTwilio).await;
    assert!(matches!(no_account, Err(switchboard::Error::MissingCredentials(_))), "{no_account:?}");
    Ok(())
}

/// Twilio's media storage fails the download: the recording says so (retrying, with the
/// error), never "Downloading…" for ever; "Try again" downloads it.
#[tokio::test]
async fn a_failed_download_is_retried_and_reported() -> TestResult {
    let CaughtUp { sim, dir: _dir, store, events, tw: _, calls } = caught_up(&[(BOB, 15, 5)]).await?;
    let (call, _) = calls.into_iter().next().ok_or("the recorded call")?;
    let mut failures = events.subscribe();
    sim.faults().fail_recording_downloads_next(1);
    let worker = media_worker(&sim, &store, &events)?;
    assert_eq!(worker.run_once().await?, 1);
    let r = recordings_of(&store, &call).pop().ok_or("no recording")?;
    assert_eq!(r.download, DownloadState::Retrying, "{r:?}");
    assert!(r.download_error.as_deref().is_some_and(|e| e.contains("500")), "the reason is shown: {r:?}");
    let reported = failures.try_recv();
    assert!(
        matches!(reported, Ok(switchboard::events::Event::DownloadFailed { .. })),
        "the failure is published: {reported:?}"
    );
    assert_eq!(worker.run_once().await?, 0, "retried later, with backoff, not in a tight loop");

    let wake = Wake::default();
    let again = recordings::retry_download(&store, &wake, r.id).await?;
    assert_eq!(again.download, DownloadState::Downloading);
    assert_eq!(worker.run_once().await?, 1);
    let r = recordings_of(&store, &call).pop().ok_or("no recording")?;
    assert_eq!((r.download, r.download_error.as_deref()), (DownloadState::Downloaded, None), "{r:?}");
    let done = recordings::retry_download(&store, &wake, r.id).await;
    assert!(matches!(done, Err(switchboard::Error::InvalidInput(_))), "nothing to retry: {done:?}");
    Ok(())
}

/// A forwarded call with `<Dial record>` that the owner answers (the TwiML the call flow
/// answers with when the number records calls): the simulator records the conversation on
/// the customer's call (`DialVerb`) and its signed callback puts it in the call log.
#[tokio::test]
async fn an_answered_dial_with_record_reaches_the_call_log() -> TestResult {
    let (_dir, sb, store, _) = sandbox(fast_config()).await?;
    let callback = format!("http://{}/twilio/voice/recording", sb.runtime.addr);
    let twiml = format!(
        "<Response><Dial record=\"record-from-answer-dual\" recordingStatusCallback=\"{callback}\">\
         <Number>{}</Number></Dial></Response>",
        CUSTOMERS[2].0
    );
    let form = [("To", CUSTOMERS[2].0), ("From", BUSINESS_NUMBER), ("Twiml", twiml.as_str())];
    let url = format!("{}/2010-04-01/Accounts/{}/Calls.json", sb.sim.base_url(), sb.sim.account_sid());
    let created: serde_json::Value = reqwest::Client::new()
        .post(url)
        .basic_auth(sb.sim.account_sid(), Some(sb.sim.auth_token()))
        .form(&form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let call_sid = created["sid"].as_str().ok_or("no call SID")?.to_string();
    let sim = &sb.sim;
    wait_until("the Dial recording", || {
        let n = sim.recordings_of_call(&call_sid).len();
        async move { n == 1 }
    })
    .await?;
    let rec_sid = sim.recordings_of_call(&call_sid).remove(0);
    let (st, r) = (store.clone(), rec_sid.clone());
    wait_until("the recording stored and downloaded", || {
        let r = r.clone();
        let rec = st.read(move |c| switchboard::store::call_recordings::find_by_sid(c, &r)).ok().flatten();
        async move { rec.is_some_and(|r| r.download == DownloadState::Downloaded) }
    })
    .await?;
    let rec = store
        .read(move |c| switchboard::store::call_recordings::find_by_sid(c, &rec_sid))?
        .ok_or("no call recording")?;
    assert_eq!((rec.call_sid.as_str(), rec.source.as_deref()), (call_sid.as_str(), Some("DialVerb")), "{rec:?}");
    assert!(rec.duration.is_some_and(|d| d > 0), "{rec:?}");
    sb.shutdown().await?;
    Ok(())
}
