-- Re-authentication ("sudo mode"), and the indexes the sweep walks in batches.
ALTER TABLE sessions ADD COLUMN reauthenticated_at INTEGER;
UPDATE sessions SET reauthenticated_at = created_at;

CREATE INDEX sessions_live_seen ON sessions (last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_live_created ON sessions (created_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;
