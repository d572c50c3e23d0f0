//! Calls: click-to-call (create), list, fetch, and backfill.

use super::{lenient, lenient_i64};
use crate::error::Result;
use crate::twilio::client::{Host, Params, Retry, TwilioClient};

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct CallResource {
    pub sid: String,
    pub parent_call_sid: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: Option<String>,
    /// inbound, outbound-api, outbound-dial.
    pub direction: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub duration: Option<i64>,
    pub answered_by: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub price: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub date_created: Option<String>,
}

/// Click-to-call: Twilio rings the owner, and when they answer bridges to the customer
/// with our number as caller ID.
#[derive(Debug, Clone)]
pub struct ClickToCall {
    /// Our Twilio number: calls the owner from it, and is the caller ID the customer sees.
    pub our_number: String,
    /// The owner's phone, rung first.
    pub owner_phone: String,
    pub customer: String,
    /// `<public_url>/twilio/voice/status`; None when there is no public URL.
    pub status_callback: Option<String>,
    /// Screening (issue 14): the owner's leg must press 1, and this URL (ours) then dials
    /// the customer; a mobile's voicemail never does, so the customer is never connected to
    /// it. `None` (screening off, or no public URL): the customer is dialled at once.
    pub accept_url: Option<String>,
    /// Record the call (both parties, from when the owner answers).
    pub record: bool,
    /// Where a finished recording is posted (`<public_url>/twilio/voice/recording`); None
    /// without a public URL: catch-up finds the recording in Twilio's log instead.
    pub recording_status_callback: Option<String>,
}

impl ClickToCall {
    /// The TwiML run when the owner answers: dial the customer with our number as caller ID.
    /// Written by the TwiML writer, so escaping is the XML library's, not ours.
    pub fn twiml(&self) -> String {
        use crate::twilio::twiml::{render, Dial, Gather, Verb};
        if let Some(url) = &self.accept_url {
            return render(&[
                Verb::Gather(Gather {
                    num_digits: Some(1),
                    timeout: Some(crate::twilio::callflow::SCREEN_TIMEOUT_SECS),
                    action: Some(url.clone()),
                    method: Some("POST".into()),
                    say: format!(
                        "Switchboard call to {}. Press {} to connect.",
                        self.customer,
                        crate::twilio::callflow::ACCEPT_DIGIT
                    ),
                    voice: None,
                }),
                Verb::Hangup,
            ]);
        }
        render(&[Verb::Dial(Dial {
            number: self.customer.clone(),
            number_noun: true,
            caller_id: Some(self.our_number.clone()),
            ..Default::default()
        })])
    }
}

impl TwilioClient {
    /// Starts a click-to-call. Sent once, never retried: a retry could ring twice. The
    /// status callback gets Twilio's default event (`completed`); asking for more events
    /// needs repeated `StatusCallbackEvent`, which Prism wrongly rejects, so use
    /// [`TwilioClient::create_call_with_events`] where that matters.
    pub async fn click_to_call(&self, c: &ClickToCall) -> Result<CallResource> {
        self.create_call_with_events(c, &[]).await
    }

    /// [`TwilioClient::click_to_call`] asking for status callbacks on `events`
    /// (initiated, ringing, answered, completed).
    pub async fn create_call_with_events(&self, c: &ClickToCall, events: &[&str]) -> Result<CallResource> {
        let mut p = Params::new().add("To", &c.owner_phone).add("From", &c.our_number).add("Twiml", c.twiml());
        if let Some(cb) = &c.status_callback {
            p = p.add("StatusCallback", cb).add("StatusCallbackMethod", "POST");
            for e in events {
                p = p.add("StatusCallbackEvent", *e);
            }
        }
        if c.record {
            p = p.add("Record", "true").add("RecordingChannels", "dual");
            if let Some(cb) = &c.recording_status_callback {
                p = p.add("RecordingStatusCallback", cb).add("RecordingStatusCallbackMethod", "POST");
            }
        }
        self.post_form(&self.account_url("Calls.json"), p.as_slice(), Retry::Never).await
    }

    /// Calls, newest first; `started_after` is a date-time (`2026-11-20T00:00:00Z`) for `StartTime>`.
    pub async fn list_calls(&self, started_after: Option<&str>, max: usize) -> Result<Vec<CallResource>> {
        let p = Params::new().opt("StartTime>", started_after).add("PageSize", "100");
        self.list(Host::Api, &self.account_url("Calls.json"), p.as_slice(), "calls", max).await
    }

    pub async fn fetch_call(&self, sid: &str) -> Result<CallResource> {
        self.get_json(&self.account_url(&format!("Calls/{sid}.json")), &[]).await
    }

    /// Backfill: calls since `watermark` (RFC 3339) with a day of overlap, de-duplicated by SID.
    pub async fn backfill_calls(&self, watermark: Option<&str>, max: usize) -> Result<Vec<CallResource>> {
        let day = watermark.and_then(super::day_before);
        let all = self.list_calls(day.as_deref(), max).await?;
        Ok(super::messages::unique_by_sid(all, |c| &c.sid))
    }
}
