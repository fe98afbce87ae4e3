-- A fourth sanctioned change of the trail: the demo's identity repair (`Users::open`) rewrites the `identity` of
-- events written before identities kept their hidden characters, so that an account registered as
-- `victim@example.com` + U+0001 stops carrying the victim's identity (and reading the victim's failed attempts).
-- SQLite cannot change a CHECK in place: the unlock table is rebuilt, with the two triggers that read it (they
-- would not survive the table being dropped under them). The table is empty outside a sanctioned transaction.
DROP TRIGGER sessions_events_no_update;
DROP TRIGGER sessions_events_no_delete;
DROP TABLE sessions_events_unlock;

CREATE TABLE sessions_events_unlock (
    purpose TEXT NOT NULL CHECK (purpose IN ('retention', 'erasure', 'geo_backfill', 'identity_repair'))
);

CREATE TRIGGER sessions_events_no_update BEFORE UPDATE ON sessions_events
WHEN NOT EXISTS (SELECT 1 FROM sessions_events_unlock)
BEGIN
    SELECT RAISE(ABORT, 'sessions_events is append-only');
END;

CREATE TRIGGER sessions_events_no_delete BEFORE DELETE ON sessions_events
WHEN NOT EXISTS (SELECT 1 FROM sessions_events_unlock)
BEGIN
    SELECT RAISE(ABORT, 'sessions_events is append-only');
END;
