//! [`NumberApi`] over the real Twilio client (IncomingPhoneNumbers fetch/update).

use async_trait::async_trait;

use super::wiring::{NumberApi, NumberUrls};
use crate::error::Result;
use crate::twilio::api::numbers::NumberConfig;
use crate::twilio::client::TwilioClient;

#[async_trait]
impl NumberApi for TwilioClient {
    async fn fetch_urls(&self, number_sid: &str) -> Result<NumberUrls> {
        let n = self.fetch_number(number_sid).await?.config;
        Ok(NumberUrls {
            sms_url: n.sms_url,
            sms_method: n.sms_method,
            status_callback: n.status_callback,
            voice_url: n.voice_url,
            voice_method: n.voice_method,
            voice_fallback_url: n.voice_fallback_url,
            voice_fallback_method: None,
        })
    }

    /// Every field is sent: an absent value is sent empty, which clears it on Twilio's
    /// side, so restoring "no fallback URL" really removes ours.
    async fn update_urls(&self, number_sid: &str, urls: &NumberUrls) -> Result<()> {
        let or_empty = |v: &Option<String>| Some(v.clone().unwrap_or_default());
        let config = NumberConfig {
            friendly_name: None,
            sms_url: or_empty(&urls.sms_url),
            sms_method: urls.sms_method.clone().or_else(|| Some("POST".into())),
            sms_fallback_url: None,
            voice_url: or_empty(&urls.voice_url),
            voice_method: urls.voice_method.clone().or_else(|| Some("POST".into())),
            voice_fallback_url: or_empty(&urls.voice_fallback_url),
            status_callback: or_empty(&urls.status_callback),
        };
        self.update_number(number_sid, &config).await.map(|_| ())
    }
}
