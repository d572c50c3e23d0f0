-- Email replies that thread: the subject of every email (inbound and ours), the
-- Message-ID of an email that arrived (what our reply's In-Reply-To names), and the
-- References chain (received, or the one we sent), so the next reply continues it.
-- Resend's id for an email we sent is kept in `sid`, like a Twilio SID.
ALTER TABLE messages ADD COLUMN email_subject TEXT;
ALTER TABLE messages ADD COLUMN email_message_id TEXT;
ALTER TABLE messages ADD COLUMN email_references TEXT;
