//! The simulator driving the real webhook listener (`webhook::router` on 127.0.0.1:0) over
//! HTTP: its signed webhooks are accepted and what they carry lands in the store — an SMS,
//! an MMS with its media, and an unanswered call that leaves a transcribed voicemail.

use crate::common::{temp_store, TestResult};
use crate::sim_support::{fast_config, start, wait_until, RouterOnly};

const OURS: &str = "+61291234567";
const CUSTOMER: &str = "+61412345678";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_e2e_real_listener_stores_what_the_simulated_customer_sends() -> TestResult {
    let (_dir, store) = temp_store()?;
    let sim = start(fast_config()).await?;
    let app = RouterOnly::start(&sim, &store).await?;
    sim.add_number(OURS, "Shop");
    sim.point_number_at(OURS, &app.base);

    let sms = sim.customer_sms(CUSTOMER, OURS, "Hello from the simulator", false).await?;
    let mms = sim.customer_sms(CUSTOMER, OURS, "", true).await?;
    let call = sim.customer_call(CUSTOMER, OURS, Some(3)).await?;
    let recording = call.recording_sid.clone().ok_or("the app's TwiML let the caller leave a voicemail")?;
    wait_until("the transcription webhook", || async {
        sim.webhook_log().iter().any(|d| d.url.ends_with("/twilio/voice/transcription"))
    })
    .await?;

    let log = sim.webhook_log();
    assert!(log.len() >= 5, "sms, mms, voice, recording, transcription at least: {log:?}");
    for d in &log {
        assert_eq!(d.status, Some(200), "the listener accepted the signed webhook to {}: {}", d.url, d.response_body);
    }
    let stored = store.read(|c| {
        let count = |sql: &str, arg: &str| -> rusqlite::Result<i64> { c.query_row(sql, [arg], |r| r.get(0)) };
        Ok((
            count("SELECT count(*) FROM messages WHERE sid = ?1 AND body = 'Hello from the simulator'", &sms)?,
            count(
                "SELECT count(*) FROM message_media m JOIN messages s ON s.id = m.message_id WHERE s.sid = ?1",
                &mms,
            )?,
            count("SELECT count(*) FROM calls WHERE sid = ?1", &call.call_sid)?,
            count("SELECT count(*) FROM voicemails WHERE recording_sid = ?1", &recording)?,
        ))
    });
    let (texts, media, calls, voicemails) = stored?;
    assert_eq!(texts, 1, "the SMS is stored once under its SID");
    assert_eq!(media, 1, "the MMS image is recorded for download");
    assert_eq!(calls, 1, "the call is in the call log");
    assert_eq!(voicemails, 1, "the voicemail is stored under its recording SID");
    app.stop().await;
    Ok(())
}
