-- The admin page's "sign-ins from new devices": only the flagged sign-ins, by time. A partial index stays as small as
-- the list it serves, and without it the newest page would walk every sign-in of the window.
CREATE INDEX sessions_events_new_device ON sessions_events (occurred_at)
    WHERE kind = 'login' AND metadata @> '{"new_device": true}';
