//! US carrier registration as data and rules, no I/O: which brand path the owner chose,
//! the business details entered once, the campaign description, the workflow's steps, and
//! the checks that catch what Twilio would refuse before a round trip.

use crate::error::{Error, Result};

/// The A2P 10DLC brand path. Sole Proprietor needs no tax ID but an OTP on the owner's
/// mobile and allows one number; Low-Volume Standard and Standard need an EIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BrandKind {
    SoleProprietor,
    LowVolumeStandard,
    Standard,
}

impl BrandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BrandKind::SoleProprietor => "sole_proprietor",
            BrandKind::LowVolumeStandard => "low_volume_standard",
            BrandKind::Standard => "standard",
        }
    }

    pub fn parse(s: &str) -> Option<BrandKind> {
        match s {
            "sole_proprietor" => Some(BrandKind::SoleProprietor),
            "low_volume_standard" => Some(BrandKind::LowVolumeStandard),
            "standard" => Some(BrandKind::Standard),
            _ => None,
        }
    }

    /// Twilio's `BrandType` for the brand registration.
    pub fn brand_type(self) -> &'static str {
        match self {
            BrandKind::SoleProprietor => "SOLE_PROPRIETOR",
            BrandKind::LowVolumeStandard | BrandKind::Standard => "STANDARD",
        }
    }

    /// The campaign use cases this path allows (Twilio's codes), the first the default.
    pub fn usecases(self) -> &'static [&'static str] {
        match self {
            BrandKind::SoleProprietor => &["SOLE_PROPRIETOR"],
            BrandKind::LowVolumeStandard => &["LOW_VOLUME", "CUSTOMER_CARE", "ACCOUNT_NOTIFICATION", "MIXED"],
            BrandKind::Standard => {
                &["CUSTOMER_CARE", "ACCOUNT_NOTIFICATION", "DELIVERY_NOTIFICATION", "MARKETING", "MIXED", "LOW_VOLUME"]
            }
        }
    }
}

/// The business and its contact, entered once and used for the customer profile, the
/// trust product and the brand.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct BusinessDetails {
    /// The business (or, for a sole proprietor, the brand) name customers know.
    pub business_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The contact's phone, E.164.
    pub phone: String,
    /// Sole Proprietor: the owner's own US mobile, where the OTP is texted (E.164).
    #[serde(default)]
    pub mobile: Option<String>,
    pub street: String,
    pub city: String,
    /// State (two letters, e.g. "CA").
    pub region: String,
    pub postal_code: String,
    #[serde(default)]
    pub website: Option<String>,
    /// Standard paths: the EIN (nine digits).
    #[serde(default)]
    pub ein: Option<String>,
    /// Standard paths: "Limited Liability Corporation", "Corporation", "Partnership",
    /// "Non-profit Corporation", "Co-operative".
    #[serde(default)]
    pub business_type: Option<String>,
    /// Twilio's industry / vertical code: "RETAIL", "HEALTHCARE", "PROFESSIONAL"…
    #[serde(default)]
    pub industry: Option<String>,
    /// Standard paths: the contact's job title ("Owner").
    #[serde(default)]
    pub job_title: Option<String>,
}

/// What the campaign says about the texts (Twilio shows it to the carriers' reviewers).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct CampaignForm {
    pub usecase: String,
    pub description: String,
    /// How customers opt in: where, and what they are told.
    pub message_flow: String,
    pub message_samples: Vec<String>,
    #[serde(default)]
    pub has_embedded_links: bool,
    #[serde(default)]
    pub has_embedded_phone: bool,
    /// The reply a customer gets on opting in, if any.
    #[serde(default)]
    pub opt_in_message: Option<String>,
}

/// Where a registration stands. Each step is done once; a run resumes at its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Making and submitting the Trust Hub customer profile.
    CustomerProfile,
    /// Making and submitting the A2P trust product.
    TrustProduct,
    /// Waiting for Twilio to approve the profile and the trust product.
    ProfileReview,
    /// Registering the brand.
    Brand,
    /// Sole Proprietor: waiting for the owner to answer the OTP texted to their mobile.
    BrandOtp,
    /// Waiting for the brand's review (and vetting).
    BrandReview,
    /// Creating (or reusing) the Messaging Service and adding the numbers to it.
    MessagingService,
    /// Waiting for the owner's campaign description, then registering the campaign.
    Campaign,
    /// Waiting for the campaign's review.
    CampaignReview,
    /// Registered: the numbers can text US phones.
    Done,
    /// Twilio rejected something; `failure_reason` says what.
    Failed,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CustomerProfile => "customer_profile",
            Step::TrustProduct => "trust_product",
            Step::ProfileReview => "profile_review",
            Step::Brand => "brand",
            Step::BrandOtp => "brand_otp",
            Step::BrandReview => "brand_review",
            Step::MessagingService => "messaging_service",
            Step::Campaign => "campaign",
            Step::CampaignReview => "campaign_review",
            Step::Done => "done",
            Step::Failed => "failed",
        }
    }

    /// Unknown text (a newer build's step) reads as the first step, which re-checks all.
    pub fn parse(s: &str) -> Step {
        match s {
            "trust_product" => Step::TrustProduct,
            "profile_review" => Step::ProfileReview,
            "brand" => Step::Brand,
            "brand_otp" => Step::BrandOtp,
            "brand_review" => Step::BrandReview,
            "messaging_service" => Step::MessagingService,
            "campaign" => Step::Campaign,
            "campaign_review" => Step::CampaignReview,
            "done" => Step::Done,
            "failed" => Step::Failed,
            _ => Step::CustomerProfile,
        }
    }

    /// Whether the workflow is over (nothing to poll).
    pub fn is_final(self) -> bool {
        matches!(self, Step::Done | Step::Failed)
    }
}

fn required(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidInput(format!("{field} is required")));
    }
    Ok(())
}

fn e164_field(field: &str, value: &str) -> Result<()> {
    crate::domain::E164::parse(value).map(|_| ()).map_err(|_| {
        Error::InvalidInput(format!("{field} must be a phone number with its country code, like +14155550123"))
    })
}

/// The checks Twilio's reviewers would fail the details on, with the field named.
pub fn validate_details(kind: BrandKind, d: &BusinessDetails) -> Result<()> {
    required("the business name", &d.business_name)?;
    required("the first name", &d.first_name)?;
    required("the last name", &d.last_name)?;
    if !d.email.contains('@') {
        return Err(Error::InvalidInput(format!("{:?} is not an email address", d.email)));
    }
    e164_field("the contact phone", &d.phone)?;
    required("the street", &d.street)?;
    required("the city", &d.city)?;
    if d.region.trim().len() != 2 {
        return Err(Error::InvalidInput("the state must be its two-letter code, like CA".into()));
    }
    required("the ZIP code", &d.postal_code)?;
    match kind {
        BrandKind::SoleProprietor => {
            let mobile = d.mobile.as_deref().unwrap_or("");
            e164_field("your mobile number (for the one-time code)", mobile)?;
            if !mobile.starts_with("+1") {
                return Err(Error::InvalidInput(
                    "the one-time code can only be texted to a US or Canadian mobile".into(),
                ));
            }
        }
        BrandKind::LowVolumeStandard | BrandKind::Standard => {
            let ein: String = d.ein.as_deref().unwrap_or("").chars().filter(|c| c.is_ascii_digit()).collect();
            if ein.len() != 9 {
                return Err(Error::InvalidInput("the EIN (tax ID) must have nine digits, like 12-3456789".into()));
            }
            required("the business type", d.business_type.as_deref().unwrap_or(""))?;
            required("the website", d.website.as_deref().unwrap_or(""))?;
        }
    }
    Ok(())
}

/// What Twilio checks on a campaign: its use case on this path, a real description and
/// opt-in flow, two to five samples of 20 to 1,024 characters.
pub fn validate_campaign(kind: BrandKind, c: &CampaignForm) -> Result<()> {
    if !kind.usecases().contains(&c.usecase.as_str()) {
        return Err(Error::InvalidInput(format!(
            "the use case {:?} is not available for a {} brand; choose one of {}",
            c.usecase,
            kind.as_str().replace('_', " "),
            kind.usecases().join(", ")
        )));
    }
    if c.description.trim().chars().count() < 40 {
        return Err(Error::InvalidInput("describe what you text customers in at least 40 characters".into()));
    }
    if c.message_flow.trim().chars().count() < 40 {
        return Err(Error::InvalidInput(
            "describe how customers agree to receive texts (where, and what they are told) in at least 40 characters"
                .into(),
        ));
    }
    if !(2..=5).contains(&c.message_samples.len()) {
        return Err(Error::InvalidInput("give two to five sample messages".into()));
    }
    for (i, s) in c.message_samples.iter().enumerate() {
        let n = s.trim().chars().count();
        if !(20..=1024).contains(&n) {
            return Err(Error::InvalidInput(format!(
                "sample message {} must be 20 to 1,024 characters (it has {n})",
                i + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sole_prop() -> BusinessDetails {
        BusinessDetails {
            business_name: "Maple Street Nails".into(),
            first_name: "Dana".into(),
            last_name: "Ruiz".into(),
            email: "dana@maplenails.example".into(),
            phone: "+14155550100".into(),
            mobile: Some("+14155550199".into()),
            street: "12 Maple St".into(),
            city: "Oakland".into(),
            region: "CA".into(),
            postal_code: "94607".into(),
            ..Default::default()
        }
    }

    #[test]
    fn details_are_checked_per_path() {
        assert!(validate_details(BrandKind::SoleProprietor, &sole_prop()).is_ok());
        let no_mobile = BusinessDetails { mobile: None, ..sole_prop() };
        assert!(validate_details(BrandKind::SoleProprietor, &no_mobile).unwrap_err().to_string().contains("mobile"));
        let e = validate_details(BrandKind::Standard, &sole_prop()).unwrap_err();
        assert!(e.to_string().contains("EIN"), "{e}");
        let std = BusinessDetails {
            ein: Some("12-3456789".into()),
            business_type: Some("Limited Liability Corporation".into()),
            website: Some("https://maplenails.example".into()),
            ..sole_prop()
        };
        assert!(validate_details(BrandKind::LowVolumeStandard, &std).is_ok());
    }

    #[test]
    fn a_campaign_needs_its_paths_use_case_and_real_samples() {
        let c = CampaignForm {
            usecase: "SOLE_PROPRIETOR".into(),
            description: "Appointment reminders and replies to customers who text the salon.".into(),
            message_flow: "Customers give their mobile number at the front desk and agree to texts about bookings."
                .into(),
            message_samples: vec![
                "Hi Sam, your appointment is tomorrow at 2pm. Reply STOP to opt out.".into(),
                "Your nails are ready! See you soon at Maple Street Nails.".into(),
            ],
            ..Default::default()
        };
        assert!(validate_campaign(BrandKind::SoleProprietor, &c).is_ok());
        let marketing = CampaignForm { usecase: "MARKETING".into(), ..c.clone() };
        assert!(validate_campaign(BrandKind::SoleProprietor, &marketing).is_err());
        let one = CampaignForm { message_samples: vec![c.message_samples[0].clone()], ..c.clone() };
        assert!(validate_campaign(BrandKind::SoleProprietor, &one).is_err());
        let short = CampaignForm { message_samples: vec!["hi".into(), c.message_samples[0].clone()], ..c };
        assert!(validate_campaign(BrandKind::SoleProprietor, &short)
            .unwrap_err()
            .to_string()
            .contains("sample message 1"));
    }

    #[test]
    fn steps_round_trip_and_unknown_text_restarts_safely() {
        for s in [Step::CustomerProfile, Step::BrandOtp, Step::CampaignReview, Step::Done, Step::Failed] {
            assert_eq!(Step::parse(s.as_str()), s);
        }
        assert_eq!(Step::parse("from-the-future"), Step::CustomerProfile);
    }
}
