//! The login trail: events, append-only enforcement, browser continuity, new devices, hooks and the history query.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use leptos_sessions::engine::{Auth, Error, Event, Registry, RequestMeta, Trail};

const FIREFOX_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

fn on_browser(ua: &str, device_id: &str) -> RequestMeta {
    RequestMeta { device_id: Some(device_id.to_owned()), ..meta(ua) }
}

async fn events(h: &Harness) -> Vec<(String, Option<String>, Option<String>)> {
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT kind, COALESCE(failure_reason, revoked_reason), session_id FROM sessions_events ORDER BY occurred_at, id",
    )
    .fetch_all(h.store.pool())
    .await
    .unwrap();
    rows
}

#[tokio::test]
async fn sign_in_writes_a_login_event_and_mints_the_device_cookie_once() {
    let h = harness().await;
    let auth = Auth::password().identity("  Ada@Example.com ");
    let first = h.sessions.sign_in("u1", &auth, &meta(CHROME_MAC)).await.unwrap();
    assert_eq!(first.cookies.iter().count(), 2, "session cookie and a new device cookie");
    let device_cookie = first.cookies.device_cookie().unwrap().to_string();
    assert!(device_cookie.starts_with("device_id=") && device_cookie.contains("Max-Age=157680000"));

    let e = h.sessions.history("u1", 10, 0).await.unwrap().pop().unwrap();
    assert_eq!(e.kind, "login");
    assert_eq!(e.session_id.as_deref(), Some(first.session_id.as_str()));
    assert_eq!(e.user_id.as_deref(), Some("u1"));
    assert_eq!(e.identity.as_deref(), Some("ada@example.com"));
    assert_eq!(e.auth_method.as_deref(), Some("password"));
    assert_eq!(e.browser_name.as_deref(), Some("Chrome"));
    let device_id = e.device_id.unwrap();

    // The browser presents its signed device cookie next time: no new cookie, same device id, one row.
    let (parts, ()) =
        http::Request::get("/").header(http::header::COOKIE, pair(&device_cookie)).body(()).unwrap().into_parts();
    let presented = h.sessions.request_meta(&parts);
    assert_eq!(presented.device_id.as_deref(), Some(device_id.as_str()));
    let second = h
        .sessions
        .sign_in("u1", &auth, &RequestMeta { user_agent: Some(CHROME_MAC.into()), ..presented })
        .await
        .unwrap();
    assert_eq!(second.cookies.iter().count(), 1);
    let live = h.store.list_live("u1").await.unwrap();
    assert_eq!(live.len(), 1, "one browser is one row");
    assert_eq!(live[0].id, second.session_id);
    assert_eq!(column(&h.store, &first.session_id, "ended_reason").await.as_deref(), Some("superseded"));
    assert_eq!(
        events(&h).await.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["login", "login"],
        "superseding writes no event"
    );
}

#[tokio::test]
async fn signing_in_as_someone_else_ends_the_browsers_previous_session() {
    let h = harness().await;
    let ada = h.sessions.sign_in("ada", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let same_browser = RequestMeta { current: Some(current(&ada.session_id, "ada")), ..meta(CHROME_MAC) };
    h.sessions.sign_in("bob", &pw(), &same_browser).await.unwrap();
    assert_eq!(column(&h.store, &ada.session_id, "ended_reason").await.as_deref(), Some("superseded"));
    assert_eq!(h.store.list_live("bob").await.unwrap().len(), 1);
}

#[tokio::test]
async fn other_users_on_the_same_browser_are_untouched() {
    let h = harness().await;
    let a =
        h.sessions.sign_in("u1", &pw(), &on_browser(CHROME_MAC, "2d6c1f8e-0000-4000-8000-000000000001")).await.unwrap();
    h.sessions.sign_in("u2", &pw(), &on_browser(CHROME_MAC, "2d6c1f8e-0000-4000-8000-000000000001")).await.unwrap();
    assert!(column(&h.store, &a.session_id, "ended_at").await.is_none());
}

#[tokio::test]
async fn ending_writes_its_event_in_the_same_transaction_and_only_once() {
    let h = harness().await;
    let a = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let b = h.sessions.sign_in("u1", &pw(), &meta(FIREFOX_WIN)).await.unwrap();
    let c = h.sessions.sign_in("u1", &pw(), &meta(SAFARI_IPHONE)).await.unwrap();
    let me = current(&a.session_id, "u1");
    let req = RequestMeta { request_id: Some("req-42".into()), ..RequestMeta::default() };

    h.sessions.revoke(&me, &b.session_id, &req).await.unwrap();
    assert!(h.sessions.revoke(&me, &b.session_id, &req).await.is_err(), "ending an ended row is NotFound");
    assert_eq!(h.sessions.revoke_others(&me, &req).await.unwrap(), 1);
    assert_eq!(h.sessions.revoke_others(&me, &req).await.unwrap(), 0);
    let _cleared = h.sessions.sign_out(&me, &req).await.unwrap();
    let _cleared = h.sessions.sign_out(&me, &req).await.unwrap();

    let trail = events(&h).await;
    let endings: Vec<_> = trail.iter().filter(|e| e.0 != "login").cloned().collect();
    assert_eq!(
        endings,
        [
            ("revoked".into(), Some("user_revoked".into()), Some(b.session_id.clone())),
            ("revoked".into(), Some("logout_everywhere".into()), Some(c.session_id.clone())),
            ("logout".into(), None, Some(a.session_id.clone())),
        ]
    );
    let revoked: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT browser_name, request_id, json_extract(metadata, '$.ended_by') FROM sessions_events WHERE kind = 'revoked' AND session_id = ?",
    )
    .bind(&b.session_id)
    .fetch_one(h.store.pool())
    .await
    .unwrap();
    assert_eq!(revoked, (Some("Firefox".into()), Some("req-42".into()), Some("user:u1".into())));
}

#[tokio::test]
async fn a_logout_whose_event_cannot_be_written_fails_and_keeps_the_row_live() {
    let h = harness().await;
    let a = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER break_logout BEFORE INSERT ON sessions_events WHEN NEW.kind = 'logout'
         BEGIN SELECT RAISE(ABORT, 'trail unavailable'); END",
    )
    .execute(h.store.pool())
    .await
    .unwrap();
    let me = current(&a.session_id, "u1");
    assert!(h.sessions.sign_out(&me, &RequestMeta::default()).await.is_err());
    assert!(column(&h.store, &a.session_id, "ended_at").await.is_none(), "nothing is half-done");
}

#[tokio::test]
async fn the_trail_is_append_only_in_the_database_except_for_sanctioned_paths() {
    let h = harness().await;
    h.sessions.sign_in("u1", &pw().identity("ada@example.com"), &meta(CHROME_MAC)).await.unwrap();
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "ada@example.com", "invalid_credentials").await.unwrap();
    let pool = h.store.pool();

    let update = sqlx::query("UPDATE sessions_events SET kind = 'logout'").execute(pool).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM sessions_events").execute(pool).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events").await, 2);

    // Retention: nothing is old enough yet, then everything is.
    assert_eq!(h.sessions.purge_events(Duration::from_secs(3600)).await.unwrap(), 0);
    assert_eq!(h.sessions.purge_events(Duration::ZERO).await.unwrap(), 2);

    // Erasure removes the user's rows and events and the failures typed against them.
    h.sessions.sign_in("u1", &pw().identity("ada@example.com"), &meta(CHROME_MAC)).await.unwrap();
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "Ada@Example.com", "invalid_credentials").await.unwrap();
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "bob@example.com", "invalid_credentials").await.unwrap();
    let (rows, events) = h.sessions.forget("u1", &["ADA@example.com".into()]).await.unwrap();
    assert_eq!((rows, events), (2, 2), "both sign-ins' rows; the login left after the purge and ada's failure");
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE identity = 'ada@example.com'").await, 0);
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE identity = 'bob@example.com'").await, 1);

    // The gate closes again after each sanctioned change.
    assert!(sqlx::query("DELETE FROM sessions_events").execute(pool).await.is_err());
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events_unlock").await, 0);
}

#[tokio::test]
async fn failed_attempts_keep_the_identity_as_typed_and_never_link_an_account() {
    let h = harness().await;
    let e = h
        .sessions
        .record_failed_attempt(&meta(FIREFOX_WIN), "  Nobody@Nowhere.Example ", "invalid_credentials")
        .await
        .unwrap();
    assert_eq!(e.identity.as_deref(), Some("nobody@nowhere.example"));
    assert_eq!(e.user_id, None);
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE user_id IS NOT NULL").await, 0);
    assert_eq!(
        count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'failed_login' AND failure_reason = 'invalid_credentials' AND browser_name = 'Firefox'").await,
        1
    );
    // An identity of any size is stored (cut), never rejected.
    assert!(h.sessions.record_failed_attempt(&meta(""), &"x".repeat(100_000), "rate_limited").await.is_some());
    assert!(h.sessions.record_failed_attempt(&meta(""), "", "invalid_credentials").await.unwrap().identity.is_none());
}

/// Every column of every table, one row per line: what a copy of the database file would show.
async fn dump(h: &Harness) -> String {
    let pool = h.store.pool();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(pool).await.unwrap();
    let mut dump = String::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?)").bind(&table).fetch_all(pool).await.unwrap();
        let columns: Vec<String> = columns.iter().map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')")).collect();
        // As bytes: sqlx's own table keeps binary checksums.
        let sql = format!("SELECT CAST({} AS BLOB) FROM \"{table}\"", columns.join(" || ' ' || "));
        for row in sqlx::query_scalar::<_, Vec<u8>>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap() {
            dump += &format!("{table}: {}\n", String::from_utf8_lossy(&row));
        }
    }
    dump
}

/// The engine never gets the password as an argument, but it reads the request that carries it: the query string
/// of a careless form, `Authorization: Basic`, a cookie. None of it, nor the session token, is stored, through
/// sign-in, failed attempts, a password change and sign-out.
#[tokio::test]
async fn no_password_or_token_is_stored_whatever_the_request_carries() {
    const PASSWORD: &str = "hunter2-super-secret";
    // base64("ada@example.com:hunter2-super-secret"), as Basic authentication sends it.
    const BASIC: &str = "YWRhQGV4YW1wbGUuY29tOmh1bnRlcjItc3VwZXItc2VjcmV0";
    let h = harness().await;
    let request = |cookie: &str| {
        let (parts, ()) = http::Request::post(format!("/login?email=ada%40example.com&password={PASSWORD}"))
            .header(http::header::USER_AGENT, FIREFOX_WIN)
            .header(http::header::AUTHORIZATION, format!("Basic {BASIC}"))
            .header(http::header::COOKIE, format!("{cookie}; remember_password={PASSWORD}"))
            .header("sec-ch-ua-platform", "\"Windows\"")
            .header("x-request-id", "req-1")
            .body(())
            .unwrap()
            .into_parts();
        h.sessions.request_meta(&parts)
    };
    let ada = Auth::password().identity("ada@example.com");
    let signed = h.sessions.sign_in("u1", &ada, &request("")).await.unwrap();
    let cookie = pair(&signed.cookies);
    h.sessions.record_failed_attempt(&request(&cookie), "ada@example.com", "invalid_credentials").await.unwrap();
    h.sessions.record_failure(&request(&cookie), &ada.clone().second_factor("totp"), "invalid_code").await.unwrap();
    let me = current(&signed.session_id, "u1");
    let rotated = pair(&h.sessions.password_changed(&me, &request(&cookie)).await.unwrap());
    let _cleared = h.sessions.sign_out(&me, &request(&rotated)).await.unwrap();

    let dump = dump(&h).await;
    // The dump reads what the requests left: the rows, the events and the client headers the engine keeps.
    for stored in
        ["sessions: ", "sessions_events: ", "ada@example.com", "Firefox", "sec-ch-ua-platform", "req-1", "logout"]
    {
        assert!(dump.contains(stored), "{stored:?} missing from the dump:\n{dump}");
    }
    // A cookie's value is its signature followed by the raw token (64 hex digits); only the token's digest is kept.
    let values = [&cookie, &rotated].map(|c| c.split_once('=').unwrap().1);
    let tokens = values.map(|v| &v[v.len() - 64..]);
    for secret in [PASSWORD, BASIC].into_iter().chain(values).chain(tokens) {
        assert!(!dump.contains(secret), "{secret:?} is stored:\n{dump}");
    }
}

#[tokio::test]
async fn new_devices_are_flagged_and_announced_but_never_the_first_sign_in() {
    let announced = Arc::new(Mutex::new(Vec::<(String, Option<bool>)>::new()));
    let seen = announced.clone();
    let h = harness_with(move |c| {
        c.on_new_device(move |session, event| {
            let flag = event.metadata.as_ref().and_then(|m| m["new_device"].as_bool());
            seen.lock().unwrap().push((session.browser_name.clone().unwrap_or_default(), flag));
        })
    })
    .await;
    let first = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    assert!(!first.new_device, "a user's first ever sign-in never counts");
    let same = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    assert!(!same.new_device, "same device type, OS and browser");
    let firefox = h.sessions.sign_in("u1", &pw(), &meta(FIREFOX_WIN)).await.unwrap();
    assert!(firefox.new_device);
    let firefox_again = h.sessions.sign_in("u1", &pw(), &meta(FIREFOX_WIN)).await.unwrap();
    assert!(!firefox_again.new_device);
    // Ended rows and old login events still count as known devices.
    h.sessions.revoke_others(&current(&firefox_again.session_id, "u1"), &RequestMeta::default()).await.unwrap();
    assert!(!h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap().new_device);
    assert_eq!(*announced.lock().unwrap(), [("Firefox".to_owned(), Some(true))]);
    assert_eq!(
        count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE json_extract(metadata, '$.new_device')").await,
        1
    );
    // Another user's first sign-in on a new browser is not new for them.
    assert!(!h.sessions.sign_in("u2", &pw(), &meta(SAFARI_IPHONE)).await.unwrap().new_device);
}

#[tokio::test]
async fn revoked_and_event_hooks_fire_for_exactly_what_happened() {
    let revoked = Arc::new(Mutex::new(Vec::<(String, Option<String>, String)>::new()));
    let teed = Arc::new(Mutex::new(Vec::<String>::new()));
    let (r, t) = (revoked.clone(), teed.clone());
    let h = harness_with(move |c| {
        c.on_session_revoked(move |s, by, reason| {
            r.lock().unwrap().push((s.id.clone(), by.map(str::to_owned), reason.to_owned()))
        })
        .on_event(move |e: &Event| t.lock().unwrap().push(e.kind.clone()))
    })
    .await;
    let a =
        h.sessions.sign_in("u1", &pw(), &on_browser(CHROME_MAC, "2d6c1f8e-0000-4000-8000-00000000000a")).await.unwrap();
    let b = h.sessions.sign_in("u1", &pw(), &meta(FIREFOX_WIN)).await.unwrap();
    h.sessions.sign_in("u1", &pw(), &meta(SAFARI_IPHONE)).await.unwrap();
    // Superseded by the same browser: no revoke hook.
    let a2 =
        h.sessions.sign_in("u1", &pw(), &on_browser(CHROME_MAC, "2d6c1f8e-0000-4000-8000-00000000000a")).await.unwrap();
    let me = current(&a2.session_id, "u1");
    h.sessions.revoke(&me, &b.session_id, &RequestMeta::default()).await.unwrap();
    let twice = h.sessions.revoke(&me, &b.session_id, &RequestMeta::default()).await;
    assert!(matches!(twice, Err(Error::NotFound)), "an ended row cannot be revoked again: {twice:?}");
    h.sessions.revoke_others(&me, &RequestMeta::default()).await.unwrap();
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "x@example.com", "invalid_credentials").await;
    let _cleared = h.sessions.sign_out(&me, &RequestMeta::default()).await.unwrap();

    let revoked = revoked.lock().unwrap().clone();
    assert_eq!(revoked.len(), 2, "{revoked:?}");
    assert_eq!(revoked[0], (b.session_id.clone(), Some("user:u1".into()), "user_revoked".into()));
    assert_eq!(revoked[1].2, "logout_everywhere");
    assert!(revoked.iter().all(|(id, ..)| id != &a.session_id), "supersede is not a revoke");
    assert_eq!(
        *teed.lock().unwrap(),
        ["login", "login", "login", "login", "revoked", "revoked", "failed_login", "logout"]
    );
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events").await, 8, "the tee sees every stored event");
}

#[tokio::test]
async fn repeated_failures_alert_once_per_burst() {
    let fired = Arc::new(AtomicU64::new(0));
    let f = fired.clone();
    let h = harness_with(move |c| {
        c.on_repeated_failed_logins(3, Duration::from_millis(1500), move |identity, count, _| {
            assert_eq!((identity, count), ("ada@example.com", 3));
            f.fetch_add(1, Ordering::SeqCst);
        })
    })
    .await;
    let fail = |who: &'static str| {
        let s = h.sessions.clone();
        async move { s.record_failed_attempt(&meta(FIREFOX_WIN), who, "invalid_credentials").await }
    };
    fail("Ada@example.com").await;
    fail("bob@example.com").await;
    fail("ada@example.com").await;
    assert_eq!(fired.load(Ordering::SeqCst), 0);
    fail("ada@example.com ").await;
    assert_eq!(fired.load(Ordering::SeqCst), 1, "fires when the count reaches the threshold");
    fail("ada@example.com").await;
    fail("ada@example.com").await;
    assert_eq!(fired.load(Ordering::SeqCst), 1, "not again while the burst goes on");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    for _ in 0..3 {
        fail("ada@example.com").await;
    }
    assert_eq!(fired.load(Ordering::SeqCst), 2, "again once the old failures aged out");
}

#[tokio::test]
async fn history_shows_own_events_and_failures_against_own_identity_only() {
    let h = harness().await;
    let ada = Auth::password().identity("ada@example.com");
    let a = h.sessions.sign_in("u1", &ada, &meta(CHROME_MAC)).await.unwrap();
    h.sessions.sign_in("u2", &Auth::password().identity("bob@example.com"), &meta(CHROME_MAC)).await.unwrap();
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "ADA@example.com", "invalid_credentials").await;
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "bob@example.com", "invalid_credentials").await;
    h.sessions.record_failed_attempt(&meta(FIREFOX_WIN), "nobody@example.com", "invalid_credentials").await;
    let _cleared = h.sessions.sign_out(&current(&a.session_id, "u1"), &RequestMeta::default()).await.unwrap();

    let mine = h.sessions.history("u1", 50, 0).await.unwrap();
    assert_eq!(mine.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["logout", "failed_login", "login"]);
    assert_eq!(mine[1].identity.as_deref(), Some("ada@example.com"));
    let page: Vec<_> = h.sessions.history("u1", 2, 2).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(page, ["login"]);
    assert_eq!(h.sessions.history("u2", 50, 0).await.unwrap().len(), 2);
}

#[tokio::test]
async fn last_login_and_second_factor() {
    let h = harness().await;
    let device = "2d6c1f8e-0000-4000-8000-0000000000bb";
    assert_eq!(h.sessions.last_login(&on_browser(CHROME_MAC, device)).await, None);
    assert_eq!(h.sessions.last_login(&meta(CHROME_MAC)).await, None, "no device cookie, no answer");
    h.sessions.sign_in("u1", &Auth::new("github"), &on_browser(CHROME_MAC, device)).await.unwrap();
    let last = h.sessions.last_login(&on_browser(CHROME_MAC, device)).await.unwrap();
    assert_eq!((last.auth_method.as_str(), last.auth_provider.as_deref()), ("oauth", Some("github")));

    let s = h.sessions.sign_in("u1", &Auth::passkey(), &on_browser(CHROME_MAC, device)).await.unwrap();
    assert_eq!(h.sessions.last_login(&on_browser(CHROME_MAC, device)).await.unwrap().auth_method, "passkey");
    assert!(h.sessions.mark_second_factor(&current(&s.session_id, "u1"), "TOTP").await.unwrap());
    let live = h.store.list_live("u1").await.unwrap();
    assert_eq!(live[0].auth_detail.as_ref().unwrap()["second_factor"], "totp");

    let tracked = h.sessions.track_login("u9", &Auth::token(), &meta("curl/8.5.0")).await.unwrap();
    assert_eq!((tracked.kind.as_str(), tracked.auth_method.as_deref()), ("login", Some("token")));
    assert!(h.store.list_live("u9").await.unwrap().is_empty(), "tracking a login creates no session");
}

/// A retention batch's deletions reach the database file before the next batch: otherwise, on a large trail, the
/// WAL outgrows the background checkpoint and some unrelated commit (a sign-in) pays for copying it back.
#[tokio::test]
async fn sqlite_retention_batches_are_checkpointed_as_they_go() {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::str::FromStr;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.db");
    // No background checkpointer (from_pool) and no automatic ones: only the sweep's own can move pages.
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .pragma("wal_autocheckpoint", "0");
    let pool = SqlitePoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
    let store = leptos_sessions::engine::SqliteStore::from_pool(pool).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    for i in 0..200 {
        let event = Event {
            id: format!("old-{i:04}"),
            kind: "failed_login".into(),
            identity: Some(format!("someone{i}@example.com")),
            occurred_at: Some(now - Duration::from_secs(400 * 24 * 3600)),
            ..Event::default()
        };
        store.insert_event(&event).await.unwrap();
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.unwrap();
    let before = std::fs::read(&path).unwrap();

    let sessions = leptos_sessions::engine::Sessions::new(
        leptos_sessions::engine::Config::new(SECRET).unwrap().clock(move || now),
        store.clone(),
    );
    assert_eq!(sessions.purge_events(Duration::from_secs(365 * 24 * 3600)).await.unwrap(), 200);
    assert_ne!(std::fs::read(&path).unwrap(), before, "the deletions were copied into the database file");
}

#[tokio::test]
async fn the_trail_refuses_an_event_kind_it_does_not_know() {
    let h = harness().await;
    let event = |id: &str, kind: &str| Event {
        id: id.to_owned(),
        kind: kind.to_owned(),
        identity: Some("ada@example.com".into()),
        occurred_at: Some(time::OffsetDateTime::now_utc()),
        ..Event::default()
    };
    for kind in ["password_reset", "LOGIN", "login ", ""] {
        let refused = h.store.insert_event(&event(&format!("bad-{kind}"), kind)).await.unwrap_err();
        assert!(refused.to_string().contains("CHECK constraint failed"), "{kind:?}: {refused}");
    }
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events").await, 0, "nothing was written");
    // The very same event with a known kind is stored: the kind alone was refused.
    h.store.insert_event(&event("good", "failed_login")).await.unwrap();
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events").await, 1);
}

#[tokio::test]
async fn skip_tracking_suppresses_the_failures_of_its_own_request_only() {
    use leptos::prelude::{provide_context, Owner};
    use leptos_sessions::context;

    let h = harness().await;
    // What leptos_axum gives a server function: a reactive owner per request, holding the request's parts.
    let request = || {
        let owner = Owner::new();
        let (mut parts, ()) = http::Request::post("/api/login")
            .header(http::header::USER_AGENT, FIREFOX_WIN)
            .body(())
            .unwrap()
            .into_parts();
        parts.extensions.insert(h.sessions.clone());
        owner.with(|| provide_context(parts));
        owner
    };
    let (plain, handoff) = (request(), request());
    let failed = || count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'failed_login'");

    plain.set();
    assert!(context::record_failed_attempt("ada@example.com", "invalid_credentials").await.is_some());
    assert_eq!(failed().await, 1, "an ordinary request records its failure");

    // Password right, second factor next: nothing this request reports afterwards is a failure.
    handoff.set();
    context::skip_tracking();
    assert!(context::record_failed_attempt("ada@example.com", "invalid_credentials").await.is_none());
    assert!(context::record_failed_attempt("ada@example.com", "second_factor_pending").await.is_none());
    assert_eq!(failed().await, 1);

    plain.set();
    assert!(context::record_failed_attempt("ada@example.com", "invalid_credentials").await.is_some());
    assert_eq!(failed().await, 2, "other requests are tracked as before");
}

/// The devices and history pages' queries search their indexes, with the statistics a server's start leaves on a
/// grown trail: none reads a whole table or index (`scripts/bench.sh page` checks the same on 10,000 events).
#[tokio::test]
async fn sqlite_page_queries_search_their_indexes() {
    let h = harness().await;
    let ada = Auth::password().identity("ada@example.com");
    for ua in [CHROME_MAC, FIREFOX_WIN, SAFARI_IPHONE] {
        h.sessions.sign_in("u1", &ada, &meta(ua)).await.unwrap();
    }
    // Other users' devices: on a table holding only this user's rows, reading it all would be the right plan.
    for user in 2..40 {
        for ua in [CHROME_MAC, FIREFOX_WIN] {
            h.sessions.sign_in(&format!("u{user}"), &pw(), &meta(ua)).await.unwrap();
        }
    }
    let now = time::OffsetDateTime::now_utc();
    for i in 0..600u64 {
        let failed = i % 3 == 0;
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            kind: if failed { "failed_login" } else { "login" }.into(),
            user_id: (!failed).then(|| format!("u{}", i % 7)),
            identity: Some(if failed || i % 7 == 1 {
                "ada@example.com".into()
            } else {
                format!("u{}@example.com", i % 7)
            }),
            occurred_at: Some(now - Duration::from_secs(60 * i)),
            ..Event::default()
        };
        h.store.insert_event(&event).await.unwrap();
    }
    // A fresh start gathers the statistics the planner uses.
    let url = format!("sqlite://{}", h._dir.path().join("sessions.db").display());
    let store = leptos_sessions::engine::SqliteStore::open(&url).await.unwrap();
    let plans = store.page_query_plans("u1").await.unwrap();
    assert_eq!(plans.iter().map(|(name, _)| *name).collect::<Vec<_>>(), ["history", "session lookup", "devices"]);
    for (name, steps) in &plans {
        assert!(steps.iter().any(|s| s.starts_with("SEARCH ")), "{name}: {steps:#?}");
        assert!(!steps.iter().any(|s| s.starts_with("SCAN sessions")), "{name} reads a whole table: {steps:#?}");
    }
    assert_eq!(h.sessions.history("u1", 5, 0).await.unwrap().len(), 5);
}
