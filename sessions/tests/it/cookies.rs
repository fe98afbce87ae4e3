//! The session cookie lives as long as the session may: an active user is never signed out by the browser, and a
//! row whose cookie can no longer exist is ended by the sweep rather than shown as a device for years.

use std::time::Duration;

use crate::common::*;
use leptos_sessions::engine::Registry;

const MIN: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);

fn max_age(set_cookie: &[String]) -> Option<u64> {
    let session = set_cookie.iter().find(|c| c.starts_with("session="))?;
    session.split("; ").find_map(|a| a.strip_prefix("Max-Age=")).map(|n| n.parse().unwrap())
}

#[tokio::test]
async fn an_active_user_is_never_signed_out_by_the_browser() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config)).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    assert_eq!(max_age(&[signed.cookies.line()]), Some(400 * 86_400), "{:?}", signed.cookies);
    let cookie = pair(&signed.cookies);

    // Within the touch interval nothing is written, and the cookie is left alone.
    clock.advance(MIN);
    assert_eq!(max_age(&get_me(&app, &cookie).await.set_cookie), None);
    // Every time activity is recorded, the same cookie is re-issued for its full lifetime: a user who comes back
    // within 400 days of their last visit is never signed out, however long ago they signed in.
    for _ in 0..3 {
        clock.advance(300 * DAY);
        let answer = get_me(&app, &cookie).await;
        assert_eq!(answer.body, "u1");
        assert_eq!(max_age(&answer.set_cookie), Some(400 * 86_400));
        let refreshed = answer.set_cookie.iter().find(|c| c.starts_with("session=")).unwrap();
        assert_eq!(pair(refreshed), cookie, "the refresh re-issues the same token");
        assert!(refreshed.contains("HttpOnly") && refreshed.contains("SameSite=Lax") && refreshed.contains("Path=/"));
    }
}

#[tokio::test]
async fn with_an_absolute_timeout_the_cookie_ends_with_the_session() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config.preset("nist_aal3").unwrap())).await;
    let app = app(&h.sessions);
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    assert_eq!(max_age(&[signed.cookies.line()]), Some(12 * 3600));
    clock.advance(10 * MIN);
    let answer = get_me(&app, &pair(&signed.cookies)).await;
    let left = max_age(&answer.set_cookie).unwrap();
    assert!((12 * 3600 - 601..=12 * 3600 - 600).contains(&left), "never longer than the session may last: {left}");
}

#[tokio::test]
async fn rows_whose_cookie_cannot_exist_any_more_are_ended_by_the_sweep() {
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config)).await;
    let abandoned = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    clock.advance(399 * DAY);
    let recent = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    // No idle timeout is set: a row unused for less than the cookie's lifetime stays, one unused for longer ends.
    clock.advance(2 * DAY);
    let report = h.sessions.sweep().await.unwrap();
    assert_eq!(report.expired, 1);
    let live: Vec<String> = h.store.list_live("u1").await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(live, [recent.session_id]);
    assert_eq!(column(&h.store, &abandoned.session_id, "ended_reason").await.as_deref(), Some("expired"));
}

/// A shared cache must never store someone's session cookie: responses marked cacheable (static assets) do not
/// carry the refresh; the next private response does.
#[tokio::test]
async fn cacheable_responses_never_carry_the_session_cookie() {
    use axum::routing::get;
    use http::{header, Request};
    use tower::ServiceExt;
    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config)).await;
    let assets = axum::Router::new()
        .route("/pkg/app.wasm", get(|| async { ([(header::CACHE_CONTROL, "public, max-age=31536000")], "wasm") }))
        .layer(h.sessions.layer());
    let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let cookie = pair(&signed.cookies);
    clock.advance(10 * MIN);
    let req = Request::get("/pkg/app.wasm").header(header::COOKIE, &cookie).body(axum::body::Body::empty()).unwrap();
    assert_eq!(max_age(&call(&assets, req).await.set_cookie), None, "a cacheable asset set the session cookie");
    clock.advance(10 * MIN);
    let res = app(&h.sessions)
        .oneshot(Request::get("/me").header(header::COOKIE, &cookie).body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let refreshed: Vec<String> =
        res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(max_age(&refreshed), Some(400 * 86_400));
    assert_eq!(res.headers()[header::CACHE_CONTROL], "private", "a response that said nothing about caching");
}

/// A handler that sets the session cookie itself (a sign-in, a token rotation) has the last word: the layer neither
/// clears it because the request came with an ended session, nor re-issues the old token because its touch was due.
/// Either would sign the browser out right after it signed in.
#[tokio::test]
async fn the_layer_never_undoes_a_cookie_the_handler_set() {
    use axum::routing::post;
    use axum::{Extension, Router};
    use http::{header, Request};
    use leptos_sessions::engine::{Auth, CurrentSession, Sessions};

    let clock = Clock::new();
    let c = clock.clone();
    let h = harness_with(move |config| c.install(config)).await;
    let handlers = Router::new()
        .route(
            "/login",
            post(|Extension(sessions): Extension<Sessions>| async move {
                let signed = sessions.sign_in("u1", &Auth::password(), &Default::default()).await.unwrap();
                (signed.cookies, "signed in")
            }),
        )
        .route(
            "/confirm",
            post(|Extension(sessions): Extension<Sessions>, Extension(me): Extension<CurrentSession>| async move {
                (sessions.reauthenticated(&me).await.unwrap(), "confirmed")
            }),
        )
        .layer(h.sessions.layer());
    let me = app(&h.sessions);
    let post_with = |path: &str, cookie: &str| {
        Request::post(path).header(header::COOKIE, cookie).body(axum::body::Body::empty()).unwrap()
    };
    let sessions_of = |answer: &Answer| -> Vec<String> {
        answer.set_cookie.iter().filter(|c| c.starts_with("session=")).cloned().collect()
    };

    // Signing in again from a browser whose old session has ended: one session cookie, the new one.
    let old = h.sessions.sign_in("u1", &Auth::password(), &Default::default()).await.unwrap();
    let old_cookie = pair(&old.cookies);
    h.sessions.end_all("u1", "admin_revoked", None).await.unwrap();
    let answer = call(&handlers, post_with("/login", &old_cookie)).await;
    let set = sessions_of(&answer);
    assert_eq!(set.len(), 1, "only the new session cookie: {set:?}");
    assert_ne!(pair(&set[0]), old_cookie);
    assert_eq!(get_me(&me, &pair(&set[0])).await.body, "u1");

    // Confirming the password when the touch is due: the rotated token, not the old one re-issued.
    let cookie = pair(&set[0]);
    clock.advance(Duration::from_secs(3600));
    let answer = call(&handlers, post_with("/confirm", &cookie)).await;
    let set = sessions_of(&answer);
    assert_eq!(set.len(), 1, "only the rotated cookie: {set:?}");
    assert_ne!(pair(&set[0]), cookie, "the token was rotated");
    assert_eq!(get_me(&me, &pair(&set[0])).await.body, "u1");
    assert_eq!(get_me(&me, &cookie).await.body, "anonymous");
}
