-- Contacts at scale and campaign history (issue 15).

-- Tags on contacts: free words the owner chooses ("VIP", "Tuesday class"), usable as a
-- bulk-send audience. Kept by contact: deleting a contact drops its tags, merging moves them.
CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag        TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_by_tag ON contact_tags(tag, contact_id);

-- Blocked numbers. Like the opt-out ledger this belongs to the ADDRESS, not to a contact:
-- deleting or merging contacts cannot unblock a caller. A blocked caller's calls are
-- rejected; their texts are still stored (never lose a message) but hidden from the inbox
-- and never notified.
CREATE TABLE blocked_addresses (
    address    TEXT PRIMARY KEY,
    blocked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

-- Campaign history: who the campaign was for, as the owner chose it ("tag VIP", "12
-- contacts"), and for "send again to those who failed" the campaign it repeats. A resend
-- always names the FIRST campaign of its family, so the family is one lookup and nobody
-- who was sent to by any campaign of the family is sent to again.
ALTER TABLE campaigns ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN resend_of INTEGER REFERENCES campaigns(id);
CREATE INDEX campaigns_resend_of ON campaigns(resend_of) WHERE resend_of IS NOT NULL;
CREATE INDEX campaign_recipients_to ON campaign_recipients(to_addr);
