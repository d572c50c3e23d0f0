//! `X-Twilio-Signature`: how Twilio signs each webhook, and how we check it.
//!
//! Twilio computes base64(HMAC-SHA1(auth_token, url + Σ name+value)) over the exact URL
//! it requested (scheme, userinfo, host case, port, path, raw query) followed by every
//! form parameter, names sorted and each name's values sorted and de-duplicated. We accept
//! the signature for the URL as configured, with its port removed, or with the default
//! port added, as the official libraries do. JSON bodies are not in the HMAC: the URL
//! carries `bodySHA256`, which must equal the body's SHA-256.
//!
//! The URL is always handled as a raw string, never parsed and re-serialised: a URL
//! library would normalise case, escapes or ports and the HMAC would no longer match.
//! Where the official libraries disagree (tests/signature_vectors.rs lists the three
//! cases) we side with the majority: twilio-python, -java, -csharp, -ruby and -php hash
//! the URL bytes as given and do not re-encode or lowercase them.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Digest;
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<sha1::Sha1>;
type HmacSha256 = Hmac<sha2::Sha256>;

/// Which HMAC the account uses (the default is SHA-1; newer accounts can opt into
/// SHA-256, announced by the `X-Twilio-Webhooks-Signature-Settings` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
}

impl Algorithm {
    /// Reads `X-Twilio-Webhooks-Signature-Settings` (e.g. `key=…,algorithm=HMAC_SHA256`).
    pub fn from_settings_header(value: Option<&str>) -> Self {
        let Some(v) = value else { return Algorithm::Sha1 };
        let sha256 = v.split(',').any(|part| {
            let mut kv = part.splitn(2, '=');
            matches!(
                (kv.next().map(str::trim), kv.next().map(str::trim)),
                (Some(k), Some(val)) if k.eq_ignore_ascii_case("algorithm") && val.eq_ignore_ascii_case("HMAC_SHA256")
            )
        });
        if sha256 {
            Algorithm::Sha256
        } else {
            Algorithm::Sha1
        }
    }
}

/// The exact message Twilio signs: `url` then each name+value, sorted and de-duplicated.
pub fn string_to_sign(url: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut s = String::with_capacity(url.len() + pairs.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>());
    s.push_str(url);
    for (k, v) in pairs {
        s.push_str(k);
        s.push_str(v);
    }
    s
}

/// The signature Twilio would send for `url` and `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)], algorithm: Algorithm) -> String {
    let data = string_to_sign(url, params);
    let raw = match algorithm {
        Algorithm::Sha1 => {
            let Ok(mut mac) = HmacSha1::new_from_slice(auth_token.as_bytes()) else {
                return String::new();
            };
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Algorithm::Sha256 => {
            let Ok(mut mac) = HmacSha256::new_from_slice(auth_token.as_bytes()) else {
                return String::new();
            };
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Hex SHA-256 of a request body, as carried in `bodySHA256`.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(body))
}

/// What the request carried: form parameters, or a raw (JSON) body.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    Form(&'a [(String, String)]),
    Json(&'a [u8]),
}

/// Whether `signature` is Twilio's for this request. `url` is the full public URL
/// (configured base + raw path and query as received).
pub fn validate(auth_token: &str, url: &str, payload: Payload<'_>, signature: &str, algorithm: Algorithm) -> bool {
    let params: &[(String, String)] = match payload {
        Payload::Form(p) => p,
        Payload::Json(body) => {
            // Only the URL is signed; the body must match the hash the URL carries.
            match query_value(url, "bodySHA256") {
                Some(expected) if constant_time_eq(expected.as_bytes(), body_sha256(body).as_bytes()) => &[],
                _ => return false,
            }
        }
    };
    let mut ok = false;
    // Check every variant (no early return) so timing does not reveal which matched.
    for candidate in url_variants(url) {
        let expected = sign(auth_token, &candidate, params, algorithm);
        ok |= !expected.is_empty() && constant_time_eq(expected.as_bytes(), signature.as_bytes());
    }
    ok
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The raw value of `name` in the URL's query string (no decoding: hex needs none).
fn query_value<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The URL as given, with its port removed, and with the default port added.
pub fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    let Some(scheme_end) = url.find("://") else { return out };
    let scheme = &url[..scheme_end];
    let rest_start = scheme_end + 3;
    let authority_end = url[rest_start..].find(['/', '?', '#']).map(|i| i + rest_start).unwrap_or(url.len());
    let authority = &url[rest_start..authority_end];
    let host_start = authority.rfind('@').map(|i| i + 1).unwrap_or(0);
    let hostport = &authority[host_start..];
    // The port follows the last ':' outside an IPv6 literal's brackets.
    let port_colon = hostport.rfind(':').filter(|&i| !hostport[i..].contains(']'));
    let prefix = &url[..rest_start + host_start];
    let suffix = &url[authority_end..];
    match port_colon {
        Some(i) if hostport[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            out.push(format!("{prefix}{}{suffix}", &hostport[..i]));
        }
        Some(_) => {}
        None => {
            let default_port = if scheme.eq_ignore_ascii_case("https") {
                Some("443")
            } else if scheme.eq_ignore_ascii_case("http") {
                Some("80")
            } else {
                None
            };
            if let Some(port) = default_port {
                out.push(format!("{prefix}{hostport}:{port}{suffix}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn canonical_vector_from_twilio_docs() {
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(sign("12345", url, &params, Algorithm::Sha1), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(validate("12345", url, Payload::Form(&params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Algorithm::Sha1));
        assert!(!validate("12346", url, Payload::Form(&params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Algorithm::Sha1));
        assert!(!validate("12345", url, Payload::Form(&params), "", Algorithm::Sha1));
    }

    #[test]
    fn port_variants() {
        assert_eq!(url_variants("https://a.com:8443/x?y=1"), vec!["https://a.com:8443/x?y=1", "https://a.com/x?y=1"]);
        assert_eq!(url_variants("https://u:p@a.com/x"), vec!["https://u:p@a.com/x", "https://u:p@a.com:443/x"]);
        assert_eq!(url_variants("http://a.com"), vec!["http://a.com", "http://a.com:80"]);
        assert_eq!(url_variants("https://[::1]/x"), vec!["https://[::1]/x", "https://[::1]:443/x"]);
    }

    #[test]
    fn settings_header_selects_sha256() {
        assert_eq!(Algorithm::from_settings_header(None), Algorithm::Sha1);
        assert_eq!(Algorithm::from_settings_header(Some("key=abc,algorithm=HMAC_SHA256")), Algorithm::Sha256);
        assert_eq!(Algorithm::from_settings_header(Some("algorithm=HMAC_SHA1")), Algorithm::Sha1);
    }
}
