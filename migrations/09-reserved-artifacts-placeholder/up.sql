-- Placeholder on the artifacts branch only: rusqlite_migration needs contiguous numbers, and
-- 09 belongs to another wave-2 branch (the call flow). Drop this folder when that is merged.
SELECT 1;
