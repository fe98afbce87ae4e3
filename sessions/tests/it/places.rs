//! Client IPs and geolocation against the committed MaxMind test database, client hints and re-derivation.

use std::time::Duration;

use crate::common::*;
use leptos_sessions::engine::{Auth, ClientHeaders, ClientIp, Config, Geo, Registry, RequestMeta};

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

/// The database is never searched for an address it cannot know (counted: feature `fault-injection`).
#[cfg(feature = "fault-injection")]
#[test]
fn private_addresses_are_never_searched_for() {
    let geo = Geo::open(DB, "en", 2).unwrap();
    let private = [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.1.1",
        "192.0.2.1",
        "::ffff:10.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "2001:db8::1",
    ];
    for ip in private {
        assert_eq!(geo.lookup(ip.parse().unwrap()), None, "{ip}");
    }
    let asked = private.len() as u64;
    assert_eq!(geo.lookups(), (asked, 0), "(asked, searched)");
    assert!(geo.lookup("81.2.69.142".parse().unwrap()).is_some());
    assert_eq!(geo.lookups(), (asked + 1, 1), "a public address is searched for");
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
    // Private addresses are never looked up. The worker takes its jobs in order: once a later public sign-in is
    // located, the private ones before it were looked up already or never queued.
    #[cfg(feature = "fault-injection")]
    let before = h.sessions.geo_lookups();
    h.sessions.sign_in("u2", &Auth::password(), &from("10.1.2.3")).await.unwrap();
    h.sessions.record_failed_attempt(&from("192.168.1.1"), "bob@example.com", "invalid_credentials").await.unwrap();
    h.sessions.sign_in("u3", &Auth::password(), &from("::ffff:81.2.69.142")).await.unwrap();
    assert_eq!(eventually(&h, "SELECT city FROM sessions WHERE user_id = 'u3'").await.as_deref(), Some("London"));
    #[cfg(feature = "fault-injection")]
    assert_eq!(
        h.sessions.geo_lookups(),
        (before.0 + 1, before.1 + 1),
        "(asked, searched) since {before:?}: only the public address"
    );
    assert_eq!(
        count(&h.store, "SELECT COUNT(*) FROM sessions WHERE user_id = 'u2' AND country_code IS NOT NULL").await,
        0
    );
    // The trail stays append-only after the back-fill.
    assert!(sqlx::query("UPDATE sessions_events SET city = 'Paris'").execute(h.store.pool()).await.is_err());
    let row = &h.store.list_live("u1").await.unwrap()[0];
    assert_eq!(row.id, signed.session_id);
}

/// A request to the layer from `peer` (the socket address the server saw).
async fn request_from(app: &axum::Router, cookie: &str, peer: &str) -> String {
    use axum::extract::ConnectInfo;
    let mut req =
        http::Request::get("/me").header(http::header::COOKIE, cookie).body(axum::body::Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(std::net::SocketAddr::new(peer.parse().unwrap(), 4242)));
    call(app, req).await.body
}

/// Every cell of every table (internal ones included), as `(table.column, bytes as text)`.
async fn every_cell(h: &Harness) -> Vec<(String, String)> {
    let pool = h.store.pool();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(pool).await.unwrap();
    let mut cells = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?)").bind(&table).fetch_all(pool).await.unwrap();
        assert!(!columns.is_empty(), "{table} has columns");
        for column in columns {
            let sql = format!(r#"SELECT CAST("{column}" AS BLOB) FROM "{table}" WHERE "{column}" IS NOT NULL"#);
            let values: Vec<Vec<u8>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap();
            let name = format!("{table}.{column}");
            cells.extend(values.into_iter().map(|v| (name.clone(), String::from_utf8_lossy(&v).into_owned())));
        }
    }
    cells
}

/// With truncation on, no write path stores a full address: the sign-in, the throttled activity update (from
/// another address), the ending events that copy the last-seen address (revoke, logout, expiry on a request and in
/// the sweep), failed attempts and the geolocation back-fill. Every column of every table is scanned, and the raw
/// database files too.
#[tokio::test]
async fn truncated_mode_stores_no_full_address_anywhere() {
    let clock = Clock::new();
    let installed = clock.clone();
    let h = harness_with(move |c| {
        installed.install(
            c.client_ip(ClientIp { truncate: true, ..ClientIp::default() })
                .geoip(DB, "en")
                .unwrap()
                .idle_timeout(Some(Duration::from_secs(3600)))
                .touch_interval(Duration::from_secs(60)),
        )
    })
    .await;
    let app = app(&h.sessions);
    let signed_in = |user: &'static str, ip: &'static str| {
        let sessions = h.sessions.clone();
        async move {
            let s = sessions.sign_in(user, &Auth::password(), &from(ip)).await.unwrap();
            (s.session_id, pair(&s.cookies))
        }
    };
    // Each row is touched later from another network, so the address its ending copies is the last-seen one.
    let (revoked, revoked_cookie) = signed_in("u1", "81.2.69.142").await;
    let (logged_out, logged_out_cookie) = signed_in("u1", "89.160.20.112").await;
    let (expired, expired_cookie) = signed_in("u2", "2001:480:10:1234::1").await;
    let (swept, swept_cookie) = signed_in("u3", "81.2.69.160").await;
    let touches = [
        (&revoked, &revoked_cookie, "u1", "198.51.100.77", "198.51.100.0"),
        (&logged_out, &logged_out_cookie, "u1", "203.0.113.99", "203.0.113.0"),
        (&expired, &expired_cookie, "u2", "2001:db8:aaaa:bbbb::1", "2001:db8:aaaa::"),
        (&swept, &swept_cookie, "u3", "192.0.2.55", "192.0.2.0"),
    ];
    clock.advance(Duration::from_secs(120));
    for (id, cookie, user, peer, kept) in touches {
        assert_eq!(request_from(&app, cookie, peer).await, user);
        assert_eq!(column(&h.store, id, "last_seen_ip").await.as_deref(), Some(kept), "touched from {peer}");
    }

    for ip in ["2001:480:10:1234:5678::9", "89.160.20.114"] {
        h.sessions.record_failed_attempt(&from(ip), "x@example.com", "invalid_credentials").await.unwrap();
    }

    let me = current(&logged_out, "u1");
    h.sessions.revoke(&me, &revoked, &from("81.2.69.170")).await.unwrap();
    let _cleared = h.sessions.sign_out(&me, &from("89.160.20.121")).await.unwrap();
    clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(request_from(&app, &expired_cookie, "2001:480:10:abcd::8").await, "anonymous", "idle for two hours");
    assert_eq!(h.sessions.sweep().await.unwrap().expired, 1);

    // The back-fill has run for every sign-in and failed attempt from a known place.
    let located = "SELECT CASE WHEN COUNT(*) = 6 THEN 'all' END FROM sessions_events
                   WHERE kind IN ('login', 'failed_login') AND country_code IS NOT NULL";
    assert_eq!(eventually(&h, located).await.as_deref(), Some("all"), "every sign-in and failure located");
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions WHERE city IS NOT NULL").await, 4);

    for (id, signed_in_from, last_seen) in [
        (&revoked, "81.2.69.0", "198.51.100.0"),
        (&logged_out, "89.160.20.0", "203.0.113.0"),
        (&expired, "2001:480:10::", "2001:db8:aaaa::"),
        (&swept, "81.2.69.0", "192.0.2.0"),
    ] {
        assert_eq!(column(&h.store, id, "ip_address").await.as_deref(), Some(signed_in_from));
        assert_eq!(column(&h.store, id, "last_seen_ip").await.as_deref(), Some(last_seen));
    }
    let events: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, ip_address FROM sessions_events").fetch_all(h.store.pool()).await.unwrap();
    let mut events: Vec<_> = events.iter().map(|(kind, ip)| (kind.as_str(), ip.as_deref().unwrap_or("-"))).collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("expired", "192.0.2.0"),
            ("expired", "2001:db8:aaaa::"),
            ("failed_login", "2001:480:10::"),
            ("failed_login", "89.160.20.0"),
            ("login", "2001:480:10::"),
            ("login", "81.2.69.0"),
            ("login", "81.2.69.0"),
            ("login", "89.160.20.0"),
            ("logout", "203.0.113.0"),
            ("revoked", "198.51.100.0"),
        ],
        "every event holds a truncated address; each ending copies the last-seen one"
    );

    let full = [
        "81.2.69.142",
        "89.160.20.112",
        "2001:480:10:1234::1",
        "81.2.69.160",
        "198.51.100.77",
        "203.0.113.99",
        "2001:db8:aaaa:bbbb::1",
        "192.0.2.55",
        "2001:480:10:1234:5678::9",
        "89.160.20.114",
        "81.2.69.170",
        "89.160.20.121",
        "2001:480:10:abcd::8",
    ];
    let cells = every_cell(&h).await;
    let mut kept: Vec<&str> =
        cells.iter().filter(|(_, v)| v.as_str() == "192.0.2.0").map(|(name, _)| name.as_str()).collect();
    kept.sort();
    assert_eq!(kept, ["sessions.last_seen_ip", "sessions_events.ip_address"], "the scan reads every table");
    let leaks: Vec<_> = cells.iter().filter(|(_, v)| full.iter().any(|ip| v.contains(ip))).collect();
    assert!(leaks.is_empty(), "full addresses stored: {leaks:?}");

    // The files themselves: indexes, free pages and the write-ahead log included.
    let mut files = 0;
    for entry in std::fs::read_dir(h._dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        files += usize::from(text.contains("192.0.2.0"));
        for ip in full {
            assert!(!text.contains(ip), "{ip} in {}", path.display());
        }
    }
    assert!(files > 0, "the truncated address is in the files");
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

    let res = raw(&h, &pair(&signed.cookies)).await;
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
