//! Media and recording downloads, done after the webhook's commit (Twilio waits 15 s at
//! most for an answer, so the handler never touches the network).
//!
//! The queue is the `downloads` table: webhooks enqueue inside their transaction and
//! [`Wake::wake`] the worker after the commit; the worker also polls, so nothing waits on
//! a lost wake-up. Failures are written back to the row (error, attempt count, next try),
//! so a stuck download is visible to the owner and retried with backoff; one that can
//! never succeed (too big, not a Twilio host) is marked failed. The worker task never
//! panics and never holds a lock across `.await`.

pub mod fetch;
pub mod local_file;
pub mod stored_path;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::OptionalExtension;
use tokio::sync::Notify;

use crate::domain::now_rfc3339;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::secrets::{Secret, TwilioCredentials};
use crate::store::{call_recordings, downloads, messages, voicemails, Store};
use fetch::{FetchError, HostPolicy};

/// Default size cap for one file (Twilio's own MMS limit is 5 MB; recordings can be longer).
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;
/// After this many failed attempts a download is marked failed (still listed, not retried).
pub const MAX_ATTEMPTS: i64 = 12;
/// How many due downloads one pass takes.
const BATCH: i64 = 16;

/// A wake-up for the worker. `wake` before the worker waits is not lost (a stored permit).
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
    pub async fn wait(&self) {
        self.0.notified().await
    }
}

/// How the worker fetches.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// `SWITCHBOARD_TWILIO_API_BASE` (default `https://api.twilio.com`): its host is allowed
    /// and gets the credentials, so the simulator or a local test server works.
    pub api_base: String,
    /// Files over this size are refused (`SWITCHBOARD_MEDIA_MAX_BYTES`, default 50 MB).
    pub max_bytes: u64,
    /// Basic-auth user and password sent to the API host only.
    pub credentials: Option<(String, Secret<String>)>,
    /// How often the queue is looked at without a wake-up.
    pub poll_interval: Duration,
    /// Per-request connect/response timeout.
    pub timeout: Duration,
}

impl MediaConfig {
    pub fn new(api_base: &str, credentials: Option<&TwilioCredentials>) -> Self {
        MediaConfig {
            api_base: api_base.trim_end_matches('/').to_string(),
            max_bytes: DEFAULT_MAX_BYTES,
            credentials: credentials.map(|c| (c.username.clone(), c.password.clone())),
            poll_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }

    /// From the environment (`SWITCHBOARD_TWILIO_API_BASE`, `SWITCHBOARD_MEDIA_MAX_BYTES`).
    pub fn from_env(credentials: Option<&TwilioCredentials>) -> Result<Self> {
        let base = std::env::var("SWITCHBOARD_TWILIO_API_BASE")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "https://api.twilio.com".into());
        let mut c = MediaConfig::new(&base, credentials);
        if let Some(v) = std::env::var("SWITCHBOARD_MEDIA_MAX_BYTES").ok().filter(|v| !v.trim().is_empty()) {
            c.max_bytes = v.trim().parse().map_err(|_| {
                Error::Usage(format!("SWITCHBOARD_MEDIA_MAX_BYTES must be a number of bytes, not {v:?}"))
            })?;
        }
        Ok(c)
    }
}

/// Downloads queued media and recordings into the store's data directory.
#[derive(Clone)]
pub struct Worker {
    store: Store,
    events: Events,
    config: MediaConfig,
    policy: HostPolicy,
    client: reqwest::Client,
}

impl Worker {
    pub fn new(store: Store, events: Events, config: MediaConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            // Redirects are followed by hand so each hop's host is checked.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout)
            .read_timeout(config.timeout)
            .build()
            .map_err(|e| Error::Internal(format!("the download client could not start: {e}")))?;
        Ok(Worker { store, events, policy: HostPolicy::new(&config.api_base), config, client })
    }

    /// Runs until `shutdown` resolves: a pass over the due downloads, then wait for a
    /// wake-up or the poll interval.
    pub async fn run(self, wake: Wake, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            match self.run_once().await {
                // A full batch: there may be more due right now.
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!("download pass failed: {e}"),
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = wake.wait() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// Starts [`Worker::run`] as a background task.
    pub fn spawn(self, wake: Wake, shutdown: impl Future<Output = ()> + Send + 'static) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(wake, shutdown))
    }

    /// One pass: tries every download due now. Returns how many were tried.
    pub async fn run_once(&self) -> Result<usize> {
        let now = now_rfc3339();
        let due = self.store.read_async(move |c| downloads::due(c, &now, BATCH)).await?;
        let n = due.len();
        for d in due {
            self.process(d).await?;
        }
        Ok(n)
    }

    async fn process(&self, d: downloads::Download) -> Result<()> {
        let (kind, target_id, id) = (d.kind.clone(), d.target_id, d.id);
        let fallback_type = if kind == "recording" { "audio/x-wav" } else { "application/octet-stream" };
        let url = fetch::download_url(&kind, &d.url);
        let result =
            fetch::fetch(&self.client, &self.config, &self.policy, self.store.data_dir(), &url, fallback_type).await;
        match result {
            Ok(f) => {
                let k = kind.clone();
                let event = self
                    .store
                    .write_async(move |tx| {
                        let event = if k == "media" {
                            messages::set_media_file(tx, target_id, &f.path, &f.sha256, f.bytes, &f.content_type)?;
                            messages::media_message_id(tx, target_id)?
                                .map(|message_id| Event::MediaDownloaded { message_id })
                        } else {
                            voicemails::set_recording_file(
                                tx,
                                target_id,
                                &f.path,
                                &f.sha256,
                                f.bytes,
                                &f.content_type,
                            )?;
                            match voicemails::voicemail_id_for_recording(tx, target_id)? {
                                Some(voicemail_id) => Some(Event::VoicemailUpdated { voicemail_id }),
                                // A call recording: its call's row in the log becomes playable.
                                None => call_recordings::call_sid_for_recording(tx, target_id)?
                                    .map(|call_sid| Event::CallUpdated { call_sid }),
                            }
                        };
                        downloads::complete(tx, id)?;
                        Ok(event)
                    })
                    .await?;
                if let Some(e) = event {
                    self.events.publish(e);
                }
            }
            Err(err) => {
                let retry_at = match &err {
                    FetchError::Retry(_) if d.attempts + 1 < MAX_ATTEMPTS => Some(retry_time(d.attempts)),
                    _ => None,
                };
                tracing::warn!(kind = %kind, target_id, attempts = d.attempts + 1, "download failed: {err}");
                let message = err.to_string();
                let m = message.clone();
                self.store.write_async(move |tx| downloads::fail(tx, id, &m, retry_at.as_deref())).await?;
                self.events.publish(Event::DownloadFailed { kind, target_id, error: message });
            }
        }
        Ok(())
    }
}

/// What a download is for, as the owner's Retry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DownloadOf {
    /// A message's attachment (`message_media.id`).
    Media(i64),
    /// A voicemail's audio (`voicemails.id`).
    Voicemail(i64),
    /// A call recording's audio (`call_recordings.id`, as the call carries it), so the
    /// timeline's recording row retries through the same command as the others.
    Recording(i64),
}

/// The owner's Retry on a failed attachment, voicemail or call recording download: queued again now with
/// a fresh count of attempts, and the worker woken. Refused plainly when there is nothing
/// to retry (already downloaded, or unknown).
pub async fn retry_download(store: &Store, wake: &Wake, of: DownloadOf) -> Result<()> {
    let queued = store
        .write_async(move |tx| {
            let (kind, target_id) = match of {
                DownloadOf::Media(id) => ("media", id),
                DownloadOf::Voicemail(id) => {
                    let recording_id: Option<i64> = tx
                        .query_row(
                            "SELECT r.id FROM voicemails v JOIN recordings r ON r.sid = v.recording_sid WHERE v.id = ?1",
                            [id],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match recording_id {
                        Some(r) => ("recording", r),
                        None => return Ok(false),
                    }
                }
                DownloadOf::Recording(id) => ("recording", crate::store::call_recordings::recording_id_of(tx, id)?),
            };
            downloads::retry_now(tx, kind, target_id, &now_rfc3339())
        })
        .await?;
    if !queued {
        return Err(Error::InvalidInput("there is no failed download to retry here".into()));
    }
    wake.wake();
    Ok(())
}

/// Backoff: 30 s, 1 min, 2 min … capped at one hour.
pub fn retry_delay(attempts_so_far: i64) -> Duration {
    let exp = attempts_so_far.clamp(0, 7) as u32;
    Duration::from_secs((30u64 << exp).min(3600))
}

fn retry_time(attempts_so_far: i64) -> String {
    let delay = chrono::Duration::from_std(retry_delay(attempts_so_far)).unwrap_or(chrono::Duration::hours(1));
    (chrono::Utc::now() + delay).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(retry_delay(0), Duration::from_secs(30));
        assert_eq!(retry_delay(1), Duration::from_secs(60));
        assert_eq!(retry_delay(20), Duration::from_secs(3600));
    }
}
