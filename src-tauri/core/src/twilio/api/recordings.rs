//! Recordings (voicemails and call recordings): list, fetch, backfill, delete.

use super::lenient_i64;
use crate::error::Result;
use crate::twilio::client::{Host, Params, TwilioClient};

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct RecordingResource {
    pub sid: String,
    pub call_sid: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub duration: Option<i64>,
    pub status: Option<String>,
    /// What made it: `RecordVerb` (a voicemail), `DialVerb`, `OutboundAPI`,
    /// `StartCallRecordingAPI`… (a call recording).
    pub source: Option<String>,
    pub date_created: Option<String>,
    /// The audio file, on api.twilio.com (append `.mp3` for MP3).
    pub media_url: Option<String>,
    pub uri: Option<String>,
}

impl TwilioClient {
    /// Recordings, newest first; `created_after` is a date-time (`2026-11-20T00:00:00Z`) for `DateCreated>`.
    pub async fn list_recordings(&self, created_after: Option<&str>, max: usize) -> Result<Vec<RecordingResource>> {
        let p = Params::new().opt("DateCreated>", created_after).add("PageSize", "100");
        self.list(Host::Api, &self.account_url("Recordings.json"), p.as_slice(), "recordings", max).await
    }

    pub async fn fetch_recording(&self, sid: &str) -> Result<RecordingResource> {
        self.get_json(&self.account_url(&format!("Recordings/{sid}.json")), &[]).await
    }

    /// Deletes the recording (audio and metadata) from the account: Twilio keeps no copy.
    pub async fn delete_recording(&self, sid: &str) -> Result<()> {
        self.delete(&self.account_url(&format!("Recordings/{sid}.json"))).await
    }

    /// Backfill: recordings since `watermark` (RFC 3339) with a day of overlap, by SID.
    pub async fn backfill_recordings(&self, watermark: Option<&str>, max: usize) -> Result<Vec<RecordingResource>> {
        let day = watermark.and_then(super::day_before);
        let all = self.list_recordings(day.as_deref(), max).await?;
        Ok(super::messages::unique_by_sid(all, |r| &r.sid))
    }
}
