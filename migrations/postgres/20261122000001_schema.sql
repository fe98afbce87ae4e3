-- The registry and the login trail on PostgreSQL: the same model as migrations/sqlite, with native types
-- (uuid, timestamptz, jsonb) and partial indexes on live rows.

CREATE TABLE sessions (
    id                 uuid        PRIMARY KEY,
    user_id            text        NOT NULL,
    -- SHA-256 hex of the raw token; the token itself only exists in the signed cookie.
    token_digest       text        NOT NULL UNIQUE,
    device_id          uuid,
    auth_method        text        NOT NULL DEFAULT 'unknown',
    auth_provider      text,
    auth_detail        jsonb,
    ip_address         text,
    user_agent         text        CHECK (char_length(user_agent) <= 1024),
    browser_name       text,
    browser_version    text,
    os_name            text,
    os_version         text,
    device_type        text        NOT NULL DEFAULT 'unknown',
    device_model       text,
    app_name           text,
    app_version        text,
    app_build          text,
    client_hints       jsonb,
    country_code       text,
    country_name       text,
    region             text,
    city               text,
    created_at         timestamptz NOT NULL,
    last_seen_at       timestamptz NOT NULL,
    last_seen_ip       text,
    reauthenticated_at timestamptz,
    ended_at           timestamptz,
    ended_reason       text,
    ended_by           text
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_user_live ON sessions (user_id, last_seen_at DESC) WHERE ended_at IS NULL;
CREATE INDEX sessions_user_device_live ON sessions (user_id, device_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_live_seen ON sessions (last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_live_created ON sessions (created_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE sessions_events (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('login', 'failed_login', 'logout', 'revoked', 'expired')),
    user_id         text        CHECK (kind <> 'failed_login' OR user_id IS NULL),
    session_id      uuid,
    identity        text,
    device_id       uuid,
    auth_method     text,
    auth_provider   text,
    auth_detail     jsonb,
    failure_reason  text,
    revoked_reason  text,
    ip_address      text,
    user_agent      text        CHECK (char_length(user_agent) <= 1024),
    browser_name    text,
    browser_version text,
    os_name         text,
    os_version      text,
    device_type     text,
    device_model    text,
    app_name        text,
    app_version     text,
    app_build       text,
    client_hints    jsonb,
    country_code    text,
    country_name    text,
    region          text,
    city            text,
    latitude        double precision,
    longitude       double precision,
    request_id      text,
    metadata        jsonb,
    occurred_at     timestamptz NOT NULL
);

CREATE INDEX sessions_events_user_time   ON sessions_events (user_id, occurred_at);
CREATE INDEX sessions_events_kind_time   ON sessions_events (kind, occurred_at);
CREATE INDEX sessions_events_device_time ON sessions_events (device_id, occurred_at);
CREATE INDEX sessions_events_identity    ON sessions_events (identity);
CREATE INDEX sessions_events_ip          ON sessions_events (ip_address);
CREATE INDEX sessions_events_session     ON sessions_events (session_id);
CREATE INDEX sessions_events_time        ON sessions_events (occurred_at);

-- Append-only: UPDATE and DELETE are refused unless the transaction opened the trail for a sanctioned change
-- with SELECT set_config('sessions.trail_unlock', 'retention' | 'erasure' | 'geo_backfill', true), which lasts
-- until the end of that transaction only.
CREATE FUNCTION sessions_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('sessions.trail_unlock', true), '') IN ('retention', 'erasure', 'geo_backfill') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'sessions_events is append-only';
END;
$$;

CREATE TRIGGER sessions_events_no_update BEFORE UPDATE ON sessions_events
    FOR EACH ROW EXECUTE FUNCTION sessions_events_append_only();
CREATE TRIGGER sessions_events_no_delete BEFORE DELETE ON sessions_events
    FOR EACH ROW EXECUTE FUNCTION sessions_events_append_only();
