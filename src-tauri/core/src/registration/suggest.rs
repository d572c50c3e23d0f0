//! The campaign form, pre-filled: sample messages from the owner's own templates (what the
//! carriers' reviewers compare real traffic with), a description of the use case and an
//! opt-in description naming the business. The owner edits it before it is submitted.

use std::collections::BTreeMap;

use crate::domain::template;
use crate::domain::us_registration::{BrandKind, BusinessDetails, CampaignForm};
use crate::store::templates::Template;

/// An example value for a template variable, so a sample reads like a real text.
fn example(var: &str) -> String {
    let v = var.to_ascii_lowercase();
    let text = if v.contains("name") {
        "Sam"
    } else if v.contains("time") {
        "2:30pm"
    } else if v.contains("date") || v.contains("day") {
        "Friday"
    } else if v.contains("order") || v.contains("number") || v.contains("ref") {
        "1042"
    } else if v.contains("amount") || v.contains("price") || v.contains("total") {
        "$45.00"
    } else {
        "your booking"
    };
    text.to_string()
}

/// Twilio asks for samples of 20 characters or more that say who is texting and how to stop.
fn sample(body: &str, business: &str) -> Option<String> {
    let vars: BTreeMap<String, String> =
        template::variables(body).into_iter().map(|v| (v.clone(), example(&v))).collect();
    let mut text = template::render(body, &vars).ok()?.trim().to_string();
    // A template too short to say anything ("ok") is not a sample of the traffic.
    if text.chars().count() < 20 {
        return None;
    }
    if !text.to_ascii_lowercase().contains(&business.to_ascii_lowercase()) {
        text = format!("{business}: {text}");
    }
    if !text.to_ascii_uppercase().contains("STOP") {
        text.push_str(" Reply STOP to opt out.");
    }
    let n = text.chars().count();
    (20..=1024).contains(&n).then_some(text)
}

/// The pre-filled campaign for this brand path, from up to five of the owner's templates
/// (two generic samples when there are fewer than two).
pub fn campaign(kind: BrandKind, details: &BusinessDetails, templates: &[Template]) -> CampaignForm {
    let business = details.business_name.trim();
    let mut samples: Vec<String> = templates.iter().filter_map(|t| sample(&t.body, business)).take(5).collect();
    let generic = [
        format!(
            "{business}: Hi Sam, this is a reminder of your appointment on Friday at 2:30pm. Reply STOP to opt out."
        ),
        format!("{business}: Thanks for your message! We'll get back to you shortly. Reply STOP to opt out."),
    ];
    for g in generic {
        if samples.len() >= 2 {
            break;
        }
        samples.push(g);
    }
    CampaignForm {
        usecase: kind.usecases().first().map(|u| u.to_string()).unwrap_or_default(),
        description: format!(
            "{business} texts its own customers about their appointments, orders and questions, and replies to customers who text us."
        ),
        message_flow: format!(
            "Customers give {business} their mobile number in person or when they book, and agree to receive texts about their \
             appointments and orders. Customers who text us first receive replies. Every customer can reply STOP to opt out \
             and HELP for help."
        ),
        message_samples: samples,
        has_embedded_links: false,
        has_embedded_phone: false,
        opt_in_message: Some(format!(
            "{business}: you're subscribed to texts about your appointments and orders. Msg frequency varies. Reply STOP to \
             opt out, HELP for help."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::us_registration::validate_campaign;

    fn t(body: &str) -> Template {
        Template { id: 1, name: "x".into(), body: body.into(), variables: template::variables(body) }
    }

    #[test]
    fn samples_come_from_the_owners_templates_and_pass_twilios_checks() {
        let d = BusinessDetails { business_name: "Maple Street Nails".into(), ..Default::default() };
        let c = campaign(
            BrandKind::SoleProprietor,
            &d,
            &[
                t("Hi {{name}}, your appointment is {{day}} at {{time}}."),
                t("ok"),
                t("Your order {{order}} is ready to collect!"),
            ],
        );
        assert_eq!(c.message_samples.len(), 2, "{:?}", c.message_samples);
        assert_eq!(
            c.message_samples[0],
            "Maple Street Nails: Hi Sam, your appointment is Friday at 2:30pm. Reply STOP to opt out."
        );
        assert!(c.message_samples[1].contains("order 1042"));
        assert!(validate_campaign(BrandKind::SoleProprietor, &c).is_ok());
        let none = campaign(BrandKind::Standard, &d, &[]);
        assert_eq!(none.message_samples.len(), 2, "generic samples fill in");
        assert!(validate_campaign(BrandKind::Standard, &none).is_ok());
    }
}
