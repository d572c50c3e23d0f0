//! Bad input: property tests of the signature check and form parsing, and thousands of
//! malformed requests against the router (random bytes, truncated, huge, wrong content
//! types, missing fields, correctly signed nonsense). No panic, every answer a 4xx, and
//! not one row written anywhere.

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use rand::Rng;
use switchboard::twilio::payloads::Params;
use switchboard::twilio::signature::{sign, validate, Algorithm, Payload};

use crate::common::TestResult;
use crate::fault_support::seeded_rng;
use crate::webhook_support::{encode, signature_for, Fixture, TOKEN};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::Sha1), Just(Algorithm::Sha256)]
}

/// Distinct fixed-length keys: a changed value byte then always changes the signed string
/// at a fixed position (keys sort the same), so the property has no rare false failures.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map("[A-Za-z]{8}", any::<String>(), 1..12).prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn validate_never_panics_on_anything(
        token in any::<String>(),
        url in any::<String>(),
        pairs in proptest::collection::vec((any::<String>(), any::<String>()), 0..8),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        signature in any::<String>(),
        alg in algorithm(),
    ) {
        // The answer does not matter here; not panicking (and returning) does.
        let _ = validate(&token, &url, Payload::Form(&pairs), &signature, alg);
        let _ = validate(&token, &url, Payload::Json(&body), &signature, alg);
        let _ = validate(&token, &format!("{url}?bodySHA256={signature}"), Payload::Json(&body), &signature, alg);
    }

    #[test]
    fn a_valid_signature_validates_and_any_changed_byte_invalidates_it(
        token in "[ -~]{1,40}",
        path in "/[a-z/]{0,20}(\\?[a-z=&]{0,20})?",
        pairs in params(),
        alg in algorithm(),
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in 0x20u8..0x7f,
    ) {
        let url = format!("https://hooks.example.test{path}");
        let sig = sign(&token, &url, &pairs, alg);
        prop_assert!(validate(&token, &url, Payload::Form(&pairs), &sig, alg), "Twilio's own signature validates");

        // Change one byte of one value (or append one to an empty value).
        let mut changed = pairs.clone();
        let i = which.index(changed.len());
        let value = changed[i].1.clone();
        let new_value = if value.is_empty() {
            (replacement as char).to_string()
        } else {
            let chars: Vec<char> = value.chars().collect();
            let j = at.index(chars.len());
            let mut c = chars.clone();
            c[j] = if c[j] == replacement as char { if replacement == b'a' { 'b' } else { 'a' } } else { replacement as char };
            c.into_iter().collect()
        };
        prop_assume!(new_value != value);
        changed[i].1 = new_value;
        prop_assert!(!validate(&token, &url, Payload::Form(&changed), &sig, alg), "a changed parameter is refused");
        prop_assert!(!validate(&token, &format!("{url}x"), Payload::Form(&pairs), &sig, alg), "a changed URL is refused");
        prop_assert!(!validate(&format!("{token}x"), &url, Payload::Form(&pairs), &sig, alg), "another token is refused");
    }

    #[test]
    fn form_parsing_never_panics_and_round_trips(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        pairs in proptest::collection::vec((any::<String>(), any::<String>()), 0..10),
    ) {
        let _ = Params::parse(&bytes);
        let encoded = encode(&pairs);
        let parsed = Params::parse(encoded.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.pairs(), pairs.as_slice(), "what Twilio encodes decodes to the same pairs");
    }
}

/// Every webhook route the listener serves.
const ROUTES: &[&str] = &[
    "/twilio/sms",
    "/twilio/sms/status",
    "/twilio/voice",
    "/twilio/voice/dial",
    "/twilio/voice/status",
    "/twilio/voice/recorded",
    "/twilio/voice/recording",
    "/twilio/voice/transcription",
    "/twilio/compliance",
];

fn valid_sms() -> Vec<(String, String)> {
    [
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", "+61412345678"),
        ("To", "+61255501234"),
        ("Body", "hello"),
        ("NumMedia", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn random_string(rng: &mut impl Rng, max: usize) -> String {
    let n = rng.random_range(0..max);
    (0..n).map(|_| rng.random::<char>()).collect()
}

fn raw(path: &str, content_type: Option<&str>, body: Vec<u8>, signature: Option<String>) -> Request<Body> {
    let mut b = Request::post(path);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    if let Some(s) = signature {
        b = b.header("x-twilio-signature", s);
    }
    b.body(Body::from(body)).unwrap_or_default()
}

/// One malformed request of kind `kind`, with a description for the failure message.
fn malformed(rng: &mut impl Rng, kind: u32) -> (String, Request<Body>) {
    let route = ROUTES[rng.random_range(0..ROUTES.len())];
    let form = "application/x-www-form-urlencoded";
    match kind {
        0 => {
            let n = rng.random_range(0..2048);
            let body: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            (format!("{route}: {n} random bytes, unsigned"), raw(route, Some(form), body, None))
        }
        1 => {
            let n = rng.random_range(0..2048);
            let body: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let sig = random_string(rng, 40);
            (format!("{route}: random bytes, random signature"), raw(route, Some(form), body, Some(sig)))
        }
        2 => {
            // A signed valid SMS, truncated after signing.
            let body = encode(&valid_sms());
            let sig = signature_for(TOKEN, "/twilio/sms", &body);
            let cut = rng.random_range(0..body.len());
            let body = body.as_bytes()[..cut].to_vec();
            (format!("/twilio/sms truncated to {cut} bytes"), raw("/twilio/sms", Some(form), body, Some(sig)))
        }
        3 => {
            // Huge: over the 64 KiB limit, correctly signed.
            let mut p = valid_sms();
            p.push(("Body".into(), "x".repeat(rng.random_range(70_000..300_000))));
            let body = encode(&p);
            let sig = signature_for(TOKEN, route, &body);
            (format!("{route}: {} byte signed body", body.len()), raw(route, Some(form), body.into_bytes(), Some(sig)))
        }
        4 => {
            let types = [None, Some("text/plain"), Some("application/xml"), Some("multipart/form-data; boundary=x")];
            let ct = types[rng.random_range(0..types.len())];
            let body = encode(&valid_sms());
            let sig = signature_for(TOKEN, "/twilio/sms", &body);
            (format!("/twilio/sms with content type {ct:?}"), raw("/twilio/sms", ct, body.into_bytes(), Some(sig)))
        }
        5 => {
            // Correctly signed, one required field missing (or emptied).
            let mut p = valid_sms();
            p.retain(|(k, _)| !matches!(k.as_str(), "MessageSid" | "SmsSid"));
            if rng.random_bool(0.5) {
                p = valid_sms().into_iter().filter(|(k, _)| k != "From").collect();
            }
            let body = encode(&p);
            let sig = signature_for(TOKEN, "/twilio/sms", &body);
            (
                "/twilio/sms signed, missing a required field".to_string(),
                raw("/twilio/sms", Some(form), body.into_bytes(), Some(sig)),
            )
        }
        6 => {
            // Correctly signed nonsense: random names (never Twilio's) and values.
            let n = rng.random_range(0..8);
            let p: Vec<(String, String)> =
                (0..n).map(|_| (format!("X{}", random_string(rng, 12)), random_string(rng, 40))).collect();
            let body = encode(&p);
            let sig = signature_for(TOKEN, route, &body);
            (format!("{route}: signed nonsense {p:?}"), raw(route, Some(form), body.into_bytes(), Some(sig)))
        }
        7 => {
            // Correctly signed SMS with impossible values.
            let mut p = valid_sms();
            let bad = [
                ("NumMedia", "-1"),
                ("NumMedia", "9999999999999999999999"),
                ("NumMedia", "11"),
                ("NumMedia", "2"),
                ("NumSegments", "many"),
            ];
            let (k, v) = bad[rng.random_range(0..bad.len())];
            p.retain(|(name, _)| name != k);
            p.push((k.into(), v.into()));
            let body = encode(&p);
            let sig = signature_for(TOKEN, "/twilio/sms", &body);
            (format!("/twilio/sms signed with {k}={v}"), raw("/twilio/sms", Some(form), body.into_bytes(), Some(sig)))
        }
        _ => {
            // Invalid percent-escapes and invalid UTF-8 after decoding, signed over the raw text.
            let body = "MessageSid=SM%FF%FE&From=%2B614&To=%&Body=%C3%28".to_string();
            let sig = signature_for(TOKEN, route, &body);
            (format!("{route}: broken escapes"), raw(route, Some(form), body.into_bytes(), Some(sig)))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_malformed_requests_get_4xx_and_write_nothing() -> TestResult {
    let (seed, mut rng) = seeded_rng("fault_bad_input");
    let fx = Fixture::new()?;
    let before = fx.footprint()?;
    let mut tally = [0u32; 9];
    let mut not_4xx: Vec<String> = Vec::new();
    for i in 0..3000u32 {
        let kind = i % 9;
        let (what, req) = malformed(&mut rng, kind);
        let (status, body) = fx.send(req).await?;
        if !status.is_client_error() {
            // `/twilio/voice/recorded` only ends the call (`<Hangup/>`) and stores nothing, so
            // it may answer 2xx; the footprint check below proves nothing was written.
            let only_twiml = what.starts_with("/twilio/voice/recorded") && status.is_success();
            if !only_twiml {
                not_4xx.push(format!("{status} {body:?} for {what}"));
            }
        }
        tally[kind as usize] += 1;
    }
    assert!(
        not_4xx.is_empty(),
        "{} malformed requests did not get a 4xx (seed {seed}): {:#?}",
        not_4xx.len(),
        not_4xx.iter().map(|s| s.chars().take(160).collect::<String>()).collect::<std::collections::BTreeSet<_>>()
    );
    assert_eq!(fx.footprint()?, before, "no malformed request left a row in any table (seed {seed})");

    // The store still works: the valid message is accepted afterwards.
    let body = encode(&valid_sms());
    let (status, _) = fx.post("/twilio/sms", &body).await?;
    assert_eq!(status, 200, "a valid message after the barrage is stored");
    assert_eq!(fx.count("messages")?, 1);
    eprintln!("fault_bad_input: {tally:?} requests per kind, all 4xx");
    Ok(())
}
