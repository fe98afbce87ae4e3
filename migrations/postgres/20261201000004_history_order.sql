-- The history's failures part reads one identity's failed attempts newest first and stops at the page's end
-- (the SQLite schema has had this index since its history migration).
CREATE INDEX sessions_events_identity_kind_time ON sessions_events (identity, kind, occurred_at);
