//! The account's numbers as the owner handles them: search what is for sale, buy one (with
//! the approved regulatory bundle its country needs) and start managing it, choose which of
//! the account's numbers Switchboard manages, save a number's call settings, and release one. Each of these ends in
//! [`wiring`], which is why they live beside it; the runtime's `rewire` then points the
//! managed numbers at the current public URL.

use super::wiring;
use crate::domain::twilio_errors::code;
use crate::domain::{segments, E164};
use crate::error::{Error, Result};
use crate::store::numbers::NumberSettings;
use crate::store::{compliance, numbers, Store};
use crate::twilio::api::numbers::{AvailableNumber, BuyNumber, NumberConfig, NumberSearch, NumberType};
use crate::twilio::client::TwilioClient;

/// The status Twilio gives a bundle it approved; only such a bundle lets a number be bought.
pub const BUNDLE_APPROVED: &str = "twilio-approved";

/// A number for sale, as the buy form lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Available {
    pub e164: String,
    pub friendly_name: String,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub capabilities: Vec<String>,
    /// What buying it needs, in plain words; None when nothing.
    pub requirements: Option<String>,
}

/// `local` (anything unknown), `mobile` or `toll-free` (also spelt `toll_free`, `tollfree`).
pub fn number_type(raw: &str) -> NumberType {
    match raw.trim().to_ascii_lowercase().as_str() {
        "mobile" => NumberType::Mobile,
        "toll-free" | "toll_free" | "tollfree" => NumberType::TollFree,
        _ => NumberType::Local,
    }
}

/// Up to 20 numbers for sale in `country` (any case), of `number_type`, in `area_code`
/// when one is given.
pub async fn search(
    client: &TwilioClient,
    country: &str,
    number_type: &str,
    area_code: &str,
) -> Result<Vec<Available>> {
    let search = NumberSearch {
        country: country.trim().to_ascii_uppercase(),
        area_code: Some(area_code.trim().to_string()).filter(|a| !a.is_empty()),
        page_size: Some(20),
        ..Default::default()
    };
    let found = client.search_available(self::number_type(number_type), &search).await?;
    Ok(found.into_iter().map(available).collect())
}

fn available(n: AvailableNumber) -> Available {
    let caps = n.capabilities.clone().unwrap_or_default();
    let capabilities = [("voice", caps.voice), ("SMS", caps.sms), ("MMS", caps.mms)]
        .into_iter()
        .filter(|(_, on)| on.unwrap_or(false))
        .map(|(name, _)| name.to_string())
        .collect();
    let requirements = n.address_requirements.clone().filter(|r| r != "none").map(|r| match r.as_str() {
        "local" => "needs an address in this country (and an approved bundle where required)".to_string(),
        "foreign" => "needs an address outside this country".to_string(),
        _ => "needs an address on your account".to_string(),
    });
    Available {
        friendly_name: n.friendly_name.clone().unwrap_or_else(|| n.phone_number.clone()),
        e164: n.phone_number,
        locality: n.locality,
        region: n.region,
        capabilities,
        requirements,
    }
}

/// Checks that `record` may be used to buy `e164`: its bundle is approved and it is for the
/// number's country. Refused here, before Twilio is asked, so nothing is half-bought.
pub fn check_bundle_for(record: &compliance::Compliance, e164: &str) -> Result<()> {
    if record.status != BUNDLE_APPROVED {
        return Err(Error::InvalidInput(format!(
            "the compliance bundle for {} is {}, not approved yet",
            record.business_name, record.status
        )));
    }
    let country = E164::parse(e164)?.region();
    if let Some(country) = country.filter(|c| !c.eq_ignore_ascii_case(record.country.trim())) {
        return Err(Error::InvalidInput(format!(
            "the compliance bundle for {} covers {} numbers, not {country} ones",
            record.business_name, record.country
        )));
    }
    Ok(())
}

/// Buys `e164`, with the approved bundle and address of compliance record `compliance_id`
/// when given, records it and starts managing it (its current URLs remembered); the caller
/// then rewires so it points at the public URL. Where the country needs a bundle and none
/// is given, Twilio refuses (21649, explained in plain words) and nothing is stored.
pub async fn buy_and_manage(
    store: &Store,
    client: &TwilioClient,
    e164: &str,
    compliance_id: Option<i64>,
) -> Result<numbers::Number> {
    let record = match compliance_id {
        Some(id) => Some(store.read_async(move |c| compliance::get(c, id)).await?),
        None => None,
    };
    if let Some(r) = &record {
        check_bundle_for(r, e164)?;
    }
    let buy = BuyNumber {
        phone_number: e164.to_string(),
        friendly_name: None,
        bundle_sid: record.as_ref().and_then(|r| r.bundle_sid.clone()),
        address_sid: record.as_ref().and_then(|r| r.address_sid.clone()),
        config: NumberConfig::default(),
    };
    let bought = match client.buy_number(&buy).await {
        Ok(n) => n,
        // The answer was lost, or Twilio says the number is taken (by the first click of two,
        // or a purchase whose answer was lost): when the account owns it now, it is ours, and
        // buying another would bill twice.
        Err(e)
            if matches!(e, Error::Network(_))
                || matches!(e, Error::Twilio { code: Some(code::NUMBER_NOT_AVAILABLE), .. }) =>
        {
            match client.find_number(e164).await {
                Ok(Some(owned)) => owned,
                _ => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    let (sid, number, name) = (bought.sid, bought.phone_number, bought.config.friendly_name.unwrap_or_default());
    let id = store.write_async(move |tx| numbers::upsert_from_twilio(tx, &sid, &number, &name)).await?;
    // Bought is bought: a number that could not be managed now is still the owner's, shown
    // unmanaged, to manage from the Numbers screen.
    if let Err(e) = wiring::manage(store, client, id, None, None).await {
        tracing::warn!(error = %e, "a number was bought but could not be managed yet");
    }
    store.read_async(move |c| numbers::get(c, id)).await
}

/// Records every number of the account and starts managing those in `sids` (their current
/// URLs remembered for "stop managing"); returns all our numbers. The caller rewires.
pub async fn manage(store: &Store, client: &TwilioClient, sids: &[String]) -> Result<Vec<numbers::Number>> {
    for n in client.list_numbers(200).await? {
        let wanted = sids.contains(&n.sid);
        let (sid, e164, name) = (n.sid, n.phone_number, n.config.friendly_name.unwrap_or_default());
        let id = store.write_async(move |tx| numbers::upsert_from_twilio(tx, &sid, &e164, &name)).await?;
        if wanted {
            wiring::manage(store, client, id, None, None).await?;
        }
    }
    store.read_async(numbers::list).await
}

/// "Stop managing": the number gets back the webhooks it had before; returns our numbers.
pub async fn stop_managing(store: &Store, client: &TwilioClient, id: i64) -> Result<Vec<numbers::Number>> {
    wiring::unmanage(store, client, id).await?;
    forget_flow(store, client, id).await;
    store.read_async(numbers::list).await
}

/// Releases number `id` back to Twilio, then forgets it here.
pub async fn release(store: &Store, client: &TwilioClient, id: i64) -> Result<()> {
    let number = store.read_async(move |c| numbers::get(c, id)).await?;
    let sid =
        number.sid.ok_or_else(|| Error::InvalidInput(format!("{} is not a number of this account", number.e164)))?;
    client.release_number(&sid).await?;
    forget_flow(store, client, id).await;
    store.write_async(move |tx| numbers::delete(tx, id)).await
}

/// The number no longer answers through us: its fallback flow goes too (issue 14). A flow
/// that cannot be deleted now is logged and kept on record; nothing routes calls to it any
/// more (the number's fallback URL was restored or the number released).
async fn forget_flow(store: &Store, client: &TwilioClient, id: i64) {
    if let Err(e) = super::fallback::remove_for_number(store, client, id).await {
        tracing::warn!(number = id, error = %e, "could not delete the number's fallback flow");
    }
}

/// Gives every managed number back the webhooks it had before Switchboard managed it, or
/// fails naming those that could not be restored (the caller then changes nothing else,
/// so the owner can try again): done before the credentials are removed, since afterwards
/// nothing could point the numbers away from a tunnel that no longer answers.
pub async fn restore_all(store: &Store, client: &TwilioClient) -> Result<()> {
    let outcome = wiring::unmanage_all(store, client).await?;
    for w in outcome.iter().filter(|w| w.error.is_none()) {
        forget_flow(store, client, w.number_id).await;
    }
    let failed: Vec<String> =
        outcome.into_iter().filter_map(|w| w.error.map(|e| format!("{} ({e})", w.e164))).collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "could not restore {}; nothing was removed. Try again, or remove without restoring",
        failed.join(", ")
    )))
}

/// Validates and saves a number's name and settings; returns the number as stored. The
/// TwiML the listener answers with is built from them on every call, so it takes effect
/// at once; a managed number's fallback flow needs a rewire (the caller's).
pub async fn save_settings(
    store: &Store,
    id: i64,
    friendly_name: &str,
    settings: NumberSettings,
) -> Result<numbers::Number> {
    let settings = validated(settings)?;
    let name = friendly_name.trim().to_string();
    store
        .write_async(move |tx| {
            // Forwarding to a number of this account calls it again, which forwards again:
            // the owner never rings and each pass is a billed call leg.
            if let Some(fwd) = settings.forwarding_number.as_deref() {
                if numbers::find_by_e164(tx, fwd)?.is_some() {
                    return Err(Error::InvalidInput(format!(
                        "{fwd} is one of your business numbers: forward to the phone you carry, such as your mobile"
                    )));
                }
            }
            numbers::update_settings(tx, id, &settings)?;
            numbers::set_friendly_name(tx, id, &name)?;
            numbers::get(tx, id)
        })
        .await
}

/// Normalises the forwarding number to E.164 and checks the ranges the schema enforces,
/// so the owner sees a sentence rather than a CHECK-constraint failure.
pub fn validated(mut s: NumberSettings) -> Result<NumberSettings> {
    s.forwarding_number = match s.forwarding_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(E164::parse(raw)?.as_str().to_string()),
    };
    if !(5..=120).contains(&s.ring_seconds) {
        return Err(Error::InvalidInput("ring time must be between 5 and 120 seconds".into()));
    }
    if !(5..=600).contains(&s.voicemail_max_seconds) {
        return Err(Error::InvalidInput("voicemail length must be between 5 and 600 seconds".into()));
    }
    if let Some(h) = &s.business_hours {
        h.validate()?;
    }
    s.auto_reply = s.auto_reply.filter(|t| !t.trim().is_empty());
    if !(1..=168).contains(&s.text_back_window_hours) {
        return Err(Error::InvalidInput("the text-back window must be between 1 and 168 hours".into()));
    }
    if s.text_back_enabled && s.text_back_body.trim().is_empty() {
        return Err(Error::InvalidInput("write the text-back message, or turn text-back off".into()));
    }
    if s.record_calls && s.recording_notice.trim().is_empty() {
        return Err(Error::InvalidInput("write the recording notice callers hear, or turn recording off".into()));
    }
    let texts = [("auto-reply", s.auto_reply.as_deref().unwrap_or_default()), ("text-back", &s.text_back_body)];
    for (what, text) in texts {
        let chars = text.chars().count();
        if chars > segments::MAX_BODY_CHARS {
            return Err(Error::InvalidInput(format!(
                "the {what} is {chars} characters; a text can be at most {}",
                segments::MAX_BODY_CHARS
            )));
        }
    }
    let spoken = [
        ("greeting", &s.greeting),
        ("closed greeting", &s.closed_greeting),
        ("voicemail prompt", &s.voicemail_prompt),
        ("recording notice", &s.recording_notice),
    ];
    for (what, text) in spoken {
        let chars = text.chars().count();
        if chars > MAX_SPOKEN_CHARS {
            return Err(Error::InvalidInput(format!(
                "the {what} is {chars} characters; callers can be read at most {MAX_SPOKEN_CHARS}"
            )));
        }
    }
    Ok(s)
}

/// The longest text Twilio reads in one `<Say>` with an Amazon Polly voice (4,096 with the
/// basic voices): a longer greeting fails the call instead of greeting the caller.
pub const MAX_SPOKEN_CHARS: usize = 3000;

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::hours::{BusinessHours, Span};

    fn settings() -> NumberSettings {
        NumberSettings {
            forwarding_number: Some("+61 412 345 678".into()),
            auto_reply: Some("  ".into()),
            ..NumberSettings::for_tests()
        }
    }

    #[test]
    fn normalises_what_the_form_sends() {
        let s = validated(settings()).unwrap();
        assert_eq!(s.forwarding_number.as_deref(), Some("+61412345678"), "spaces are dropped to E.164");
        assert_eq!(s.auto_reply, None, "a blank auto-reply means none");
        let mut empty = settings();
        empty.forwarding_number = Some(" ".into());
        assert_eq!(validated(empty).unwrap().forwarding_number, None, "a blank forwarding number means none");
    }

    #[test]
    fn refuses_what_the_store_or_twilio_would_reject() {
        let mut s = settings();
        s.ring_seconds = 3;
        assert!(validated(s).is_err(), "ring time below 5 s");
        let mut s = settings();
        s.forwarding_number = Some("12".into());
        assert!(validated(s).is_err(), "an invalid forwarding number");
        let mut s = settings();
        s.business_hours = Some(BusinessHours {
            tz: "Mars/Base".into(),
            spans: vec![Span { day: 0, open: "09:00".into(), close: "17:00".into() }],
        });
        assert!(validated(s).is_err(), "an unknown time zone");
    }

    /// Forwarding to this number, or to another number of the account, would call the
    /// business line again and again: refused, with what to enter instead.
    #[tokio::test]
    async fn forwarding_to_a_business_number_is_refused() -> Result<()> {
        let (_dir, store) = crate::store::test_store();
        let (shop, other) = store.write(|tx| {
            Ok((numbers::ensure(tx, "+61255501234", false)?, numbers::ensure(tx, "+61255501235", false)?))
        })?;
        for to in ["+61255501234", "+61 2 5550 1235"] {
            let s = NumberSettings { forwarding_number: Some(to.into()), ..NumberSettings::for_tests() };
            let e = save_settings(&store, shop, "Shop", s).await.unwrap_err().to_string();
            assert!(e.contains("is one of your business numbers"), "{to}: {e}");
        }
        let s = NumberSettings { forwarding_number: Some("+61412345678".into()), ..NumberSettings::for_tests() };
        let saved = save_settings(&store, shop, "Shop", s).await?;
        assert_eq!(saved.settings.forwarding_number.as_deref(), Some("+61412345678"));
        assert!(store.read(move |c| numbers::get(c, other))?.settings.forwarding_number.is_none());
        Ok(())
    }

    /// What Twilio would refuse on the first call or text, refused when the owner saves.
    #[test]
    fn texts_longer_than_twilio_sends_or_says_are_refused() {
        let mut s = settings();
        s.auto_reply = Some("é".repeat(segments::MAX_BODY_CHARS));
        s.greeting = "a".repeat(MAX_SPOKEN_CHARS);
        assert!(validated(s).is_ok(), "the limits themselves are fine");
        let mut s = settings();
        s.auto_reply = Some("a".repeat(segments::MAX_BODY_CHARS + 1));
        let e = validated(s).unwrap_err().to_string();
        assert!(e.contains("the auto-reply is 1601 characters"), "{e}");
        let mut s = settings();
        s.text_back_body = "b".repeat(2000);
        assert!(validated(s).unwrap_err().to_string().contains("text-back"));
        let mut s = settings();
        s.voicemail_prompt = "c".repeat(MAX_SPOKEN_CHARS + 1);
        assert!(validated(s).unwrap_err().to_string().contains("voicemail prompt"));
    }

    #[test]
    fn number_types_as_the_form_spells_them() {
        assert!(matches!(number_type("Mobile "), NumberType::Mobile));
        assert!(matches!(number_type("toll_free"), NumberType::TollFree));
        assert!(matches!(number_type("anything"), NumberType::Local), "unknown means local, as before");
    }
}
