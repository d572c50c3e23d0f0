-- Placeholder so that migration 12 (contacts at scale) applies on this branch alone:
-- migration ids must be consecutive. Dropped at the merge, where the real 11 exists.
SELECT 1;
