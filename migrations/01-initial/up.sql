-- Switchboard's first schema: the whole domain the app needs.
-- Times are RFC 3339 UTC text ("2026-11-21T05:30:00.000Z") so they sort as text.

-- Our Twilio phone numbers and their per-number call/message settings.
CREATE TABLE numbers (
    id                    INTEGER PRIMARY KEY,
    e164                  TEXT NOT NULL UNIQUE,
    sid                   TEXT UNIQUE,                 -- PN…; NULL for a number only seen in a webhook
    friendly_name         TEXT NOT NULL DEFAULT '',
    managed               INTEGER NOT NULL DEFAULT 0,  -- the user chose to wire this number to the app
    seen_in_webhook       INTEGER NOT NULL DEFAULT 0,  -- recorded because Twilio sent us an event for it
    forwarding_number     TEXT,                        -- E.164 of the owner's mobile
    forwarding_enabled    INTEGER NOT NULL DEFAULT 1,
    greeting              TEXT NOT NULL DEFAULT '',
    voice                 TEXT NOT NULL DEFAULT 'alice',
    ring_seconds          INTEGER NOT NULL DEFAULT 20 CHECK (ring_seconds BETWEEN 5 AND 120),
    voicemail_enabled     INTEGER NOT NULL DEFAULT 1,
    voicemail_prompt      TEXT NOT NULL DEFAULT 'Sorry, we cannot take your call. Please leave a message after the beep.',
    voicemail_max_seconds INTEGER NOT NULL DEFAULT 120 CHECK (voicemail_max_seconds BETWEEN 5 AND 600),
    business_hours        TEXT,                        -- JSON BusinessHours; NULL = always open
    auto_reply            TEXT,                        -- text answered to every inbound SMS; NULL = none
    previous_wiring       TEXT,                        -- JSON of the Twilio URLs before we managed it
    wired_url             TEXT,                        -- public base URL the number points at now
    wired_at              TEXT,
    wiring_error          TEXT,
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL DEFAULT '',
    email          TEXT,
    notes          TEXT NOT NULL DEFAULT '',
    opted_out      INTEGER NOT NULL DEFAULT 0,
    opted_out_at   TEXT,
    opt_out_source TEXT,                               -- keyword ("STOP"), OptOutType, or "error 21610"
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- A contact's phone numbers; an address belongs to at most one contact.
CREATE TABLE contact_phones (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL UNIQUE,                   -- E.164 when it parses, else as Twilio sent it
    label      TEXT NOT NULL DEFAULT 'mobile',
    PRIMARY KEY (contact_id, address)
);

-- One conversation per (our number, customer address).
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    number_id       INTEGER NOT NULL REFERENCES numbers(id),
    customer        TEXT NOT NULL,
    contact_id      INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    reply_channel   TEXT NOT NULL DEFAULT 'sms' CHECK (reply_channel IN ('sms','email')),
    last_message_at TEXT,
    last_preview    TEXT NOT NULL DEFAULT '',
    unread          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (number_id, customer)
);
CREATE INDEX conversations_recent ON conversations(last_message_at DESC, id DESC);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    sid             TEXT UNIQUE,                       -- SM…/MM…; NULL while queued in the outbox
    client_ref      TEXT UNIQUE,                       -- our idempotency key for outbound sends
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    direction       TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    channel         TEXT NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms','email')),
    from_addr       TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,                     -- Twilio's name, unknown ones kept as text
    status_rank     INTEGER NOT NULL DEFAULT 0,        -- forward-only ordering of status
    error_code      INTEGER,
    error_message   TEXT,
    num_segments    INTEGER NOT NULL DEFAULT 1,
    num_media       INTEGER NOT NULL DEFAULT 0,
    price           TEXT,
    price_unit      TEXT,
    campaign_id     INTEGER,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,                              -- carrier/Twilio time of the latest status
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX messages_thread ON messages(conversation_id, created_at DESC, id DESC);
CREATE INDEX messages_open_status ON messages(status_rank) WHERE status_rank < 50;

CREATE TABLE message_media (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    remote_url   TEXT,
    path         TEXT,                                 -- relative to the data directory
    sha256       TEXT,
    bytes        INTEGER,
    UNIQUE (message_id, idx)
);

-- Status callbacks that arrived before the message they speak of.
CREATE TABLE pending_status (
    id          INTEGER PRIMARY KEY,
    message_sid TEXT NOT NULL,
    status      TEXT NOT NULL,
    error_code  INTEGER,
    event_at    TEXT,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX pending_status_sid ON pending_status(message_sid);

CREATE TABLE calls (
    id           INTEGER PRIMARY KEY,
    sid          TEXT NOT NULL UNIQUE,
    parent_sid   TEXT,
    number_id    INTEGER REFERENCES numbers(id),
    direction    TEXT NOT NULL,                        -- inbound, outbound-api, outbound-dial
    from_addr    TEXT NOT NULL,
    to_addr      TEXT NOT NULL,
    status       TEXT NOT NULL,
    status_rank  INTEGER NOT NULL DEFAULT 0,
    duration     INTEGER,
    forwarded_to TEXT,
    answered_by  TEXT,
    dial_status  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX calls_recent ON calls(created_at DESC);

-- Audio files: voicemails and call recordings, downloaded after the webhook is committed.
CREATE TABLE recordings (
    id           INTEGER PRIMARY KEY,
    sid          TEXT NOT NULL UNIQUE,
    call_sid     TEXT,
    kind         TEXT NOT NULL DEFAULT 'voicemail' CHECK (kind IN ('voicemail','call')),
    remote_url   TEXT,
    duration     INTEGER,
    content_type TEXT,
    path         TEXT,
    sha256       TEXT,
    bytes        INTEGER,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE voicemails (
    id                   INTEGER PRIMARY KEY,
    recording_sid        TEXT NOT NULL UNIQUE REFERENCES recordings(sid),
    call_sid             TEXT,
    number_id            INTEGER REFERENCES numbers(id),
    from_addr            TEXT NOT NULL DEFAULT '',
    duration             INTEGER,
    transcription        TEXT,
    transcription_status TEXT,
    listened             INTEGER NOT NULL DEFAULT 0,
    deleted              INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Work that needs the network after a webhook is committed (media and recordings).
CREATE TABLE downloads (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('media','recording')),
    target_id   INTEGER NOT NULL,                      -- message_media.id or recordings.id
    url         TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','done','failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    last_error  TEXT,
    UNIQUE (kind, target_id)
);
CREATE INDEX downloads_due ON downloads(state, next_at);

CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Bulk templated sends; each recipient row is the crash-safe unit of work.
CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY,
    template_id  INTEGER REFERENCES templates(id),
    from_number  TEXT NOT NULL,
    rate_per_sec REAL NOT NULL DEFAULT 1.0,
    state        TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running','paused','done','cancelled')),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE campaign_recipients (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id  INTEGER REFERENCES contacts(id),
    to_addr     TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sending','sent','skipped','failed')),
    message_id  INTEGER REFERENCES messages(id),
    error       TEXT,
    UNIQUE (campaign_id, to_addr)
);

CREATE TABLE compliance (
    id                INTEGER PRIMARY KEY,
    country           TEXT NOT NULL,
    number_type       TEXT NOT NULL,
    end_user_type     TEXT NOT NULL DEFAULT 'business',
    business_name     TEXT NOT NULL DEFAULT '',
    business_email    TEXT NOT NULL DEFAULT '',
    registration_id   TEXT NOT NULL DEFAULT '',
    address           TEXT,                            -- JSON postal address
    document_path     TEXT,
    document_sha256   TEXT,
    regulation_sid    TEXT,
    end_user_sid      TEXT,
    document_sid      TEXT,
    address_sid       TEXT,
    bundle_sid        TEXT UNIQUE,
    status            TEXT NOT NULL DEFAULT 'draft',
    rejection_reason  TEXT,
    evaluation        TEXT,                            -- JSON of Twilio's last evaluation
    raw_callback      TEXT,                            -- last bundle status callback body, verbatim
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Every signed webhook request as received, for audit and replay.
CREATE TABLE webhook_journal (
    id                INTEGER PRIMARY KEY,
    received_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    route             TEXT NOT NULL,
    query             TEXT NOT NULL DEFAULT '',
    content_type      TEXT NOT NULL DEFAULT '',
    body              BLOB NOT NULL,
    idempotency_token TEXT UNIQUE,
    resource_sid      TEXT
);

-- Where backfill left off, per resource ("messages", "calls", "recordings").
CREATE TABLE sync_watermarks (
    resource   TEXT PRIMARY KEY,
    watermark  TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Non-secret settings (tunnel mode, public URL, notifications). Secrets live in the keychain.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Files we serve to Twilio for outbound MMS at an unguessable, expiring URL.
CREATE TABLE outbound_media (
    token        TEXT PRIMARY KEY,
    path         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
