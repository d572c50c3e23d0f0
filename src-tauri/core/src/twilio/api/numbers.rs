//! Phone numbers: ours (IncomingPhoneNumbers), searching (AvailablePhoneNumbers), buying,
//! configuring and releasing them, and the Addresses some countries require.

use super::lenient;
pub use crate::domain::postal::PostalAddress;
use crate::error::{Error, Result};
use crate::twilio::client::{Host, Params, Retry, TwilioClient};

/// Voice/SMS/MMS/fax abilities of a number.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Capabilities {
    #[serde(alias = "SMS")]
    pub sms: Option<bool>,
    #[serde(alias = "MMS")]
    pub mms: Option<bool>,
    pub voice: Option<bool>,
}

/// One of our numbers as Twilio reports it (an IncomingPhoneNumber).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct IncomingNumber {
    pub sid: String,
    pub phone_number: String,
    /// Its name and webhooks: the same keys, at the same level of Twilio's JSON, as the
    /// settable parts [`update_number`](TwilioClient::update_number) sends.
    #[serde(flatten)]
    pub config: NumberConfig,
    pub address_sid: Option<String>,
    pub bundle_sid: Option<String>,
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct AvailableNumber {
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub iso_country: Option<String>,
    /// none, any, local or foreign: whether buying it needs an Address.
    pub address_requirements: Option<String>,
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    Local,
    Mobile,
    TollFree,
}

impl NumberType {
    fn path(self) -> &'static str {
        match self {
            NumberType::Local => "Local",
            NumberType::Mobile => "Mobile",
            NumberType::TollFree => "TollFree",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NumberSearch {
    /// ISO 3166 alpha-2, e.g. "AU".
    pub country: String,
    pub area_code: Option<String>,
    /// Digits (or a pattern with `*`) the number must contain.
    pub contains: Option<String>,
    pub sms_enabled: Option<bool>,
    pub voice_enabled: Option<bool>,
    pub page_size: Option<u32>,
}

/// Buying a number; `BundleSid`/`AddressSid` where the country requires them
/// (Twilio answers 21649/21631 when they are missing, explained in plain language).
#[derive(Debug, Clone, Default)]
pub struct BuyNumber {
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub bundle_sid: Option<String>,
    pub address_sid: Option<String>,
    pub config: NumberConfig,
}

/// The settable parts of a number (also what Twilio reports of them, in [`IncomingNumber`]);
/// unset fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct NumberConfig {
    pub friendly_name: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub sms_fallback_url: Option<String>,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub status_callback: Option<String>,
}

impl NumberConfig {
    fn into_params(self, p: Params) -> Params {
        p.opt("FriendlyName", self.friendly_name)
            .opt("SmsUrl", self.sms_url)
            .opt("SmsMethod", self.sms_method)
            .opt("SmsFallbackUrl", self.sms_fallback_url)
            .opt("VoiceUrl", self.voice_url)
            .opt("VoiceMethod", self.voice_method)
            .opt("VoiceFallbackUrl", self.voice_fallback_url)
            .opt("StatusCallback", self.status_callback)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct AddressResource {
    pub sid: String,
    pub customer_name: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub postal_code: Option<String>,
    pub iso_country: Option<String>,
    pub friendly_name: Option<String>,
    pub validated: Option<bool>,
    pub verified: Option<bool>,
}

/// An Address to create: its postal parts, and a name to know it by.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct NewAddress {
    #[serde(flatten)]
    pub postal: PostalAddress,
    pub friendly_name: Option<String>,
}

impl TwilioClient {
    /// Our numbers.
    pub async fn list_numbers(&self, max: usize) -> Result<Vec<IncomingNumber>> {
        let p = Params::new().add("PageSize", "100");
        self.list(
            Host::Api,
            &self.account_url("IncomingPhoneNumbers.json"),
            p.as_slice(),
            "incoming_phone_numbers",
            max,
        )
        .await
    }

    /// The account's number `e164`, if it owns it (a purchase whose answer was lost).
    pub async fn find_number(&self, e164: &str) -> Result<Option<IncomingNumber>> {
        let p = Params::new().add("PhoneNumber", e164).add("PageSize", "20");
        let url = self.account_url("IncomingPhoneNumbers.json");
        let found: Vec<IncomingNumber> = self.list(Host::Api, &url, p.as_slice(), "incoming_phone_numbers", 20).await?;
        Ok(found.into_iter().find(|n| n.phone_number == e164))
    }

    pub async fn fetch_number(&self, sid: &str) -> Result<IncomingNumber> {
        self.get_json(&self.account_url(&format!("IncomingPhoneNumbers/{sid}.json")), &[]).await
    }

    /// Numbers for sale in `search.country` of `kind`.
    pub async fn search_available(&self, kind: NumberType, search: &NumberSearch) -> Result<Vec<AvailableNumber>> {
        let country = search.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::InvalidInput(format!("{:?} is not a two-letter country code", search.country)));
        }
        let url = self.account_url(&format!("AvailablePhoneNumbers/{country}/{}.json", kind.path()));
        let p = Params::new()
            .opt("AreaCode", search.area_code.clone())
            .opt("Contains", search.contains.clone())
            .opt("SmsEnabled", search.sms_enabled.map(|b| b.to_string()))
            .opt("VoiceEnabled", search.voice_enabled.map(|b| b.to_string()))
            .opt("PageSize", search.page_size.map(|n| n.to_string()));
        self.page::<AvailableNumber>(&url, p.as_slice(), "available_phone_numbers").await.map(|p| p.items)
    }

    /// Buys a number. Sent once: a retried purchase could buy two.
    pub async fn buy_number(&self, b: &BuyNumber) -> Result<IncomingNumber> {
        let mut config = b.config.clone();
        if config.friendly_name.is_none() {
            config.friendly_name = b.friendly_name.clone();
        }
        let p = Params::new()
            .add("PhoneNumber", &b.phone_number)
            .opt("BundleSid", b.bundle_sid.clone())
            .opt("AddressSid", b.address_sid.clone());
        let p = config.into_params(p);
        self.post_form(&self.account_url("IncomingPhoneNumbers.json"), p.as_slice(), Retry::Never).await
    }

    /// Renames or re-wires a number (setting the same values twice is harmless, so retried).
    pub async fn update_number(&self, sid: &str, config: &NumberConfig) -> Result<IncomingNumber> {
        let p = config.clone().into_params(Params::new());
        self.post_form(&self.account_url(&format!("IncomingPhoneNumbers/{sid}.json")), p.as_slice(), Retry::Safe).await
    }

    /// Releases a number back to Twilio (the UI confirms first; this cannot be undone).
    pub async fn release_number(&self, sid: &str) -> Result<()> {
        self.delete(&self.account_url(&format!("IncomingPhoneNumbers/{sid}.json"))).await
    }

    pub async fn create_address(&self, new: &NewAddress) -> Result<AddressResource> {
        let a = &new.postal;
        let p = Params::new()
            .add("CustomerName", &a.customer_name)
            .add("Street", &a.street)
            .add("City", &a.city)
            .add("Region", &a.region)
            .add("PostalCode", &a.postal_code)
            .add("IsoCountry", a.iso_country.trim().to_ascii_uppercase())
            .opt("FriendlyName", new.friendly_name.clone());
        self.post_form(&self.account_url("Addresses.json"), p.as_slice(), Retry::Never).await
    }

    pub async fn list_addresses(&self, max: usize) -> Result<Vec<AddressResource>> {
        self.list(Host::Api, &self.account_url("Addresses.json"), &[], "addresses", max).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's JSON keeps a number's name and webhooks beside its SID: the embedded
    /// [`NumberConfig`] reads them from there and writes them back there.
    #[test]
    fn incoming_number_config_is_flat_in_twilios_json() {
        let twilio = serde_json::json!({
            "sid": "PN1", "phone_number": "+61255550100", "friendly_name": "Shop",
            "sms_url": "https://shop.example/sms", "sms_method": "POST", "sms_fallback_url": null,
            "voice_url": "https://shop.example/voice", "voice_method": "POST", "voice_fallback_url": "",
            "status_callback": "https://shop.example/status", "address_sid": null, "bundle_sid": "BU1",
            "capabilities": {"SMS": true, "MMS": false, "voice": true}, "account_sid": "AC1"
        });
        let n: IncomingNumber = serde_json::from_value(twilio).unwrap();
        assert_eq!(n.config.friendly_name.as_deref(), Some("Shop"));
        assert_eq!(n.config.sms_url.as_deref(), Some("https://shop.example/sms"));
        assert_eq!(n.config.voice_fallback_url.as_deref(), Some(""));
        assert_eq!(n.config.status_callback.as_deref(), Some("https://shop.example/status"));
        assert_eq!(n.bundle_sid.as_deref(), Some("BU1"));
        let back = serde_json::to_value(&n).unwrap();
        assert_eq!(back["sms_url"], "https://shop.example/sms");
        assert_eq!(back["friendly_name"], "Shop");
        assert!(back.get("config").is_none(), "no nested object: {back}");
        assert_eq!(serde_json::from_value::<IncomingNumber>(back).unwrap(), n);
    }
}
