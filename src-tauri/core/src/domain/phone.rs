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
        if let Some(known) = recent::get(raw) {
            return known;
        }
        let address = match E164::parse(raw) {
            Ok(n) => Address(n.0),
            Err(_) => Address(raw.trim().to_string()),
        };
        recent::put(raw, &address);
        address
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The addresses [`Address::from_twilio`] normalised last. Parsing a number costs tens of
/// microseconds (the `phonenumber` crate runs its metadata's regular expressions), and every
/// webhook parses two: our own number, always one of the same few, and the customer's,
/// usually someone who has written before. The result depends on the text alone, so a
/// remembered one is the same answer; the memo is bounded and simply starts again when full.
mod recent {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use super::Address;

    pub(super) const CAPACITY: usize = 4096;

    fn memo() -> &'static Mutex<HashMap<String, Address>> {
        static MEMO: OnceLock<Mutex<HashMap<String, Address>>> = OnceLock::new();
        MEMO.get_or_init(|| Mutex::new(HashMap::with_capacity(CAPACITY)))
    }

    pub(super) fn get(raw: &str) -> Option<Address> {
        // A poisoned lock only means another thread panicked mid-insert: parse afresh.
        memo().lock().ok()?.get(raw).cloned()
    }

    pub(super) fn put(raw: &str, address: &Address) {
        if let Ok(mut memo) = memo().lock() {
            if memo.len() >= CAPACITY {
                memo.clear();
            }
            memo.insert(raw.to_string(), address.clone());
        }
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

    #[test]
    fn a_remembered_address_is_the_same_answer_as_a_fresh_parse_even_past_the_memo_bound() {
        let inputs =
            [" +61 412 345 678 ", "+61412345678", "72345", "whatsapp:+61412345678", "+1 (415) 867-5309", " 72345 "];
        let fresh: Vec<String> = inputs
            .iter()
            .map(|raw| match E164::parse(raw) {
                Ok(n) => n.0,
                Err(_) => raw.trim().to_string(),
            })
            .collect();
        // More distinct numbers than the bound in between, so the memo starts again each round.
        for round in 0..3 {
            for (raw, want) in inputs.iter().zip(&fresh) {
                assert_eq!(Address::from_twilio(raw).as_str(), want, "{raw:?} in round {round}");
            }
            for n in 0..=recent::CAPACITY {
                let raw = format!("+614{:08}", round * (recent::CAPACITY + 1) + n);
                assert!(Address::from_twilio(&raw).as_str().starts_with("+614"));
            }
        }
    }
}
