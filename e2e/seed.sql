-- A short history written straight into the sandbox store while the app runs, standing in
-- for webhooks until the simulator is wired into `switchboard sandbox`. Includes hostile
-- text that must render as text. One transaction, which ends by indexing the new rows for
-- search exactly as the app's writer does at the end of each batch
-- (store::search::index_pending), so the app cannot index them a second time in between.
BEGIN IMMEDIATE;
INSERT INTO numbers (id, e164, sid, friendly_name, managed, seen_in_webhook, forwarding_number, greeting, wired_url, wired_at)
VALUES (9001, '+61255509999', 'PN00000000000000000000000000009001', 'Shop line', 1, 1, '+61412000111',
        'Thanks for calling Ana''s Bakery.', 'https://sandbox.invalid', strftime('%Y-%m-%dT%H:%M:%fZ','now','-1 day'));

INSERT INTO contacts (id, name, email, notes) VALUES
  (9001, 'Maria Rossi', 'maria@example.com', 'Gluten-free orders'),
  (9002, 'Tom Nguyen', NULL, ''),
  (9003, 'Priya Shah', NULL, 'Birthday cakes');
-- Tom texted STOP two days ago: opt-out lives in the ledger, by address (migration 06).
INSERT INTO opt_out_events (address, channel, opted_out, at, reason, source)
  VALUES ('+61499000002', 'sms', 1, strftime('%Y-%m-%dT%H:%M:%fZ','now','-2 days'), 'STOP', 'webhook');
-- The app writes the ledger through store::optouts::record, which keeps each address's
-- latest state beside it for the conversation list (migration 13); this seed writes both.
INSERT INTO opt_out_state (address, opted_out) VALUES ('+61499000002', 1);
INSERT INTO contact_phones (contact_id, address) VALUES (9001, '+61499000001'), (9002, '+61499000002'), (9003, '+61499000003');

INSERT INTO conversations (id, number_id, customer, contact_id, last_message_at, last_preview, unread) VALUES
  (9001, 9001, '+61499000001', 9001, strftime('%Y-%m-%dT%H:%M:%fZ','now','-2 minutes'), '<script>document.title=''pwned-script''</script>', 3),
  (9002, 9001, '+61499000003', 9003, strftime('%Y-%m-%dT%H:%M:%fZ','now','-1 day'), 'Thank you!', 0),
  (9003, 9001, '+61499000002', 9002, strftime('%Y-%m-%dT%H:%M:%fZ','now','-2 days'), 'STOP', 0);

INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, body, status, status_rank, created_at) VALUES
  ('SM00000000000000000000000000000001', 9001, 'inbound', '+61499000001', '+61255509999', 'Hi! Do you have the chocolate cake today?', 'received', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-1 day','-10 minutes')),
  ('SM00000000000000000000000000000002', 9001, 'outbound', '+61255509999', '+61499000001', 'Yes we do, one left. Shall I keep it for you?', 'delivered', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-1 day')),
  ('SM00000000000000000000000000000003', 9001, 'inbound', '+61499000001', '+61255509999', 'Can I pick up the cake at 4?', 'received', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-5 minutes')),
  ('SM00000000000000000000000000000004', 9001, 'inbound', '+61499000001', '+61255509999', '<img src=x onerror="document.title=''pwned-img''">', 'received', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-3 minutes')),
  ('SM00000000000000000000000000000005', 9001, 'inbound', '+61499000001', '+61255509999', '<script>document.title=''pwned-script''</script>', 'received', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-2 minutes')),
  ('SM00000000000000000000000000000006', 9002, 'outbound', '+61255509999', '+61499000003', 'Your order is ready for pickup.', 'delivered', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-1 day','-30 minutes')),
  ('SM00000000000000000000000000000007', 9002, 'inbound', '+61499000003', '+61255509999', 'Thank you!', 'received', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-1 day')),
  ('SM00000000000000000000000000000008', 9003, 'outbound', '+61255509999', '+61499000002', 'Weekend special: 2 loaves for $8', 'undelivered', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-2 days','-1 hour')),
  ('SM00000000000000000000000000000009', 9003, 'inbound', '+61499000002', '+61255509999', 'STOP', 'received', 50, strftime('%Y-%m-%dT%H:%M:%fZ','now','-2 days'));
UPDATE messages SET error_code = 30003, error_message = 'The destination handset was unreachable (switched off or out of coverage).' WHERE sid = 'SM00000000000000000000000000000008';

INSERT INTO calls (sid, number_id, direction, from_addr, to_addr, status, duration, forwarded_to, answered_by, dial_status, created_at) VALUES
  ('CA00000000000000000000000000000001', 9001, 'inbound', '+61499000001', '+61255509999', 'completed', 74, '+61412000111', 'human', 'completed', strftime('%Y-%m-%dT%H:%M:%fZ','now','-90 minutes')),
  ('CA00000000000000000000000000000002', 9001, 'inbound', '+61499000003', '+61255509999', 'completed', 31, '+61412000111', NULL, 'no-answer', strftime('%Y-%m-%dT%H:%M:%fZ','now','-20 hours'));

INSERT INTO recordings (sid, call_sid, kind, duration, content_type, path, bytes)
VALUES ('RE00000000000000000000000000000001', 'CA00000000000000000000000000000002', 'voicemail', 2, 'audio/wav', 'recordings/RE1.wav', 32044);
INSERT INTO voicemails (recording_sid, call_sid, number_id, from_addr, duration, transcription, transcription_status, created_at)
VALUES ('RE00000000000000000000000000000001', 'CA00000000000000000000000000000002', 9001, '+61499000003', 2,
        'Hi, it''s Priya, could you call me back about the birthday order? Thanks.', 'completed', strftime('%Y-%m-%dT%H:%M:%fZ','now','-20 hours'));

INSERT OR IGNORE INTO templates (name, body) VALUES
  ('Order ready', 'Hi {{first_name}}, your order is ready for pickup. See you soon!'),
  ('Weekend special', 'Hi {{first_name}}, this weekend: {{offer}}. Reply STOP to opt out.');

INSERT INTO messages_fts(rowid, body) SELECT m.id, m.body FROM fts_pending_messages p JOIN messages m ON m.id = p.id;
DELETE FROM fts_pending_messages;
INSERT INTO contacts_fts(rowid, name) SELECT c.id, c.name FROM fts_pending_contacts p JOIN contacts c ON c.id = p.id;
DELETE FROM fts_pending_contacts;
COMMIT;
