-- Exactly-once sending, one runner per campaign, and attachment copies that do not pile up.

-- An outbound message whose fate Twilio never told us (the answer was lost and its log
-- could not be read) is marked failed with `unconfirmed = 1`: the owner sees a plain
-- explanation and a Retry button, and a retry first looks in Twilio's log again (since
-- `request_started_at`) before it sends anything.
ALTER TABLE messages ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
-- When our first create request for this outbox row started: a message found in Twilio's
-- log is adopted only if it was created no earlier than this (less a little clock skew).
ALTER TABLE messages ADD COLUMN request_started_at TEXT;

-- One runner per campaign: whoever holds an unexpired lease sends; everyone else stops.
-- The lease is renewed at each recipient and lapses by itself after a crash.
ALTER TABLE campaigns ADD COLUMN runner TEXT;
ALTER TABLE campaigns ADD COLUMN lease_until TEXT;

-- Copies of sent attachments are deleted once Twilio has fetched them (or after a day).
ALTER TABLE outbound_media ADD COLUMN fetched_at TEXT;
-- Which outbox row an attachment link was made for, so Retry can offer the same files.
ALTER TABLE outbound_media ADD COLUMN message_id INTEGER;
