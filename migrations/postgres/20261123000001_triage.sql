-- The admin page's "sign-ins from new devices": only the flagged sign-ins, by time. A partial index stays as small as
-- the list it serves, and without it the newest page would walk every sign-in of the window.
CREATE INDEX sessions_events_new_device ON sessions_events (occurred_at)
    WHERE kind = 'login' AND metadata @> '{"new_device": true}';

-- The admin sessions list across all users: rows from one address (at sign-in or last seen), and ended rows by
-- sign-in time. The live-row orders already have their partial indexes (last_seen_at, created_at), and ended rows by
-- ended_at use sessions_ended.
CREATE INDEX sessions_ip ON sessions (ip_address);
CREATE INDEX sessions_last_seen_ip ON sessions (last_seen_ip);
CREATE INDEX sessions_ended_created ON sessions (created_at) WHERE ended_at IS NOT NULL;
