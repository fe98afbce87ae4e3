//! The engine against a real SQLite file: sign-in, the per-request layer, revocation and outages.

use std::time::Duration;

use crate::common::*;
use axum::body::Body;
use http::{header, Request, StatusCode};
use leptos_sessions::engine::{Config, CurrentSession, Registry, RequestMeta, Sessions, SqliteStore};

#[tokio::test]
async fn sign_in_creates_a_row_with_a_digest_and_parsed_device() {
    let h = harness().await;
    let signed = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let session = signed.cookies.session_cookie().unwrap();
    assert_eq!(
        (session.http_only(), session.same_site()),
        (Some(true), Some(leptos_sessions::engine::cookie::SameSite::Lax))
    );

    let rows = h.store.list_live("user-1").await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.id, signed.session_id);
    assert_eq!(
        (row.browser_name.as_deref(), row.browser_version.as_deref(), row.os_name.as_deref()),
        (Some("Chrome"), Some("137"), Some("macOS"))
    );
    assert_eq!(row.device_type, "desktop");
    assert_eq!(row.ip_address.as_deref(), Some("203.0.113.7"));

    let digest = column(&h.store, &row.id, "token_digest").await.unwrap();
    assert_eq!(digest.len(), 64);
    let cookie_value = pair(&signed.cookies).split_once('=').unwrap().1.to_owned();
    assert!(!cookie_value.contains(&digest), "the cookie never carries the stored digest");

    // Each sign-in mints a new token, never reusing one.
    let again = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    assert_ne!(pair(&again.cookies), pair(&signed.cookies));
}

#[tokio::test]
async fn revoke_ends_the_row_in_place_and_the_next_request_is_signed_out() {
    let h = harness().await;
    let app = app(&h.sessions);
    let a = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let b = h
        .sessions
        .sign_in(
            "user-1",
            &pw(),
            &meta("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0"),
        )
        .await
        .unwrap();

    let before = get_me(&app, &pair(&b.cookies)).await;
    assert_eq!((before.status, before.body.as_str()), (StatusCode::OK, "user-1"));
    assert!(before.set_cookie.is_empty());

    let current_a = CurrentSession { id: a.session_id.as_str().into(), user_id: "user-1".into() };
    h.sessions.revoke(&current_a, &b.session_id, &RequestMeta::default()).await.unwrap();

    assert!(column(&h.store, &b.session_id, "ended_at").await.is_some(), "ended in place, not deleted");
    assert_eq!(column(&h.store, &b.session_id, "ended_reason").await.as_deref(), Some("user_revoked"));
    assert_eq!(column(&h.store, &b.session_id, "ended_by").await.as_deref(), Some("user:user-1"));

    let after = get_me(&app, &pair(&b.cookies)).await;
    assert_eq!(after.body, "anonymous");
    assert_eq!(after.set_cookie.len(), 1);
    assert!(after.set_cookie[0].starts_with("session=;") && after.set_cookie[0].contains("Max-Age=0"));

    // A is untouched, and revoking again is a 404-style NotFound that changes nothing.
    assert_eq!(get_me(&app, &pair(&a.cookies)).await.body, "user-1");
    assert!(matches!(
        h.sessions.revoke(&current_a, &b.session_id, &RequestMeta::default()).await,
        Err(leptos_sessions::engine::Error::NotFound)
    ));
}

#[tokio::test]
async fn the_current_session_cannot_be_revoked_from_the_devices_page() {
    let h = harness().await;
    let a = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let current = CurrentSession { id: a.session_id.as_str().into(), user_id: "user-1".into() };
    assert!(matches!(
        h.sessions.revoke(&current, &a.session_id, &RequestMeta::default()).await,
        Err(leptos_sessions::engine::Error::CannotRevokeCurrent)
    ));
    assert_eq!(h.store.list_live("user-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_foreign_or_unknown_id_is_not_found_and_changes_nothing() {
    let h = harness().await;
    let mine = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let theirs = h.sessions.sign_in("user-2", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let me = CurrentSession { id: mine.session_id.as_str().into(), user_id: "user-1".into() };

    for id in [theirs.session_id.as_str(), "00000000-0000-0000-0000-000000000000", "not-a-uuid", "' OR 1=1 --", ""] {
        let result = h.sessions.revoke(&me, id, &RequestMeta::default()).await;
        assert!(matches!(result, Err(leptos_sessions::engine::Error::NotFound)), "{id:?}: {result:?}");
    }
    assert_eq!(h.store.list_live("user-2").await.unwrap().len(), 1, "the other user's row stays live");
    assert!(column(&h.store, &theirs.session_id, "ended_at").await.is_none());
}

#[tokio::test]
async fn sign_out_everywhere_else_keeps_only_this_device() {
    let h = harness().await;
    let a = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    for _ in 0..3 {
        h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    }
    let other_user = h.sessions.sign_in("user-2", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let current = CurrentSession { id: a.session_id.as_str().into(), user_id: "user-1".into() };
    assert_eq!(h.sessions.revoke_others(&current, &RequestMeta::default()).await.unwrap(), 3);
    assert_eq!(h.sessions.revoke_others(&current, &RequestMeta::default()).await.unwrap(), 0, "idempotent");
    let live = h.sessions.devices(&current).await.unwrap();
    assert_eq!(live.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [a.session_id.as_str()]);
    assert!(column(&h.store, &other_user.session_id, "ended_at").await.is_none());
}

#[tokio::test]
async fn tampered_and_malformed_cookies_are_signed_out_without_a_database_lookup() {
    let h = harness().await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let good = pair(&signed.cookies);
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });

    // With the database closed, any lookup would answer 503: a sign-out proves no lookup happened.
    h.store.pool().close().await;
    for cookie in [tampered, "session=garbage".into(), format!("session={}", "A".repeat(8000)), "session=%00%ff".into()]
    {
        let res = get_me(&app, &cookie).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "anonymous"), "{cookie:.40}");
        assert!(res.set_cookie.iter().any(|c| c.starts_with("session=;")), "the bad cookie is cleared");
    }
}

#[tokio::test]
async fn a_database_outage_answers_503_and_keeps_the_cookie() {
    let h = harness().await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    h.store.pool().close().await;

    let html = get_me(&app, &pair(&signed.cookies)).await;
    assert_eq!(html.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.set_cookie.is_empty(), "an outage is not a sign-out");
    assert!(html.body.contains("try again"), "{}", html.body);

    let json = call(
        &app,
        Request::post("/change")
            .header(header::COOKIE, pair(&signed.cookies))
            .header(header::ACCEPT, "application/json")
            .header(header::ACCEPT_LANGUAGE, "es")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(json.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json.body, "\"Unavailable\"", "server-function clients decode it as ApiError::Unavailable");
    assert!(json.set_cookie.is_empty());
}

#[tokio::test]
async fn a_10_kb_user_agent_is_cut_and_named_without_failing_the_sign_in() {
    let h = harness().await;
    let huge = format!("{CHROME_MAC} {}", "x".repeat(10 * 1024));
    h.sessions.sign_in("user-1", &pw(), &meta(&huge)).await.unwrap();
    let row = &h.store.list_live("user-1").await.unwrap()[0];
    assert_eq!(row.user_agent.as_ref().unwrap().chars().count(), 1024);
    assert_eq!(row.browser_name.as_deref(), Some("Chrome"));

    let garbage: String = (0..10 * 1024).map(|i| char::from_u32(0x20 + (i * 7919 % 0x2000)).unwrap_or('?')).collect();
    h.sessions.sign_in("user-2", &pw(), &meta(&garbage)).await.unwrap();
    let row = &h.store.list_live("user-2").await.unwrap()[0];
    assert!(row.user_agent.as_ref().unwrap().chars().count() <= 1024);
    assert_eq!(row.device_type, "unknown");
}

#[tokio::test]
async fn activity_is_written_at_most_once_per_window() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    // The row is aged by hand below, behind the cache's back.
    let config = Config::new(SECRET).unwrap().touch_interval(Duration::from_secs(300)).session_cache(None);
    let sessions = Sessions::new(config, store.clone());
    let app = app(&sessions);
    let signed = sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let id = signed.session_id.clone();
    let cookie = pair(&signed.cookies);

    let seen = || async { column(&store, &id, "last_seen_at").await.unwrap().parse::<i64>().unwrap() };
    let created = seen().await;
    get_me(&app, &cookie).await;
    assert_eq!(seen().await, created, "fresh sessions are not written again");

    let ten_minutes_ago = created - 10 * 60 * 1000;
    sqlx::query("UPDATE sessions SET last_seen_at = ?, last_seen_ip = NULL WHERE id = ?")
        .bind(ten_minutes_ago)
        .bind(&id)
        .execute(store.pool())
        .await
        .unwrap();
    get_me(&app, &cookie).await;
    let touched = seen().await;
    assert!(touched > ten_minutes_ago, "a stale session is touched");
    for _ in 0..5 {
        get_me(&app, &cookie).await;
    }
    assert_eq!(seen().await, touched, "one write per window");

    // The conditional UPDATE itself refuses a second write inside the window, even from a racing request.
    let now = time::OffsetDateTime::now_utc();
    assert!(!store.touch(&id, now, None, now - Duration::from_secs(300)).await.unwrap());
}

#[tokio::test]
async fn cached_sessions_are_touched_once_per_window_and_revoked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let now = std::sync::Arc::new(std::sync::Mutex::new(time::OffsetDateTime::now_utc()));
    let clock = now.clone();
    let config = Config::new(SECRET)
        .unwrap()
        .touch_interval(Duration::from_secs(300))
        .session_cache(Some(Duration::from_secs(3600)))
        .sudo_window(None)
        .clock(move || *clock.lock().unwrap());
    let sessions = Sessions::new(config, store.clone());
    let app = app(&sessions);
    let signed = sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let other = sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);
    let seen = || async { column(&store, &signed.session_id, "last_seen_at").await.unwrap().parse::<i64>().unwrap() };

    let created = seen().await;
    get_me(&app, &cookie).await;
    *now.lock().unwrap() += Duration::from_secs(600);
    get_me(&app, &cookie).await;
    let touched = seen().await;
    assert_eq!(touched, created + 600_000, "the cached row is stale after ten minutes and is touched");
    // Writes behind the cache's back are not seen while the entry is fresh, so a second touch would show here.
    let hide = sqlx::query("UPDATE sessions SET last_seen_at = 0 WHERE id = ?").bind(&signed.session_id);
    hide.execute(store.pool()).await.unwrap();
    for _ in 0..5 {
        get_me(&app, &cookie).await;
    }
    assert_eq!(seen().await, 0, "one write per window, the cache remembers it");

    let me = CurrentSession { id: other.session_id.as_str().into(), user_id: "user-1".into() };
    sessions.revoke(&me, &signed.session_id, &RequestMeta::default()).await.unwrap();
    assert_eq!(get_me(&app, &cookie).await.body, "anonymous", "revoked on the very next request");
}

#[tokio::test]
async fn the_throttled_touch_stores_only_the_truncated_address_in_privacy_mode() {
    use axum::extract::ConnectInfo;
    use leptos_sessions::engine::ClientIp;
    use std::net::SocketAddr;

    let h = harness_with(|c| c.client_ip(ClientIp { truncate: true, ..ClientIp::default() }).session_cache(None)).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("user-1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);
    let id = &signed.session_id;

    for (peer, kept) in [("198.51.100.77", "198.51.100.0"), ("2001:db8:1234:5678:9abc:def0:1:2", "2001:db8:1234::")] {
        // Stale, so the next request touches the row.
        sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 600000, last_seen_ip = NULL WHERE id = ?")
            .bind(id)
            .execute(h.store.pool())
            .await
            .unwrap();
        let mut req = Request::get("/me").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        req.extensions_mut().insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4242)));
        assert_eq!(call(&app, req).await.body, "user-1");
        assert_eq!(column(&h.store, id, "last_seen_ip").await.as_deref(), Some(kept), "{peer}");
    }
}
