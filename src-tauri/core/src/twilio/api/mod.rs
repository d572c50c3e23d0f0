//! Typed Twilio resources, one file per family. Each function builds exactly the request
//! Twilio's OpenAPI spec describes (paths, form field names), so the same calls work
//! against Twilio, Prism and the simulator.

pub mod account;
pub mod calls;
pub mod compliance;
pub mod messages;
pub mod messaging;
pub mod numbers;
pub mod pricing;
pub mod recordings;
pub mod transcriptions;
pub mod trusthub;

use super::client::{Params, Retry, TwilioClient};

impl TwilioClient {
    /// Creates an object Twilio knows by a name, a type and a JSON of attributes: a bundle's
    /// end user, a Trust Hub end user or supporting document all take these three fields.
    /// A create is never resent (a second one would make a second object).
    async fn create_typed<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        friendly_name: &str,
        kind: &str,
        attributes: &serde_json::Value,
    ) -> crate::error::Result<T> {
        let p = Params::new()
            .add("FriendlyName", friendly_name)
            .add("Type", kind)
            .add("Attributes", attributes.to_string());
        self.post_form(url, p.as_slice(), Retry::Never).await
    }
}

/// Twilio is inconsistent about scalars (`num_segments` is `"1"`, `channels` is `1`):
/// accept a string, number or bool as text, and null as absent.
pub(crate) fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// An integer that may arrive as a number or a numeric string.
pub(crate) fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(lenient(d)?.and_then(|s| s.trim().parse::<f64>().ok()).map(|f| f as i64))
}

/// Twilio's 2010 dates are RFC 2822 ("Thu, 24 Aug 2023 05:01:45 +0000"), v2 dates are
/// RFC 3339; both become our store's RFC 3339 UTC text. None when absent or unparseable.
pub fn to_rfc3339(twilio_date: Option<&str>) -> Option<String> {
    let s = twilio_date?.trim();
    let parsed = chrono::DateTime::parse_from_rfc2822(s).or_else(|_| chrono::DateTime::parse_from_rfc3339(s)).ok()?;
    Some(parsed.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A watermark (RFC 3339) as the lower bound for Twilio's `DateSent>`, `StartTime>` and
/// `DateCreated>` filters: midnight UTC of the day before. Twilio may apply these filters
/// with day precision, so starting a day early gives an overlap that de-duplication by SID
/// removes; the value is a full date-time, which is what the spec declares.
pub fn day_before(watermark: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(watermark.trim()).ok()?;
    Some((t - chrono::Duration::days(1)).format("%Y-%m-%dT00:00:00Z").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_dates_become_rfc3339_utc() {
        assert_eq!(to_rfc3339(Some("Thu, 24 Aug 2023 05:01:45 +0000")).as_deref(), Some("2023-08-24T05:01:45.000Z"));
        assert_eq!(to_rfc3339(Some("2023-08-24T07:01:45+02:00")).as_deref(), Some("2023-08-24T05:01:45.000Z"));
        assert_eq!(to_rfc3339(Some("garbage")), None);
        assert_eq!(day_before("2026-11-21T00:30:00.000Z").as_deref(), Some("2026-11-20T00:00:00Z"));
    }
}
