//! The ONE description of what a call to one of our numbers does (issue 14): greeting or
//! closed-hours greeting, business hours, forwarding with screening, the recording notice,
//! voicemail (on or off, transcribed), and missed-call text-back.
//!
//! Pure: no I/O, no clock. Two hosts are generated from it and nothing else:
//! - the TwiML the listener answers while the app is open (`webhook::voice`), and
//! - the Studio flow Twilio runs while the app is closed (`tunnel::fallback`).
//!
//! The parity test (`tests/integration/call_flow.rs`) has the simulator execute both over a
//! table of cases and asserts the same outcome; [`CallFlow::expected`] is the table's oracle.

use chrono::{DateTime, Utc};

use crate::domain::hours::BusinessHours;
use crate::store::numbers::{Number, NumberSettings};

/// The key the owner presses on the screened leg to take the call.
pub const ACCEPT_DIGIT: &str = "1";
/// How long the screened leg has to press it. A mobile's voicemail never does, so after this
/// the leg is dropped and the caller comes back to our voicemail.
pub const SCREEN_TIMEOUT_SECS: u32 = 8;
/// Said when voicemail is off and nobody answered.
pub const UNAVAILABLE: &str = "Sorry, nobody can take your call right now. Please try again later.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFlow {
    /// Who the call is for, said to the screened leg: the number's name, else the number.
    pub label: String,
    /// Text-to-speech voice for everything said (`None`: Twilio's default).
    pub voice: Option<String>,
    /// Said first while open.
    pub greeting: Option<String>,
    /// Said first while closed (the closed-hours greeting, else the greeting).
    pub closed_greeting: Option<String>,
    /// `None`: always open.
    pub hours: Option<BusinessHours>,
    /// `None`: never forwarded (forwarding off, or no forwarding number).
    pub forward: Option<Forward>,
    /// `None`: voicemail off, the caller hears [`UNAVAILABLE`].
    pub voicemail: Option<Voicemail>,
    /// `None`: no text-back.
    pub text_back: Option<TextBack>,
    /// Callers refused before anything else (`store::blocked`, E.164): they hear nothing,
    /// nothing rings, no voicemail and no text-back. The open host asks the store per call;
    /// the hosted flow carries this list and is regenerated whenever it changes.
    pub blocked: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub to: String,
    pub ring_seconds: i64,
    /// The forwarded leg must accept ([`ACCEPT_DIGIT`]) after hearing this.
    pub screen_prompt: Option<String>,
    /// Said to the caller before ringing when the call is recorded; `Some` means record.
    pub recording_notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    pub prompt: String,
    pub max_seconds: i64,
    /// Twilio transcribes recordings of 2–120 s only.
    pub transcribe: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBack {
    pub body: String,
    /// One text-back per caller per this many hours (only the app can keep this rule:
    /// see [`HOSTED_TEXT_BACK_NOTE`]).
    pub window_hours: i64,
}

/// What the UI says about text-back while the app is closed: Twilio's side keeps no memory
/// between calls, so the 12-hour rule cannot be kept there.
pub const HOSTED_TEXT_BACK_NOTE: &str = "While Switchboard is closed, Twilio sends the text-back itself after every missed call: Twilio's side cannot remember earlier calls, so a caller who rings twice while the app is closed gets it twice, even within the hours set here. A number that replied STOP still gets nothing (Twilio refuses to text it), and a blocked number's calls are refused. When Switchboard opens again, those texts appear in the customers' threads and count towards the hours set here; it never sends a second one for those calls.";

/// What the forwarded leg (the owner's mobile) does when it rings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegAnswer {
    /// Rings out.
    NoAnswer,
    /// A person picks up (and, when screened, presses 1).
    Accept,
    /// A person declines: rejects the ringing call, or when screened, hears the prompt and
    /// hangs up.
    Decline,
    /// The mobile's own voicemail answers and presses nothing.
    CarrierVoicemail,
}

/// What a call ends as, as the parity table compares it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// The call was refused (`<Reject/>`): the caller is blocked.
    pub rejected: bool,
    /// The owner's phone was rung.
    pub rang_owner: bool,
    /// A person on the owner's side took the call.
    pub answered: bool,
    /// The caller reached our voicemail (and left a message).
    pub voicemail: bool,
    /// A text-back goes to the caller (first missed call, not opted out).
    pub text_back: bool,
}

impl CallFlow {
    pub fn of(number: &Number) -> CallFlow {
        let label = Some(number.friendly_name.trim()).filter(|n| !n.is_empty()).unwrap_or(&number.e164);
        CallFlow::from_settings(label, &number.settings)
    }

    pub fn from_settings(label: &str, s: &NumberSettings) -> CallFlow {
        let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
        let greeting = text(&s.greeting);
        let forward = s.forwarding_number.as_deref().map(str::trim).filter(|n| s.forwarding_enabled && !n.is_empty());
        CallFlow {
            label: label.to_string(),
            voice: text(&s.voice),
            closed_greeting: text(&s.closed_greeting).or_else(|| greeting.clone()),
            greeting,
            hours: s.business_hours.clone(),
            forward: forward.map(|to| Forward {
                to: to.to_string(),
                ring_seconds: s.ring_seconds,
                screen_prompt: s.screening_enabled.then(|| screen_prompt(label)),
                recording_notice: s.record_calls.then(|| {
                    text(&s.recording_notice).unwrap_or_else(|| crate::store::numbers::DEFAULT_RECORDING_NOTICE.into())
                }),
            }),
            voicemail: s.voicemail_enabled.then(|| Voicemail {
                prompt: s.voicemail_prompt.clone(),
                max_seconds: s.voicemail_max_seconds,
                transcribe: true,
            }),
            text_back: text(&s.text_back_body)
                .filter(|_| s.text_back_enabled)
                .map(|body| TextBack { body, window_hours: s.text_back_window_hours.max(1) }),
            blocked: Vec::new(),
        }
    }

    /// This flow refusing `blocked` callers. Only phone numbers can call, so anything else
    /// in the block list (an alphanumeric sender, an email address) is left out.
    pub fn with_blocked(mut self, blocked: impl IntoIterator<Item = String>) -> CallFlow {
        self.blocked = blocked
            .into_iter()
            .filter(|a| a.starts_with('+') && a.len() > 1 && a[1..].bytes().all(|b| b.is_ascii_digit()))
            .collect();
        self
    }

    /// Whether a call from `caller` is refused.
    pub fn rejects(&self, caller: &str) -> bool {
        self.blocked.iter().any(|b| b == caller)
    }

    /// Whether the business is open at `now` (no hours: always).
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.hours.as_ref().is_none_or(|h| h.is_open_at(now))
    }

    /// What the caller hears first.
    pub fn opening(&self, open: bool) -> Option<&str> {
        if open {
            self.greeting.as_deref()
        } else {
            self.closed_greeting.as_deref()
        }
    }

    /// The forward to ring, if this call rings the owner at all.
    pub fn forward_when(&self, open: bool) -> Option<&Forward> {
        self.forward.as_ref().filter(|_| open)
    }

    /// The one rule for "the owner took it": the dialled leg completed, was bridged to the
    /// caller, and (screened) pressed the key. Both hosts apply it.
    pub fn answered(&self, dial_status: &str, bridged: Option<bool>, accepted: bool) -> bool {
        let completed = matches!(dial_status, "completed" | "answered");
        let screened = self.forward.as_ref().is_some_and(|f| f.screen_prompt.is_some());
        completed && bridged != Some(false) && (!screened || accepted)
    }

    /// The parity table's oracle: what a call ends as when the owner's leg does `leg`, for a
    /// caller who leaves a message when asked and has had no text-back yet.
    pub fn expected(&self, open: bool, leg: LegAnswer) -> Outcome {
        self.expected_from("", open, leg)
    }

    /// [`CallFlow::expected`] for a call from `caller`: a blocked caller is refused before
    /// anything else happens.
    pub fn expected_from(&self, caller: &str, open: bool, leg: LegAnswer) -> Outcome {
        if self.rejects(caller) {
            return Outcome { rejected: true, rang_owner: false, answered: false, voicemail: false, text_back: false };
        }
        let forward = self.forward_when(open);
        let screened = forward.is_some_and(|f| f.screen_prompt.is_some());
        let answered = forward.is_some()
            && match leg {
                LegAnswer::Accept => true,
                LegAnswer::CarrierVoicemail => !screened,
                LegAnswer::NoAnswer | LegAnswer::Decline => false,
            };
        Outcome {
            rejected: false,
            rang_owner: forward.is_some(),
            answered,
            voicemail: !answered && self.voicemail.is_some(),
            text_back: !answered && self.text_back.is_some(),
        }
    }
}

/// "Call for Brighton Clinic. Press 1 to accept."
pub fn screen_prompt(label: &str) -> String {
    format!("Call for {label}. Press {ACCEPT_DIGIT} to accept.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> NumberSettings {
        NumberSettings {
            greeting: "Hello".into(),
            recording_notice: "Recorded".into(),
            text_back_enabled: true,
            text_back_body: "Sorry we missed you".into(),
            ..NumberSettings::for_tests()
        }
    }

    #[test]
    fn screening_names_the_business_and_the_closed_greeting_falls_back_to_the_greeting() {
        let f = CallFlow::from_settings("Brighton Clinic", &settings());
        assert_eq!(
            f.forward.as_ref().unwrap().screen_prompt.as_deref(),
            Some("Call for Brighton Clinic. Press 1 to accept.")
        );
        assert_eq!(f.opening(false), Some("Hello"));
        let mut s = settings();
        s.closed_greeting = "We are closed".into();
        assert_eq!(CallFlow::from_settings("x", &s).opening(false), Some("We are closed"));
    }

    #[test]
    fn a_screened_leg_that_presses_nothing_is_not_answered() {
        let f = CallFlow::from_settings("x", &settings());
        assert!(!f.answered("completed", Some(false), false), "carrier voicemail, not bridged");
        assert!(!f.answered("completed", None, false), "bridged but never accepted");
        assert!(f.answered("completed", Some(true), true));
        let mut s = settings();
        s.screening_enabled = false;
        assert!(
            CallFlow::from_settings("x", &s).answered("completed", None, false),
            "unscreened: completed is answered"
        );
        assert_eq!(
            f.expected(true, LegAnswer::CarrierVoicemail),
            Outcome { rejected: false, rang_owner: true, answered: false, voicemail: true, text_back: true }
        );
        assert!(!f.expected(false, LegAnswer::Accept).rang_owner, "closed hours never ring the owner");
    }

    #[test]
    fn a_blocked_caller_is_refused_before_anything_else() {
        let f = CallFlow::from_settings("x", &settings()).with_blocked([
            "+61412000999".to_string(),
            "ACME".to_string(),
            "a@b.c".to_string(),
        ]);
        assert_eq!(f.blocked, vec!["+61412000999".to_string()], "only numbers can call");
        assert_eq!(
            f.expected_from("+61412000999", true, LegAnswer::Accept),
            Outcome { rejected: true, rang_owner: false, answered: false, voicemail: false, text_back: false }
        );
        assert!(!f.expected_from("+61412000998", true, LegAnswer::Accept).rejected);
    }
}
