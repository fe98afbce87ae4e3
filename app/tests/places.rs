//! Client IPs and geolocation against the committed MaxMind test database, client hints and re-derivation.

mod common;

use std::time::Duration;

use common::*;
use leptos_sessions::engine::{Auth, ClientHeaders, ClientIp, Config, Geo, RequestMeta, SessionStore};

const DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/geoip/GeoLite2-City-Test.mmdb");

fn from(ip: &str) -> RequestMeta {
    RequestMeta { ip: ip.parse().ok(), ..meta(CHROME_MAC) }
}

/// Polls until the background worker has written what `sql` selects, or gives up after five seconds.
async fn eventually(h: &Harness, sql: &'static str) -> Option<String> {
    for _ in 0..100 {
        let v: Option<String> = sqlx::query_scalar(sql).fetch_optional(h.store.pool()).await.unwrap().flatten();
        if v.is_some() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[test]
fn lookups_on_the_test_database() {
    let geo = Geo::open(DB, "en", 2).unwrap();
    let london = geo.lookup("81.2.69.142".parse().unwrap()).unwrap();
    assert_eq!(
        (london.country_code.as_deref(), london.country_name.as_deref(), london.city.as_deref()),
        (Some("GB"), Some("United Kingdom"), Some("London"))
    );
    assert_eq!((london.latitude, london.longitude), (Some(51.51), Some(-0.09)), "rounded to about 1 km");
    assert_eq!(geo.lookup("::ffff:81.2.69.142".parse().unwrap()).unwrap().city.as_deref(), Some("London"));
    assert_eq!(geo.lookup("2001:480:10::1".parse().unwrap()).unwrap().city.as_deref(), Some("San Diego"));
    let japan = geo.lookup("2001:218::1".parse().unwrap()).unwrap();
    assert_eq!((japan.country_code.as_deref(), japan.city), (Some("JP"), None));
    for nowhere in ["127.0.0.1", "10.0.0.1", "192.168.1.1", "::1", "2001:db8::1", "8.8.8.8"] {
        assert_eq!(geo.lookup(nowhere.parse().unwrap()), None, "{nowhere}");
    }
    assert!(Geo::open("/nonexistent/City.mmdb", "en", 2).is_err());
    assert!(Config::new([0u8; 32]).unwrap().geoip("/nonexistent/City.mmdb", "en").is_err());
}

#[test]
fn a_replaced_database_file_is_reloaded_and_a_broken_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("City.mmdb");
    std::fs::copy(DB, &path).unwrap();
    let geo = Geo::open(&path, "en", 2).unwrap();
    assert!(!geo.reload_if_changed(), "unchanged");
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&path, b"half-written").unwrap();
    assert!(!geo.reload_if_changed(), "a broken file keeps the old database");
    assert!(geo.lookup("81.2.69.142".parse().unwrap()).is_some());
    std::thread::sleep(Duration::from_millis(20));
    std::fs::copy(DB, &path).unwrap();
    assert!(geo.reload_if_changed());
    assert!(geo.lookup("81.2.69.142".parse().unwrap()).is_some());
}

#[tokio::test]
async fn sign_ins_and_failures_are_located_after_the_fact() {
    let h = harness_with(|c| c.geoip(DB, "en").unwrap()).await;
    let signed = h.sessions.sign_in("u1", &Auth::password(), &from("81.2.69.142")).await.unwrap();
    assert_eq!(
        eventually(&h, "SELECT city || ', ' || country_name FROM sessions WHERE country_code IS NOT NULL")
            .await
            .as_deref(),
        Some("London, United Kingdom")
    );
    assert_eq!(
        eventually(&h, "SELECT city || ' ' || latitude FROM sessions_events WHERE kind = 'login' AND city IS NOT NULL")
            .await
            .as_deref(),
        Some("London 51.51")
    );
    h.sessions.record_failed_attempt(&from("89.160.20.112"), "ada@example.com", "invalid_credentials").await.unwrap();
    assert_eq!(
        eventually(
            &h,
            "SELECT country_code FROM sessions_events WHERE kind = 'failed_login' AND country_code IS NOT NULL"
        )
        .await
        .as_deref(),
        Some("SE")
    );
    // Private addresses are never looked up; the trail stays append-only after the back-fill.
    h.sessions.sign_in("u2", &Auth::password(), &from("10.1.2.3")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        count(&h.store, "SELECT COUNT(*) FROM sessions WHERE user_id = 'u2' AND country_code IS NOT NULL").await,
        0
    );
    assert!(sqlx::query("UPDATE sessions_events SET city = 'Paris'").execute(h.store.pool()).await.is_err());
    let row = &h.store.list_live("u1").await.unwrap()[0];
    assert_eq!(row.id, signed.session_id);
}

#[tokio::test]
async fn truncated_mode_stores_no_full_address_anywhere() {
    let h = harness_with(|c| c.client_ip(ClientIp { truncate: true, ..ClientIp::default() })).await;
    let signed = h.sessions.sign_in("u1", &Auth::password(), &from("81.2.69.142")).await.unwrap();
    h.sessions.record_failed_attempt(&from("2001:480:10:1234::1"), "x@example.com", "invalid_credentials").await;
    assert_eq!(column(&h.store, &signed.session_id, "ip_address").await.as_deref(), Some("81.2.69.0"));
    assert_eq!(column(&h.store, &signed.session_id, "last_seen_ip").await.as_deref(), Some("81.2.69.0"));
    let ips: Vec<String> = sqlx::query_scalar("SELECT ip_address FROM sessions_events ORDER BY occurred_at")
        .fetch_all(h.store.pool())
        .await
        .unwrap();
    assert_eq!(ips, ["81.2.69.0", "2001:480:10::"]);
}

#[tokio::test]
async fn client_hints_are_stored_and_asked_for() {
    let h = harness_with(|c| c.request_client_hints(true)).await;
    let hints = ClientHeaders(
        [("sec-ch-ua-platform", "\"Windows\""), ("sec-ch-ua-platform-version", "\"15.0.0\"")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";
    let signed = h.sessions.sign_in("u1", &Auth::password(), &RequestMeta { client: hints, ..meta(ua) }).await.unwrap();
    let row = &h.store.list_live("u1").await.unwrap()[0];
    assert_eq!((row.os_name.as_deref(), row.os_version.as_deref()), (Some("Windows"), Some("11")));
    assert_eq!(row.client_hints.as_ref().unwrap()["sec-ch-ua-platform-version"], "\"15.0.0\"");

    let res = raw(&h, &pair(&signed.set_cookies[0])).await;
    assert_eq!(res.headers().get("accept-ch").unwrap(), leptos_sessions::engine::device::ACCEPT_CH);
}

async fn raw(h: &Harness, cookie: &str) -> http::Response<axum::body::Body> {
    use tower::ServiceExt;
    let req = http::Request::get("/me").header(http::header::COOKIE, cookie).body(axum::body::Body::empty()).unwrap();
    app(&h.sessions).oneshot(req).await.unwrap()
}

#[tokio::test]
async fn rederive_recomputes_device_fields_from_the_stored_user_agent() {
    let h = harness().await;
    let signed = h.sessions.sign_in("u1", &Auth::password(), &meta(CHROME_MAC)).await.unwrap();
    sqlx::query("UPDATE sessions SET browser_name = 'Netscape', browser_version = '4', os_name = NULL WHERE id = ?")
        .bind(&signed.session_id)
        .execute(h.store.pool())
        .await
        .unwrap();
    assert_eq!(h.sessions.rederive().await.unwrap(), 1);
    assert_eq!(column(&h.store, &signed.session_id, "browser_name").await.as_deref(), Some("Chrome"));
    assert_eq!(column(&h.store, &signed.session_id, "os_name").await.as_deref(), Some("macOS"));
    assert_eq!(h.sessions.rederive().await.unwrap(), 0, "nothing left to change");
}
