//! Transcriptions of recordings (voicemail transcripts). Catch-up asks each pending
//! voicemail's recording for them, so that a voicemail left while the app was closed (the
//! Twilio-hosted flow records with transcription, and its callback could not reach us) gets
//! its text.
//! `GET /2010-04-01/Accounts/{AccountSid}/Transcriptions.json` has no date filter: it is
//! paged newest first and catch-up stops at its watermark.

use crate::error::Result;
use crate::twilio::client::TwilioClient;

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct TranscriptionResource {
    pub sid: String,
    pub recording_sid: Option<String>,
    /// in-progress, completed, failed.
    pub status: Option<String>,
    pub transcription_text: Option<String>,
    /// RFC 2822, as Twilio sends it.
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
}

impl TwilioClient {
    /// The account's transcriptions list (newest first); page it with [`TwilioClient::page`].
    pub fn transcriptions_url(&self) -> String {
        self.account_url("Transcriptions.json")
    }

    /// The transcriptions of one recording (usually one).
    pub async fn recording_transcriptions(&self, recording_sid: &str) -> Result<Vec<TranscriptionResource>> {
        let url = self.account_url(&format!("Recordings/{recording_sid}/Transcriptions.json"));
        self.list(crate::twilio::client::Host::Api, &url, &[], "transcriptions", 10).await
    }
}
