-- Placeholder so this branch's 15 loads (migration ids must be consecutive). Another
-- branch of wave 2 owns number 11; at merge, drop this directory in favour of theirs.
SELECT 1;
