//! Message and call status as forward-only state machines. Twilio's callbacks arrive out
//! of order and new status names appear without notice, so each status has a rank and a
//! change is applied only when it moves the rank forward; unknown names are kept as text.

/// Ranks at or above this are final: nothing but `read` follows them.
pub const FINAL_RANK: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(into = "String")]
pub enum MessageStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Receiving,
    Received,
    PartiallyDelivered,
    Delivered,
    Undelivered,
    Failed,
    Canceled,
    Read,
    /// A name this build does not know yet, kept verbatim.
    Other(String),
}

impl MessageStatus {
    pub fn parse(s: &str) -> Self {
        use MessageStatus::*;
        match s.trim().to_ascii_lowercase().as_str() {
            "accepted" => Accepted,
            "scheduled" => Scheduled,
            "queued" => Queued,
            "sending" => Sending,
            "sent" => Sent,
            "receiving" => Receiving,
            "received" => Received,
            "partially_delivered" => PartiallyDelivered,
            "delivered" => Delivered,
            "undelivered" => Undelivered,
            "failed" => Failed,
            "canceled" | "cancelled" => Canceled,
            "read" => Read,
            _ => Other(s.trim().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        use MessageStatus::*;
        match self {
            Accepted => "accepted",
            Scheduled => "scheduled",
            Queued => "queued",
            Sending => "sending",
            Sent => "sent",
            Receiving => "receiving",
            Received => "received",
            PartiallyDelivered => "partially_delivered",
            Delivered => "delivered",
            Undelivered => "undelivered",
            Failed => "failed",
            Canceled => "canceled",
            Read => "read",
            Other(s) => s,
        }
    }

    /// Position in the life of a message. Unknown names sit after `sent` and before the
    /// final states, so they show up but never undo a delivery report.
    pub fn rank(&self) -> i64 {
        use MessageStatus::*;
        match self {
            Accepted => 5,
            Scheduled => 8,
            Queued => 10,
            Receiving => 15,
            Sending => 20,
            Sent => 30,
            Other(_) => 35,
            PartiallyDelivered => 40,
            Delivered | Undelivered | Failed | Canceled | Received => FINAL_RANK,
            Read => 60,
        }
    }

    pub fn is_final(&self) -> bool {
        self.rank() >= FINAL_RANK
    }

    /// Whether a message now at `current_rank` should move to `self`.
    pub fn advances_from(&self, current_rank: i64) -> bool {
        self.rank() > current_rank
    }
}

impl From<MessageStatus> for String {
    fn from(s: MessageStatus) -> String {
        s.as_str().to_string()
    }
}

/// Call status, ranked the same way (`queued` … `completed`/`busy`/`no-answer`/…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStatus(String);

impl CallStatus {
    pub fn parse(s: &str) -> Self {
        CallStatus(s.trim().to_ascii_lowercase())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn rank(&self) -> i64 {
        match self.0.as_str() {
            "queued" => 10,
            "initiated" => 15,
            "ringing" => 20,
            "in-progress" | "answered" => 30,
            "completed" | "busy" | "no-answer" | "failed" | "canceled" => FINAL_RANK,
            _ => 35,
        }
    }
    pub fn advances_from(&self, current_rank: i64) -> bool {
        self.rank() > current_rank
    }
    /// The call is over (completed, busy, no-answer, failed, canceled).
    pub fn is_final(&self) -> bool {
        self.rank() >= FINAL_RANK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_only() {
        let delivered = MessageStatus::parse("delivered");
        assert!(delivered.advances_from(MessageStatus::Sent.rank()));
        assert!(!MessageStatus::Sent.advances_from(delivered.rank()));
        assert!(!MessageStatus::Queued.advances_from(MessageStatus::Sending.rank()));
        assert!(MessageStatus::Read.advances_from(delivered.rank()));
    }

    #[test]
    fn a_final_state_is_not_replaced_by_another_final_state() {
        let failed = MessageStatus::parse("failed");
        assert!(!MessageStatus::Delivered.advances_from(failed.rank()));
    }

    #[test]
    fn unknown_names_are_kept_and_ranked_between() {
        let s = MessageStatus::parse("carrier_magic");
        assert_eq!(s.as_str(), "carrier_magic");
        assert!(s.advances_from(MessageStatus::Sent.rank()));
        assert!(!s.advances_from(MessageStatus::Delivered.rank()));
        assert!(MessageStatus::Delivered.advances_from(s.rank()));
    }

    #[test]
    fn round_trips_known_names() {
        for name in [
            "queued",
            "sending",
            "sent",
            "delivered",
            "undelivered",
            "failed",
            "read",
            "canceled",
            "partially_delivered",
            "received",
        ] {
            assert_eq!(MessageStatus::parse(name).as_str(), name);
        }
    }

    #[test]
    fn call_status_ranks() {
        assert!(CallStatus::parse("completed").advances_from(CallStatus::parse("ringing").rank()));
        assert!(!CallStatus::parse("ringing").advances_from(CallStatus::parse("in-progress").rank()));
    }
}
