//! Numbers: IncomingPhoneNumbers (list, buy, update, release), AvailablePhoneNumbers search
//! with plausible valid numbers per country (checked with the `phonenumber` crate), and
//! Addresses. Buying enforces the regulatory rules (bundle 21649, address 21631/21615) of
//! the countries that have them.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use chrono::Utc;
use rand::Rng;
use serde_json::{json, Value};

use super::regulations::regulation_by_sid;
use super::server::{deleted, fetch_2010, json_response, page_2010, remove_where, ApiError, ApiResult, Params, Sh};
use super::state::{new_sid, rfc2822, AddressRec, NumberRec, Shared, State};

/// What a country demands before one of its numbers can be bought:
/// `(address_requirements, needs an approved bundle)`.
fn requirements(country: &str) -> (&'static str, bool) {
    match country {
        "AU" | "DE" | "FR" | "IE" | "NL" | "BE" => ("local", true),
        "GB" => ("any", false),
        _ => ("none", false),
    }
}

/// `local`, `mobile` or `toll-free`, as Twilio's `type` field and regulations name them.
fn number_kind(e164: &str) -> (&'static str, String) {
    let Ok(n) = phonenumber::parse(None, e164) else { return ("local", String::new()) };
    let country = n.country().id().map(|c| c.as_ref().to_string()).unwrap_or_default();
    let kind = match n.number_type(&phonenumber::metadata::DATABASE) {
        phonenumber::Type::Mobile => "mobile",
        phonenumber::Type::TollFree => "toll-free",
        _ => "local",
    };
    (kind, country)
}

fn number_json(sh: &Shared, n: &NumberRec) -> Value {
    let (kind, country) = number_kind(&n.phone_number);
    let path = sh.account_path();
    json!({
        "account_sid": sh.config.account_sid,
        "address_sid": n.address_sid,
        "address_requirements": requirements(&country).0,
        "api_version": "2010-04-01",
        "beta": false,
        "capabilities": { "fax": false, "mms": true, "sms": true, "voice": true },
        "date_created": rfc2822(n.date_created),
        "date_updated": rfc2822(n.date_updated),
        "emergency_status": "Inactive",
        "emergency_address_sid": null,
        "emergency_address_status": "unregistered",
        "friendly_name": n.friendly_name,
        "identity_sid": null,
        "origin": "twilio",
        "phone_number": n.phone_number,
        "sid": n.sid,
        "sms_application_sid": null,
        "sms_fallback_method": "POST",
        "sms_fallback_url": n.sms_fallback_url.clone().unwrap_or_default(),
        "sms_method": "POST",
        "sms_url": n.sms_url.clone().unwrap_or_default(),
        "status_callback": n.status_callback.clone().unwrap_or_default(),
        "status_callback_method": "POST",
        "trunk_sid": null,
        "uri": format!("{path}/IncomingPhoneNumbers/{}.json", n.sid),
        "voice_receive_mode": "voice",
        "voice_application_sid": null,
        "voice_caller_id_lookup": false,
        "voice_fallback_method": "POST",
        "voice_fallback_url": n.voice_fallback_url.clone().unwrap_or_default(),
        "voice_method": "POST",
        "voice_url": n.voice_url.clone().unwrap_or_default(),
        "bundle_sid": n.bundle_sid,
        "status": "in-use",
        "type": kind,
        "subresource_uris": {
            "assigned_add_ons": format!("{path}/IncomingPhoneNumbers/{}/AssignedAddOns.json", n.sid),
        },
    })
}

pub(crate) async fn list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let digits: Option<String> = q.non_empty("PhoneNumber").map(|p| p.chars().filter(char::is_ascii_digit).collect());
    let name = q.non_empty("FriendlyName").map(str::to_string);
    let items = sh.with(|s| {
        s.numbers
            .iter()
            .filter(|n| digits.as_deref().is_none_or(|d| n.phone_number.contains(d)))
            .filter(|n| name.as_deref().is_none_or(|f| n.friendly_name == f))
            .map(|n| (n.sid.clone(), number_json(&sh, n)))
            .collect::<Vec<_>>()
    });
    page_2010(&format!("{}/IncomingPhoneNumbers.json", sh.account_path()), "incoming_phone_numbers", &q, items)
}

pub(crate) async fn fetch(axum::extract::State(sh): Sh, Path((_, sid)): Path<(String, String)>) -> ApiResult {
    fetch_2010(&sh, "IncomingPhoneNumbers", &sid, |s, id| {
        s.numbers.iter().find(|n| n.sid == id).map(|n| number_json(&sh, n))
    })
}

/// Buys a number: `PhoneNumber` (or `AreaCode` in the US and Canada).
pub(crate) async fn create(
    axum::extract::State(sh): Sh,
    kill: Option<axum::Extension<super::server::ConnKill>>,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let wanted = match (p.non_empty("PhoneNumber"), p.non_empty("AreaCode")) {
        (Some(n), _) => n.to_string(),
        (None, Some(area)) => generate(&sh, "US", "Local", Some(area), None, 1)
            .into_iter()
            .next()
            .map(|f| f.number)
            .ok_or_else(|| ApiError::bad(21452, format!("No phone numbers found in area code {area}")))?,
        (None, None) => return Err(ApiError::bad(21450, "A PhoneNumber or AreaCode is required")),
    };
    let parsed = phonenumber::parse(None, &wanted)
        .ok()
        .filter(phonenumber::is_valid)
        .ok_or_else(|| ApiError::bad(21421, format!("PhoneNumber {wanted} is invalid")))?;
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    let (kind, country) = number_kind(&e164);
    let (address_rule, needs_bundle) = requirements(&country);
    let bundle_sid = p.non_empty("BundleSid").map(str::to_string);
    let address_sid = p.non_empty("AddressSid").map(str::to_string);
    let v = sh.with(|s| {
        if s.number(&e164).is_some() {
            return Err(ApiError::bad(21422, format!("PhoneNumber {e164} is not available")));
        }
        if needs_bundle {
            check_bundle(s, bundle_sid.as_deref(), &country, kind)?;
        }
        if address_rule != "none" {
            check_address(s, address_sid.as_deref(), &country, address_rule)?;
        }
        let friendly = p.non_empty("FriendlyName").map(str::to_string).unwrap_or_else(|| national(&e164));
        let sid = s.add_number(&e164, &friendly, address_sid.clone(), bundle_sid.clone());
        let n = s.numbers.iter_mut().find(|n| n.sid == sid).ok_or_else(|| ApiError::not_found(&sid))?;
        apply_urls(n, &p);
        Ok(number_json(&sh, n))
    })?;
    super::server::lose_the_answer_if_faulted(&sh, kill).await;
    Ok(json_response(StatusCode::CREATED, v))
}

fn check_bundle(s: &State, sid: Option<&str>, country: &str, kind: &str) -> Result<(), ApiError> {
    let Some(sid) = sid else {
        return Err(ApiError::bad(
            21649,
            format!("Bundle required: {country} {kind} numbers need the BundleSid of an approved regulatory bundle"),
        ));
    };
    let b = s
        .bundles
        .iter()
        .find(|b| b.sid == sid)
        .ok_or_else(|| ApiError::bad(21649, format!("Bundle {sid} was not found")))?;
    if b.status != "twilio-approved" {
        return Err(ApiError::bad(21649, format!("Bundle {sid} is not approved (status {})", b.status)));
    }
    match regulation_by_sid(&b.regulation_sid) {
        Some(r) if r.iso_country == country && r.number_type == kind => Ok(()),
        _ => Err(ApiError::bad(21649, format!("Bundle {sid} does not cover {country} {kind} numbers"))),
    }
}

fn check_address(s: &State, sid: Option<&str>, country: &str, rule: &str) -> Result<(), ApiError> {
    let Some(sid) = sid else {
        return Err(ApiError::bad(21631, "Phone Number Requires an Address: the AddressSid parameter is required"));
    };
    let a = s
        .addresses
        .iter()
        .find(|a| a.sid == sid)
        .ok_or_else(|| ApiError::bad(21631, format!("Address {sid} was not found")))?;
    if rule == "local" && a.iso_country != country {
        return Err(ApiError::bad(21615, format!("Phone Number Requires a Local Address in {country}")));
    }
    Ok(())
}

/// Sets the URL fields present in `p` (an empty value clears one).
fn apply_urls(n: &mut NumberRec, p: &Params) {
    let set = |field: &mut Option<String>, name: &str| {
        if let Some(v) = p.get(name) {
            *field = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
    };
    set(&mut n.sms_url, "SmsUrl");
    set(&mut n.voice_url, "VoiceUrl");
    set(&mut n.status_callback, "StatusCallback");
    set(&mut n.voice_fallback_url, "VoiceFallbackUrl");
    set(&mut n.sms_fallback_url, "SmsFallbackUrl");
    if let Some(name) = p.non_empty("FriendlyName") {
        n.friendly_name = name.to_string();
    }
    n.date_updated = Utc::now();
}

pub(crate) async fn update(
    axum::extract::State(sh): Sh,
    Path((_, sid)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let p = Params::parse(&body)?;
    let id = sid.trim_end_matches(".json");
    sh.with(|s| {
        if let Some(b) = p.non_empty("BundleSid") {
            if !s.bundles.iter().any(|x| x.sid == b) {
                return Err(ApiError::bad(21649, format!("Bundle {b} was not found")));
            }
        }
        let n = s.numbers.iter_mut().find(|n| n.sid == id).ok_or_else(|| ApiError::not_found(&sid))?;
        apply_urls(n, &p);
        if let Some(b) = p.get("BundleSid") {
            n.bundle_sid = Some(b.to_string()).filter(|b| !b.is_empty());
        }
        if let Some(a) = p.get("AddressSid") {
            n.address_sid = Some(a.to_string()).filter(|a| !a.is_empty());
        }
        Ok(json_response(StatusCode::OK, number_json(&sh, n)))
    })
}

pub(crate) async fn delete(axum::extract::State(sh): Sh, Path((_, sid)): Path<(String, String)>) -> ApiResult {
    let id = sid.trim_end_matches(".json").to_string();
    deleted(&sh, &format!("/IncomingPhoneNumbers/{sid}"), |s| remove_where(&mut s.numbers, |n| n.sid == id))
}

fn national(e164: &str) -> String {
    phonenumber::parse(None, e164)
        .map(|n| n.format().mode(phonenumber::Mode::National).to_string())
        .unwrap_or_else(|_| e164.to_string())
}

/// Number plans the search draws from: (national prefix, random digits after it, locality, region).
type Plan = (&'static str, usize, &'static str, &'static str);

fn plans(country: &str, kind: &str) -> Option<(&'static str, Vec<Plan>)> {
    let plans = match (country, kind) {
        ("US", "Local") | ("US", "Mobile") => vec![
            ("415", 7, "San Francisco", "CA"),
            ("212", 7, "New York", "NY"),
            ("312", 7, "Chicago", "IL"),
            ("206", 7, "Seattle", "WA"),
            ("512", 7, "Austin", "TX"),
        ],
        ("CA", "Local") | ("CA", "Mobile") => {
            vec![("416", 7, "Toronto", "ON"), ("604", 7, "Vancouver", "BC"), ("514", 7, "Montreal", "QC")]
        }
        ("US", "TollFree") | ("CA", "TollFree") => {
            vec![("800", 7, "", ""), ("833", 7, "", ""), ("844", 7, "", ""), ("888", 7, "", "")]
        }
        ("AU", "Local") => vec![
            ("28", 7, "Sydney", "NSW"),
            ("29", 7, "Sydney", "NSW"),
            ("38", 7, "Melbourne", "VIC"),
            ("39", 7, "Melbourne", "VIC"),
            ("73", 7, "Brisbane", "QLD"),
            ("86", 7, "Perth", "WA"),
        ],
        ("AU", "Mobile") => vec![("4", 8, "", "")],
        ("AU", "TollFree") => vec![("1800", 6, "", "")],
        ("GB", "Local") => vec![("20", 8, "London", "London"), ("161", 7, "Manchester", "Manchester")],
        ("GB", "Mobile") => vec![("7", 9, "", "")],
        ("GB", "TollFree") => vec![("800", 7, "", "")],
        _ => return None,
    };
    let cc = match country {
        "US" | "CA" => "1",
        "AU" => "61",
        "GB" => "44",
        _ => return None,
    };
    Some((cc, plans))
}

/// A found number with the locality and region of the plan it came from.
struct Found {
    number: String,
    locality: &'static str,
    region: &'static str,
}

/// Up to `count` valid, unowned numbers of this country and type.
fn generate(
    sh: &Shared,
    country: &str,
    kind: &str,
    area: Option<&str>,
    contains: Option<&str>,
    count: usize,
) -> Vec<Found> {
    let Some((cc, mut plans)) = plans(country, kind) else { return Vec::new() };
    // Any valid NANP area code works; the number validator below has the final say.
    let custom_area = area.filter(|a| cc == "1" && a.len() == 3 && a.bytes().all(|b| b.is_ascii_digit()));
    if let Some(area) = area {
        plans.retain(|(prefix, ..)| *prefix == area);
    }
    let custom: Option<Plan> = match (plans.is_empty(), custom_area) {
        (true, Some(_)) => Some(("", 7, "", "")),
        _ => None,
    };
    if let Some(c) = custom {
        plans.push(c);
    }
    let pattern: Vec<char> =
        contains.map(|c| c.chars().filter(|ch| ch.is_ascii_digit() || *ch == '*').collect()).unwrap_or_default();
    let owned: Vec<String> = sh.with(|s| s.numbers.iter().map(|n| n.phone_number.clone()).collect());
    let mut rng = rand::rng();
    let mut out: Vec<Found> = Vec::new();
    for _ in 0..2000 {
        if out.len() >= count || plans.is_empty() {
            break;
        }
        let (plan_prefix, len, locality, region) = plans[rng.random_range(0..plans.len())];
        let prefix = if plan_prefix.is_empty() { custom_area.unwrap_or_default() } else { plan_prefix };
        if pattern.len() > len {
            break;
        }
        let mut digits: Vec<char> = (0..len).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
        if cc == "1" {
            digits[0] = char::from(b'2' + rng.random_range(0..8u8)); // exchange codes start 2–9
        }
        let offset = len - pattern.len();
        for (i, ch) in pattern.iter().enumerate() {
            if *ch != '*' {
                digits[offset + i] = *ch;
            }
        }
        let candidate = format!("+{cc}{prefix}{}", digits.iter().collect::<String>());
        let valid = phonenumber::parse(None, &candidate).ok().filter(phonenumber::is_valid).is_some_and(|n| {
            let t = n.number_type(&phonenumber::metadata::DATABASE);
            match kind {
                "TollFree" => t == phonenumber::Type::TollFree,
                "Mobile" if cc != "1" => t == phonenumber::Type::Mobile,
                _ => matches!(t, phonenumber::Type::FixedLine | phonenumber::Type::FixedLineOrMobile),
            }
        });
        if valid && !owned.contains(&candidate) && !out.iter().any(|f| f.number == candidate) {
            out.push(Found { number: candidate, locality, region });
        }
    }
    out
}

pub(crate) async fn available(
    axum::extract::State(sh): Sh,
    Path((_, country, kind)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let q = Params::query(q)?;
    let kind_name = kind.trim_end_matches(".json").to_string();
    let country = country.to_ascii_uppercase();
    if plans(&country, &kind_name).is_none() {
        return Err(ApiError::not_found(&format!("{}/AvailablePhoneNumbers/{country}/{kind}", sh.account_path())));
    }
    let size: usize = q.get("PageSize").and_then(|v| v.parse().ok()).unwrap_or(20).clamp(1, 50);
    let found = generate(&sh, &country, &kind_name, q.non_empty("AreaCode"), q.non_empty("Contains"), size);
    let items = found
        .into_iter()
        .map(|f| {
            let v = json!({
                "friendly_name": national(&f.number),
                "phone_number": f.number,
                "lata": null,
                "locality": Some(f.locality).filter(|l| !l.is_empty()),
                "rate_center": null,
                "latitude": null,
                "longitude": null,
                "region": Some(f.region).filter(|r| !r.is_empty()),
                "postal_code": null,
                "iso_country": country,
                "address_requirements": requirements(&country).0,
                "beta": false,
                "capabilities": { "voice": true, "sms": true, "mms": true, "fax": false },
            });
            (f.number, v)
        })
        .collect();
    let mut q_no_page = q.clone();
    q_no_page.0.retain(|(k, _)| k != "PageSize");
    page_2010(
        &format!("{}/AvailablePhoneNumbers/{country}/{kind}", sh.account_path()),
        "available_phone_numbers",
        &q_no_page,
        items,
    )
}

fn address_json(sh: &Shared, a: &AddressRec) -> Value {
    json!({
        "account_sid": sh.config.account_sid,
        "city": a.city,
        "customer_name": a.customer_name,
        "date_created": rfc2822(a.date_created),
        "date_updated": rfc2822(a.date_created),
        "emergency_enabled": false,
        "friendly_name": a.friendly_name,
        "iso_country": a.iso_country,
        "postal_code": a.postal_code,
        "region": a.region,
        "sid": a.sid,
        "street": a.street,
        "street_secondary": a.street_secondary,
        "uri": format!("{}/Addresses/{}.json", sh.account_path(), a.sid),
        "validated": true,
        "verified": true,
    })
}

pub(crate) async fn address_create(axum::extract::State(sh): Sh, body: Bytes) -> ApiResult {
    let p = Params::parse(&body)?;
    let iso = p.required("IsoCountry")?.to_ascii_uppercase();
    if iso.len() != 2 || !iso.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::bad(21628, format!("IsoCountry {iso:?} is not an ISO 3166-1 alpha-2 code")));
    }
    let postal = p.required("PostalCode")?;
    if !postal_code_valid(&iso, postal) {
        return Err(ApiError::bad(
            21628,
            format!("Address Validation Error: the postal code {postal:?} does not exist in {iso}"),
        ));
    }
    let a = AddressRec {
        sid: new_sid("AD"),
        customer_name: p.required("CustomerName")?.to_string(),
        friendly_name: p.get("FriendlyName").unwrap_or("").to_string(),
        street: p.required("Street")?.to_string(),
        street_secondary: p.non_empty("StreetSecondary").map(str::to_string),
        city: p.required("City")?.to_string(),
        region: p.required("Region")?.to_string(),
        postal_code: p.required("PostalCode")?.to_string(),
        iso_country: iso,
        date_created: Utc::now(),
    };
    let v = address_json(&sh, &a);
    sh.with(|s| s.addresses.push(a));
    Ok(json_response(StatusCode::CREATED, v))
}

pub(crate) async fn addresses_list(axum::extract::State(sh): Sh, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::query(q)?;
    let name = q.non_empty("CustomerName").map(str::to_string);
    let iso = q.non_empty("IsoCountry").map(str::to_ascii_uppercase);
    let items = sh.with(|s| {
        s.addresses
            .iter()
            .filter(|a| name.as_deref().is_none_or(|n| a.customer_name.contains(n)))
            .filter(|a| iso.as_deref().is_none_or(|i| a.iso_country == i))
            .map(|a| (a.sid.clone(), address_json(&sh, a)))
            .collect::<Vec<_>>()
    });
    page_2010(&format!("{}/Addresses.json", sh.account_path()), "addresses", &q, items)
}

pub(crate) async fn address_fetch(axum::extract::State(sh): Sh, Path((_, sid)): Path<(String, String)>) -> ApiResult {
    fetch_2010(&sh, "Addresses", &sid, |s, id| s.addresses.iter().find(|a| a.sid == id).map(|a| address_json(&sh, a)))
}

/// Twilio validates an address before creating it; the simulator checks the postal code's
/// shape for the countries it has regulations for, and lets others through.
fn postal_code_valid(iso: &str, code: &str) -> bool {
    let c = code.trim();
    let digits = |n: usize| c.len() == n && c.bytes().all(|b| b.is_ascii_digit());
    match iso {
        "AU" => digits(4),
        "DE" => digits(5),
        "US" => digits(5) || (c.len() == 10 && c.as_bytes()[5] == b'-' && c[..5].bytes().all(|b| b.is_ascii_digit())),
        // Outward code (letters then digits), a space, inward code (digit and two letters).
        "GB" => c.split_once(' ').is_some_and(|(out, inw)| {
            (2..=4).contains(&out.len())
                && out.as_bytes()[0].is_ascii_alphabetic()
                && out.bytes().all(|b| b.is_ascii_alphanumeric())
                && inw.len() == 3
                && inw.as_bytes()[0].is_ascii_digit()
                && inw[1..].bytes().all(|b| b.is_ascii_alphabetic())
        }),
        _ => !c.is_empty(),
    }
}
