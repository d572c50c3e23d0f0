//! Points the numbers the owner chose to manage at the current public URL, remembering
//! what they pointed at before so "stop managing this number" can restore it.
//!
//! While the app is closed the tunnel is down and Twilio's request to the voice URL fails;
//! the URL carries a connection-override fragment (short connect/read timeouts, one retry)
//! so Twilio gives up quickly and uses `VoiceFallbackUrl`, a Twilio-hosted flow that
//! forwards the call and takes a voicemail (see `fallback`). SMS needs no fallback:
//! messages stay in Twilio's log and are backfilled on the next start.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::store::{numbers, Store};

/// The webhook settings of one Twilio number (IncomingPhoneNumber fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NumberUrls {
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub status_callback: Option<String>,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: Option<String>,
}

/// Twilio's connection overrides on the voice URL: fail over within seconds, not 15 s.
pub const VOICE_CONNECTION_OVERRIDE: &str = "#ct=3000&rt=8000&rc=1";

/// What a managed number should point at for `public_base`.
pub fn target_urls(public_base: &str, voice_fallback_url: Option<&str>) -> NumberUrls {
    let base = public_base.trim_end_matches('/');
    NumberUrls {
        sms_url: Some(format!("{base}/twilio/sms")),
        sms_method: Some("POST".into()),
        status_callback: Some(format!("{base}/twilio/voice/status")),
        voice_url: Some(format!("{base}/twilio/voice{VOICE_CONNECTION_OVERRIDE}")),
        voice_method: Some("POST".into()),
        voice_fallback_url: voice_fallback_url.map(str::to_string),
        voice_fallback_method: voice_fallback_url.map(|_| "POST".to_string()),
    }
}

/// The two calls wiring needs from Twilio, so it can be tested without the network.
#[async_trait]
pub trait NumberApi: Send + Sync {
    async fn fetch_urls(&self, number_sid: &str) -> Result<NumberUrls>;
    async fn update_urls(&self, number_sid: &str, urls: &NumberUrls) -> Result<()>;
}

/// Outcome of wiring one number.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Wired {
    pub number_id: i64,
    pub e164: String,
    /// None on success, else why it failed (the number keeps its previous URLs).
    pub error: Option<String>,
}

fn sid_of(n: &numbers::Number) -> Result<String> {
    n.sid.clone().ok_or_else(|| {
        Error::InvalidInput(format!("{} is not a number of this Twilio account (no PN sid known yet)", n.e164))
    })
}

/// Starts managing `number_id`: remembers its current URLs (once), then points it at us.
pub async fn manage(
    store: &Store,
    api: &dyn NumberApi,
    number_id: i64,
    public_base: Option<&str>,
    fallback: Option<&str>,
) -> Result<()> {
    let number = store.read_async(move |c| numbers::get(c, number_id)).await?;
    let sid = sid_of(&number)?;
    let previous = api.fetch_urls(&sid).await?;
    let previous_json = serde_json::to_string(&previous)?;
    store.write_async(move |tx| numbers::set_managed(tx, number_id, true, Some(&previous_json))).await?;
    if let Some(base) = public_base {
        apply(store, api, &number, base, fallback).await?;
    }
    Ok(())
}

/// Stops managing `number_id` and restores the URLs it had before.
pub async fn unmanage(store: &Store, api: &dyn NumberApi, number_id: i64) -> Result<()> {
    let number = store.read_async(move |c| numbers::get(c, number_id)).await?;
    let sid = sid_of(&number)?;
    let previous: NumberUrls = match store.read_async(move |c| numbers::previous_wiring(c, number_id)).await? {
        Some(json) => serde_json::from_str(&json)?,
        None => NumberUrls::default(),
    };
    api.update_urls(&sid, &previous).await?;
    store.write_async(move |tx| numbers::set_managed(tx, number_id, false, None)).await
}

/// Stops managing every managed number, restoring each one's previous URLs: what the owner
/// is offered before removing the Twilio credentials, since afterwards nothing could point
/// the numbers away from a tunnel that no longer answers. One outcome per number; a number
/// whose restore failed stays managed, so it can be tried again.
pub async fn unmanage_all(store: &Store, api: &dyn NumberApi) -> Result<Vec<Wired>> {
    let managed =
        store.read_async(|c| Ok(numbers::list(c)?.into_iter().filter(|n| n.managed).collect::<Vec<_>>())).await?;
    let mut out = Vec::with_capacity(managed.len());
    for n in managed {
        let error = unmanage(store, api, n.id).await.err().map(|e| e.to_string());
        out.push(Wired { number_id: n.id, e164: n.e164, error });
    }
    Ok(out)
}

async fn apply(
    store: &Store,
    api: &dyn NumberApi,
    number: &numbers::Number,
    public_base: &str,
    fallback: Option<&str>,
) -> Result<()> {
    let sid = sid_of(number)?;
    let result = api.update_urls(&sid, &target_urls(public_base, fallback)).await;
    let (id, base) = (number.id, public_base.to_string());
    let error = result.as_ref().err().map(|e| e.to_string());
    store
        .write_async(move |tx| match error {
            None => numbers::set_wiring_result(tx, id, Some(&base), None),
            Some(e) => numbers::set_wiring_result(tx, id, None, Some(&e)),
        })
        .await?;
    result
}

/// Points every managed number at `public_base` (after the tunnel came up or its URL
/// changed), each with its own fallback URL from `fallbacks` (by number id). One failure
/// does not stop the others; each outcome is recorded and returned.
pub async fn rewire_all(
    store: &Store,
    api: &dyn NumberApi,
    public_base: &str,
    fallbacks: &HashMap<i64, String>,
) -> Result<Vec<Wired>> {
    let managed: Vec<numbers::Number> =
        store.read_async(|c| Ok(numbers::list(c)?.into_iter().filter(|n| n.managed).collect())).await?;
    let mut out = Vec::with_capacity(managed.len());
    for n in managed {
        let fallback = fallbacks.get(&n.id).map(String::as_str);
        let error = apply(store, api, &n, public_base, fallback).await.err().map(|e| e.to_string());
        out.push(Wired { number_id: n.id, e164: n.e164.clone(), error });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Twilio's side of the numbers, in memory; can be told to fail updates.
    #[derive(Default)]
    struct FakeNumbers {
        urls: Mutex<HashMap<String, NumberUrls>>,
        fail_updates_for: Mutex<Option<String>>,
    }

    #[async_trait]
    impl NumberApi for FakeNumbers {
        async fn fetch_urls(&self, sid: &str) -> Result<NumberUrls> {
            Ok(self.urls.lock().unwrap().get(sid).cloned().unwrap_or_default())
        }
        async fn update_urls(&self, sid: &str, urls: &NumberUrls) -> Result<()> {
            if self.fail_updates_for.lock().unwrap().as_deref() == Some(sid) {
                return Err(Error::Network("connection reset".into()));
            }
            self.urls.lock().unwrap().insert(sid.to_string(), urls.clone());
            Ok(())
        }
    }

    const PN1: &str = "PN00000000000000000000000000000001";
    const PN2: &str = "PN00000000000000000000000000000002";

    fn setup() -> (tempfile::TempDir, Store, FakeNumbers, i64, i64) {
        let (dir, store) = crate::store::test_store();
        let (a, b) = store
            .write(|tx| {
                Ok((
                    numbers::upsert_from_twilio(tx, PN1, "+61255501234", "Shop")?,
                    numbers::upsert_from_twilio(tx, PN2, "+61255505678", "Clinic")?,
                ))
            })
            .unwrap();
        let api = FakeNumbers::default();
        let console = NumberUrls {
            sms_url: Some("https://old.example/sms".into()),
            voice_url: Some("https://handler.twilio.com/twiml/EH1".into()),
            ..Default::default()
        };
        api.urls.lock().unwrap().insert(PN1.into(), console.clone());
        api.urls.lock().unwrap().insert(PN2.into(), console);
        (dir, store, api, a, b)
    }

    #[tokio::test]
    async fn manage_points_the_number_at_us_and_unmanage_restores_it() {
        let (_d, store, api, a, _) = setup();
        let before = api.fetch_urls(PN1).await.unwrap();
        manage(
            &store,
            &api,
            a,
            Some("https://shop.ngrok.app"),
            Some("https://webhooks.twilio.com/v1/Accounts/AC1/Flows/FW1"),
        )
        .await
        .unwrap();
        let now = api.fetch_urls(PN1).await.unwrap();
        assert_eq!(now.sms_url.as_deref(), Some("https://shop.ngrok.app/twilio/sms"));
        assert_eq!(now.voice_url.as_deref(), Some("https://shop.ngrok.app/twilio/voice#ct=3000&rt=8000&rc=1"));
        assert_eq!(now.status_callback.as_deref(), Some("https://shop.ngrok.app/twilio/voice/status"));
        assert!(now.voice_fallback_url.as_deref().unwrap().contains("/Flows/FW1"));
        let n = store.read(|c| numbers::get(c, a)).unwrap();
        assert!(n.managed && n.wired_url.as_deref() == Some("https://shop.ngrok.app"));

        unmanage(&store, &api, a).await.unwrap();
        assert_eq!(api.fetch_urls(PN1).await.unwrap(), before, "the console's URLs come back exactly");
        assert!(!store.read(|c| numbers::get(c, a)).unwrap().managed);
    }

    #[tokio::test]
    async fn a_url_change_rewires_every_managed_number_and_records_failures() {
        let (_d, store, api, a, b) = setup();
        manage(&store, &api, a, Some("https://first.ngrok.app"), None).await.unwrap();
        manage(&store, &api, b, Some("https://first.ngrok.app"), None).await.unwrap();
        *api.fail_updates_for.lock().unwrap() = Some(PN2.into());
        let report = rewire_all(&store, &api, "https://second.ngrok.app", &HashMap::new()).await.unwrap();
        assert_eq!(report.len(), 2);
        assert_eq!(api.fetch_urls(PN1).await.unwrap().sms_url.as_deref(), Some("https://second.ngrok.app/twilio/sms"));
        let failed = report.iter().find(|w| w.number_id == b).unwrap();
        assert!(failed.error.as_deref().unwrap().contains("connection reset"));
        let nb = store.read(|c| numbers::get(c, b)).unwrap();
        assert_eq!(nb.wired_url.as_deref(), Some("https://first.ngrok.app"), "a failed rewire keeps the last good URL");
        assert!(nb.wiring_error.is_some(), "and records why");
    }

    #[tokio::test]
    async fn previous_urls_are_remembered_only_once() {
        let (_d, store, api, a, _) = setup();
        let console = api.fetch_urls(PN1).await.unwrap();
        manage(&store, &api, a, Some("https://x.ngrok.app"), None).await.unwrap();
        // Managing again (e.g. after a restart) must not overwrite the console's URLs with ours.
        manage(&store, &api, a, Some("https://x.ngrok.app"), None).await.unwrap();
        unmanage(&store, &api, a).await.unwrap();
        assert_eq!(api.fetch_urls(PN1).await.unwrap(), console);
    }
}
