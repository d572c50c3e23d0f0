//! Pricing v1 (`pricing.twilio.com`): what one SMS segment to a country costs, per carrier
//! and per kind of sending number, so a bulk send can be estimated before it goes out.

use super::lenient;
use crate::domain::money;
use crate::error::{Error, Result};
use crate::twilio::client::{Host, TwilioClient};

/// `GET /v1/Messaging/Countries/{IsoCountry}`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct MessagingCountry {
    pub country: Option<String>,
    pub iso_country: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub outbound_sms_prices: Vec<OutboundSmsPrice>,
    /// The currency of every price here ("USD"; Twilio's spec shows lower case too).
    pub price_unit: Option<String>,
}

/// The price of a text to one carrier (MCC/MNC) of the country.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct OutboundSmsPrice {
    pub carrier: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub prices: Vec<NumberTypePrice>,
}

/// The price per segment when sent from one kind of number ("local", "mobile", "toll free",
/// "shortcode"). Twilio's spec types the amounts as numbers written as strings.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct NumberTypePrice {
    #[serde(default, deserialize_with = "lenient")]
    pub base_price: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub current_price: Option<String>,
    pub number_type: Option<String>,
}

fn null_as_empty<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The kinds of number a price may be listed under for a sender: a toll-free number's own
/// rates, or a long code's (Twilio lists them as local, mobile or national by country).
fn sender_types(toll_free: bool) -> &'static [&'static str] {
    if toll_free {
        &["toll free", "tollfree", "toll-free"]
    } else {
        &["local", "mobile", "national"]
    }
}

impl MessagingCountry {
    /// The lowest and highest price of one segment over the country's carriers (in micros,
    /// as positive amounts) for a sender of this kind; the carrier a recipient is on is not
    /// known beforehand, so an estimate uses the highest. Falls back to every listed price
    /// when none is listed for the sender's kind; None when Twilio lists no price at all.
    pub fn segment_price_range(&self, toll_free: bool) -> Option<(i64, i64)> {
        let all: Vec<(&str, i64)> = self
            .outbound_sms_prices
            .iter()
            .flat_map(|c| c.prices.iter())
            .filter_map(|p| {
                let amount = p.current_price.as_deref().or(p.base_price.as_deref())?;
                Some((p.number_type.as_deref().unwrap_or(""), money::parse_micros(amount)?.abs()))
            })
            .collect();
        let wanted = sender_types(toll_free);
        let matching: Vec<i64> =
            all.iter().filter(|(t, _)| wanted.contains(&t.trim().to_ascii_lowercase().as_str())).map(|p| p.1).collect();
        let chosen: Vec<i64> = if matching.is_empty() { all.iter().map(|p| p.1).collect() } else { matching };
        Some((*chosen.iter().min()?, *chosen.iter().max()?))
    }
}

impl TwilioClient {
    /// Twilio's messaging prices for `iso_country` ("US"), as the JSON text it sent (kept
    /// for the day) — None when Twilio has no prices for that country (404).
    pub async fn fetch_messaging_prices(&self, iso_country: &str) -> Result<Option<String>> {
        let url = self.url(Host::Pricing, &format!("/v1/Messaging/Countries/{iso_country}"));
        match self.get_json::<serde_json::Value>(&url, &[]).await {
            Ok(v) => Ok(Some(v.to_string())),
            Err(Error::Twilio { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_uses_the_senders_kind_and_the_dearest_carrier() {
        let v = serde_json::json!({
            "country": "United States", "iso_country": "US", "price_unit": "USD",
            "outbound_sms_prices": [
                {"carrier": "att", "mcc": "310", "mnc": "410", "prices": [
                    {"base_price": "0.0079", "current_price": "0.0079", "number_type": "local"},
                    {"base_price": "0.0083", "current_price": "0.0083", "number_type": "toll free"}]},
                {"carrier": "tmobile", "mcc": "310", "mnc": "260", "prices": [
                    {"base_price": "0.0081", "current_price": 0.0081, "number_type": "local"}]}
            ],
            "inbound_sms_prices": null
        });
        let c: MessagingCountry = serde_json::from_value(v).unwrap();
        assert_eq!(c.segment_price_range(false), Some((7_900, 8_100)));
        assert_eq!(c.segment_price_range(true), Some((8_300, 8_300)));
        let none: MessagingCountry =
            serde_json::from_value(serde_json::json!({"iso_country": "AQ", "outbound_sms_prices": null})).unwrap();
        assert_eq!(none.segment_price_range(false), None);
    }
}
