-- Scheduled messages (issue 15): a text handed to Twilio now with `ScheduleType=fixed` and
-- `SendAt`, which Twilio sends at that time even while this computer is closed.
--
-- `send_at`: when Twilio is to send it (RFC 3339, UTC). Set on every outbox row that was
-- scheduled; the row's status is `scheduled` until Twilio reports it queued/sent.
ALTER TABLE messages ADD COLUMN send_at TEXT;
-- The row that replaced this one when the owner edited a scheduled message (Twilio cannot
-- change a scheduled message: the old one is canceled and a new one scheduled). The old
-- row keeps its SID so a catch-up never brings its canceled copy back as a stranger's.
ALTER TABLE messages ADD COLUMN replaced_by INTEGER REFERENCES messages(id);
-- The scheduled messages still pending, by recipient: the opt-out sweep after every STOP
-- and the list of scheduled messages read this small index, never the whole table.
CREATE INDEX messages_scheduled ON messages(to_addr) WHERE status = 'scheduled';
-- A bulk send scheduled for later: every recipient's text is scheduled for this time.
ALTER TABLE campaigns ADD COLUMN send_at TEXT;
