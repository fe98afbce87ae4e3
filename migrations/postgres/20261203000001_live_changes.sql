-- Live push: open pages of a user hear of sign-ins, trail entries and places found, from any instance. Endings
-- already reach them on leptos_sessions_endings. NOTIFY is delivered only once the transaction commits, and
-- repeats of one payload within a transaction are folded into one.
CREATE FUNCTION sessions_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leptos_sessions_changes', NEW.user_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_notify_insert AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_notify_change();

-- A failed sign-in has no user: nobody's page to tell.
CREATE TRIGGER sessions_events_notify_insert AFTER INSERT ON sessions_events
    FOR EACH ROW WHEN (NEW.user_id IS NOT NULL) EXECUTE FUNCTION sessions_notify_change();

-- The geolocation worker fills in a place a moment after the sign-in.
CREATE TRIGGER sessions_notify_place AFTER UPDATE OF country_code, city ON sessions
    FOR EACH ROW
    WHEN (NEW.ended_at IS NULL AND (OLD.country_code IS DISTINCT FROM NEW.country_code OR OLD.city IS DISTINCT FROM NEW.city))
    EXECUTE FUNCTION sessions_notify_change();
