-- Device intelligence and geolocation on rows and events, and the per-user index the new-device check and erasure
-- need (the partial index above only covers live rows).
CREATE INDEX sessions_user ON sessions (user_id);

ALTER TABLE sessions ADD COLUMN device_model TEXT;
ALTER TABLE sessions ADD COLUMN app_version TEXT;
ALTER TABLE sessions ADD COLUMN app_build TEXT;
ALTER TABLE sessions ADD COLUMN client_hints TEXT CHECK (client_hints IS NULL OR json_valid(client_hints));
ALTER TABLE sessions ADD COLUMN country_code TEXT;
ALTER TABLE sessions ADD COLUMN country_name TEXT;
ALTER TABLE sessions ADD COLUMN region TEXT;
ALTER TABLE sessions ADD COLUMN city TEXT;

ALTER TABLE sessions_events ADD COLUMN device_model TEXT;
ALTER TABLE sessions_events ADD COLUMN app_version TEXT;
ALTER TABLE sessions_events ADD COLUMN app_build TEXT;
ALTER TABLE sessions_events ADD COLUMN client_hints TEXT CHECK (client_hints IS NULL OR json_valid(client_hints));
-- Rounded to about 1 km; sessions never store coordinates.
ALTER TABLE sessions_events ADD COLUMN latitude REAL;
ALTER TABLE sessions_events ADD COLUMN longitude REAL;
