//! The admin page's authorization, run against the real server binary: signed-out visitors and signed-in users
//! without the admin flag get 404 from the page and from every one of its server functions, and nothing they post
//! changes anything; an administrator sees every user's sessions, revokes one (recorded with the actor), and bad
//! filters get a clear error.

use crate::common::{command, finish, start_on, Call, Server, CHROME, SECRET};
use app::users::Users;
use leptos_sessions::engine::{Auth, Config, RequestMeta, Sessions, SqliteStore};
use serde_json::Value;

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0";

/// One request; returns status, headers and body. Server functions answer JSON to API clients (a browser's form
/// post, accepting HTML, is redirected back).
async fn request(server: &Server, method: &str, path: &str, cookie: Option<&str>, form: &str) -> (u16, String, String) {
    let call = if method == "GET" { Call::get(path) } else { Call::post(path, form) };
    let reply = server.send(call.cookie(cookie.unwrap_or_default())).await;
    (reply.status, reply.head, reply.body)
}

fn cookie(cookies: &leptos_sessions::engine::SetCookies) -> String {
    cookies.session_cookie().unwrap().stripped().to_string()
}

#[tokio::test]
async fn only_administrators_reach_the_admin_page_and_its_server_functions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("admin.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let root = users.create("root@example.com", "correct horse battery").await.unwrap().unwrap();
    let ada = users.create("ada@example.com", "correct horse battery").await.unwrap().unwrap();
    let sessions = Sessions::new(Config::new(SECRET).unwrap().secure_cookies(false), store.clone());
    let meta =
        |ip: &str, ua: &str| RequestMeta { ip: ip.parse().ok(), user_agent: Some(ua.into()), ..RequestMeta::default() };
    let as_root = sessions.sign_in(&root.id, &Auth::password(), &meta("192.0.2.1", CHROME)).await.unwrap();
    let ada_mac = sessions.sign_in(&ada.id, &Auth::password(), &meta("198.51.100.4", CHROME)).await.unwrap();
    let ada_pc = sessions.sign_in(&ada.id, &Auth::passkey(), &meta("198.51.100.5", FIREFOX)).await.unwrap();
    sessions.record_failed_attempt(&meta("203.0.113.9", FIREFOX), "ada@example.com", "invalid_credentials").await;
    // A failed attempt recorded before identities were normalized as they are now: its identity still holds a
    // right-to-left override and, rendered as is, reads as admin@example.com.
    sqlx::query("INSERT INTO sessions_events (id, kind, identity, occurred_at) VALUES (?, 'failed_login', ?, ?)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind("\u{202e}moc.elpmaxe@nimda")
        .bind(time::OffsetDateTime::now_utc().unix_timestamp() * 1000)
        .execute(store.pool())
        .await
        .unwrap();
    let (root_cookie, ada_cookie) = (cookie(&as_root.cookies), cookie(&ada_mac.cookies));

    // The flag comes from the command line; an unknown email is a clear error.
    let out = finish(command(&url, &[]).args(["admin", "grant", "nobody@example.com"]));
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no account"));
    let out = finish(command(&url, &[]).args(["admin", "grant", "Root@Example.com"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let server = start_on(&url, &[]).await;
    let revoke_form = format!("user_id={}&id={}", ada.id, ada_pc.session_id);
    let endpoints: [(&str, String); 9] = [
        ("access", String::new()),
        ("per-hour", String::new()),
        ("sessions", String::new()),
        ("failures", "by=identity".into()),
        ("new-devices", String::new()),
        ("countries", String::new()),
        ("history", "email=ada%40example.com".into()),
        ("revoke", revoke_form.clone()),
        ("revoke-all", format!("user_id={}", ada.id)),
    ];
    for who in [None, Some(ada_cookie.as_str())] {
        let (status, _, body) = request(&server, "GET", "/admin/sessions", who, "").await;
        assert_eq!(status, 404, "the page, as {who:?}");
        assert!(!body.contains("ada@example.com") && !body.contains("Security console"), "{body}");
        for (name, form) in &endpoints {
            let (status, _, body) = request(&server, "POST", &format!("/api/demo/admin/{name}"), who, form).await;
            assert_eq!(status, 404, "{name} as {who:?}: {body}");
            assert!(!body.contains("ada@example.com"), "{name} leaked: {body}");
        }
        let (_, _, link) = request(&server, "POST", "/api/demo/admin/link", who, "").await;
        assert_eq!(link, "false", "no admin link for {who:?}");
    }
    let ended = sessions.history(&ada.id, 10, 0).await.unwrap();
    assert_eq!(
        sessions.registry().list_live(&ada.id).await.unwrap().len(),
        2,
        "nothing a non-admin posted took effect: {ended:?}"
    );

    let (status, _, page) = request(&server, "GET", "/admin/sessions", Some(&root_cookie), "").await;
    assert_eq!(status, 200);
    assert!(page.contains("Security console") && page.contains("ada@example.com"), "{page}");
    let (_, _, failures) =
        request(&server, "GET", "/admin/sessions?view=failures&by=identity", Some(&root_cookie), "").await;
    assert!(failures.contains("&lt;U+202E&gt;moc.elpmaxe@nimda"), "the override is spelled out: {failures}");
    assert!(!failures.contains('\u{202e}'), "no raw override reaches the page");
    let (_, _, link) = request(&server, "POST", "/api/demo/admin/link", Some(&root_cookie), "").await;
    assert_eq!(link, "true");
    let (status, _, body) = request(&server, "POST", "/api/demo/admin/sessions", Some(&root_cookie), "").await;
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["rows"].as_array().unwrap().len(), 3, "every user's sessions: {list}");
    let (status, _, body) =
        request(&server, "POST", "/api/demo/admin/sessions", Some(&root_cookie), "ip=not-an-address").await;
    assert_eq!((status, body.as_str()), (400, r#"{"Invalid":"error-admin-ip"}"#));

    let (status, _, body) = request(&server, "POST", "/api/demo/admin/revoke", Some(&root_cookie), &revoke_form).await;
    assert_eq!(status, 200, "{body}");
    let live = sessions.registry().list_live(&ada.id).await.unwrap();
    assert_eq!(live.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [ada_mac.session_id.as_str()]);
    let revoked = sessions.history(&ada.id, 1, 0).await.unwrap().remove(0);
    assert_eq!(revoked.revoked_reason.as_deref(), Some("admin_revoked"));
    assert_eq!(revoked.metadata.unwrap()["ended_by"], format!("admin:{}", root.id), "the trail names the admin");
    let (status, _, body) = request(&server, "POST", "/api/demo/admin/revoke", Some(&root_cookie), &revoke_form).await;
    assert_eq!(status, 404, "revoking twice: {body}");
}

/// Ending other people's sessions needs a recently confirmed password. The administrator last authenticated an hour
/// ago (the library call that made the session ran on a clock an hour behind), past the 10-minute window, so no test
/// waits for it: revoke and revoke-all are refused and end nothing, a wrong password opens nothing, and once the
/// password is confirmed both work, with the fresh cookie the confirmation issued (the old one is refused at once).
#[tokio::test]
async fn administrators_confirm_their_password_before_ending_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("confirm.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let root = users.create("root@example.com", "correct horse battery").await.unwrap().unwrap();
    let ada = users.create("ada@example.com", "correct horse battery").await.unwrap().unwrap();
    let config = || Config::new(SECRET).unwrap().secure_cookies(false);
    let an_hour_ago = time::OffsetDateTime::now_utc() - std::time::Duration::from_secs(3600);
    let then = Sessions::new(config().clock(move || an_hour_ago), store.clone());
    let sessions = Sessions::new(config(), store.clone());
    let meta =
        |ip: &str, ua: &str| RequestMeta { ip: ip.parse().ok(), user_agent: Some(ua.into()), ..RequestMeta::default() };
    let as_root = then.sign_in(&root.id, &Auth::password(), &meta("192.0.2.1", CHROME)).await.unwrap();
    let ada_mac = sessions.sign_in(&ada.id, &Auth::password(), &meta("198.51.100.4", CHROME)).await.unwrap();
    let ada_pc = sessions.sign_in(&ada.id, &Auth::passkey(), &meta("198.51.100.5", FIREFOX)).await.unwrap();
    let out = finish(command(&url, &[]).args(["admin", "grant", "root@example.com"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = start_on(&url, &[("SESSIONS_SUDO_WINDOW", "10m")]).await;
    let stale = cookie(&as_root.cookies);
    let revoke = format!("user_id={}&id={}", ada.id, ada_pc.session_id);
    let revoke_all = format!("user_id={}", ada.id);
    let live = || async { sessions.registry().list_live(&ada.id).await.unwrap().len() };

    let (_, _, link) = request(&server, "POST", "/api/demo/admin/link", Some(&stale), "").await;
    assert_eq!(link, "true", "signed in as an administrator");
    for (name, form) in [("revoke", &revoke), ("revoke-all", &revoke_all)] {
        let (status, _, body) = request(&server, "POST", &format!("/api/demo/admin/{name}"), Some(&stale), form).await;
        assert_eq!((status, body.as_str()), (403, r#""ReauthRequired""#), "{name} past the window");
    }
    assert_eq!(live().await, 2, "nothing ended");

    let (status, _, body) = request(&server, "POST", "/api/demo/confirm", Some(&stale), "password=wrong+guess").await;
    assert_eq!((status, body.as_str()), (400, r#"{"Invalid":"error-wrong-password"}"#));
    let (status, _, body) = request(&server, "POST", "/api/demo/admin/revoke", Some(&stale), &revoke).await;
    assert_eq!((status, body.as_str()), (403, r#""ReauthRequired""#), "a wrong password confirms nothing");

    let confirm = Call::post("/api/demo/confirm", "password=correct+horse+battery").cookie(&stale);
    let reply = server.send(confirm).await;
    assert!(reply.status < 400, "{reply:?}");
    let fresh = reply.cookies();
    assert!(fresh.starts_with("session=") && fresh != stale, "a confirmation issues a fresh token: {fresh:?}");
    let (_, _, link) = request(&server, "POST", "/api/demo/admin/link", Some(&stale), "").await;
    assert_eq!(link, "false", "the replaced cookie is refused on its very next request");

    let (status, _, body) = request(&server, "POST", "/api/demo/admin/revoke", Some(&fresh), &revoke).await;
    assert_eq!(status, 200, "{body}");
    let left = sessions.registry().list_live(&ada.id).await.unwrap();
    assert_eq!(left.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [ada_mac.session_id.as_str()]);
    let (status, _, body) = request(&server, "POST", "/api/demo/admin/revoke-all", Some(&fresh), &revoke_all).await;
    assert_eq!((status, body.as_str()), (200, "1"));
    assert_eq!(live().await, 0);
}
