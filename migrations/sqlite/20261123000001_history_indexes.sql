-- A user's history gathers the identities they signed in with, then the failures typed against them. Without these
-- the identity list was read row by row through the (kind, occurred_at) index: all sign-ins of every user.
CREATE INDEX sessions_events_user_kind_identity ON sessions_events (user_id, kind, identity);
-- Failures typed against an identity, newest first; equality on identity alone (erasure) still uses its prefix.
DROP INDEX sessions_events_identity;
CREATE INDEX sessions_events_identity_kind_time ON sessions_events (identity, kind, occurred_at);
