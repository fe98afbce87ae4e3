-- Browser continuity and how each session started.
ALTER TABLE sessions ADD COLUMN device_id TEXT;
ALTER TABLE sessions ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE sessions ADD COLUMN auth_provider TEXT;
ALTER TABLE sessions ADD COLUMN auth_detail TEXT CHECK (auth_detail IS NULL OR json_valid(auth_detail));
ALTER TABLE sessions ADD COLUMN app_name TEXT;

-- Supersede: the live rows of one user on one browser.
CREATE INDEX sessions_user_device_live ON sessions (user_id, device_id) WHERE ended_at IS NULL;

-- The login trail. Append-only: history outlives the registry, so session_id has no foreign key, and failed
-- attempts never carry a user_id (the identity is kept as typed, whether or not such an account exists).
CREATE TABLE sessions_events (
    id              TEXT    PRIMARY KEY NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('login', 'failed_login', 'logout', 'revoked', 'expired')),
    user_id         TEXT    CHECK (kind <> 'failed_login' OR user_id IS NULL),
    session_id      TEXT,
    identity        TEXT,
    device_id       TEXT,
    auth_method     TEXT,
    auth_provider   TEXT,
    auth_detail     TEXT    CHECK (auth_detail IS NULL OR json_valid(auth_detail)),
    failure_reason  TEXT,
    revoked_reason  TEXT,
    ip_address      TEXT,
    user_agent      TEXT    CHECK (length(user_agent) <= 1024),
    browser_name    TEXT,
    browser_version TEXT,
    os_name         TEXT,
    os_version      TEXT,
    device_type     TEXT,
    app_name        TEXT,
    country_code    TEXT,
    country_name    TEXT,
    region          TEXT,
    city            TEXT,
    request_id      TEXT,
    metadata        TEXT    CHECK (metadata IS NULL OR json_valid(metadata)),
    occurred_at     INTEGER NOT NULL
);

CREATE INDEX sessions_events_user_time     ON sessions_events (user_id, occurred_at);
CREATE INDEX sessions_events_kind_time     ON sessions_events (kind, occurred_at);
CREATE INDEX sessions_events_device_time   ON sessions_events (device_id, occurred_at);
CREATE INDEX sessions_events_identity      ON sessions_events (identity);
CREATE INDEX sessions_events_ip            ON sessions_events (ip_address);
CREATE INDEX sessions_events_session       ON sessions_events (session_id);
CREATE INDEX sessions_events_time          ON sessions_events (occurred_at);

-- The sanctioned paths (retention purge, erasure, geo back-fill) insert a row here inside their own transaction,
-- change the trail, and delete it before committing. SQLite has one writer at a time, so no other statement ever
-- sees the table non-empty. Anything else that updates or deletes events is refused by the triggers below.
CREATE TABLE sessions_events_unlock (
    purpose TEXT NOT NULL CHECK (purpose IN ('retention', 'erasure', 'geo_backfill'))
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
