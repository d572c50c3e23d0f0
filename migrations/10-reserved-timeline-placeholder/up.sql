-- Placeholder on the timeline branch only: rusqlite_migration needs contiguous numbers, and
-- 09/10 belong to other wave-2 branches. Drop this folder when those are merged.
SELECT 1;
