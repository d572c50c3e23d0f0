//! Messaging v1 on messaging.twilio.com: Messaging Services and their phone numbers, A2P
//! 10DLC brand registrations (with the Sole Proprietor OTP), campaigns (`Usa2p`) and
//! toll-free verifications. Each create is sent once ([`Retry::Never`]); every create has
//! a list that finds what it made, so a lost answer is looked up, never made twice.

use crate::error::Result;
use crate::twilio::client::{Host, Params, Retry, TwilioClient};

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct MessagingService {
    pub sid: String,
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub use_inbound_webhook_on_number: Option<bool>,
    #[serde(default)]
    pub us_app_to_person_registered: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct ServicePhoneNumber {
    pub sid: String,
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct BrandRegistration {
    pub sid: String,
    pub customer_profile_bundle_sid: Option<String>,
    pub a2p_profile_bundle_sid: Option<String>,
    pub brand_type: Option<String>,
    /// PENDING, IN_REVIEW, APPROVED, FAILED, SUSPENDED…
    pub status: Option<String>,
    pub identity_status: Option<String>,
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub errors: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Campaign {
    pub sid: String,
    pub brand_registration_sid: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub us_app_to_person_usecase: Option<String>,
    /// PENDING, IN_PROGRESS, VERIFIED, FAILED…
    pub campaign_status: Option<String>,
    pub campaign_id: Option<String>,
    #[serde(default)]
    pub errors: Option<serde_json::Value>,
}

/// What a campaign says about itself, for [`TwilioClient::create_campaign`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewCampaign {
    pub brand_registration_sid: String,
    pub description: String,
    /// How customers opt in (where, what they are told).
    pub message_flow: String,
    pub message_samples: Vec<String>,
    /// Twilio's use case code: `LOW_VOLUME`, `CUSTOMER_CARE`, `SOLE_PROPRIETOR`, `MIXED`…
    pub usecase: String,
    pub has_embedded_links: bool,
    pub has_embedded_phone: bool,
    pub opt_in_message: Option<String>,
    pub opt_out_message: Option<String>,
    pub help_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct TollfreeVerification {
    pub sid: String,
    pub tollfree_phone_number_sid: Option<String>,
    /// PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED.
    pub status: Option<String>,
    pub rejection_reason: Option<String>,
    #[serde(default, deserialize_with = "super::lenient_i64")]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub edit_allowed: Option<bool>,
}

/// The form is domain data (the store keeps it too); how it is sent is here.
pub use crate::domain::tollfree::NewTollfreeVerification;

impl NewTollfreeVerification {
    fn params(&self) -> Params {
        let mut p = Params::new()
            .add("BusinessName", &self.business_name)
            .add("BusinessWebsite", &self.business_website)
            .add("NotificationEmail", &self.notification_email);
        for c in &self.use_case_categories {
            p = p.add("UseCaseCategories", c);
        }
        p = p
            .add("UseCaseSummary", &self.use_case_summary)
            .add("ProductionMessageSample", &self.production_message_sample);
        for u in &self.opt_in_image_urls {
            p = p.add("OptInImageUrls", u);
        }
        p.add("OptInType", &self.opt_in_type)
            .add("MessageVolume", &self.message_volume)
            .opt("BusinessStreetAddress", self.business_street_address.clone())
            .opt("BusinessCity", self.business_city.clone())
            .opt("BusinessStateProvinceRegion", self.business_state_province_region.clone())
            .opt("BusinessPostalCode", self.business_postal_code.clone())
            .opt("BusinessCountry", self.business_country.clone())
            .opt("BusinessContactFirstName", self.business_contact_first_name.clone())
            .opt("BusinessContactLastName", self.business_contact_last_name.clone())
            .opt("BusinessContactEmail", self.business_contact_email.clone())
            .opt("BusinessContactPhone", self.business_contact_phone.clone())
            .opt("AdditionalInformation", self.additional_information.clone())
    }
}

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

impl TwilioClient {
    fn messaging(&self, rest: &str) -> String {
        self.url(Host::Messaging, &format!("/v1/{rest}"))
    }

    /// A Messaging Service that leaves inbound messages to each number's own webhooks
    /// (`UseInboundWebhookOnNumber=true`), so joining it does not move the app's SmsUrl.
    pub async fn create_messaging_service(&self, friendly_name: &str) -> Result<MessagingService> {
        let p = Params::new().add("FriendlyName", friendly_name).add("UseInboundWebhookOnNumber", "true");
        self.post_form(&self.messaging("Services"), p.as_slice(), Retry::Never).await
    }

    /// Keeps inbound messages on each number's own webhook (`UseInboundWebhookOnNumber=true`)
    /// for a service made elsewhere without it, so adding a number to it never moves where
    /// the number's texts arrive.
    pub async fn keep_inbound_webhooks_on_numbers(&self, service_sid: &str) -> Result<MessagingService> {
        let p = Params::new().add("UseInboundWebhookOnNumber", "true");
        self.post_form(&self.messaging(&format!("Services/{service_sid}")), p.as_slice(), Retry::Safe).await
    }

    pub async fn list_messaging_services(&self) -> Result<Vec<MessagingService>> {
        let p = Params::new().add("PageSize", "50");
        self.list(Host::Messaging, &self.messaging("Services"), p.as_slice(), "services", 500).await
    }

    /// Adds an owned number (PN…) to the service's sender pool.
    pub async fn add_service_number(&self, service_sid: &str, phone_number_sid: &str) -> Result<ServicePhoneNumber> {
        let p = Params::new().add("PhoneNumberSid", phone_number_sid);
        self.post_form(&self.messaging(&format!("Services/{service_sid}/PhoneNumbers")), p.as_slice(), Retry::Never)
            .await
    }

    pub async fn list_service_numbers(&self, service_sid: &str) -> Result<Vec<ServicePhoneNumber>> {
        let url = self.messaging(&format!("Services/{service_sid}/PhoneNumbers"));
        self.list(Host::Messaging, &url, &[], "phone_numbers", 1000).await
    }

    /// Registers the brand from an approved customer profile and A2P trust product.
    /// `skip_vetting` is the Low-Volume Standard brand: no automatic secondary vetting (and
    /// its fee), at the price of low throughput.
    pub async fn create_brand(
        &self,
        customer_profile_sid: &str,
        a2p_bundle_sid: &str,
        brand_type: &str,
        skip_vetting: bool,
    ) -> Result<BrandRegistration> {
        let p = Params::new()
            .add("CustomerProfileBundleSid", customer_profile_sid)
            .add("A2PProfileBundleSid", a2p_bundle_sid)
            .add("BrandType", brand_type)
            .opt("SkipAutomaticSecVet", skip_vetting.then_some("true"));
        self.post_form(&self.messaging("a2p/BrandRegistrations"), p.as_slice(), Retry::Never).await
    }

    pub async fn list_brands(&self) -> Result<Vec<BrandRegistration>> {
        let p = Params::new().add("PageSize", "50");
        self.list(Host::Messaging, &self.messaging("a2p/BrandRegistrations"), p.as_slice(), "data", 500).await
    }

    pub async fn fetch_brand(&self, sid: &str) -> Result<BrandRegistration> {
        self.get_json(&self.messaging(&format!("a2p/BrandRegistrations/{sid}")), &[]).await
    }

    /// Asks Twilio to text the Sole Proprietor's mobile a new one-time code.
    pub async fn resend_brand_otp(&self, brand_sid: &str) -> Result<serde_json::Value> {
        self.post_form(&self.messaging(&format!("a2p/BrandRegistrations/{brand_sid}/SmsOtp")), &[], Retry::Never).await
    }

    /// Registers the campaign on the service (one per service).
    pub async fn create_campaign(&self, service_sid: &str, c: &NewCampaign) -> Result<Campaign> {
        let mut p = Params::new()
            .add("BrandRegistrationSid", &c.brand_registration_sid)
            .add("Description", &c.description)
            .add("MessageFlow", &c.message_flow);
        for s in &c.message_samples {
            p = p.add("MessageSamples", s);
        }
        let p = p
            .add("UsAppToPersonUsecase", &c.usecase)
            .add("HasEmbeddedLinks", flag(c.has_embedded_links))
            .add("HasEmbeddedPhone", flag(c.has_embedded_phone))
            .opt("OptInMessage", c.opt_in_message.clone())
            .opt("OptOutMessage", c.opt_out_message.clone())
            .opt("HelpMessage", c.help_message.clone());
        let url = self.messaging(&format!("Services/{service_sid}/Compliance/Usa2p"));
        self.post_form(&url, p.as_slice(), Retry::Never).await
    }

    pub async fn list_campaigns(&self, service_sid: &str) -> Result<Vec<Campaign>> {
        let url = self.messaging(&format!("Services/{service_sid}/Compliance/Usa2p"));
        self.list(Host::Messaging, &url, &[], "compliance", 100).await
    }

    pub async fn fetch_campaign(&self, service_sid: &str, sid: &str) -> Result<Campaign> {
        self.get_json(&self.messaging(&format!("Services/{service_sid}/Compliance/Usa2p/{sid}")), &[]).await
    }

    pub async fn create_tollfree_verification(&self, v: &NewTollfreeVerification) -> Result<TollfreeVerification> {
        let p = v.params().add("TollfreePhoneNumberSid", &v.tollfree_phone_number_sid);
        self.post_form(&self.messaging("Tollfree/Verifications"), p.as_slice(), Retry::Never).await
    }

    /// Corrects and resubmits a rejected verification (when Twilio allows the edit).
    pub async fn update_tollfree_verification(
        &self,
        sid: &str,
        v: &NewTollfreeVerification,
    ) -> Result<TollfreeVerification> {
        let url = self.messaging(&format!("Tollfree/Verifications/{sid}"));
        self.post_form(&url, v.params().as_slice(), Retry::Safe).await
    }

    /// The verifications of one toll-free number (PN…).
    pub async fn find_tollfree_verifications(&self, phone_number_sid: &str) -> Result<Vec<TollfreeVerification>> {
        let p = Params::new().add("TollfreePhoneNumberSid", phone_number_sid);
        self.list(Host::Messaging, &self.messaging("Tollfree/Verifications"), p.as_slice(), "verifications", 100).await
    }

    pub async fn fetch_tollfree_verification(&self, sid: &str) -> Result<TollfreeVerification> {
        self.get_json(&self.messaging(&format!("Tollfree/Verifications/{sid}")), &[]).await
    }
}
