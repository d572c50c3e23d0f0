-- Regulation-driven compliance forms (issue 16): the form Twilio's regulation describes,
-- the owner's answers to it with the Twilio objects made for each part, and the record a
-- corrected copy was made from.
ALTER TABLE compliance ADD COLUMN form TEXT;          -- JSON: the regulation as a typed form, fetched when the draft began
ALTER TABLE compliance ADD COLUMN answers TEXT;       -- JSON: end-user fields, one document per section, address, SIDs
ALTER TABLE compliance ADD COLUMN copied_from INTEGER REFERENCES compliance(id);
