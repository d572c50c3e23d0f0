//! Everything Switchboard sends: SMS/MMS (`send`, the one path the UI and
//! `switchboard send` share; `reply` in a thread, by text or email), bulk templated sends
//! (`bulk` plans and previews them, `campaign` runs them), click-to-call (`click_to_call`), email replies through
//! Resend (`email`), and the expiring links Twilio fetches MMS attachments from
//! (`media_links`).

pub mod bulk;
pub mod campaign;
pub mod click_to_call;
pub mod composer;
pub mod email;
pub mod history;
pub mod media_links;
pub mod reply;
pub mod scheduled;
pub mod send;
pub mod text_back;
pub mod threading;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::events::{Events, TunnelState};
use crate::store::Store;
use crate::twilio::client::TwilioClient;

/// What sending needs; cheap to clone (every field is a handle).
#[derive(Clone)]
pub struct Outbound {
    pub store: Store,
    pub client: TwilioClient,
    pub events: Events,
    /// Where the public base URL comes from; read at each send through [`Outbound::public_url`].
    url: UrlSource,
    /// How long an MMS attachment link stays valid at most (Twilio fetches within seconds;
    /// a fetched copy is purged sooner, see `media_links::purge`).
    pub media_ttl: Duration,
    /// Paces every send per sending number. Share ONE pacer between everything that sends
    /// in a process (the runtime hands out clones of its own), or a number can exceed its rate.
    pub pacer: Pacer,
    /// How long a campaign runner's lease lasts without renewal (renewed at each recipient);
    /// after a crash another runner may take the campaign over once it lapses.
    pub campaign_lease: Duration,
}

/// Twilio's trial-account and long-code pace: 1 segment a second.
pub const LONG_CODE_RATE: f64 = 1.0;
/// A toll-free number sends 3 segments a second.
pub const TOLL_FREE_RATE: f64 = 3.0;

/// The settings key that overrides a number's sending rate (segments per second).
pub fn rate_setting_key(e164: &str) -> crate::store::settings::Key {
    crate::store::settings::keys::send_rate(e164)
}

/// The default rate of a number: toll-free (North American 8XX) or a long code.
pub fn default_rate(e164: &str) -> f64 {
    const TOLL_FREE: [&str; 7] = ["+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"];
    if TOLL_FREE.iter().any(|p| e164.starts_with(p)) {
        TOLL_FREE_RATE
    } else {
        LONG_CODE_RATE
    }
}

/// The rate `e164` may send at: the owner's setting if valid, else [`default_rate`].
pub fn number_rate(conn: &rusqlite::Connection, e164: &str) -> crate::error::Result<f64> {
    let configured = crate::store::settings::get(conn, rate_setting_key(e164))?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|r| r.is_finite() && *r > 0.0);
    Ok(configured.unwrap_or_else(|| default_rate(e164)))
}

/// `public_url` if Twilio can call it: a loopback URL is only reachable by a Twilio that
/// is itself on this machine (the simulator of the sandbox and the tests), never by the
/// real one, so with the real Twilio it counts as no URL at all.
pub fn usable_public_url(public_url: Option<String>, twilio_api_base: &str) -> Option<String> {
    let url = public_url.filter(|u| !u.trim().is_empty())?;
    if is_loopback_url(&url) && !is_loopback_url(twilio_api_base) {
        return None;
    }
    Some(url.trim_end_matches('/').to_string())
}

fn is_loopback_url(raw: &str) -> bool {
    match url::Url::parse(raw.trim()).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => false,
    }
}

/// Where a sender's public URL comes from.
#[derive(Clone)]
enum UrlSource {
    /// Known when the sender was made (a one-shot send, the tests).
    Fixed(Option<String>),
    /// The tunnel's state as it is at each send. A campaign runs for an hour and a sender
    /// made at startup lives as long as the app: one that kept the URL of the moment it was
    /// made would send without `StatusCallback` for ever if it was made before the tunnel
    /// came up, and to a dead address after the tunnel got a new one.
    Tunnel(watch::Receiver<TunnelState>),
}

impl Outbound {
    pub fn new(store: Store, client: TwilioClient, events: Events, public_url: Option<String>) -> Self {
        Self::with_url(store, client, events, UrlSource::Fixed(public_url))
    }

    /// A sender whose public URL is the tunnel's while it is online, read at each send.
    pub fn following(store: Store, client: TwilioClient, events: Events, tunnel: watch::Receiver<TunnelState>) -> Self {
        Self::with_url(store, client, events, UrlSource::Tunnel(tunnel))
    }

    fn with_url(store: Store, client: TwilioClient, events: Events, url: UrlSource) -> Self {
        Outbound {
            store,
            client,
            events,
            url,
            media_ttl: Duration::from_secs(24 * 3600),
            pacer: Pacer::default(),
            campaign_lease: Duration::from_secs(30),
        }
    }

    /// The same sender pacing through `pacer` (the process's shared one).
    pub fn with_pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = pacer;
        self
    }

    /// The public base URL Twilio reaches us at now (no trailing slash), only when Twilio
    /// can really reach it (see [`usable_public_url`]). Without it sends carry no
    /// `StatusCallback` (catch-up repairs their status) and attachments are refused.
    pub fn public_url(&self) -> Option<String> {
        let url = match &self.url {
            UrlSource::Fixed(url) => url.clone(),
            UrlSource::Tunnel(state) => state.borrow().url().map(str::to_string),
        };
        usable_public_url(url, self.client.api_base())
    }

    /// `<public_url>` followed by `path`.
    fn public(&self, path: &str) -> Option<String> {
        self.public_url().map(|u| format!("{u}{path}"))
    }

    /// `<public_url>/twilio/sms/status`, where Twilio reports delivery.
    pub fn sms_status_callback(&self) -> Option<String> {
        self.public("/twilio/sms/status")
    }

    /// `<public_url>/twilio/voice/recording`, where Twilio posts a finished recording.
    pub fn recording_status_callback(&self) -> Option<String> {
        self.public("/twilio/voice/recording")
    }

    /// `<public_url>/twilio/voice/status`, where Twilio reports call progress.
    pub fn voice_status_callback(&self) -> Option<String> {
        self.public("/twilio/voice/status")
    }

    /// Click-to-call's screening answer (`webhook::paths::VOICE_CLICK_ACCEPT`).
    pub fn click_accept_url(&self) -> Option<String> {
        self.public("/twilio/voice/click/accept")
    }
}

/// Spaces sends from one number: each caller reserves the next free slot for its number,
/// so everything sending from the same number (replies, campaigns, the CLI in this
/// process) together keeps that number's rate. A slot lasts as long as its message's
/// segments take at the number's rate.
#[derive(Clone, Default)]
pub struct Pacer(Arc<Mutex<HashMap<String, tokio::time::Instant>>>);

impl Pacer {
    /// Waits until `number` may send again, then reserves the slot `interval` later.
    pub async fn wait_turn(&self, number: &str, interval: Duration) {
        let due = {
            // The lock is released before sleeping; a poisoned map only holds instants.
            let mut slots = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            let due = slots.get(number).map_or(now, |t| (*t).max(now));
            slots.insert(number.to_string(), due + interval);
            due
        };
        tokio::time::sleep_until(due).await;
    }

    /// Whether two handles pace through the same slots.
    pub fn same_as(&self, other: &Pacer) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// How long a message of `segments` occupies a number sending `rate` segments a second.
pub fn slot_for(segments: usize, rate: f64) -> Duration {
    Duration::from_secs_f64(segments.max(1) as f64 / rate.max(0.001))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_public_url_is_no_url_for_the_real_twilio() {
        let real = "https://api.twilio.com";
        let sim = "http://127.0.0.1:4010";
        assert_eq!(usable_public_url(Some("http://127.0.0.1:8787".into()), real), None);
        assert_eq!(usable_public_url(Some("http://localhost:8787/".into()), real), None);
        assert_eq!(usable_public_url(Some("http://[::1]:8787".into()), real), None);
        assert_eq!(
            usable_public_url(Some("http://127.0.0.1:8787".into()), sim).as_deref(),
            Some("http://127.0.0.1:8787")
        );
        assert_eq!(
            usable_public_url(Some("https://a.ngrok.app/".into()), real).as_deref(),
            Some("https://a.ngrok.app")
        );
        assert_eq!(usable_public_url(Some("  ".into()), sim), None);
        assert_eq!(usable_public_url(None, sim), None);
    }

    /// A sender made before the tunnel is up (the runtime's startup work, a campaign the
    /// owner started while it reconnects) sends with the URL once it is up, and follows a new
    /// one; a sender made with a fixed URL keeps it.
    #[test]
    fn a_sender_following_the_tunnel_uses_its_url_of_the_moment() -> crate::error::Result<()> {
        let (_dir, store) = crate::store::test_store();
        let creds = crate::secrets::TwilioCredentials::with_auth_token("AC00000000000000000000000000000000", "t");
        let client = TwilioClient::new(crate::twilio::client::ClientConfig::new(creds))?;
        let (tunnel, state) = watch::channel(TunnelState::Connecting { kind: "ngrok".into() });
        let ob = Outbound::following(store.clone(), client.clone(), Events::new(), state);
        assert_eq!(ob.sms_status_callback(), None, "no URL while connecting");
        let online = |url: &str| TunnelState::Online { kind: "ngrok".into(), url: url.into() };
        tunnel.send_replace(online("https://a.ngrok.app/"));
        assert_eq!(ob.sms_status_callback().as_deref(), Some("https://a.ngrok.app/twilio/sms/status"));
        let campaign = ob.clone();
        tunnel.send_replace(online("https://b.ngrok.app"));
        assert_eq!(campaign.voice_status_callback().as_deref(), Some("https://b.ngrok.app/twilio/voice/status"));
        tunnel.send_replace(TunnelState::Reconnecting {
            kind: "ngrok".into(),
            attempt: 1,
            reason: "gone".into(),
            retry_in_secs: 1,
        });
        assert_eq!(campaign.public_url(), None, "a URL nobody answers at is no URL");
        let fixed = Outbound::new(store, client, Events::new(), Some("https://c.example".into()));
        assert_eq!(fixed.click_accept_url().as_deref(), Some("https://c.example/twilio/voice/click/accept"));
        Ok(())
    }

    #[test]
    fn toll_free_numbers_send_three_segments_a_second_long_codes_one() {
        assert_eq!(default_rate("+18005550100"), TOLL_FREE_RATE);
        assert_eq!(default_rate("+18885550100"), TOLL_FREE_RATE);
        assert_eq!(default_rate("+15005550006"), LONG_CODE_RATE);
        assert_eq!(default_rate("+61255501234"), LONG_CODE_RATE);
        assert_eq!(slot_for(3, 1.0), Duration::from_secs(3), "a 3-segment text holds a long code for 3 s");
    }

    /// Many senders (a reply, two campaign runners, the CLI…) on one pacer: the slots they
    /// are granted from one number never come closer than the segments before them take.
    #[tokio::test(start_paused = true)]
    async fn one_number_never_exceeds_its_rate_across_senders() {
        let p = Pacer::default();
        let start = tokio::time::Instant::now();
        let grants = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for sender in 0..4usize {
            let (p, grants) = (p.clone(), grants.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..5usize {
                    let segments = 1 + (sender + i) % 3;
                    p.wait_turn("+15005550006", slot_for(segments, LONG_CODE_RATE)).await;
                    grants.lock().unwrap().push((tokio::time::Instant::now() - start, segments));
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut g = grants.lock().unwrap().clone();
        g.sort();
        assert_eq!(g.len(), 20);
        for w in g.windows(2) {
            let ((t0, seg0), (t1, _)) = (w[0], w[1]);
            assert!(t1 - t0 >= slot_for(seg0, LONG_CODE_RATE), "{t0:?} ({seg0} segments) then {t1:?}: too close");
        }
        let total: usize = g.iter().map(|x| x.1).sum::<usize>() - g.last().unwrap().1;
        assert_eq!(g.last().unwrap().0, Duration::from_secs(total as u64), "and no slower than the rate");
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_sends_per_number_not_globally() {
        let p = Pacer::default();
        let start = tokio::time::Instant::now();
        p.wait_turn("+1", Duration::from_secs(1)).await;
        p.wait_turn("+2", Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "first sends from two numbers go at once");
        p.wait_turn("+1", Duration::from_secs(1)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1), "the second from +1 waits its interval");
    }
}
