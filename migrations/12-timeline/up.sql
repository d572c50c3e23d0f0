-- One timeline per customer, conversation states, Retry as a linked send (issue 15).

-- Open / done. A done conversation is out of the way until the customer writes again: a
-- new inbound message reopens it (store::conversations::touch).
ALTER TABLE conversations ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','done'));
-- The list filtered by state pages by the same key as the whole list, so each filter
-- seeks an index instead of walking the whole list looking for matching rows.
CREATE INDEX conversations_state_page ON conversations(state, COALESCE(last_message_at, '') DESC, id DESC);
-- "Unread" is a small set: a partial index keeps that filter a seek at any inbox size.
CREATE INDEX conversations_unread_page ON conversations(COALESCE(last_message_at, '') DESC, id DESC)
    WHERE unread > 0;

-- Retry on a failed text is a NEW outbox row linked to the failed one. The unique index
-- makes "one retry per failed message" a fact of the schema: Retry clicked twice finds
-- the retry already written and never sends a second copy.
ALTER TABLE messages ADD COLUMN retry_of INTEGER REFERENCES messages(id);
CREATE UNIQUE INDEX messages_retry_of ON messages(retry_of) WHERE retry_of IS NOT NULL;

-- The customer's side of a call: the caller of an inbound call, the callee of one we
-- placed. Virtual (computed when read, nothing to backfill or keep in step), and indexed
-- so a conversation's timeline seeks its calls by (our number, customer, time).
ALTER TABLE calls ADD COLUMN customer TEXT
    GENERATED ALWAYS AS (CASE WHEN direction = 'inbound' THEN from_addr ELSE to_addr END) VIRTUAL;
CREATE INDEX calls_timeline ON calls(number_id, customer, created_at DESC, id DESC);
-- A customer leaves few voicemails; by caller and time, filtered by our number.
CREATE INDEX voicemails_timeline ON voicemails(from_addr, created_at DESC, id DESC);
-- "Did this call leave a voicemail?" is asked of every call the call log and a timeline
-- show; without this index each asks by scanning every voicemail (measured at 1 M
-- messages with 25,000 voicemails: a call-log page 0.3 ms -> 900 ms).
CREATE INDEX voicemails_call ON voicemails(call_sid);
-- The badge's one count over all conversations reads this small covering index instead
-- of every conversation row (with its preview).
CREATE INDEX conversations_counts ON conversations(state, unread);
