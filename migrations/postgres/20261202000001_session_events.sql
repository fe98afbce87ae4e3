-- A session's own page lists its events: one index range per session, newest first. It covers what the
-- single-column index did.
DROP INDEX sessions_events_session;
CREATE INDEX sessions_events_session_time ON sessions_events (session_id, occurred_at);
