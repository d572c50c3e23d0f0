//! What texts cost in the simulator: Pricing v1's `Messaging/Countries/{IsoCountry}` from a
//! small table, and the price each message gets once Twilio is done with it (on its final
//! status, never in a status callback), from the same table, so the app's estimate before a
//! bulk send and the prices recorded after it agree. Prices are in USD, negative as
//! Twilio writes charges, with five decimals.

use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::json;

use super::server::{json_response, ApiError, ApiResult, Sh};

/// (ISO country, name, per segment from a long code, per segment from a toll-free number),
/// in micros of a dollar.
const TABLE: [(&str, &str, i64, i64); 6] = [
    ("US", "United States", 7_900, 8_300),
    ("CA", "Canada", 7_900, 8_300),
    ("GB", "United Kingdom", 46_300, 46_300),
    ("AU", "Australia", 51_500, 51_500),
    ("DE", "Germany", 91_400, 91_400),
    ("NZ", "New Zealand", 102_900, 102_900),
];
/// A text to a country outside the table still costs something on the bill.
const ELSEWHERE: i64 = 50_000;
/// Receiving a text: US and Canadian numbers pay, as on Twilio's price list.
const INBOUND_NORTH_AMERICA: i64 = 7_900;
const INBOUND_ELSEWHERE: i64 = 7_500;

fn country_of(e164: &str) -> Option<String> {
    crate::domain::E164::parse(e164).ok()?.region()
}

fn toll_free(e164: &str) -> bool {
    ["+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888"].iter().any(|p| e164.starts_with(p))
}

fn decimal(micros: i64) -> String {
    format!("{}{}.{:05}", if micros < 0 { "-" } else { "" }, micros.abs() / 1_000_000, (micros.abs() % 1_000_000) / 10)
}

/// The price Twilio gives a message in `status` once it is final, or None while it is not
/// (queued, sending, sent: Twilio rates a message when it is done with it). A failed text
/// is not charged ("0.00000"); a delivered or undelivered one is, per segment.
pub(crate) fn message_price(from: &str, to: &str, direction: &str, status: &str, segments: usize) -> Option<String> {
    let segments = segments.max(1) as i64;
    match status {
        "received" => {
            let north_america = matches!(country_of(to).as_deref(), Some("US" | "CA"));
            let per = if north_america { INBOUND_NORTH_AMERICA } else { INBOUND_ELSEWHERE };
            Some(decimal(-per * segments))
        }
        "failed" | "canceled" => Some(decimal(0)),
        "delivered" | "undelivered" | "read" if direction.starts_with("outbound") => {
            let country = country_of(to);
            let row = TABLE.iter().find(|r| Some(r.0) == country.as_deref());
            let per = match row {
                Some(r) if toll_free(from) => r.3,
                Some(r) => r.2,
                None => ELSEWHERE,
            };
            Some(decimal(-per * segments))
        }
        _ => None,
    }
}

/// `GET /v1/Messaging/Countries/{IsoCountry}`: two carriers at the table's price, for
/// local, mobile and toll-free senders; 404 (20404) for a country outside the table.
pub(crate) async fn messaging_country(axum::extract::State(_sh): Sh, Path(iso): Path<String>) -> ApiResult {
    let iso = iso.to_ascii_uppercase();
    let Some((code, name, long_code, free)) = TABLE.iter().find(|r| r.0 == iso) else {
        return Err(ApiError::not_found(&format!("/v1/Messaging/Countries/{iso}")));
    };
    let prices = |p: i64| {
        json!([
            {"base_price": decimal(*long_code), "current_price": decimal(p.min(*long_code)), "number_type": "local"},
            {"base_price": decimal(*long_code), "current_price": decimal(p.min(*long_code)), "number_type": "mobile"},
            {"base_price": decimal(*free), "current_price": decimal(*free), "number_type": "toll free"},
        ])
    };
    Ok(json_response(
        StatusCode::OK,
        json!({
            "country": name,
            "iso_country": code,
            "outbound_sms_prices": [
                {"carrier": "Carrier One", "mcc": "001", "mnc": "01", "prices": prices(*long_code)},
                {"carrier": "Carrier Two", "mcc": "001", "mnc": "02", "prices": prices(*long_code - 100)},
            ],
            "inbound_sms_prices": [
                {"base_price": decimal(INBOUND_ELSEWHERE), "current_price": decimal(INBOUND_ELSEWHERE), "number_type": "local"},
            ],
            "price_unit": "USD",
            "url": format!("https://pricing.twilio.com/v1/Messaging/Countries/{code}"),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_per_segment_and_only_once_final() {
        for (from, to, direction, status, segments, price) in [
            ("+61255501234", "+61412345678", "outbound-api", "delivered", 2, Some("-0.10300")),
            ("+15005550006", "+14155550100", "outbound-api", "undelivered", 1, Some("-0.00790")),
            ("+18005550100", "+14155550100", "outbound-api", "delivered", 1, Some("-0.00830")),
            ("+61255501234", "+61412345678", "outbound-api", "sent", 1, None),
            ("+61255501234", "+61412345678", "outbound-api", "failed", 1, Some("0.00000")),
            ("+61412345678", "+61255501234", "inbound", "received", 1, Some("-0.00750")),
        ] {
            let got = message_price(from, to, direction, status, segments);
            assert_eq!(got.as_deref(), price, "{from} → {to}, {direction} {status}, {segments} segment(s)");
        }
    }
}
