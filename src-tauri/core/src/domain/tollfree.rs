//! The toll-free verification form (Messaging v1 `Tollfree/Verifications`), as Twilio's
//! fields name it. Plain data, below the store and the Twilio client: the store keeps the
//! form as submitted, and `twilio::api::messaging` sends it.

/// The toll-free verification form, as Twilio's fields name it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct NewTollfreeVerification {
    pub business_name: String,
    pub business_website: String,
    pub notification_email: String,
    /// e.g. `ACCOUNT_NOTIFICATIONS`, `CUSTOMER_CARE`, `DELIVERY_NOTIFICATIONS`, `MARKETING`.
    pub use_case_categories: Vec<String>,
    pub use_case_summary: String,
    pub production_message_sample: String,
    /// Where a customer opts in (a screenshot or page); Twilio requires at least one.
    pub opt_in_image_urls: Vec<String>,
    /// VERBAL, WEB_FORM, PAPER_FORM, VIA_TEXT, MOBILE_QR_CODE.
    pub opt_in_type: String,
    /// Expected monthly volume: "10", "1,000", "10,000"…
    pub message_volume: String,
    pub tollfree_phone_number_sid: String,
    pub business_street_address: Option<String>,
    pub business_city: Option<String>,
    pub business_state_province_region: Option<String>,
    pub business_postal_code: Option<String>,
    pub business_country: Option<String>,
    pub business_contact_first_name: Option<String>,
    pub business_contact_last_name: Option<String>,
    pub business_contact_email: Option<String>,
    pub business_contact_phone: Option<String>,
    pub additional_information: Option<String>,
}
