-- A password change is an event of its own in the trail (kind `password_changed`), not only the revocations it
-- causes. SQLite cannot change a CHECK in place: the table is rebuilt with the wider check, every row copied as it
-- is, then its indexes and the two append-only triggers are made again (they would not survive the table being
-- dropped under them). The migration runs in one transaction, so a crash leaves the old table whole.
DROP TRIGGER sessions_events_no_update;
DROP TRIGGER sessions_events_no_delete;

CREATE TABLE sessions_events_rebuilt (
    id              TEXT    PRIMARY KEY NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('login', 'failed_login', 'logout', 'revoked', 'expired', 'password_changed')),
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
    occurred_at     INTEGER NOT NULL,
    device_model    TEXT,
    app_version     TEXT,
    app_build       TEXT,
    client_hints    TEXT    CHECK (client_hints IS NULL OR json_valid(client_hints)),
    latitude        REAL,
    longitude       REAL
);
INSERT INTO sessions_events_rebuilt SELECT * FROM sessions_events;
DROP TABLE sessions_events;
ALTER TABLE sessions_events_rebuilt RENAME TO sessions_events;

CREATE INDEX sessions_events_user_time          ON sessions_events (user_id, occurred_at);
CREATE INDEX sessions_events_kind_time          ON sessions_events (kind, occurred_at);
CREATE INDEX sessions_events_device_time        ON sessions_events (device_id, occurred_at);
CREATE INDEX sessions_events_ip                 ON sessions_events (ip_address);
CREATE INDEX sessions_events_time               ON sessions_events (occurred_at);
CREATE INDEX sessions_events_user_kind_identity ON sessions_events (user_id, kind, identity);
CREATE INDEX sessions_events_identity_kind_time ON sessions_events (identity, kind, occurred_at);
CREATE INDEX sessions_events_new_device         ON sessions_events (occurred_at)
    WHERE kind = 'login' AND json_extract(metadata, '$.new_device') = 1;
CREATE INDEX sessions_events_session_time       ON sessions_events (session_id, occurred_at);

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
