-- Sessions that began before the axum-login adapter was installed carry no registry token; the adapter adopts each
-- on its first request. When every session of a user is ended at once ("sign out everywhere else", a password
-- change, `Sessions::end_all`), such a session that was quiet then had no row to end. The time is kept here, one row
-- per user (the latest), and the adapter signs out any token-less session of a user listed here instead of adopting
-- it: every session started after installation has a token, so a token-less one is older than the time. Erasure
-- (`Sessions::forget`) deletes the user's row.
CREATE TABLE sessions_not_before (
    user_id    text        PRIMARY KEY,
    not_before timestamptz NOT NULL
);
