//! The account itself: fetching it is the credentials check onboarding runs.

use crate::error::{Error, Result};
use crate::twilio::client::{Host, TwilioClient};

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Account {
    pub sid: String,
    pub friendly_name: Option<String>,
    /// active, suspended or closed.
    pub status: Option<String>,
    /// Trial or Full: a trial account can only text verified numbers.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl TwilioClient {
    /// Fetches the account: succeeds only when the credentials are right. Twilio's 20003
    /// (or a bare 401) becomes a clear "wrong credentials" error.
    pub async fn fetch_account(&self) -> Result<Account> {
        let url = self.url(Host::Api, &format!("/2010-04-01/Accounts/{}.json", self.account_sid()));
        match self.get_json(&url, &[]).await {
            Err(Error::Twilio { status, code, message, .. }) if code == Some(crate::domain::twilio_errors::code::AUTHENTICATION_FAILED) || status == 401 => {
                Err(Error::Twilio {
                    status,
                    code: Some(crate::domain::twilio_errors::code::AUTHENTICATION_FAILED),
                    message,
                    explanation: "Wrong credentials: Twilio did not accept this Account SID and Auth Token (or API key and secret). Copy them again from the Twilio console.".into(),
                })
            }
            other => other,
        }
    }
}
