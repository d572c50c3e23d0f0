-- Opt-out belongs to an address, not to a contact (issue 13, item 3).
-- Until now `contacts.opted_out` carried it: moving a number to another contact quietly
-- re-subscribed it, START from one of a contact's phones re-subscribed all of them, and
-- an SMS STOP also blocked email replies. The ledger below is keyed by the address
-- itself (E.164 for phones, lower-cased for email), keeps every change with where it came
-- from, and is never touched by contact edits or merges. An address's state is its latest
-- event by `at` (the time the customer or owner said so; ties by id), so applying the
-- same history in another order ends the same way.
CREATE TABLE opt_out_events (
    id          INTEGER PRIMARY KEY,
    address     TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('sms','email')),
    opted_out   INTEGER NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL,                       -- "STOP", "OptOutType STOP", "error 21610", "by hand"
    source      TEXT NOT NULL CHECK (source IN ('webhook','catch-up','error-21610','owner','migration')),
    message_sid TEXT,                                -- the message that carried it, when one did
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX opt_out_events_latest ON opt_out_events(address, at DESC, id DESC);
-- One event per message: the same STOP by webhook and by catch-up counts once.
CREATE UNIQUE INDEX opt_out_events_message ON opt_out_events(message_sid) WHERE message_sid IS NOT NULL;

-- What contacts said before the ledger existed, per phone they had then.
INSERT INTO opt_out_events (address, channel, opted_out, at, reason, source)
    SELECT p.address, 'sms', 1, COALESCE(c.opted_out_at, strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           COALESCE(c.opt_out_source, 'STOP'), 'migration'
    FROM contacts c JOIN contact_phones p ON p.contact_id = c.id
    WHERE c.opted_out = 1;

-- Auto-reply bookkeeping (item 10): when this conversation was last auto-answered, so a
-- customer gets the auto-reply at most once per window and two autoresponders cannot loop.
ALTER TABLE conversations ADD COLUMN auto_replied_at TEXT;
