-- Reserved for another wave-2 branch's migration 12; this branch (usreg) uses 14.
-- Migration ids must be consecutive, so this no-op holds the place until the merge puts
-- the real migration here (and drops this placeholder).
SELECT 1;
