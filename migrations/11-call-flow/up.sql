-- Issue 14: one call flow, open or closed: screening, the closed-hours greeting, call
-- recording with its spoken notice, and missed-call text-back, per number.

-- Screening: the forwarded leg hears who the call is for and must press 1 to take it, so a
-- mobile's own voicemail (which answers but presses nothing) sends the caller back to ours.
-- On for numbers added from now on; numbers that existed keep answering as they did until
-- the owner turns it on (the UPDATE below), so nobody's calls change behind their back.
ALTER TABLE numbers ADD COLUMN screening_enabled INTEGER NOT NULL DEFAULT 1;
UPDATE numbers SET screening_enabled = 0;
-- Said instead of the greeting outside business hours ('' = the greeting).
ALTER TABLE numbers ADD COLUMN closed_greeting TEXT NOT NULL DEFAULT '';
-- Record forwarded calls; the notice is said to the caller first (many places require it).
ALTER TABLE numbers ADD COLUMN record_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE numbers ADD COLUMN recording_notice TEXT NOT NULL DEFAULT 'This call may be recorded.';
-- Missed-call text-back: off until the owner turns it on (it texts customers).
ALTER TABLE numbers ADD COLUMN text_back_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE numbers ADD COLUMN text_back_body TEXT NOT NULL
    DEFAULT 'Sorry we missed your call. Reply here and we''ll get back to you.';
ALTER TABLE numbers ADD COLUMN text_back_window_hours INTEGER NOT NULL DEFAULT 12
    CHECK (text_back_window_hours BETWEEN 1 AND 168);

-- The owner pressed 1 on the screened leg of this call (set by the screening answer).
ALTER TABLE calls ADD COLUMN screen_accepted_at TEXT;

-- One row per missed call that earned (or was refused) a text-back: the call SID is the
-- key, so a retried status callback or a catch-up can never text the same call twice.
-- `state`: pending (the worker sends it through the outbox), sent, skipped (window, opt-out,
-- off: `reason` says which), failed.
CREATE TABLE text_backs (
    id          INTEGER PRIMARY KEY,
    call_sid    TEXT NOT NULL UNIQUE,
    number_id   INTEGER NOT NULL REFERENCES numbers(id),
    caller      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending','sent','skipped','failed')),
    reason      TEXT,
    message_id  INTEGER,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX text_backs_recent ON text_backs(number_id, caller, created_at DESC);
