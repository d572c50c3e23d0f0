-- What calls leave on the owner's computer (issue 14).
--
-- Call recordings: a recording of a conversation (the forwarded `<Dial record>`, a
-- click-to-call recorded by Twilio), as opposed to a voicemail. The audio itself is a
-- `recordings` row (kind 'call') downloaded by the same queue as voicemails; this row links
-- it to its call and keeps what the owner did with it: the local file deleted, and whether
-- Twilio's copy was deleted too (so a later catch-up does not download it again).
CREATE TABLE call_recordings (
    id                INTEGER PRIMARY KEY,
    recording_id      INTEGER NOT NULL UNIQUE REFERENCES recordings(id),
    recording_sid     TEXT NOT NULL UNIQUE,
    -- The call recorded: for a `<Dial>` recording the customer's (parent) call, for a
    -- click-to-call the call Twilio placed. Not a foreign key: the recording may be
    -- caught up before its call is (Twilio's logs are eventually consistent).
    call_sid          TEXT NOT NULL,
    -- Twilio's RecordingSource (DialVerb, OutboundAPI, StartCallRecordingAPI…), as text.
    source            TEXT,
    deleted_at        TEXT,
    twilio_deleted_at TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX call_recordings_call ON call_recordings(call_sid);

-- A voicemail's transcript as a state rather than a guess from NULL columns: 'pending'
-- (Twilio may still send it), 'done', 'too_long' (Twilio transcribes 2–120 s only, so a
-- longer message never gets one) or 'failed' (Twilio tried and gave up, or never made one).
ALTER TABLE voicemails ADD COLUMN transcript_state TEXT NOT NULL DEFAULT 'pending'
    CHECK (transcript_state IN ('pending','done','too_long','failed'));
UPDATE voicemails SET transcript_state = CASE
    WHEN transcription_status = 'completed' THEN 'done'
    WHEN COALESCE(duration, (SELECT r.duration FROM recordings r WHERE r.sid = voicemails.recording_sid)) > 120
        THEN 'too_long'
    WHEN transcription_status = 'failed' THEN 'failed'
    ELSE 'pending' END;
-- Catch-up asks Twilio about pending transcripts only.
CREATE INDEX voicemails_transcript_pending ON voicemails(created_at) WHERE transcript_state = 'pending';
