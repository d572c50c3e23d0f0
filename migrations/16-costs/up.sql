-- What messages cost (issue 15).
--
-- Twilio reports a message's price as a negative decimal string ("-0.00790") in its
-- `price_unit` currency, and only on the message resource: status callbacks carry none, and
-- the price is often still null right after the final status. `messages.price` and
-- `price_unit` keep Twilio's words; `cost_micros` is the same amount as a positive whole
-- number of millionths of the currency unit, so totals are exact integer sums (never floats).
ALTER TABLE messages ADD COLUMN cost_micros INTEGER;

-- Monthly totals read this covering index in date order (priced messages only).
CREATE INDEX messages_costs ON messages(created_at, price_unit, cost_micros) WHERE cost_micros IS NOT NULL;

-- Messages whose price is still to be fetched from Twilio: queued when a message reaches a
-- final status (or arrives), fetched off the webhook's path by the price worker, again with
-- a growing delay while Twilio has no price yet, and dropped after a bounded number of tries.
CREATE TABLE price_checks (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    attempts   INTEGER NOT NULL DEFAULT 0,
    due_at     TEXT NOT NULL
);
CREATE INDEX price_checks_due ON price_checks(due_at);

-- Twilio's Pricing v1 answer per destination country, kept for the UTC day it was fetched
-- on, so a bulk-send estimate asks Twilio at most once a day per country. `body` is the
-- JSON as Twilio sent it; NULL when Twilio has no price for that country (404).
CREATE TABLE messaging_prices (
    iso_country TEXT PRIMARY KEY,
    fetched_on  TEXT NOT NULL,
    body        TEXT
);
