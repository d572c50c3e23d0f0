//! How the owner chose to be reached, as stored: the tunnel kind, the manual public URL and
//! the ngrok domain in settings (non-secret), the ngrok authtoken in the keychain. Saving
//! validates what the form sent; reading tolerates what an older build, a hand edit or a
//! half-finished save left behind, so a bad value never wires the numbers at nonsense.

use crate::error::{Error, Result};
use crate::secrets::Secret;
use crate::store::{settings, Store};

/// Settings keys for how the app is reached (non-secret; the ngrok token is in the keychain).
pub use crate::store::settings::keys::{MANUAL_URL, NGROK_DOMAIN, TUNNEL_KIND};

/// What the tunnel form sends.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TunnelConfig {
    Ngrok {
        authtoken: String,
        #[serde(default)]
        domain: Option<String>,
    },
    Manual {
        url: String,
    },
}

/// The stored choice, read leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReachChoice {
    /// Nothing (or nothing usable) chosen: the app runs locally without touching numbers.
    None,
    Ngrok {
        domain: Option<String>,
    },
    /// The owner's own URL, normalised (http(s), no trailing slash).
    Manual(String),
}

/// A public URL without a trailing slash; only http(s), with no query or fragment.
fn public_url(raw: &str) -> Result<String> {
    use crate::tunnel::manual::{checked_public_url, UrlProblem};
    checked_public_url(raw).map_err(|problem| match problem {
        UrlProblem::QueryOrFragment => Error::InvalidInput(format!(
            "{raw:?} must not have a query (?…) or a fragment (#…): enter the address alone"
        )),
        UrlProblem::NotAUrl(_) | UrlProblem::NotHttp(_) => {
            Error::InvalidInput(format!("{raw:?} is not an http(s) URL"))
        }
    })
}

/// The ngrok domain as ngrok takes it: a host name ("shop.ngrok.app"), whatever scheme,
/// case or trailing slash was pasted with it.
fn ngrok_domain(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    let without_scheme = ["https://", "http://"]
        .iter()
        .find_map(|p| trimmed.get(..p.len()).filter(|s| s.eq_ignore_ascii_case(p)).map(|_| &trimmed[p.len()..]))
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    let refused = || Error::InvalidInput(format!("{raw:?} is not an ngrok domain such as shop.ngrok.app"));
    let url = url::Url::parse(&format!("https://{without_scheme}")).map_err(|_| refused())?;
    match url.host_str() {
        Some(host) if url.path() == "/" && url.query().is_none() && url.port().is_none() && host.contains('.') => {
            Ok(host.to_ascii_lowercase())
        }
        _ => Err(refused()),
    }
}

fn non_blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Validates `config` and stores it: the ngrok authtoken through `keep_secret` (the
/// keychain in the app), the rest in settings. Nothing is stored when it is invalid.
pub async fn configure(
    store: &Store,
    config: TunnelConfig,
    keep_secret: impl FnOnce(Secret<String>) -> Result<()>,
) -> Result<()> {
    match config {
        TunnelConfig::Ngrok { authtoken, domain } => {
            if authtoken.trim().is_empty() {
                return Err(Error::InvalidInput("enter your ngrok authtoken".into()));
            }
            let domain = non_blank(domain).map(|d| ngrok_domain(&d)).transpose()?;
            keep_secret(Secret::new(authtoken.trim().into()))?;
            store
                .write_async(move |tx| {
                    settings::set(tx, TUNNEL_KIND, "ngrok")?;
                    match domain {
                        Some(d) => settings::set(tx, NGROK_DOMAIN, &d),
                        None => settings::remove(tx, NGROK_DOMAIN),
                    }
                })
                .await
        }
        TunnelConfig::Manual { url } => {
            let url = public_url(&url)?;
            if !crate::tunnel::manual::reachable_from_the_internet(&url) {
                return Err(Error::InvalidInput(format!(
                    "Twilio cannot reach {url}: it is an address of this computer or your local network. \
                     Enter the public https address your proxy or tunnel gives you"
                )));
            }
            store
                .write_async(move |tx| {
                    settings::set(tx, TUNNEL_KIND, "manual")?;
                    settings::set(tx, MANUAL_URL, &url)
                })
                .await
        }
    }
}

/// The stored choice. The kind is read case- and space-insensitively; an unknown kind, or
/// "manual" without a URL, is no choice; a blank ngrok domain is none. A stored manual URL
/// that is not http(s) is an error naming the setting, since wiring numbers to it would
/// send every call and text nowhere.
pub fn read(conn: &rusqlite::Connection) -> Result<ReachChoice> {
    let kind = settings::get(conn, TUNNEL_KIND)?.unwrap_or_default().trim().to_ascii_lowercase();
    Ok(match kind.as_str() {
        "ngrok" => ReachChoice::Ngrok { domain: non_blank(settings::get(conn, NGROK_DOMAIN)?) },
        "manual" => match non_blank(settings::get(conn, MANUAL_URL)?) {
            Some(raw) => ReachChoice::Manual(public_url(&raw).map_err(|_| {
                Error::InvalidInput(format!(
                    "the saved public URL {raw:?} is not an http(s) URL: enter it again in Settings > Tunnel"
                ))
            })?),
            None => ReachChoice::None,
        },
        _ => ReachChoice::None,
    })
}
