//! Live push ([`Sessions::follow`]): what a follower of a session hears when its session ends, when the user signs in
//! elsewhere and when the trail grows; from its own instance, from another process on the same SQLite file (the
//! changes file) and from another instance on PostgreSQL (LISTEN/NOTIFY). And the caps.

use std::time::Duration;

use crate::cache::in_memory;
use crate::common::{current, meta, pw, CHROME_MAC, SECRET};
use crate::conformance::Store;
use leptos_sessions::engine::{Config, Follow, FollowError, LiveCaps, LiveEvent, Sessions};

/// Far above the push latency (tens of milliseconds on one machine; the changes file is read every 100 ms).
const WITHIN: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// The change is made through the follower's own engine.
    SameInstance,
    /// By a second engine with its own pool on the same SQLite file: another process, like the CLI.
    OtherProcess,
    /// By a second instance on the same PostgreSQL schema.
    OtherInstance,
}

struct Rig {
    /// `None` in memory.
    store: Option<Store>,
    /// Where the follower's page is served.
    serving: Sessions,
    /// Where the change is made.
    acting: Sessions,
}

impl Rig {
    async fn new(mode: Mode, tweak: impl Fn(Config) -> Config) -> Option<Self> {
        let store = match mode {
            // In memory, so nothing but the engine itself can tell the follower (no file beside a database).
            Mode::SameInstance => {
                let serving =
                    Sessions::new(tweak(Config::new(SECRET).unwrap().secure_cookies(false)), in_memory().await);
                return Some(Self { store: None, acting: serving.clone(), serving });
            }
            Mode::OtherProcess => Store::sqlite().await,
            Mode::OtherInstance => Store::postgres().await?,
        };
        let serving = store.sessions(&tweak);
        let acting = store.another_instance().await.sessions(&tweak);
        Some(Self { store: Some(store), serving, acting })
    }

    async fn done(self) {
        if let Some(store) = self.store {
            store.drop_schema().await;
        }
    }
}

/// Lets a new follower's first look at the user's rows finish.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// The first event `wanted` accepts, within [`WITHIN`]; fails with what was heard instead.
async fn hear(follow: &mut Follow, what: &str, wanted: impl Fn(&LiveEvent) -> bool) -> LiveEvent {
    let mut heard = Vec::new();
    let found = tokio::time::timeout(WITHIN, async {
        while let Some(event) = follow.next().await {
            if wanted(&event) {
                return Some(event);
            }
            heard.push(event);
        }
        None
    })
    .await;
    match found {
        Ok(Some(event)) => event,
        _ => panic!("{what}: not heard within {WITHIN:?}; heard {heard:?}"),
    }
}

async fn a_revoked_session_hears_that_it_ended_and_why(mode: Mode) {
    let Some(rig) = Rig::new(mode, |c| c).await else { return };
    let watched = rig.serving.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let other = rig.acting.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let mut follow = rig.serving.follow(&current(&watched.session_id, "u1")).unwrap();
    // A bystander's follower hears nothing of it.
    let bystander = rig.serving.sign_in("u2", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let mut quiet = rig.serving.follow(&current(&bystander.session_id, "u2")).unwrap();

    // Its first look is over: only the push can tell it now.
    settle().await;
    let revoking = current(&other.session_id, "u1");
    rig.acting.revoke(&revoking, &watched.session_id, &meta(CHROME_MAC)).await.unwrap();
    let ended = hear(&mut follow, "the ending", |e| matches!(e, LiveEvent::Ended { .. })).await;
    assert_eq!(ended, LiveEvent::Ended { reason: "user_revoked".into() });
    assert_eq!(follow.next().await, None, "nothing follows an ending");
    // (Its trail may be said to have grown: its own sign-in's news can arrive after it started following.)
    let nothing = tokio::time::timeout(Duration::from_millis(300), async {
        while let Some(event) = quiet.next().await {
            if event != LiveEvent::History {
                return event;
            }
        }
        panic!("the bystander's follower was let go");
    })
    .await;
    assert!(nothing.is_err(), "another user's follower heard {nothing:?}");
    rig.done().await;
}

async fn a_sign_in_elsewhere_reaches_the_open_page(mode: Mode) {
    let Some(rig) = Rig::new(mode, |c| c).await else { return };
    let watched = rig.serving.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let mut follow = rig.serving.follow(&current(&watched.session_id, "u1")).unwrap();
    // The follower's first look takes the list as it is: what comes after it is new.
    settle().await;
    let new = rig.acting.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    // Both are told, in either order: the new row, and the trail's new entry.
    let (mut row, mut history) = (None, false);
    while row.is_none() || !history {
        let news = |e: &LiveEvent| !matches!(e, LiveEvent::Devices { signed_in, .. } if signed_in.is_empty());
        match hear(&mut follow, "the new sign-in", news).await {
            LiveEvent::Devices { signed_in, .. } => row = Some(signed_in),
            LiveEvent::History => history = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    let signed_in = row.unwrap();
    assert_eq!(signed_in.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [new.session_id.as_str()]);
    assert_eq!(signed_in[0].browser_name.as_deref(), Some("Chrome"), "the row names the device");

    // Signing it out is heard as an ended device by the page that stays.
    let _ = rig.acting.sign_out(&current(&new.session_id, "u1"), &meta(CHROME_MAC)).await.unwrap();
    hear(
        &mut follow,
        "the other device's logout",
        |e| matches!(e, LiveEvent::Devices { ended, .. } if ended == std::slice::from_ref(&new.session_id)),
    )
    .await;
    rig.done().await;
}

async fn a_password_change_ends_the_other_pages_with_its_reason(mode: Mode) {
    let Some(rig) = Rig::new(mode, |c| c).await else { return };
    let watched = rig.serving.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let changing = rig.acting.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let mut follow = rig.serving.follow(&current(&watched.session_id, "u1")).unwrap();
    settle().await;
    let _ = rig.acting.password_changed(&current(&changing.session_id, "u1"), &meta(CHROME_MAC)).await.unwrap();
    let ended = hear(&mut follow, "the ending", |e| matches!(e, LiveEvent::Ended { .. })).await;
    assert_eq!(ended, LiveEvent::Ended { reason: "password_change".into() });
    rig.done().await;
}

async fn an_erased_user_is_signed_out_of_open_pages(mode: Mode) {
    let Some(rig) = Rig::new(mode, |c| c).await else { return };
    let watched = rig.serving.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let mut follow = rig.serving.follow(&current(&watched.session_id, "u1")).unwrap();
    settle().await;
    rig.acting.forget("u1", &[]).await.unwrap();
    hear(&mut follow, "the erasure", |e| matches!(e, LiveEvent::Ended { .. })).await;
    rig.done().await;
}

macro_rules! in_every_mode {
    ($($name:ident),* $(,)?) => {
        mod same_instance {
            $( #[tokio::test] async fn $name() { super::$name(super::Mode::SameInstance).await } )*
        }
        mod other_process {
            $( #[tokio::test] async fn $name() { super::$name(super::Mode::OtherProcess).await } )*
        }
        mod other_instance_postgres {
            $( #[tokio::test] async fn $name() { super::$name(super::Mode::OtherInstance).await } )*
        }
    };
}

in_every_mode!(
    a_revoked_session_hears_that_it_ended_and_why,
    a_sign_in_elsewhere_reaches_the_open_page,
    a_password_change_ends_the_other_pages_with_its_reason,
    an_erased_user_is_signed_out_of_open_pages,
);

#[tokio::test]
async fn followers_are_capped_per_session_user_and_process() {
    let caps = LiveCaps { per_session: 2, per_user: 3, per_process: 5 };
    let rig = Rig::new(Mode::SameInstance, move |c| c.live_caps(caps)).await.unwrap();
    let mut signed = Vec::new();
    for user in ["u1", "u1", "u2", "u3"] {
        let s = rig.serving.sign_in(user, &pw(), &meta(CHROME_MAC)).await.unwrap();
        signed.push(current(&s.session_id, user));
    }
    let a = rig.serving.follow(&signed[0]).unwrap();
    let _b = rig.serving.follow(&signed[0]).unwrap();
    assert_eq!(rig.serving.follow(&signed[0]).err(), Some(FollowError::TooMany), "a third tab of one session");
    let _c = rig.serving.follow(&signed[1]).unwrap();
    assert_eq!(rig.serving.follow(&signed[1]).err(), Some(FollowError::TooMany), "a fourth stream of one user");
    drop(a);
    let _a = rig.serving.follow(&signed[1]).unwrap();
    let _d = rig.serving.follow(&signed[2]).unwrap();
    let _e = rig.serving.follow(&signed[3]).unwrap();
    assert_eq!(rig.serving.follow(&signed[3]).err(), Some(FollowError::TooMany), "a sixth in the process");

    rig.serving.close_live();
    assert_eq!(rig.serving.follow(&signed[3]).err(), Some(FollowError::Closed));
}

#[tokio::test]
async fn a_followed_session_nobody_uses_ends_at_its_idle_timeout() {
    let tweak = |c: Config| c.touch_interval(Duration::from_millis(500)).idle_timeout(Some(Duration::from_secs(1)));
    let rig = Rig::new(Mode::SameInstance, tweak).await.unwrap();
    let watched = rig.serving.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
    let mut follow = rig.serving.follow(&current(&watched.session_id, "u1")).unwrap();
    // Nobody writes anything at the timeout: the follower looks by itself.
    let ended = hear(&mut follow, "the timeout", |e| matches!(e, LiveEvent::Ended { .. })).await;
    assert_eq!(ended, LiveEvent::Ended { reason: "expired".into() });
}

/// The page's end: the layer answers the stream with the request's own cookie, as Server-Sent Events.
mod stream {
    use super::*;
    use crate::common::{app, harness_with, pair};
    use axum::body::Body;
    use futures::StreamExt;
    use http::{header, Request, StatusCode};
    use tower::ServiceExt;

    const PATH: &str = "/api/sessions/live";

    async fn open(app: &axum::Router, cookie: &str, extra: &[(&str, &str)]) -> http::Response<Body> {
        let mut req = Request::get(PATH).header(header::ACCEPT, "text/event-stream");
        if !cookie.is_empty() {
            req = req.header(header::COOKIE, cookie);
        }
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    /// The stream's text until `until` appears in it (or it ends), within [`WITHIN`].
    async fn read_until(res: http::Response<Body>, until: &str) -> String {
        let mut body = res.into_body().into_data_stream();
        let mut text = String::new();
        let _ = tokio::time::timeout(WITHIN, async {
            while let Some(Ok(chunk)) = body.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.contains(until) {
                    break;
                }
            }
        })
        .await;
        text
    }

    #[tokio::test]
    async fn a_signed_in_page_hears_its_ending_and_the_stream_closes() {
        let h = harness_with(|c| c).await;
        let app = app(&h.sessions);
        let watched = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let other = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let res = open(&app, &pair(&watched.cookies), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        let reader = tokio::spawn(read_until(res, "event: ended"));
        settle().await;
        h.sessions.revoke(&current(&other.session_id, "u1"), &watched.session_id, &meta(CHROME_MAC)).await.unwrap();
        let text = reader.await.unwrap();
        assert!(text.starts_with("event: ready\n"), "{text}");
        assert!(text.contains("event: ended\ndata: {\"reason\":\"user_revoked\"}"), "{text}");
        assert!(!text.contains(&pair(&watched.cookies)), "no token on the wire");
    }

    #[tokio::test]
    async fn a_new_sign_in_is_named_in_the_pages_language() {
        let h = harness_with(|c| c).await;
        let app = app(&h.sessions);
        let watched = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let res = open(&app, &pair(&watched.cookies), &[("accept-language", "es-ES,es;q=0.9")]).await;
        let reader = tokio::spawn(read_until(res, "event: devices"));
        settle().await;
        let new = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let text = reader.await.unwrap();
        let line = text.lines().skip_while(|l| *l != "event: devices").nth(1).unwrap_or_default().to_owned();
        let data: serde_json::Value = serde_json::from_str(line.trim_start_matches("data: ")).expect(&text);
        assert_eq!(data["signed_in"][0]["id"], new.session_id.as_str());
        assert_eq!(data["signed_in"][0]["name"], "Chrome 137 en macOS");
        assert_eq!(data["ended"], serde_json::json!([]));
    }

    #[tokio::test]
    async fn an_ended_or_missing_session_is_told_once_and_a_tampered_one_too() {
        let h = harness_with(|c| c).await;
        let app = app(&h.sessions);
        let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let cookie = pair(&signed.cookies);
        let _ = h.sessions.sign_out(&current(&signed.session_id, "u1"), &meta(CHROME_MAC)).await.unwrap();
        let text = read_until(open(&app, &cookie, &[]).await, "\n\n").await;
        assert!(text.starts_with("event: ended\n"), "{text}");
        assert!(text.contains("data: {\"reason\":\"logout\"}"), "{text}");
        // Not a page load: the cookie stays, so the page that loads next can still say why.
        let res = open(&app, &cookie, &[]).await;
        assert!(res.headers().get(header::SET_COOKIE).is_none());

        for cookie in ["", "session=forged.value"] {
            let text = read_until(open(&app, cookie, &[]).await, "\n\n").await;
            assert!(
                text.starts_with("event: ended\n") && text.contains("data: {\"reason\":\"ended\"}"),
                "{cookie:?}: {text}"
            );
        }
    }

    #[tokio::test]
    async fn another_site_cannot_open_a_stream_and_the_caps_answer_429() {
        let caps = LiveCaps { per_session: 1, per_user: 16, per_process: 100 };
        let h = harness_with(move |c| c.live_caps(caps)).await;
        let app = app(&h.sessions);
        let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let cookie = pair(&signed.cookies);
        for site in ["cross-site", "same-site"] {
            let res = open(&app, &cookie, &[("sec-fetch-site", site)]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{site}");
        }
        let first = open(&app, &cookie, &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(first.status(), StatusCode::OK);
        let second = open(&app, &cookie, &[]).await;
        assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(second.headers()[header::RETRY_AFTER], "60");
        // Closing the first tab's stream frees its place.
        drop(first);
        settle().await;
        assert_eq!(open(&app, &cookie, &[]).await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn the_stream_is_not_activity() {
        let h = harness_with(|c| c.touch_interval(Duration::from_millis(1))).await;
        let app = app(&h.sessions);
        let signed = h.sessions.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        let before = crate::common::column(&h.store, &signed.session_id, "last_seen_at").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(open(&app, &pair(&signed.cookies), &[]).await);
        assert_eq!(crate::common::column(&h.store, &signed.session_id, "last_seen_at").await, before);
    }
}
