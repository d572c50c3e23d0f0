-- The tray's badge is read again after every text that arrives, window or not, and the
-- sum of `unread` over every conversation read the whole table each time: on the
-- 1 M-message store (50,000 conversations) 1,771 pages per text, from the OS page cache
-- since SQLite drops a reader's pages whenever the writer has committed. Only the
-- conversations with something unread are in this index, and it holds what the sum needs.
CREATE INDEX conversations_unread ON conversations(unread) WHERE unread > 0;
-- Likewise the voicemails the owner has not heard yet.
CREATE INDEX voicemails_unheard ON voicemails(id) WHERE listened = 0 AND deleted = 0;

-- The conversation list shows whether each customer may be texted. It looked each row's
-- address up in the ledger (a correlated ORDER BY … LIMIT 1 per conversation), which took
-- the list's first page from 0.18 to 0.30 ms. Each address's current state is kept here by
-- the one function that adds to the ledger (`store::optouts::record`), so the list joins
-- one row per conversation instead. The ledger stays the record and the authority: this
-- is its latest event by (`at`, `id`) per address, nothing more.
CREATE TABLE opt_out_state (
    address   TEXT PRIMARY KEY,
    opted_out INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO opt_out_state (address, opted_out)
    SELECT a.address,
           (SELECT e.opted_out FROM opt_out_events e WHERE e.address = a.address ORDER BY e.at DESC, e.id DESC LIMIT 1)
    FROM (SELECT DISTINCT address FROM opt_out_events) a;
