-- Per-instance session caches drop a user's entries when any instance ends one of their rows or rotates its token.
-- NOTIFY is transactional: listeners hear it only once the ending has committed, and repeats of one payload within
-- a transaction are folded into one.
CREATE FUNCTION sessions_notify_ending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leptos_sessions_endings', OLD.user_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_notify_update AFTER UPDATE OF ended_at, token_digest ON sessions
    FOR EACH ROW
    WHEN (OLD.ended_at IS DISTINCT FROM NEW.ended_at OR OLD.token_digest IS DISTINCT FROM NEW.token_digest)
    EXECUTE FUNCTION sessions_notify_ending();

-- Deleting live rows (erasure) matters; the sweep deleting long-ended rows does not.
CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions
    FOR EACH ROW WHEN (OLD.ended_at IS NULL) EXECUTE FUNCTION sessions_notify_ending();
