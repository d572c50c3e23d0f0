-- The inbox counts (store::conversations::COUNTS) leave out blocked numbers by `customer`.
-- With `customer` outside `conversations_counts`, SQLite read every row of `conversations`
-- for them (14 ms on 50,000, after every event that changes what is unread). With it inside,
-- the count reads only this index. It is the same index, one column wider: no other write
-- (a new index on `customer` alone cost each new conversation an insert at a random place).
DROP INDEX conversations_counts;
CREATE INDEX conversations_counts ON conversations(state, unread, customer);
-- The tray's total reads the unread entries of this index too (a range per state), so the
-- partial index migration 13 kept for it alone, one more entry rewritten at every text that
-- arrives, goes.
DROP INDEX conversations_unread;
