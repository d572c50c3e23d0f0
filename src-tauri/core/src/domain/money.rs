//! Amounts of money as Twilio writes them ("-0.00790" USD) and as Switchboard adds them up:
//! whole millionths of the currency unit (`micros`) in an `i64`, so a month of messages sums
//! exactly, where floats would drift ("0.1 + 0.2"). Twilio's prices have at most five
//! decimals; a sixth is kept, anything finer is rounded half away from zero.

/// Millionths in one unit of a currency.
pub const MICROS: i64 = 1_000_000;

/// `text` ("-0.00790", "0.05", "1", "-.5") as micros; None when it is not a plain decimal
/// (no exponent, no thousands separators) or is too large for an `i64`.
pub fn parse_micros(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut micros: i64 = 0;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    if frac.as_bytes().get(6).is_some_and(|b| *b >= b'5') {
        micros += 1;
    }
    let total = whole.checked_mul(MICROS)?.checked_add(micros)?;
    Some(if negative { -total } else { total })
}

/// The cost of a message Twilio priced at `price`: Twilio writes charges as negative
/// amounts, the owner reads them as positive costs.
pub fn cost_micros(price: &str) -> Option<i64> {
    parse_micros(price).map(|p| -p)
}

/// `micros` as a decimal with at least two and at most six decimals, exact: 7900 is
/// "0.0079", 1_500_000 is "1.50", -20 is "-0.00002".
pub fn format_micros(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    let whole = abs / MICROS as u64;
    let frac = format!("{:06}", abs % MICROS as u64);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 { format!("{frac:0<2}") } else { frac.to_string() };
    format!("{sign}{whole}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_prices_become_exact_micros() {
        assert_eq!(parse_micros("-0.00790"), Some(-7_900));
        assert_eq!(parse_micros("0.05"), Some(50_000));
        assert_eq!(parse_micros("1"), Some(1_000_000));
        assert_eq!(parse_micros("-.5"), Some(-500_000));
        assert_eq!(parse_micros(" 12.345678 "), Some(12_345_678));
        assert_eq!(parse_micros("0.0000005"), Some(1), "a seventh decimal of 5 rounds up");
        assert_eq!(parse_micros("0.0000004"), Some(0));
        for bad in ["", "-", ".", "abc", "1e-3", "1,000.00", "0.0.1", "--1", "99999999999999999"] {
            assert_eq!(parse_micros(bad), None, "{bad:?}");
        }
        assert_eq!(cost_micros("-0.00790"), Some(7_900), "a charge is a positive cost");
    }

    #[test]
    fn sums_of_many_prices_stay_exact() {
        // 0.00790 a thousand times is 7.9 exactly; as f64 it is 7.900000000000059 or so.
        let sum: i64 = (0..1000).map(|_| cost_micros("-0.00790").unwrap_or_default()).sum();
        assert_eq!(format_micros(sum), "7.90");
        let float: f64 = (0..1000).map(|_| 0.0079_f64).sum();
        assert_ne!(float, 7.9, "the reason micros exist");
    }

    #[test]
    fn micros_format_as_short_exact_decimals() {
        assert_eq!(format_micros(7_900), "0.0079");
        assert_eq!(format_micros(1_500_000), "1.50");
        assert_eq!(format_micros(0), "0.00");
        assert_eq!(format_micros(-20), "-0.00002");
        assert_eq!(format_micros(123_456_789), "123.456789");
    }
}
