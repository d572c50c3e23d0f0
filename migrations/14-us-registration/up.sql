-- US carrier registration (issue 16): A2P 10DLC for US local numbers, toll-free
-- verification for toll-free numbers. Each row is a resumable workflow: every Twilio object
-- it creates is recorded here the moment it exists, and `pending_create` names a create
-- whose answer was not seen, so a resumed run looks Twilio up before creating again (a
-- second brand is a second fee and a second vetting).

CREATE TABLE us_registrations (
    id INTEGER PRIMARY KEY,
    -- sole_proprietor, low_volume_standard or standard.
    brand_kind TEXT NOT NULL,
    -- The business and contact details, entered once (JSON, registration::BusinessDetails).
    details TEXT NOT NULL,
    -- The campaign the owner described (JSON, registration::CampaignForm); NULL until given.
    campaign_form TEXT,
    -- The numbers to register: JSON [{"e164", "sid", "added"}].
    numbers TEXT NOT NULL DEFAULT '[]',
    -- Where the workflow stands (registration::Step, as text).
    step TEXT NOT NULL DEFAULT 'customer_profile',
    -- Trust Hub objects made on the way (end users, address, document, assignments): JSON map.
    trust_entities TEXT NOT NULL DEFAULT '{}',
    customer_profile_sid TEXT,
    customer_profile_status TEXT,
    trust_product_sid TEXT,
    trust_product_status TEXT,
    brand_sid TEXT,
    brand_status TEXT,
    identity_status TEXT,
    messaging_service_sid TEXT,
    campaign_sid TEXT,
    campaign_status TEXT,
    -- Twilio's reason when something was rejected or failed (shown as it came).
    failure_reason TEXT,
    -- The create request sent and not confirmed ("brand", "campaign"…).
    pending_create TEXT,
    -- The last error that stopped a run (network, Twilio refusing a request), for the owner.
    last_error TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE tollfree_verifications (
    id INTEGER PRIMARY KEY,
    e164 TEXT NOT NULL,
    phone_number_sid TEXT NOT NULL,
    -- The form as submitted (JSON, Twilio's field names in snake case).
    form TEXT NOT NULL,
    verification_sid TEXT,
    -- PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED; 'draft' before submission.
    status TEXT NOT NULL DEFAULT 'draft',
    rejection_reason TEXT,
    error_code INTEGER,
    pending_create INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE UNIQUE INDEX tollfree_verifications_number ON tollfree_verifications (e164);
