//! Tracking never breaks sign-in: with every isolated step failing at once, people still sign in and out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use http::StatusCode;
use leptos_sessions::engine::{Auth, Registry, RequestMeta};

#[tokio::test]
async fn sign_in_survives_every_tracking_step_failing_at_once() {
    let calls = Arc::new(AtomicU64::new(0));
    let (c1, c2, c3, c4) = (calls.clone(), calls.clone(), calls.clone(), calls.clone());
    let h = harness_with(move |c| {
        c.inject_faults(true)
            .on_new_device(move |_, _| {
                c1.fetch_add(1, Ordering::SeqCst);
                panic!("hook failure")
            })
            .on_event(move |_| {
                c2.fetch_add(1, Ordering::SeqCst);
                panic!("tee failure")
            })
            .on_session_revoked(move |_, _, _| {
                c3.fetch_add(1, Ordering::SeqCst);
                panic!("hook failure")
            })
            .on_repeated_failed_logins(1, Duration::from_secs(60), move |_, _, _| {
                c4.fetch_add(1, Ordering::SeqCst);
                panic!("hook failure")
            })
    })
    .await;

    let signed = h.sessions.sign_in("u1", &Auth::password().identity("ada@example.com"), &meta(CHROME_MAC)).await;
    let signed = signed.expect("sign-in succeeds whatever tracking does");
    assert_eq!(h.store.list_live("u1").await.unwrap().len(), 1, "exactly one live row");

    let app = app(&h.sessions);
    let res = get_me(&app, &pair(&signed.cookies)).await;
    assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "u1"), "the next request is signed in");

    assert!(h
        .sessions
        .record_failed_attempt(&meta(CHROME_MAC), "ada@example.com", "invalid_credentials")
        .await
        .is_none());
    assert!(h.sessions.last_login(&RequestMeta { device_id: Some("x".into()), ..meta(CHROME_MAC) }).await.is_none());

    let other = h.sessions.sign_in("u1", &Auth::password(), &meta(CHROME_MAC)).await.expect("a second sign-in");
    let me = current(&signed.session_id, "u1");
    h.sessions.revoke(&me, &other.session_id, &RequestMeta::default()).await.expect("revocation works");
    assert_eq!(get_me(&app, &pair(&other.cookies)).await.body, "anonymous", "the revoked cookie is refused");

    let _cleared = h.sessions.sign_out(&me, &RequestMeta::default()).await.expect("sign-out works");
    assert!(column(&h.store, &signed.session_id, "ended_at").await.is_some(), "sign-out ended the row");
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'logout'").await, 1);
    // Every hook is called inside the isolation, after the injected fault: none ran. The hooks that do run, and
    // panic, are the next two tests'.
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// Every hook runs and panics (audit sink, mailer, webhook all down): each costs only itself. The sign-ins, the
/// revocations and their events are stored, a revoked cookie is refused, and the user can still sign in.
#[tokio::test]
async fn panicking_hooks_run_and_lose_nothing_but_themselves() {
    let fired = Arc::new(Mutex::new(Vec::<&str>::new()));
    let (e, d, r) = (fired.clone(), fired.clone(), fired.clone());
    let h = harness_with(move |c| {
        // Each records itself (the guard is dropped before the panic, so the mutex is not poisoned) and panics.
        c.on_event(move |_| {
            e.lock().unwrap().push("event");
            panic!("audit sink down")
        })
        .on_new_device(move |_, _| {
            d.lock().unwrap().push("new_device");
            panic!("mailer down")
        })
        .on_session_revoked(move |_, _, _| {
            r.lock().unwrap().push("revoked");
            panic!("webhook down")
        })
    })
    .await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0";
    let a = h.sessions.sign_in("u1", &Auth::password(), &meta(CHROME_MAC)).await.unwrap();
    let b = h.sessions.sign_in("u1", &Auth::password(), &meta(firefox)).await.unwrap();
    assert!(b.new_device);
    let c = h.sessions.sign_in("u1", &Auth::password(), &meta(CHROME_MAC)).await.unwrap();
    let me = current(&a.session_id, "u1");
    h.sessions.revoke(&me, &b.session_id, &RequestMeta::default()).await.expect("a revoke survives its hook");
    assert_eq!(h.sessions.revoke_others(&me, &RequestMeta::default()).await.expect("so does revoke-others"), 1);

    let app = app(&h.sessions);
    for ended in [&b, &c] {
        assert_eq!(get_me(&app, &pair(&ended.cookies)).await.body, "anonymous", "revoked cookies are refused");
    }
    assert_eq!(get_me(&app, &pair(&a.cookies)).await.body, "u1");
    assert_eq!(h.store.list_live("u1").await.unwrap().len(), 1);
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'login'").await, 3, "events stored");
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'revoked'").await, 2);
    let again = h.sessions.sign_in("u1", &Auth::password(), &meta(firefox)).await.expect("and sign in again");
    assert_eq!(get_me(&app, &pair(&again.cookies)).await.body, "u1");

    let mut fired = fired.lock().unwrap().clone();
    fired.sort_unstable();
    assert_eq!(fired, [["event"; 6].as_slice(), &["new_device"], &["revoked"; 2]].concat(), "every hook ran");
}

#[tokio::test]
async fn a_panicking_repeated_failure_hook_loses_no_failure_and_blocks_no_sign_in() {
    let fired = Arc::new(AtomicU64::new(0));
    let f = fired.clone();
    let h = harness_with(move |c| {
        c.on_repeated_failed_logins(2, Duration::from_secs(60), move |_, _, _| {
            f.fetch_add(1, Ordering::SeqCst);
            panic!("pager down")
        })
    })
    .await;
    let attempt = meta(CHROME_MAC);
    let fail = || h.sessions.record_failed_attempt(&attempt, "ada@example.com", "invalid_credentials");
    fail().await.expect("the first failure is stored");
    let trigger = fail().await.expect("the failure that sets the hook off is stored and returned");
    assert_eq!(fired.load(Ordering::SeqCst), 1, "the hook ran, and panicked");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions_events WHERE id = ? AND kind = 'failed_login'")
        .bind(&trigger.id)
        .fetch_one(h.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, 1);
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'failed_login'").await, 2);

    let signed = h.sessions.sign_in("u1", &Auth::password().identity("ada@example.com"), &meta(CHROME_MAC)).await;
    let signed = signed.expect("sign-in works after the hook panicked");
    assert_eq!(get_me(&app(&h.sessions), &pair(&signed.cookies)).await.body, "u1");
    assert_eq!(count(&h.store, "SELECT COUNT(*) FROM sessions_events WHERE kind = 'login'").await, 1);
}
