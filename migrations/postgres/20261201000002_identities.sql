-- A fourth sanctioned change of the trail: the demo's identity repair (`Users::open`) rewrites the `identity` of
-- events written before identities kept their hidden characters, so that an account registered as
-- `victim@example.com` + U+0001 stops carrying the victim's identity (and reading the victim's failed attempts).
-- It opens the trail with SELECT set_config('sessions.trail_unlock', 'identity_repair', true), for the rest of its
-- transaction only, like the other three.
CREATE OR REPLACE FUNCTION sessions_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('sessions.trail_unlock', true), '') IN
        ('retention', 'erasure', 'geo_backfill', 'identity_repair') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'sessions_events is append-only';
END;
$$;
