//! Fetching one media file or recording from Twilio, safely.
//!
//! Only Twilio's hosts are contacted: the API host (`api.twilio.com`, or the configured
//! `SWITCHBOARD_TWILIO_API_BASE` so the simulator works) and the CDN hosts Twilio
//! redirects media to. Redirects are followed by hand, each hop checked against the same
//! list, and the account credentials are sent only to the API host, never to a CDN. The
//! body is streamed to a temporary file while being hashed and counted, and abandoned the
//! moment it exceeds the size cap. The file is then stored content-addressed:
//! `media/ab/<sha256>.<ext>` under the data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

use super::MediaConfig;

/// How many redirects one download may follow.
const MAX_REDIRECTS: usize = 5;

/// Why a download did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Can never succeed (not a Twilio host, over the size cap, gone): recorded as failed.
    Permanent(String),
    /// May succeed later (network, 5xx, not ready yet): retried with backoff.
    Retry(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Permanent(s) | FetchError::Retry(s) => f.write_str(s),
        }
    }
}

/// A file now on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Relative to the data directory, `/`-separated: `media/ab/<sha256>.<ext>`.
    pub path: String,
    pub sha256: String,
    pub bytes: i64,
    pub content_type: String,
}

/// Which hosts may be contacted, and which of them get the credentials.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// (scheme, host, port) of the configured API base.
    api_base: Option<(String, String, u16)>,
}

impl HostPolicy {
    pub fn new(api_base: &str) -> Self {
        let api_base = Url::parse(api_base).ok().and_then(|u| {
            Some((u.scheme().to_string(), u.host_str()?.to_ascii_lowercase(), u.port_or_known_default()?))
        });
        HostPolicy { api_base }
    }

    fn is_configured_api(&self, url: &Url) -> bool {
        match (&self.api_base, url.host_str(), url.port_or_known_default()) {
            (Some((scheme, host, port)), Some(h), Some(p)) => {
                scheme == url.scheme() && host.eq_ignore_ascii_case(h) && *port == p
            }
            _ => false,
        }
    }

    /// Twilio's own API host over https, or the configured API base.
    pub fn is_api_host(&self, url: &Url) -> bool {
        if self.is_configured_api(url) {
            return true;
        }
        url.scheme() == "https" && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case("api.twilio.com"))
    }

    /// Whether `url` may be fetched at all: an API host, or (https only) Twilio's media CDN.
    pub fn allows(&self, url: &Url) -> bool {
        if self.is_api_host(url) {
            return true;
        }
        if url.scheme() != "https" || url.port().is_some_and(|p| p != 443) {
            return false;
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
        let cdn = host == "twiliocdn.com" || host.ends_with(".twiliocdn.com") || host.ends_with(".twilio.com");
        // Twilio's media redirects land on S3 under the media.twiliocdn.com bucket.
        let s3_bucket = host == "s3-external-1.amazonaws.com" && url.path().starts_with("/media.twiliocdn.com/");
        cdn || s3_bucket
    }
}

/// The URL to fetch for a queued download: recordings without an extension get `.wav`
/// (Twilio serves the same recording as `.wav` or `.mp3`).
pub fn download_url(kind: &str, url: &str) -> String {
    if kind != "recording" {
        return url.to_string();
    }
    match Url::parse(url) {
        Ok(mut u) => {
            let last = u.path_segments().and_then(|mut s| s.next_back()).unwrap_or("").to_string();
            if !last.is_empty() && !last.contains('.') {
                let path = format!("{}.wav", u.path());
                u.set_path(&path);
            }
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// A file extension for a content type (lower-case, no dot); `bin` when unknown.
pub fn extension_for(content_type: &str) -> &'static str {
    match content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/ogg" => "ogg",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        "text/vcard" | "text/x-vcard" => "vcf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// Downloads `url` into `data_dir/media/…`; see the module docs for the rules.
pub async fn fetch(
    client: &reqwest::Client,
    config: &MediaConfig,
    policy: &HostPolicy,
    data_dir: &Path,
    url: &str,
    fallback_content_type: &str,
) -> Result<Fetched, FetchError> {
    let mut current = Url::parse(url).map_err(|e| FetchError::Permanent(format!("not a URL ({e})")))?;
    let mut hops = 0;
    let response = loop {
        if !policy.allows(&current) {
            return Err(FetchError::Permanent(format!(
                "refused to download from {}: not a Twilio host",
                current.host_str().unwrap_or("?")
            )));
        }
        let mut req = client.get(current.clone());
        if policy.is_api_host(&current) {
            if let Some((user, password)) = &config.credentials {
                req = req.basic_auth(user, Some(password.expose()));
            }
        }
        let resp = req.send().await.map_err(|e| FetchError::Retry(format!("could not reach Twilio: {e}")))?;
        if resp.status().is_redirection() {
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(FetchError::Permanent("too many redirects".into()));
            }
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| FetchError::Permanent("a redirect without a Location".into()))?;
            current =
                current.join(location).map_err(|e| FetchError::Permanent(format!("a redirect to a bad URL ({e})")))?;
            continue;
        }
        break resp;
    };
    let status = response.status();
    if !status.is_success() {
        let msg = format!("Twilio answered HTTP {}", status.as_u16());
        return Err(match status {
            StatusCode::NOT_FOUND
            | StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN => FetchError::Retry(msg),
            s if s.is_server_error() => FetchError::Retry(msg),
            _ => FetchError::Permanent(msg),
        });
    }
    let too_big = || FetchError::Permanent(format!("larger than the {} byte limit", config.max_bytes));
    let declared = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > config.max_bytes) {
        return Err(too_big());
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(';').next().unwrap_or("").trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| fallback_content_type.to_string());

    let media_dir = data_dir.join("media");
    let tmp_dir = media_dir.join("tmp");
    crate::store::private::create_dir_async(&tmp_dir)
        .await
        .map_err(|e| FetchError::Retry(format!("cannot write files: {e}")))?;
    let tmp = tmp_dir.join(format!("{:016x}.part", rand::random::<u64>()));
    let result = stream_to(response, &tmp, config.max_bytes).await;
    let (sha256, bytes) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let ext = extension_for(&content_type);
    let rel = format!("media/{}/{sha256}.{ext}", &sha256[..2]);
    let dest: PathBuf = match super::stored_path::join(data_dir, &rel) {
        Ok(dest) => dest,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(FetchError::Permanent(e.to_string()));
        }
    };
    let placed = async {
        if let Some(parent) = dest.parent() {
            crate::store::private::create_dir_async(parent).await?;
        }
        if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
            // Same content already stored: content addressing makes this a no-op.
            tokio::fs::remove_file(&tmp).await
        } else {
            tokio::fs::rename(&tmp, &dest).await
        }
    }
    .await;
    if let Err(e) = placed {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(FetchError::Retry(format!("cannot write files: {e}")));
    }
    Ok(Fetched { path: rel, sha256, bytes: bytes as i64, content_type })
}

/// Streams the body into `path`, hashing it; stops as soon as it passes `max_bytes`.
async fn stream_to(mut response: reqwest::Response, path: &Path, max_bytes: u64) -> Result<(String, u64), FetchError> {
    let io = |e: std::io::Error| FetchError::Retry(format!("cannot write files: {e}"));
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    // Private from the first byte (a recording or a customer's picture).
    crate::store::private::file(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    loop {
        let chunk = match tokio::time::timeout(Duration::from_secs(60), response.chunk()).await {
            Err(_) => return Err(FetchError::Retry("the download stalled".into())),
            Ok(Err(e)) => return Err(FetchError::Retry(format!("the download was cut off: {e}"))),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(c))) => c,
        };
        total += chunk.len() as u64;
        if total > max_bytes {
            return Err(FetchError::Permanent(format!("larger than the {max_bytes} byte limit")));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    Ok((hex::encode(hasher.finalize()), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_twilio_hosts_and_the_configured_base() {
        let p = HostPolicy::new("http://127.0.0.1:4010");
        let ok = |u: &str| p.allows(&Url::parse(u).unwrap());
        assert!(ok("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"));
        assert!(ok("http://127.0.0.1:4010/x"));
        assert!(ok("https://media.twiliocdn.com/x"));
        assert!(ok("https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/x"));
        assert!(!ok("http://api.twilio.com/x"), "plain http to Twilio is refused");
        assert!(!ok("http://127.0.0.1:4011/x"), "another port is another host");
        assert!(!ok("https://evil.example/x"));
        assert!(!ok("https://api.twilio.com.evil.example/x"));
        assert!(!ok("https://s3-external-1.amazonaws.com/other-bucket/x"));
        assert!(!p.is_api_host(&Url::parse("https://media.twiliocdn.com/x").unwrap()), "no credentials to the CDN");
    }

    #[test]
    fn recordings_get_wav() {
        assert_eq!(
            download_url("recording", "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"),
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1.wav"
        );
        assert_eq!(download_url("recording", "https://x.twilio.com/RE1.mp3"), "https://x.twilio.com/RE1.mp3");
        assert_eq!(download_url("media", "https://api.twilio.com/M/ME1"), "https://api.twilio.com/M/ME1");
    }
}
