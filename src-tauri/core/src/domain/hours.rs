//! Business hours: when calls are forwarded to the owner and when they go straight to
//! voicemail. Stored per number as JSON; evaluated in the number's own time zone.

use chrono::{Datelike, NaiveTime, TimeZone, Timelike, Utc};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct BusinessHours {
    /// IANA zone, e.g. "Australia/Sydney".
    pub tz: String,
    /// Opening spans; a day with no span is closed all day.
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Span {
    /// 0 = Monday … 6 = Sunday.
    pub day: u8,
    /// "HH:MM", local time.
    pub open: String,
    /// "HH:MM", local time, after `open`.
    pub close: String,
}

impl BusinessHours {
    pub fn validate(&self) -> Result<()> {
        self.zone()?;
        for s in &self.spans {
            if s.day > 6 {
                return Err(Error::InvalidInput(format!("day {} is not 0–6", s.day)));
            }
            let (open, close) = (parse_time(&s.open)?, parse_time(&s.close)?);
            if close <= open {
                return Err(Error::InvalidInput(format!(
                    "closing time {} must be after opening time {}",
                    s.close, s.open
                )));
            }
        }
        Ok(())
    }

    fn zone(&self) -> Result<chrono_tz::Tz> {
        self.tz.parse().map_err(|_| Error::InvalidInput(format!("unknown time zone {:?}", self.tz)))
    }

    /// Whether the business is open at `at`. Invalid hours count as open, so a
    /// misconfiguration forwards calls rather than hiding them in voicemail.
    pub fn is_open_at(&self, at: chrono::DateTime<Utc>) -> bool {
        let Ok(zone) = self.zone() else { return true };
        let local = zone.from_utc_datetime(&at.naive_utc());
        let day = local.weekday().num_days_from_monday() as u8;
        let Some(now) = NaiveTime::from_hms_opt(local.hour(), local.minute(), 0) else {
            return true;
        };
        self.spans.iter().filter(|s| s.day == day).any(|s| match (parse_time(&s.open), parse_time(&s.close)) {
            (Ok(open), Ok(close)) => now >= open && now < close,
            _ => true,
        })
    }
}

fn parse_time(s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| Error::InvalidInput(format!("{s:?} is not a time like 09:00")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays_9_to_5(tz: &str) -> BusinessHours {
        BusinessHours {
            tz: tz.into(),
            spans: (0..5).map(|day| Span { day, open: "09:00".into(), close: "17:00".into() }).collect(),
        }
    }

    #[test]
    fn open_in_local_time() {
        let h = weekdays_9_to_5("Australia/Sydney");
        h.validate().unwrap();
        // Monday 2026-11-23 10:00 in Sydney (UTC+11) is Sunday 23:00 UTC.
        let monday_10am = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        assert!(h.is_open_at(monday_10am));
        let monday_6pm = Utc.with_ymd_and_hms(2026, 11, 23, 7, 0, 0).unwrap();
        assert!(!h.is_open_at(monday_6pm));
        let saturday_noon = Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap();
        assert!(!h.is_open_at(saturday_noon));
    }

    #[test]
    fn rejects_bad_zone_and_reversed_span() {
        assert!(weekdays_9_to_5("Mars/Olympus").validate().is_err());
        let mut h = weekdays_9_to_5("UTC");
        h.spans[0].close = "08:00".into();
        assert!(h.validate().is_err());
    }
}
