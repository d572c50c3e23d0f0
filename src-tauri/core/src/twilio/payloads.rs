//! Typed views of the form parameters Twilio posts to our webhooks.
//!
//! Twilio adds fields without notice, so parsing never rejects unknown names (the raw
//! body stays in the journal); it only insists on the few fields a handler cannot work
//! without, and names the missing one in a one-line reason (answered as 400).

use crate::error::{Error, Result};

/// The decoded form parameters of one request, in the order received, repeats kept (the
/// signature covers every one of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

/// Twilio never sends more than 10 media per message; anything above is malformed.
pub const MAX_MEDIA: usize = 10;

/// One form-encoded name or value: `+` is a space, `%XX` a byte; the bytes must be UTF-8.
fn form_decode(raw: &[u8]) -> Result<String> {
    let malformed = |why: &str| Error::InvalidInput(format!("the body is not valid form data: {why}"));
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let digit = |at: usize| raw.get(at).and_then(|&b| char::from(b).to_digit(16));
                let (Some(hi), Some(lo)) = (digit(i + 1), digit(i + 2)) else {
                    return Err(malformed("a % is not followed by two hex digits"));
                };
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| malformed("it does not decode to UTF-8 text"))
}

impl Params {
    /// Decodes an `application/x-www-form-urlencoded` body (`+` is a space, `%XX` escapes).
    ///
    /// Strict where the usual decoders are lenient: a `%` not followed by two hex digits, or
    /// bytes that do not decode to UTF-8, make the body malformed (400). Twilio never sends
    /// either, and decoding them "somehow" (kept literally, or as U+FFFD) would store a text
    /// the customer never wrote.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut pairs = Vec::new();
        for piece in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(eq) => (&piece[..eq], &piece[eq + 1..]),
                None => (piece, &[][..]),
            };
            pairs.push((form_decode(name)?, form_decode(value)?));
        }
        Ok(Params(pairs))
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Params(pairs)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The first value of `name`, if present (empty values count as present).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first non-blank value of `name`.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The first non-blank value among `names` (Twilio's aliases, e.g. MessageSid/SmsSid).
    pub fn first_of(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.non_empty(n))
    }

    /// A field the handler cannot do without; the error names it.
    pub fn required(&self, name: &str) -> Result<&str> {
        self.non_empty(name).ok_or_else(|| Error::InvalidInput(format!("missing required field {name}")))
    }

    fn required_of(&self, names: &[&str]) -> Result<&str> {
        self.first_of(names).ok_or_else(|| Error::InvalidInput(format!("missing required field {}", names[0])))
    }

    /// An optional integer; present but not a number is malformed.
    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(v) => {
                v.parse::<i64>().map(Some).map_err(|_| Error::InvalidInput(format!("{name} is not a number: {v:?}")))
            }
        }
    }

    fn owned(&self, name: &str) -> Option<String> {
        self.non_empty(name).map(str::to_string)
    }
}

/// An inbound SMS/MMS (`/twilio/sms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: String,
    pub from: String,
    pub to: String,
    /// Verbatim: emoji, newlines and markup-looking text are kept byte for byte.
    pub body: String,
    pub num_segments: i64,
    /// (content type, URL) for each `MediaUrlN`, N < `NumMedia`.
    pub media: Vec<(String, String)>,
    /// Twilio's own opt-out classification (STOP, START, HELP) when Advanced Opt-Out is on.
    pub opt_out_type: Option<String>,
}

impl InboundSms {
    pub fn from_params(p: &Params) -> Result<Self> {
        let message_sid = p.required_of(&["MessageSid", "SmsMessageSid", "SmsSid"])?.to_string();
        let from = p.required("From")?.to_string();
        let to = p.required("To")?.to_string();
        let num_media = p.int("NumMedia")?.unwrap_or(0);
        if num_media < 0 || num_media as usize > MAX_MEDIA {
            return Err(Error::InvalidInput(format!("NumMedia {num_media} is out of range 0–{MAX_MEDIA}")));
        }
        let mut media = Vec::new();
        for i in 0..num_media {
            let url = p.non_empty(&format!("MediaUrl{i}"));
            let content_type = p.non_empty(&format!("MediaContentType{i}")).unwrap_or("");
            match url {
                Some(url) => media.push((content_type.to_string(), url.to_string())),
                None => return Err(Error::InvalidInput(format!("missing required field MediaUrl{i}"))),
            }
        }
        Ok(InboundSms {
            message_sid,
            from,
            to,
            body: p.get("Body").unwrap_or("").to_string(),
            num_segments: p.int("NumSegments")?.unwrap_or(1).max(1),
            media,
            opt_out_type: p.owned("OptOutType"),
        })
    }
}

/// A message status callback (`/twilio/sms/status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatusCallback {
    pub message_sid: String,
    pub status: String,
    /// `ErrorCode`; 0 means none.
    pub error_code: Option<i64>,
    /// The carrier's delivery time as RFC 3339, from `RawDlrDoneDate` (YYMMDDhhmm, UTC).
    pub carrier_time: Option<String>,
}

impl MessageStatusCallback {
    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(MessageStatusCallback {
            message_sid: p.required_of(&["MessageSid", "SmsSid"])?.to_string(),
            status: p.required_of(&["MessageStatus", "SmsStatus"])?.to_string(),
            error_code: p.int("ErrorCode")?.filter(|c| *c != 0),
            carrier_time: p.non_empty("RawDlrDoneDate").and_then(dlr_date_to_rfc3339),
        })
    }
}

/// `RawDlrDoneDate` is `YYMMDDhhmm` (UTC); anything else is ignored rather than refused.
fn dlr_date_to_rfc3339(raw: &str) -> Option<String> {
    let t = chrono::NaiveDateTime::parse_from_str(&format!("{raw}00"), "%y%m%d%H%M%S").ok()?;
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// An inbound call (`/twilio/voice`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCall {
    pub call_sid: String,
    pub from: String,
    pub to: String,
    pub status: String,
    pub direction: String,
}

impl InboundCall {
    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(InboundCall {
            call_sid: p.required("CallSid")?.to_string(),
            from: p.required_of(&["From", "Caller"])?.to_string(),
            to: p.required_of(&["To", "Called"])?.to_string(),
            status: p.non_empty("CallStatus").unwrap_or("ringing").to_string(),
            direction: p.non_empty("Direction").unwrap_or("inbound").to_string(),
        })
    }
}

/// A call status callback (`/twilio/voice/status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStatusCallback {
    pub call_sid: String,
    pub status: String,
    /// Seconds (`CallDuration`; `Duration` is billed minutes and is not used).
    pub duration: Option<i64>,
    pub answered_by: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub direction: Option<String>,
}

impl CallStatusCallback {
    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(CallStatusCallback {
            call_sid: p.required("CallSid")?.to_string(),
            status: p.required("CallStatus")?.to_string(),
            duration: p.int("CallDuration")?,
            answered_by: p.owned("AnsweredBy"),
            from: p.first_of(&["From", "Caller"]).map(str::to_string),
            to: p.first_of(&["To", "Called"]).map(str::to_string),
            direction: p.owned("Direction"),
        })
    }
}

/// The `<Dial action>` request (`/twilio/voice/dial`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialAction {
    pub call_sid: String,
    pub dial_status: String,
    pub dial_duration: Option<i64>,
    pub dial_call_sid: Option<String>,
}

impl DialAction {
    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(DialAction {
            call_sid: p.required("CallSid")?.to_string(),
            dial_status: p.required("DialCallStatus")?.to_ascii_lowercase(),
            dial_duration: p.int("DialCallDuration")?,
            dial_call_sid: p.owned("DialCallSid"),
        })
    }

    /// Whether the owner picked up (then the call simply ends).
    pub fn answered(&self) -> bool {
        matches!(self.dial_status.as_str(), "completed" | "answered")
    }
}

/// A recording status callback (`/twilio/voice/recording`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingStatus {
    pub recording_sid: String,
    /// Without extension; the media worker asks for `.wav`.
    pub recording_url: String,
    pub status: String,
    pub call_sid: Option<String>,
    pub duration: Option<i64>,
    /// `RecordVerb` for our voicemail `<Record>`, `DialVerb` etc. for call recordings.
    pub source: Option<String>,
    pub error_code: Option<i64>,
}

impl RecordingStatus {
    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(RecordingStatus {
            recording_sid: p.required("RecordingSid")?.to_string(),
            recording_url: p.required("RecordingUrl")?.to_string(),
            status: p.non_empty("RecordingStatus").unwrap_or("completed").to_ascii_lowercase(),
            call_sid: p.owned("CallSid"),
            duration: p.int("RecordingDuration")?,
            source: p.owned("RecordingSource"),
            error_code: p.int("ErrorCode")?.filter(|c| *c != 0),
        })
    }

    /// A voicemail unless Twilio says the recording came from something other than `<Record>`.
    pub fn kind(&self) -> &'static str {
        match self.source.as_deref() {
            None | Some("RecordVerb") => "voicemail",
            Some(_) => "call",
        }
    }
}

/// A transcription callback (`/twilio/voice/transcription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcription {
    pub recording_sid: String,
    pub recording_url: Option<String>,
    pub status: String,
    /// Empty when the transcription failed.
    pub text: String,
    pub call_sid: Option<String>,
    pub from: Option<String>,
}

impl Transcription {
    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(Transcription {
            recording_sid: p.required("RecordingSid")?.to_string(),
            recording_url: p.owned("RecordingUrl"),
            status: p.non_empty("TranscriptionStatus").unwrap_or("completed").to_string(),
            text: p.get("TranscriptionText").unwrap_or("").to_string(),
            call_sid: p.owned("CallSid"),
            from: p.first_of(&["From", "Caller"]).map(str::to_string),
        })
    }
}

/// A regulatory bundle status callback (`/twilio/compliance`). Twilio does not document
/// its fields, so both the PascalCase and snake_case spellings are looked at and the raw
/// body is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleStatus {
    pub bundle_sid: String,
    pub status: Option<String>,
    pub failure_reason: Option<String>,
}

impl BundleStatus {
    /// The callback as it came: a JSON body, or a form already decoded into `params`. The
    /// bundle and Trust Hub callbacks both arrive either way.
    pub fn from_body(is_json: bool, body: &[u8], params: &Params) -> Result<Self> {
        if is_json {
            let v: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| Error::InvalidInput(format!("the body is not valid JSON: {e}")))?;
            Self::from_json(&v)
        } else {
            Self::from_params(params)
        }
    }

    pub fn from_params(p: &Params) -> Result<Self> {
        Ok(BundleStatus {
            bundle_sid: p.required_of(&["BundleSid", "bundle_sid", "Sid", "sid"])?.to_string(),
            status: p.first_of(&["Status", "status", "BundleStatus"]).map(str::to_string),
            failure_reason: p.first_of(&["FailureReason", "failure_reason"]).map(str::to_string),
        })
    }

    /// The same from a JSON body (object with the same names).
    pub fn from_json(v: &serde_json::Value) -> Result<Self> {
        let s = |names: &[&str]| {
            names.iter().find_map(|n| v.get(*n).and_then(|x| x.as_str()).map(str::trim).filter(|x| !x.is_empty()))
        };
        Ok(BundleStatus {
            bundle_sid: s(&["BundleSid", "bundle_sid", "Sid", "sid"])
                .ok_or_else(|| Error::InvalidInput("missing required field BundleSid".into()))?
                .to_string(),
            status: s(&["Status", "status", "BundleStatus"]).map(str::to_string),
            failure_reason: s(&["FailureReason", "failure_reason"]).map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_keeps_plus_as_space_and_unicode() {
        let p = Params::parse("Body=hi+there%0A%F0%9F%91%8B&To=%2B15005550006".as_bytes()).unwrap();
        assert_eq!(p.get("Body"), Some("hi there\n👋"));
        assert_eq!(p.get("To"), Some("+15005550006"));
    }

    #[test]
    fn form_decoding_refuses_broken_escapes_and_non_utf8() {
        for body in ["To=%", "To=%2", "To=%ZZ", "To=%+1", "Body=%C3%28", "From=%FF"] {
            let e = Params::parse(body.as_bytes()).unwrap_err();
            assert!(e.to_string().contains("not valid form data"), "{body}: {e}");
        }
        let p = Params::parse(b"&A&B=&&C=%41%42=+").unwrap();
        assert_eq!(p.pairs(), [("A".into(), "".into()), ("B".into(), "".into()), ("C".into(), "AB= ".into())]);
    }

    #[test]
    fn missing_fields_are_named() {
        let p = Params::parse(b"From=%2B1&To=%2B2").unwrap();
        let e = InboundSms::from_params(&p).unwrap_err();
        assert!(e.to_string().contains("MessageSid"), "{e}");
        let p = Params::parse(b"MessageSid=SM1&To=%2B2").unwrap();
        assert!(InboundSms::from_params(&p).unwrap_err().to_string().contains("From"));
    }

    #[test]
    fn media_loop_follows_num_media() {
        let p = Params::parse(
            b"MessageSid=MM1&From=a&To=b&NumMedia=2&MediaUrl0=u0&MediaContentType0=image%2Fpng&MediaUrl1=u1",
        )
        .unwrap();
        let m = InboundSms::from_params(&p).unwrap();
        assert_eq!(m.media, vec![("image/png".into(), "u0".into()), ("".into(), "u1".into())]);
        let p = Params::parse(b"MessageSid=MM1&From=a&To=b&NumMedia=11").unwrap();
        assert!(InboundSms::from_params(&p).is_err());
        let p = Params::parse(b"MessageSid=MM1&From=a&To=b&NumMedia=x").unwrap();
        assert!(InboundSms::from_params(&p).is_err());
    }

    #[test]
    fn dlr_date_and_zero_error_code() {
        let p = Params::parse(b"MessageSid=SM1&MessageStatus=delivered&ErrorCode=0&RawDlrDoneDate=2611210530").unwrap();
        let s = MessageStatusCallback::from_params(&p).unwrap();
        assert_eq!(s.error_code, None);
        assert_eq!(s.carrier_time.as_deref(), Some("2026-11-21T05:30:00.000Z"));
    }
}
