//! A voicemail's transcript, as a state the owner can read: Twilio transcribes recordings
//! of 2–120 seconds only, so a longer message will never have text, and saying "pending"
//! for it would be a promise nobody keeps.

/// The longest recording Twilio transcribes, in seconds.
pub const TWILIO_MAX_SECONDS: i64 = 120;

/// Where a voicemail's transcript stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptState {
    /// Twilio may still send it (by callback, or catch-up finds it).
    Pending,
    Done,
    /// Longer than [`TWILIO_MAX_SECONDS`]: Twilio does not transcribe it.
    TooLong,
    /// Twilio tried and gave up, or never made one.
    Failed,
}

impl TranscriptState {
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptState::Pending => "pending",
            TranscriptState::Done => "done",
            TranscriptState::TooLong => "too_long",
            TranscriptState::Failed => "failed",
        }
    }

    /// The stored text; anything unknown reads as pending (the column's CHECK allows no other).
    pub fn parse(s: &str) -> Self {
        match s {
            "done" => TranscriptState::Done,
            "too_long" => TranscriptState::TooLong,
            "failed" => TranscriptState::Failed,
            _ => TranscriptState::Pending,
        }
    }

    /// Whether nothing more will change it: catch-up stops asking Twilio.
    pub fn is_final(self) -> bool {
        self != TranscriptState::Pending
    }
}

/// Whether Twilio can transcribe a recording of `duration` seconds (unknown: assume so).
pub fn transcribable(duration: Option<i64>) -> bool {
    duration.is_none_or(|d| d <= TWILIO_MAX_SECONDS)
}

/// The state of a new voicemail of `duration` seconds, before any transcription arrives.
pub fn initial(duration: Option<i64>) -> TranscriptState {
    if transcribable(duration) {
        TranscriptState::Pending
    } else {
        TranscriptState::TooLong
    }
}

/// The state once Twilio reports a transcription with `status` (`completed`, `failed`,
/// `in-progress`, or a status name it adds later) for a recording of `duration` seconds.
/// A failure of a recording too long to transcribe is said as "too long", which is why.
pub fn from_twilio(status: &str, duration: Option<i64>) -> TranscriptState {
    match status {
        "completed" => TranscriptState::Done,
        "in-progress" | "queued" => initial(duration),
        _ if !transcribable(duration) => TranscriptState::TooLong,
        _ => TranscriptState::Failed,
    }
}

/// What the maximum voicemail length means for transcripts, for the number's settings:
/// the trade-off between long messages and having their text.
pub fn max_length_note(max_seconds: i64) -> String {
    if max_seconds <= TWILIO_MAX_SECONDS {
        format!(
            "Callers can speak for up to {max_seconds} s, and every voicemail gets a transcript \
             (Twilio transcribes messages of up to {TWILIO_MAX_SECONDS} s)."
        )
    } else {
        format!(
            "Callers can speak for up to {max_seconds} s, but Twilio transcribes messages of up to \
             {TWILIO_MAX_SECONDS} s only: a longer voicemail is kept as audio and marked \"too long for \
             Twilio's transcription\". Choose {TWILIO_MAX_SECONDS} s or less to have text for every voicemail."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_over_two_minutes_is_too_long_never_pending() {
        assert_eq!(initial(Some(300)), TranscriptState::TooLong);
        assert_eq!(initial(Some(120)), TranscriptState::Pending);
        assert_eq!(initial(None), TranscriptState::Pending, "a duration not known yet may still be transcribed");
        assert_eq!(from_twilio("failed", Some(300)), TranscriptState::TooLong, "the failure is because of length");
        assert_eq!(from_twilio("in-progress", Some(300)), TranscriptState::TooLong);
        assert_eq!(from_twilio("failed", Some(30)), TranscriptState::Failed);
        assert_eq!(from_twilio("completed", Some(30)), TranscriptState::Done);
        assert_eq!(from_twilio("something-new", Some(30)), TranscriptState::Failed);
        for s in [TranscriptState::Pending, TranscriptState::Done, TranscriptState::TooLong, TranscriptState::Failed] {
            assert_eq!(TranscriptState::parse(s.as_str()), s);
        }
    }

    #[test]
    fn the_length_note_states_the_trade_off() {
        assert!(max_length_note(120).contains("every voicemail gets a transcript"));
        let long = max_length_note(600);
        assert!(long.contains("too long for Twilio's transcription") && long.contains("120 s or less"), "{long}");
    }
}
