-- The session registry: one row per signed-in device. Rows are ended in place (ended_at), never deleted on logout,
-- so the devices page and the trail can explain what happened. Timestamps are unix milliseconds (UTC).
CREATE TABLE sessions (
    id              TEXT    PRIMARY KEY NOT NULL,
    user_id         TEXT    NOT NULL,
    -- SHA-256 hex of the raw token; the token itself only exists in the signed cookie.
    token_digest    TEXT    NOT NULL UNIQUE,
    ip_address      TEXT,
    user_agent      TEXT    CHECK (length(user_agent) <= 1024),
    browser_name    TEXT,
    browser_version TEXT,
    os_name         TEXT,
    os_version      TEXT,
    device_type     TEXT    NOT NULL DEFAULT 'unknown',
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    last_seen_ip    TEXT,
    ended_at        INTEGER,
    ended_reason    TEXT,
    ended_by        TEXT
);

-- Per request: the cookie's digest resolves through the UNIQUE index on token_digest.
-- Devices page, "sign out everywhere else": a user's live rows by recency.
CREATE INDEX sessions_user_live ON sessions (user_id, last_seen_at DESC) WHERE ended_at IS NULL;
