//! Phone numbers. Ours and the owner's are always valid E.164 ([`E164`]); a customer's
//! address is whatever Twilio sent ([`Address`]) because a signed event must never be
//! dropped for an odd sender (short codes, alphanumeric IDs, test fixtures).

use std::fmt;

use crate::error::{Error, Result};

/// A phone number validated and normalised by the `phonenumber` crate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    /// Parses `+CC…`, or a national number when `default_region` (e.g. "AU") is given.
    pub fn parse_with_region(input: &str, default_region: Option<&str>) -> Result<Self> {
        let region = default_region.and_then(|r| r.parse::<phonenumber::country::Id>().ok());
        let parsed =
            phonenumber::parse(region, input.trim()).map_err(|_| Error::InvalidPhoneNumber(input.to_string()))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(Error::InvalidPhoneNumber(input.to_string()));
        }
        Ok(E164(parsed.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn parse(input: &str) -> Result<Self> {
        Self::parse_with_region(input, None)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Human formatting: national format for `home_region`, international otherwise.
    pub fn display(&self, home_region: Option<&str>) -> String {
        let Ok(parsed) = phonenumber::parse(None, &self.0) else {
            return self.0.clone();
        };
        let same_region = match (home_region, parsed.country().id()) {
            (Some(home), Some(id)) => id.as_ref().eq_ignore_ascii_case(home),
            _ => false,
        };
        let mode = if same_region { phonenumber::Mode::National } else { phonenumber::Mode::International };
        parsed.format().mode(mode).to_string()
    }

    /// The ISO region ("AU", "US") the number belongs to, when known.
    pub fn region(&self) -> Option<String> {
        let parsed = phonenumber::parse(None, &self.0).ok()?;
        parsed.country().id().map(|id| id.as_ref().to_string())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for E164 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        E164::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A party address as Twilio reported it: normalised to E.164 when it is a valid number,
/// kept verbatim otherwise (e.g. "+1A693421974" in a fixture, a short code, "whatsapp:…").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address(String);

impl Address {
    pub fn from_twilio(raw: &str) -> Self {
        match E164::parse(raw) {
            Ok(n) => Address(n.0),
            Err(_) => Address(raw.trim().to_string()),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_international_and_national_forms() {
        assert_eq!(E164::parse("+61 412 345 678").unwrap().as_str(), "+61412345678");
        assert_eq!(E164::parse_with_region("0412 345 678", Some("AU")).unwrap().as_str(), "+61412345678");
        assert_eq!(E164::parse("+1 (415) 867-5309").unwrap().as_str(), "+14158675309");
    }

    #[test]
    fn rejects_garbage_and_impossible_numbers() {
        assert!(E164::parse("hello").is_err());
        assert!(E164::parse("+1A693421974").is_err());
        assert!(E164::parse("+6100").is_err());
    }

    #[test]
    fn formats_for_people() {
        let n = E164::parse("+61412345678").unwrap();
        assert_eq!(n.display(Some("AU")), "0412 345 678");
        assert_eq!(n.display(Some("US")), "+61 412 345 678");
        assert_eq!(n.region().as_deref(), Some("AU"));
    }

    #[test]
    fn odd_addresses_are_kept_verbatim() {
        assert_eq!(Address::from_twilio("+1A693421974").as_str(), "+1A693421974");
        assert_eq!(Address::from_twilio("+14158675309").as_str(), "+14158675309");
    }
}
