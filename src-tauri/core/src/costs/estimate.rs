//! The estimate a bulk send shows before Send: how many segments the texts take (each
//! recipient's own text, rendered as the preview renders it) and what they would cost at
//! Twilio's price for each destination country (Pricing v1), at the dearest carrier there
//! since which carrier a recipient is on is not known beforehand. Twilio's answer is kept
//! per country for the UTC day (`store::costs::cache_prices`); a country Twilio has no
//! price for, or that could not be asked, is named and left out of the total.

use std::collections::BTreeMap;

use crate::domain::{money, segments, E164};
use crate::error::Result;
use crate::outbound::bulk::{self, BulkChoice};
use crate::store::costs::{self, CostTotal};
use crate::store::{numbers, Store};
use crate::twilio::api::pricing::MessagingCountry;
use crate::twilio::client::TwilioClient;

/// The estimate of one destination country.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct CountryEstimate {
    /// ISO code ("US"); "" for numbers whose country is not known.
    pub country: String,
    /// Twilio's name for it, when Twilio priced it.
    pub name: Option<String>,
    pub recipients: i64,
    pub segments: i64,
    /// One segment at the dearest carrier, exact decimal text; None when not known.
    pub segment_price: Option<String>,
    pub currency: Option<String>,
    /// segments × segment price, in micros and as text.
    pub micros: Option<i64>,
    pub cost: Option<String>,
    /// Why there is no price: Twilio lists none for the country, or could not be asked.
    pub problem: Option<String>,
}

/// A bulk send's size and estimated cost.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct BulkEstimate {
    /// Texts that would go out (the preview's recipients).
    pub recipients: i64,
    /// Segments they take in all (Twilio bills each segment).
    pub segments: i64,
    /// The most segments one of the texts takes.
    pub max_segments: i64,
    pub countries: Vec<CountryEstimate>,
    /// Per currency, over the countries with a price.
    pub totals: Vec<CostTotal>,
    /// Recipients in countries without a known price, left out of `totals`.
    pub unpriced_recipients: i64,
}

/// Today (UTC) as the price cache's key.
fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Twilio's prices for `iso`, from today's cache or asked now (and kept for the day).
async fn prices_for(store: &Store, client: &TwilioClient, iso: &str, day: &str) -> Result<Option<MessagingCountry>> {
    let (k, d) = (iso.to_string(), day.to_string());
    let body = match store.read_async(move |c| costs::cached_prices(c, &k, &d)).await? {
        Some(cached) => cached,
        None => {
            let fetched = client.fetch_messaging_prices(iso).await?;
            let (k, d, b) = (iso.to_string(), day.to_string(), fetched.clone());
            store.write_async(move |tx| costs::cache_prices(tx, &k, &d, b.as_deref())).await?;
            fetched
        }
    };
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

/// The estimate of the bulk send `choice` from our number `number_id`.
pub async fn bulk_send(
    store: &Store,
    client: &TwilioClient,
    number_id: i64,
    choice: BulkChoice,
) -> Result<BulkEstimate> {
    let (from, preview) =
        store.read_async(move |c| Ok((numbers::get(c, number_id)?.e164, bulk::preview_in(c, &choice)?))).await?;
    let toll_free = crate::outbound::default_rate(&from) == crate::outbound::TOLL_FREE_RATE;
    // (recipients, segments) per country, in a stable order.
    let mut by_country: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut max_segments = 0;
    for r in &preview.recipients {
        let segs = segments::count(&r.body).segments.max(1) as i64;
        max_segments = max_segments.max(segs);
        let country = E164::parse(&r.to).ok().and_then(|e| e.region()).unwrap_or_default();
        let entry = by_country.entry(country).or_default();
        entry.0 += 1;
        entry.1 += segs;
    }
    let day = today();
    let mut countries = Vec::with_capacity(by_country.len());
    for (country, (recipients, segs)) in by_country {
        let mut est = CountryEstimate {
            country: country.clone(),
            name: None,
            recipients,
            segments: segs,
            segment_price: None,
            currency: None,
            micros: None,
            cost: None,
            problem: None,
        };
        if country.is_empty() {
            est.problem = Some("the country of these numbers is not known".into());
            countries.push(est);
            continue;
        }
        match prices_for(store, client, &country, &day).await {
            Ok(Some(p)) => match p.segment_price_range(toll_free) {
                Some((_, per_segment)) => {
                    let micros = per_segment.saturating_mul(segs);
                    est.name = p.country.clone();
                    est.segment_price = Some(money::format_micros(per_segment));
                    est.currency = Some(p.price_unit.clone().unwrap_or_default().to_ascii_uppercase());
                    est.micros = Some(micros);
                    est.cost = Some(money::format_micros(micros));
                }
                None => est.problem = Some(format!("Twilio lists no SMS price for {country}")),
            },
            Ok(None) => est.problem = Some(format!("Twilio has no SMS price for {country}")),
            Err(e) => est.problem = Some(format!("could not ask Twilio for the price in {country}: {e}")),
        }
        countries.push(est);
    }
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for c in &countries {
        if let (Some(cur), Some(m)) = (&c.currency, c.micros) {
            let t = totals.entry(cur.clone()).or_default();
            t.0 += m;
            t.1 += c.recipients;
        }
    }
    Ok(BulkEstimate {
        recipients: preview.recipients.len() as i64,
        segments: countries.iter().map(|c| c.segments).sum(),
        max_segments,
        unpriced_recipients: countries.iter().filter(|c| c.micros.is_none()).map(|c| c.recipients).sum(),
        totals: totals
            .into_iter()
            .map(|(currency, (micros, messages))| CostTotal {
                currency,
                micros,
                amount: money::format_micros(micros),
                messages,
            })
            .collect(),
        countries,
    })
}
