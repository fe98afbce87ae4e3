-- A password change is an event of its own in the trail (kind `password_changed`), not only the revocations it
-- causes. The check constraint widens; every existing row still meets it.
ALTER TABLE sessions_events DROP CONSTRAINT sessions_events_kind_check;
ALTER TABLE sessions_events ADD CONSTRAINT sessions_events_kind_check
    CHECK (kind IN ('login', 'failed_login', 'logout', 'revoked', 'expired', 'password_changed'));
