//! When a scheduled message may be sent. Twilio schedules a message only between 15
//! minutes and 35 days ahead (`SendAt` with `ScheduleType=fixed`); outside those bounds it
//! refuses the request. The core checks the same bounds first, so the owner reads a plain
//! sentence instead of Twilio's error, and nothing is written for a time Twilio would refuse.

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};

/// The earliest a message can be scheduled, from now.
pub const MIN_AHEAD_MINUTES: i64 = 15;
/// The latest a message can be scheduled, from now.
pub const MAX_AHEAD_DAYS: i64 = 35;

/// The plain sentence the owner reads for a time out of bounds (the UI states the same).
pub const BOUNDS: &str = "a message can be scheduled from 15 minutes to 35 days ahead";

/// Parses the time the owner chose (RFC 3339 with an offset, e.g. from the date picker).
pub fn parse(send_at: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(send_at.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| Error::InvalidInput(format!("{send_at:?} is not a date and time")))
}

/// Refuses a time Twilio would refuse: earlier than 15 minutes or later than 35 days
/// after `now`.
pub fn check(send_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if send_at < now + Duration::minutes(MIN_AHEAD_MINUTES) {
        return Err(Error::InvalidInput(format!("that time is too soon: {BOUNDS}")));
    }
    if send_at > now + Duration::days(MAX_AHEAD_DAYS) {
        return Err(Error::InvalidInput(format!("that time is too far ahead: {BOUNDS}")));
    }
    Ok(())
}

/// `SendAt` as Twilio takes it: ISO 8601 in UTC, whole seconds.
pub fn to_twilio(send_at: DateTime<Utc>) -> String {
    send_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_minutes_to_thirty_five_days_ahead_and_nothing_else() {
        let now = parse("2026-11-30T09:00:00Z").unwrap();
        assert!(check(now + Duration::minutes(15), now).is_ok(), "exactly 15 minutes is allowed");
        assert!(check(now + Duration::days(35), now).is_ok(), "exactly 35 days is allowed");
        let soon = check(now + Duration::minutes(14), now).unwrap_err().to_string();
        assert!(soon.contains("too soon") && soon.contains("15 minutes to 35 days"), "{soon}");
        let far = check(now + Duration::days(35) + Duration::seconds(1), now).unwrap_err().to_string();
        assert!(far.contains("too far ahead"), "{far}");
        assert!(check(now - Duration::hours(1), now).is_err(), "the past is refused");
    }

    #[test]
    fn the_pickers_local_time_is_read_with_its_offset_and_sent_in_utc() {
        let t = parse("2026-12-01T09:00:00+11:00").unwrap();
        assert_eq!(to_twilio(t), "2026-11-30T22:00:00Z");
        assert!(parse("tomorrow at 9").is_err());
    }
}
