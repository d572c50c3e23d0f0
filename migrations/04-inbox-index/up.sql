-- The conversation list orders by COALESCE(last_message_at, '') (conversations with no
-- message yet sort last); an index on that exact expression serves each page without
-- scanning and sorting every conversation (measured: 21 ms -> well under 1 ms at 50,000).
DROP INDEX IF EXISTS conversations_recent;
CREATE INDEX conversations_recent_page ON conversations(COALESCE(last_message_at, '') DESC, id DESC);
