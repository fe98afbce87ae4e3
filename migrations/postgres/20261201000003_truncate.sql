-- The append-only triggers are row triggers, and TRUNCATE fires no row trigger: without this one a single
-- `TRUNCATE sessions_events` (or a `TRUNCATE sessions, sessions_events`, or a CASCADE reaching it) would empty the
-- whole trail. No sanctioned change empties it at once (retention and erasure delete row by row, through the row
-- triggers), so TRUNCATE is refused whatever `sessions.trail_unlock` says.
CREATE FUNCTION sessions_events_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sessions_events is append-only: TRUNCATE is refused';
END;
$$;

CREATE TRIGGER sessions_events_no_truncate BEFORE TRUNCATE ON sessions_events
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_events_no_truncate();
