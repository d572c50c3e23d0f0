-- Regulations ask for the authorised representative's name, and the proof-of-address
-- document is a Twilio object of its own whose SID must be kept to resume a submission.
ALTER TABLE compliance ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE compliance ADD COLUMN last_name TEXT NOT NULL DEFAULT '';
ALTER TABLE compliance ADD COLUMN address_document_sid TEXT;
