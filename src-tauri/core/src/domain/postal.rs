//! A postal address: the parts of Twilio's Address resource. Plain data, below the store
//! and the Twilio client: the wave-1 compliance form writes it (the store keeps that JSON
//! as sent), and `twilio::api::numbers::NewAddress` sends it to create an Address.

/// A postal address in the parts Twilio's Address resource has: the address the compliance
/// form writes (kept as the JSON it sent) and the one a new Address is made from.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct PostalAddress {
    pub customer_name: String,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub iso_country: String,
}
