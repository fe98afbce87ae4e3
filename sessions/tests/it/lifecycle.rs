//! Timeouts (on an injectable clock, never sleeps), the per-user cap under concurrency, password change,
//! force-logout, sudo mode, the sweep, and log hygiene.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use http::StatusCode;
use leptos_sessions::engine::{Auth, Config, Error, Registry, RequestMeta, Sessions};

const MIN: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// The next request with `cookie` is signed out: the cookie is cleared, the row ended as `expired` with its one
/// `expired` event.
async fn ends_expired_on_this_request(h: &Harness, app: &axum::Router, cookie: &str, id: &str) {
    let res = get_me(app, cookie).await;
    assert_eq!(res.body, "anonymous");
    assert!(res.set_cookie.iter().any(|c| c.starts_with("session=;")));
    assert_eq!(column(&h.store, id, "ended_reason").await.as_deref(), Some("expired"));
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'expired'").await, 1);
}

#[tokio::test]
async fn idle_sessions_expire_on_their_next_request_and_activity_keeps_them_alive() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config.preset("nist_aal2").unwrap())).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);

    for _ in 0..4 {
        clock.advance(50 * MIN);
        assert_eq!(get_me(&app, &cookie).await.body, "u1", "activity within the hour keeps it alive");
    }
    clock.advance(61 * MIN);
    ends_expired_on_this_request(&h, &app, &cookie, &signed.session_id).await;
}

#[tokio::test]
async fn the_absolute_lifetime_ends_even_busy_sessions() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config.preset("nist_aal3").unwrap())).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);
    // A request every 10 minutes for 11 h 50 min: the 15-minute idle limit never triggers.
    for step in 0..71 {
        clock.advance(10 * MIN);
        assert_eq!(get_me(&app, &cookie).await.body, "u1", "alive at step {step}");
    }
    // 12 h after sign-in it ends, however active.
    clock.advance(11 * MIN);
    assert_eq!(get_me(&app, &cookie).await.body, "anonymous");
}

#[test]
fn contradictory_settings_are_refused_with_a_clear_message() {
    let base = || Config::new(SECRET).unwrap();
    let err = base().idle_timeout(Some(2 * HOUR)).absolute_timeout(Some(HOUR)).validate().unwrap_err();
    assert!(err.to_string().contains("idle timeout") && err.to_string().contains("longer than the absolute"), "{err}");
    assert!(base().session_cap(0).validate().unwrap_err().to_string().contains("session cap"));
    assert!(base().idle_timeout(Some(Duration::ZERO)).validate().is_err());
    assert!(base().idle_timeout(Some(MIN)).validate().unwrap_err().to_string().contains("touch interval"));
    assert!(base().preset("nist_aal4").err().unwrap().to_string().contains("unknown preset"));
    for preset in ["nist_aal1", "nist_aal2", "nist_aal3"] {
        base().preset(preset).unwrap().validate().unwrap();
    }
}

#[tokio::test]
async fn fifty_concurrent_sign_ins_with_a_cap_of_ten_leave_exactly_ten() {
    let revoked = Arc::new(Mutex::new(0));
    let r = revoked.clone();
    let h = harness_with(move |c| {
        c.session_cap(10).on_session_revoked(move |_, by, reason| {
            assert_eq!((by, reason), (Some("system"), "pruned"));
            *r.lock().unwrap() += 1;
        })
    })
    .await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = h.sessions.clone();
            tokio::spawn(async move { s.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap().session_id })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    assert_eq!(h.store.list_live("u1").await.unwrap().len(), 10);
    assert_eq!(*revoked.lock().unwrap(), 40);
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE revoked_reason = 'pruned'").await, 40);
    // A sign-in past the cap never ends the new session.
    let newest = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let live = h.store.list_live("u1").await.unwrap();
    assert_eq!(live.len(), 10);
    assert!(live.iter().any(|r| r.id == newest.session_id));
}

#[tokio::test]
async fn a_password_change_ends_the_others_and_rotates_this_token() {
    let h = harness().await;
    let app = app(&h.sessions);
    let a = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let b = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let other_user = h.sessions.sign_in("u2", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let new_cookie = h.sessions.password_changed(&current(&a.session_id, "u1"), &RequestMeta::default()).await.unwrap();

    assert_eq!(get_me(&app, &pair(&a.cookies)).await.body, "anonymous", "the old token no longer works");
    assert_eq!(get_me(&app, &pair(&new_cookie)).await.body, "u1", "the fresh one does");
    assert_eq!(get_me(&app, &pair(&b.cookies)).await.body, "anonymous");
    assert_eq!(column(&h.store, &b.session_id, "ended_reason").await.as_deref(), Some("password_change"));
    assert_eq!(get_me(&app, &pair(&other_user.cookies)).await.body, "u2");
    // The change is an event of its own on the trail, from the session that made it.
    let changed = h.sessions.history("u1", 10, 0).await.unwrap().into_iter().filter(|e| e.kind == "password_changed");
    let changed: Vec<_> = changed.collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].session_id.as_deref(), Some(a.session_id.as_str()));
}

#[tokio::test]
async fn an_administrator_or_a_reset_ends_every_session() {
    let h = harness().await;
    for _ in 0..3 {
        h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    }
    assert_eq!(h.sessions.end_all("u1", "admin_revoked", Some("admin:7")).await.unwrap(), 3);
    assert!(h.store.list_live("u1").await.unwrap().is_empty());
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE revoked_reason = 'admin_revoked'").await, 3);
    assert_eq!(h.sessions.end_all("u1", "password_reset", None).await.unwrap(), 0);
}

#[tokio::test]
async fn logging_out_devices_needs_a_recent_password() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config)).await;
    let a = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let b = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let me = current(&a.session_id, "u1");
    clock.advance(11 * MIN);
    let refused = h.sessions.revoke(&me, &b.session_id, &RequestMeta::default()).await;
    assert!(matches!(refused, Err(Error::ReauthRequired)));
    assert!(matches!(h.sessions.revoke_others(&me, &RequestMeta::default()).await, Err(Error::ReauthRequired)));
    assert!(column(&h.store, &b.session_id, "ended_at").await.is_none());
    let fresh = h.sessions.reauthenticated(&me).await.unwrap();
    let app = app(&h.sessions);
    assert_eq!(get_me(&app, &pair(&a.cookies)).await.body, "anonymous", "re-authentication rotates the token");
    assert_eq!(get_me(&app, &pair(&fresh)).await.body, "u1");
    h.sessions.revoke(&me, &b.session_id, &RequestMeta::default()).await.unwrap();
    assert_eq!(leptos_sessions::ApiError::from(Error::ReauthRequired).status(), 403);

    // The gate fails closed: with the store gone, the answer is "confirm first", not "go ahead".
    h.store.pool().close().await;
    assert!(matches!(h.sessions.require_recent_auth(&me).await, Err(Error::ReauthRequired)));
}

#[tokio::test]
async fn sudo_mode_can_be_turned_off() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config.sudo_window(None))).await;
    let a = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    clock.advance(24 * HOUR);
    assert_eq!(h.sessions.revoke_others(&current(&a.session_id, "u1"), &RequestMeta::default()).await.unwrap(), 1);
}

#[tokio::test]
async fn the_sweep_expires_prunes_and_purges_in_batches() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config.idle_timeout(Some(HOUR)))).await;
    // 1,200 idle sessions (more than two batches) and one fresh.
    for i in 0..1200 {
        h.sessions.sign_in(&format!("idle-{i}"), &pw(), &meta(CHROME_MAC)).await.unwrap();
    }
    clock.advance(2 * HOUR);
    let fresh = h.sessions.sign_in("fresh", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let report = h.sessions.sweep().await.unwrap();
    assert_eq!(report.expired, 1200);
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'expired'").await, 1200);
    assert!(column(&h.store, &fresh.session_id, "ended_at").await.is_none());

    // A lower cap applies to existing users at the next sweep.
    for _ in 0..4 {
        h.sessions.sign_in("fresh", &pw(), &meta(CHROME_MAC)).await.unwrap();
    }
    let c = clock.clone();
    let capped = Sessions::new(c.install(Config::new(SECRET).unwrap().session_cap(2)), h.store.clone());
    assert_eq!(capped.sweep().await.unwrap().pruned, 3);
    assert_eq!(h.store.list_live("fresh").await.unwrap().len(), 2);

    // Thirteen months later the trail and the ended rows are past retention.
    clock.advance(Duration::from_secs(396 * 24 * 3600));
    let report = h.sessions.sweep().await.unwrap();
    assert!(report.events_purged >= 2400, "{report:?}");
    assert!(report.rows_purged >= 1203, "{report:?}");
    assert_eq!(
        count(
            &h.store,
            "SELECT COUNT(*) FROM sessions_events WHERE occurred_at < (SELECT MAX(occurred_at) FROM sessions_events)"
        )
        .await,
        0
    );
}

/// Every log line of this thread, from TRACE up (a `#[tokio::test]` runs its tasks on the test's thread).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

impl Capture {
    fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Capture::default();
        let subscriber =
            tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(capture.clone()).finish();
        (capture, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

const PASSWORD: &str = "correct-horse-battery-staple";
/// base64("ada@example.com:correct-horse-battery-staple"): the password as `Authorization: Basic` sends it.
const BASIC: &str = "YWRhQGV4YW1wbGUuY29tOmNvcnJlY3QtaG9yc2UtYmF0dGVyeS1zdGFwbGU=";

/// A session cookie (`name=value`), its value and the raw token at the end of it: none of them may be logged.
fn cookie_secrets(cookie: &str) -> [&str; 2] {
    let value = cookie.split_once('=').unwrap().1;
    [value, &value[value.len() - 64..]]
}

#[tokio::test]
async fn no_token_password_or_cookie_reaches_the_logs() {
    use axum::body::Body;
    use http::{header, Request};

    let (capture, _guard) = Capture::start();
    // Uncached, so the request after the pool closes reaches the store and logs the failure.
    let h = harness_with(|c| c.on_event(|_| panic!("make the isolation log something")).session_cache(None)).await;
    // Every request carries the password where careless clients put it (the query string, Basic auth) and the
    // session cookie; the engine reads these requests when signing in, failing, changing the password and on
    // every request through the layer.
    let request = |cookie: &str| {
        Request::get(format!("/me?password={PASSWORD}"))
            .header(header::AUTHORIZATION, format!("Basic {BASIC}"))
            .header(header::COOKIE, cookie)
            .header(header::USER_AGENT, CHROME_MAC)
            .body(Body::empty())
            .unwrap()
    };
    let meta = |cookie: &str| h.sessions.request_meta(&request(cookie).into_parts().0);
    let signed = h.sessions.sign_in("u1", &Auth::password().identity("ada@example.com"), &meta("")).await.unwrap();
    let cookie = pair(&signed.cookies);
    h.sessions.record_failed_attempt(&meta(&cookie), "ada@example.com", "invalid_credentials").await;
    let app = app(&h.sessions);
    assert_eq!(call(&app, request(&cookie)).await.status, StatusCode::OK);
    let me = current(&signed.session_id, "u1");
    let rotated = pair(&h.sessions.password_changed(&me, &meta(&cookie)).await.unwrap());
    h.store.pool().close().await;
    assert_eq!(call(&app, request(&rotated)).await.status, StatusCode::SERVICE_UNAVAILABLE);

    let logs = capture.text();
    assert!(logs.contains("session lookup failed"), "the capture works: {logs:.400}");
    for secret in [PASSWORD, BASIC].into_iter().chain(cookie_secrets(&cookie)).chain(cookie_secrets(&rotated)) {
        assert!(!logs.contains(secret), "{secret:?} reached the logs:\n{logs}");
    }
}

/// The retention purge on a trail of one million events, in batches sized to hold the write lock about 20 ms each
/// (the sweep halves or doubles them as it goes). Run it with
/// `cargo test -p leptos-sessions --features sqlite,postgres --test it sweep_batches -- --ignored --nocapture` and record the numbers
/// in BENCHMARKS.md.
#[tokio::test]
#[ignore = "a one-million-event benchmark, slow: run it by hand (see above)"]
async fn sweep_batches_on_a_million_events() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config)).await;
    let started = std::time::Instant::now();
    // Append-only allows INSERT: a million old failed attempts, generated inside SQLite.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
         INSERT INTO sessions_events (id, kind, identity, failure_reason, occurred_at)
         SELECT printf('%08d', i), 'failed_login', 'user' || (i % 1000) || '@example.com', 'invalid_credentials', i FROM n",
    )
    .execute(h.store.pool())
    .await
    .unwrap();
    println!("inserted 1,000,000 events in {:?}", started.elapsed());

    let started = std::time::Instant::now();
    let report = h.sessions.sweep().await.unwrap();
    let took = started.elapsed();
    assert_eq!(report.events_purged, 1_000_000);
    // Batches are sized by time, not count: report the rate, which is what a trail of any size will see.
    println!(
        "sweep purged {} events in {took:?} ({:.0} events/s)",
        report.events_purged,
        report.events_purged as f64 / took.as_secs_f64()
    );
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events").await, 0);
}

#[tokio::test]
async fn an_expiry_that_cannot_be_written_lets_the_request_through_and_ends_the_session_once_it_can() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config.idle_timeout(Some(HOUR)))).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);
    sqlx::query(
        "CREATE TRIGGER break_expiry BEFORE INSERT ON sessions_events WHEN NEW.kind = 'expired'
         BEGIN SELECT RAISE(ABORT, 'trail unavailable'); END",
    )
    .execute(h.store.pool())
    .await
    .unwrap();

    clock.advance(2 * HOUR);
    let res = get_me(&app, &cookie).await;
    assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "u1"), "an outage never signs anybody out");
    assert!(!res.set_cookie.iter().any(|c| c.starts_with("session=;")), "the cookie stays");
    assert!(column(&h.store, &signed.session_id, "ended_at").await.is_none(), "nothing is half-done");

    // The store works again: the very next request ends it, although the failed expiry's request was activity.
    sqlx::query("DROP TRIGGER break_expiry").execute(h.store.pool()).await.unwrap();
    ends_expired_on_this_request(&h, &app, &cookie, &signed.session_id).await;
}

#[tokio::test]
async fn without_timeouts_a_session_never_expires_on_request_or_in_the_sweep() {
    let clock = Clock::new();
    let c = clock.clone();
    // No idle timeout, no absolute lifetime: the defaults.
    let h = harness_with(move |config| c.install(config)).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);
    let days = |n: u64| Duration::from_secs(n * 24 * 3600);

    clock.advance(days(10 * 365));
    assert_eq!(get_me(&app, &cookie).await.body, "u1", "ten untouched years later");
    assert_eq!(h.sessions.sweep().await.unwrap().expired, 0);
    // Untouched again for most of the longest a browser keeps a cookie (400 days; past that the sweep may end it).
    clock.advance(days(399));
    assert_eq!(h.sessions.sweep().await.unwrap().expired, 0);
    assert!(column(&h.store, &signed.session_id, "ended_at").await.is_none());
    assert_eq!(get_me(&app, &cookie).await.body, "u1");
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'expired'").await, 0);
}
