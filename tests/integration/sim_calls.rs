//! Calls: the simulated customer calls, the simulator follows the TwiML a tiny stub app
//! serves (`<Dial>` forwarding, then `<Record>` voicemail), produces a real WAV, and posts
//! the recording, transcription and status callbacks; plus the Calls/Recordings REST API
//! and a call created by REST (click-to-call).

use crate::common::TestResult;
use crate::sim_support::{fast_config, param, start, wait_until, Api, Harness, StubApp};
use switchboard::sim::{CallOutcome, SimConfig};

const OURS: &str = "+61291234567";
const CUSTOMER: &str = "+61412345678";
const OWNER: &str = "+61400000001";

const VOICE: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Nicole">Thanks for calling. Connecting you now.</Say><Dial timeout="20" action="/twilio/voice/dial-status" method="POST"><Number>+61400000001</Number></Dial></Response>"#;
const AFTER_DIAL: &str = r#"<Response><Say>Sorry, nobody can take your call. Please leave a message after the beep.</Say><Record maxLength="120" playBeep="true" transcribe="true" transcribeCallback="{base}/twilio/voice/transcription" recordingStatusCallback="{base}/twilio/voice/recording" action="{base}/twilio/voice/record-done"/><Hangup/></Response>"#;

/// The customer calls our number, pointed at a stub app that forwards to the owner (who
/// answers or not) and then takes a voicemail, and speaks for `speaks` seconds.
async fn forwarded_call(
    owner_answers: bool,
    speaks: u32,
) -> Result<(Harness, CallOutcome), Box<dyn std::error::Error>> {
    let config = SimConfig { owner_answers, ..fast_config() };
    let harness =
        Harness::start(config, OURS, &[("/twilio/voice", VOICE), ("/twilio/voice/dial-status", AFTER_DIAL)]).await?;
    let outcome = harness.sim.customer_call(CUSTOMER, OURS, Some(speaks)).await?;
    Ok((harness, outcome))
}

#[tokio::test]
async fn sim_calls_unanswered_forward_leaves_a_wav_voicemail_with_callbacks() -> TestResult {
    let (harness, outcome) = forwarded_call(false, 3).await?;
    let (sim, app) = (&harness.sim, &harness.app);
    assert_eq!(outcome.dial_status.as_deref(), Some("no-answer"), "the owner did not pick up: {outcome:?}");
    assert_eq!(outcome.dialed.as_deref(), Some(OWNER), "the call was forwarded to the <Number>");
    assert!(
        outcome.said.iter().any(|s| s.contains("leave a message")),
        "the caller heard the greeting: {:?}",
        outcome.said
    );
    let recording = outcome.recording_sid.clone().ok_or("a voicemail was recorded")?;

    let voice = app.hits_on("/twilio/voice");
    assert_eq!(voice.len(), 1);
    assert_eq!(voice[0].get("CallStatus"), Some("ringing"));
    assert_eq!(voice[0].get("Direction"), Some("inbound"));
    assert_eq!(voice[0].get("CallSid"), Some(outcome.call_sid.as_str()));

    let dial = app.hits_on("/twilio/voice/dial-status");
    assert_eq!(dial.len(), 1, "the relative Dial action was resolved and posted");
    assert_eq!(dial[0].get("DialCallStatus"), Some("no-answer"));
    assert!(dial[0].get("DialCallSid").is_some_and(|s| s.starts_with("CA")), "DialCallSid names the forwarded leg");
    assert_eq!(dial[0].get("DialCallDuration"), Some("0"));

    let rec = app.hits_on("/twilio/voice/recording");
    assert_eq!(rec.len(), 1, "the recording status callback came");
    assert_eq!(rec[0].get("RecordingStatus"), Some("completed"));
    assert_eq!(rec[0].get("RecordingSid"), Some(recording.as_str()));
    assert_eq!(rec[0].get("RecordingDuration"), Some("3"));
    assert_eq!(rec[0].get("CallSid"), Some(outcome.call_sid.as_str()));
    let done = app.hits_on("/twilio/voice/record-done");
    assert_eq!(done.len(), 1, "the Record action was requested");
    assert_eq!(param(&done[0].params, "Digits"), Some("hangup"));

    // The RecordingUrl serves a real WAV (Twilio's default format), with or without `.wav`.
    let url = rec[0].get("RecordingUrl").ok_or("RecordingUrl")?.to_string();
    assert!(url.starts_with(&sim.base_url()), "RecordingUrl points at the simulator: {url}");
    let api = Api::new(sim)?;
    let resp = api.http.get(format!("{url}.wav")).basic_auth(sim.account_sid(), Some(sim.auth_token())).send().await?;
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("audio/x-wav"));
    let wav = resp.bytes().await?;
    assert_eq!(&wav[0..4], b"RIFF", "a RIFF file");
    assert_eq!(&wav[8..12], b"WAVE", "of WAVE type");
    assert_eq!(&wav[12..16], b"fmt ", "with a format chunk");
    let rate = u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]);
    let data_len = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]);
    assert_eq!(rate, 8000, "8 kHz like a phone recording");
    assert_eq!(data_len / (rate * 2), 3, "3 seconds of 16-bit mono audio");
    let bare = api.http.get(&url).send().await?;
    assert_eq!(bare.status().as_u16(), 200, "the extension-less RecordingUrl also serves audio");
    let mp3 = api.http.get(format!("{url}.mp3")).send().await?;
    assert_eq!(mp3.status().as_u16(), 404, "the simulator makes no MP3");

    wait_until("the transcription callback", || async { !app.hits_on("/twilio/voice/transcription").is_empty() })
        .await?;
    let tr = &app.hits_on("/twilio/voice/transcription")[0];
    assert_eq!(tr.get("TranscriptionStatus"), Some("completed"));
    assert_eq!(tr.get("RecordingSid"), Some(recording.as_str()));
    assert!(tr.get("TranscriptionText").is_some_and(|t| !t.is_empty()), "the transcript has text");

    let status = app.hits_on("/twilio/voice/status");
    assert_eq!(status.len(), 1, "one final call status callback");
    assert_eq!(status[0].get("CallStatus"), Some("completed"));
    assert!(status[0].get("CallDuration").is_some_and(|d| d.parse::<u32>().is_ok_and(|d| d >= 3)));
    assert!(app.hits().iter().all(|h| h.signature_valid), "every voice webhook is signed: {:?}", app.hits());

    // REST view of the same call.
    let r = api.get(&format!("Calls/{}.json", outcome.call_sid)).await?;
    assert_eq!(r.json["status"], "completed");
    assert_eq!(r.json["direction"], "inbound");
    let r = api.get(&format!("Recordings.json?CallSid={}", outcome.call_sid)).await?;
    let recs = r.json["recordings"].as_array().ok_or("recordings")?;
    assert_eq!(recs.len(), 1, "the recording is listed under its call");
    assert_eq!(recs[0]["duration"], "3");
    let r = api.get(&format!("Calls.json?ParentCallSid={}", outcome.call_sid)).await?;
    assert_eq!(r.json["calls"][0]["status"], "no-answer", "the forwarded leg is a child call");
    Ok(())
}

#[tokio::test]
async fn sim_calls_answered_forward_records_nothing() -> TestResult {
    let (harness, outcome) = forwarded_call(true, 5).await?;
    let app = &harness.app;
    assert_eq!(outcome.dial_status.as_deref(), Some("completed"), "the owner answered");
    assert_eq!(outcome.recording_sid, None, "no voicemail when answered");
    let dial = app.hits_on("/twilio/voice/dial-status");
    assert_eq!(dial.len(), 1, "the action is still requested after the conversation");
    assert_eq!(dial[0].get("DialCallStatus"), Some("completed"));
    assert!(app.hits_on("/twilio/voice/recording").is_empty());
    Ok(())
}

#[tokio::test]
async fn sim_calls_app_unreachable_fails_the_call() -> TestResult {
    let sim = start(fast_config()).await?;
    sim.add_number(OURS, "Shop");
    // Nothing listens here: bind a port and drop it.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    sim.point_number_at(OURS, &format!("http://{closed}"));
    let outcome = sim.customer_call(CUSTOMER, OURS, Some(2)).await?;
    assert_eq!(outcome.status, "failed", "no TwiML, no call: {outcome:?}");
    let log = sim.webhook_log();
    assert!(log.iter().any(|d| d.status.is_none()), "the log shows the app could not be reached: {log:?}");
    Ok(())
}

#[tokio::test]
async fn sim_calls_rest_created_call_follows_its_twiml_and_completes() -> TestResult {
    let sim = start(fast_config()).await?;
    let app = StubApp::start(sim.auth_token(), &[("/connect", "<Response><Say>Connecting you to your customer</Say><Dial callerId=\"+61291234567\">+61412345678</Dial></Response>")]).await?;
    sim.add_number(OURS, "Shop");
    let api = Api::new(&sim)?;
    let r = api
        .post(
            "Calls.json",
            &[
                ("To", OWNER),
                ("From", OURS),
                ("Url", &format!("{}/connect", app.base)),
                ("StatusCallback", &format!("{}/call-status", app.base)),
                ("StatusCallbackEvent", "ringing"),
                ("StatusCallbackEvent", "completed"),
            ],
        )
        .await?;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["status"], "queued");
    let sid = r.json["sid"].as_str().ok_or("sid")?.to_string();
    wait_until("the completed callback", || async {
        app.hits_on("/call-status").iter().any(|h| h.get("CallStatus") == Some("completed"))
    })
    .await?;
    let events: Vec<String> =
        app.hits_on("/call-status").iter().filter_map(|h| h.get("CallStatus").map(str::to_string)).collect();
    assert_eq!(events, ["ringing", "completed"], "only the requested events are posted");
    let fetched = app.hits_on("/connect");
    assert_eq!(fetched.len(), 1, "the call fetched its Url once answered");
    assert_eq!(fetched[0].get("Direction"), Some("outbound-api"));
    assert!(app.hits().iter().all(|h| h.signature_valid));
    let r = api.get(&format!("Calls/{sid}.json")).await?;
    assert_eq!(r.json["status"], "completed");
    let r = api.get(&format!("Calls.json?ParentCallSid={sid}")).await?;
    assert_eq!(r.json["calls"][0]["to"], CUSTOMER, "the dialled customer is a child leg");

    let r = api.post("Calls.json", &[("To", OWNER), ("From", "+61299990000"), ("Twiml", "<Response/>")]).await?;
    assert_eq!(r.json["code"], 21210, "calling from a number the account does not own: {}", r.json);
    app.stop();
    Ok(())
}
