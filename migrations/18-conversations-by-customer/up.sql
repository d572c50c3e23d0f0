-- A conversation found by the customer's address alone, whichever of our numbers it is on:
-- the inbox counts subtract the blocked numbers' conversations (store::conversations::COUNTS),
-- and saving a contact links the conversations of its phones. Both read every conversation
-- without it (the UNIQUE (number_id, customer) index cannot be searched by customer alone).
-- A conversation's customer never changes, so only a new conversation writes to it.
CREATE INDEX conversations_customer ON conversations(customer);
