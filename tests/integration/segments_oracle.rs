//! `domain::segments::count` against Twilio's own segment calculator
//! (`sms-segments-calculator`): `tests/oracles/segments.json` holds its answers for the
//! boundary cases and 2,400 generated bodies of `ui/src/lib/segment-cases.ts` (GSM-7 with
//! escapes, emoji at every position, mixed scripts, CR LF). The UI's Vitest suite checks
//! that file against the calculator it installs, and its meter against the calculator, so
//! the three agree.

use switchboard::domain::segments::count;

use crate::common::{oracles_dir, TestResult};

#[test]
fn segment_counts_match_twilios_calculator() -> TestResult {
    let text = std::fs::read_to_string(oracles_dir().join("segments.json"))?;
    let oracle: serde_json::Value = serde_json::from_str(&text)?;
    let cases = oracle["cases"].as_array().ok_or("cases")?;
    assert!(cases.len() > 2_400, "the boundary cases and at least 2,000 generated bodies");
    let mut wrong = Vec::new();
    for case in cases {
        let body = case["body"].as_str().ok_or("body")?;
        let ours = count(body);
        let want_encoding = case["encoding"].as_str().ok_or("encoding")?;
        let want_segments = case["segments"].as_u64().ok_or("segments")? as usize;
        let want_chars: Vec<String> = serde_json::from_value(case["non_gsm"].clone())?;
        if ours.encoding.twilio_name() != want_encoding
            || ours.segments != want_segments
            || ours.ucs2_chars != want_chars
        {
            wrong.push(format!(
                "{body:?}: ours {} × {} {:?}, Twilio's {want_encoding} × {want_segments} {want_chars:?}",
                ours.encoding.twilio_name(),
                ours.segments,
                ours.ucs2_chars
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} bodies disagree; first ones:\n{}",
        wrong.len(),
        cases.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
    Ok(())
}
