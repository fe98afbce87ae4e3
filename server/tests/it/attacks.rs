//! The security review's attacks, replayed against the real server binary on loopback. Each test is the attack as
//! it was reported, with the answer the site must give now.

use crate::common::{client, encode, start, Call, Server};

const PASSWORD: &str = "correct horse battery";

/// Failure reasons on the trail for one identity, oldest first.
async fn reasons(server: &Server, identity: &str) -> Vec<String> {
    let sql = format!(
        "SELECT failure_reason FROM sessions_events WHERE kind = 'failed_login' AND identity = '{identity}' \
         ORDER BY occurred_at, id"
    );
    server.rows(&sql).await.into_iter().map(|mut row| row.remove(0)).collect()
}

fn count(reasons: &[String], reason: &str) -> usize {
    reasons.iter().filter(|r| *r == reason).count()
}

fn sign_in_form(email: &str, password: &str) -> String {
    format!("email={}&password={}", encode(email), encode(password))
}

/// Many concurrent wrong passwords from as many addresses, each for its own email, so no throttle applies: only
/// the bound on password hashing stands between them and the server's memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ins_is_answered_at_once_and_memory_stays_flat() {
    let burst: u32 = std::env::var("SESSIONS_TEST_BURST").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    let server = std::sync::Arc::new(start(&[]).await);
    // A few attempts first, so "idle" includes what sign-ins set up once (each hashing thread's memory).
    let warm_up = (0..4).map(|n| {
        let server = server.clone();
        tokio::spawn(async move {
            let form = sign_in_form(&format!("warm{n}@example.com"), "wrong password");
            server.send(Call::post("/api/demo/sign-in", &form).from(client(burst + n))).await.status
        })
    });
    assert_eq!(futures_join(warm_up).await, [400; 4]);
    let (_, idle) = server.memory_mib();
    let attempts = (0..burst).map(|n| {
        let server = server.clone();
        tokio::spawn(async move {
            let form = sign_in_form(&format!("user{n}@example.com"), "wrong password");
            server.send(Call::post("/api/demo/sign-in", &form).from(client(n))).await
        })
    });
    let replies: Vec<_> = futures_join(attempts).await;
    let (peak, _) = server.memory_mib();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (_, after) = server.memory_mib();
    let checked = replies.iter().filter(|r| r.status == 400).count();
    let busy: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    println!(
        "{burst} concurrent sign-ins: idle {idle} MiB, peak {peak} MiB, after {after} MiB; {checked} checked, {} refused",
        busy.len()
    );
    assert_eq!(checked + busy.len(), burst as usize, "every attempt is answered 400 or 429: {:?}", replies[0]);
    assert!(!busy.is_empty() && checked > 0, "{checked} checked, {} refused", busy.len());
    for reply in &busy {
        assert_eq!(reply.body, r#"{"TooMany":["error-overloaded",2]}"#);
        assert_eq!(reply.header("retry-after"), Some("2"));
    }
    assert!(peak < 300, "peak resident memory {peak} MiB during {burst} concurrent sign-ins");
    assert!(after <= idle + 40, "{after} MiB after the burst, {idle} MiB before it");
    // Every refusal is on the record, with its own reason.
    let overloaded = server.rows("SELECT COUNT(*) FROM sessions_events WHERE failure_reason = 'overloaded'").await;
    assert_eq!(overloaded[0][0], busy.len().to_string());
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test]
async fn guessing_is_throttled_per_account_per_address_and_on_every_password_check() {
    let server = start(&[]).await;
    let owner = server.sign_up("owner@example.com", PASSWORD, client(1)).await;

    // One account from 40 addresses: ten guesses are checked, the rest refused, and then even the right password
    // from a stranger's browser waits...
    let mut statuses = Vec::new();
    for n in 0..40 {
        let form = sign_in_form("owner@example.com", &format!("guess {n}"));
        statuses.push(server.send(Call::post("/api/demo/sign-in", &form).from(client(100 + n))).await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 30, "{statuses:?}");
    let right = sign_in_form("owner@example.com", PASSWORD);
    let stranger = server.send(Call::post("/api/demo/sign-in", &right).from(client(200))).await;
    assert_eq!(stranger.status, 429, "{stranger:?}");
    assert!(stranger.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    // ...while the owner's own browser (its device cookie last signed in here) is not locked out.
    let device = owner.split("; ").find(|c| c.starts_with("device_id=")).unwrap().to_owned();
    let back = server.send(Call::post("/api/demo/sign-in", &right).cookie(&device).from(client(201))).await;
    assert!(back.status < 400, "the owner is locked out: {back:?}");
    let trail = reasons(&server, "owner@example.com").await;
    assert_eq!((count(&trail, "invalid_credentials"), count(&trail, "account_rate_limited")), (10, 31), "{trail:?}");

    // One address spraying 40 accounts: twenty are tried.
    let mut sprayed = Vec::new();
    for n in 0..40 {
        let form = sign_in_form(&format!("spray{n}@example.com"), "Summer2026!");
        sprayed.push(server.send(Call::post("/api/demo/sign-in", &form).from(client(300))).await.status);
    }
    assert_eq!(sprayed.iter().filter(|s| **s == 400).count(), 20, "{sprayed:?}");
    assert_eq!(reasons(&server, "spray39@example.com").await, ["address_rate_limited"]);

    // A stolen cookie is no guessing oracle: confirming the password is throttled too, and every try is recorded.
    let victim = server.sign_up("confirm@example.com", PASSWORD, client(2)).await;
    let mut confirms = Vec::new();
    for n in 0..30 {
        let form = format!("password=guess{n}");
        confirms.push(server.send(Call::post("/api/demo/confirm", &form).cookie(&victim).from(client(2))).await.status);
    }
    assert_eq!(confirms.iter().filter(|s| **s == 400).count(), 5, "{confirms:?}");
    let right = format!("password={}", encode(PASSWORD));
    let after = server.send(Call::post("/api/demo/confirm", &right).cookie(&victim).from(client(2))).await;
    assert_eq!(after.status, 429, "the 31st try, right or not, waits: {after:?}");
    let trail = reasons(&server, "confirm@example.com").await;
    assert_eq!((count(&trail, "reauth_failed"), count(&trail, "session_rate_limited")), (5, 26), "{trail:?}");
    // The limit is the thief's session's: the owner, signed in elsewhere, still confirms and can log it out.
    let form = sign_in_form("confirm@example.com", PASSWORD);
    let owner = server.send(Call::post("/api/demo/sign-in", &form).from(client(4))).await.cookies();
    let confirmed = server.send(Call::post("/api/demo/confirm", &right).cookie(&owner).from(client(4))).await;
    assert!(confirmed.status < 400, "the owner is locked out of confirming: {confirmed:?}");

    // Wrong current passwords on a password change are on the trail with their own reason.
    let user = server.sign_up("change@example.com", PASSWORD, client(3)).await;
    for _ in 0..3 {
        let form = "current_password=nope-nope&new_password=a-new-long-password";
        let reply = server.send(Call::post("/api/demo/password", form).cookie(&user).from(client(3))).await;
        assert_eq!((reply.status, reply.body.as_str()), (400, r#"{"Invalid":"error-wrong-password"}"#));
    }
    assert_eq!(reasons(&server, "change@example.com").await, ["password_change_failed"; 3]);
}

#[tokio::test]
async fn sign_up_is_throttled_like_sign_in() {
    let server = start(&[]).await;
    server.sign_up("taken@example.com", PASSWORD, client(1)).await;
    // Asking whether an email is taken, over and over, from one address.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let form = sign_in_form("taken@example.com", PASSWORD);
        let reply = server.send(Call::post("/api/demo/sign-up", &form).from(client(2))).await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [[400; 10].as_slice(), &[429; 2]].concat());
    // Creating accounts spends the allowance too: a household behind one router gets ten at once, then one every
    // six minutes (SESSIONS_SIGNUP_RATE), never an unbounded stream of accounts.
    for n in 0..10 {
        server.sign_up(&format!("member{n}@example.com"), PASSWORD, client(3)).await;
    }
    let form = sign_in_form("member10@example.com", PASSWORD);
    assert_eq!(server.send(Call::post("/api/demo/sign-up", &form).from(client(3))).await.status, 429);
}

/// One client cannot keep the few password-hashing workers busy and everybody else waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_cannot_take_every_hashing_slot() {
    let server = std::sync::Arc::new(start(&[]).await);
    server.sign_up("bystander@example.com", PASSWORD, client(2)).await;
    // Twenty: as many as the address's own allowance lets through to password checks.
    let flood = (0..20).map(|n| {
        let server = server.clone();
        tokio::spawn(async move {
            let form = sign_in_form(&format!("flood{n}@example.com"), "wrong password");
            server.send(Call::post("/api/demo/sign-in", &form).from(client(1))).await.status
        })
    });
    let flood: Vec<_> = flood.collect();
    // The bystander arrives while the flood is at its height.
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    let form = sign_in_form("bystander@example.com", PASSWORD);
    let bystander = server.send(Call::post("/api/demo/sign-in", &form).from(client(2))).await;
    let flood = futures_join(flood.into_iter()).await;
    assert!(bystander.status < 400, "someone else's flood kept a real user out: {bystander:?}");
    assert!(flood.iter().filter(|s| **s == 429).count() >= 10, "the flood was not held to its share: {flood:?}");
    assert!(flood.iter().all(|s| *s == 400 || *s == 429), "{flood:?}");
}

#[tokio::test]
async fn only_our_own_origin_may_change_state() {
    let server = start(&[("SESSIONS_TRUSTED_ORIGINS", "http://admin.example.test")]).await;
    let cookie = server.sign_up("csrf@example.com", PASSWORD, client(1)).await;
    let other_port =
        format!("http://127.0.0.1:{}", server.addr.rsplit(':').next().unwrap().parse::<u16>().unwrap() + 1);
    let refused_as = [
        vec![("Sec-Fetch-Site", "same-site".to_owned()), ("Origin", other_port.clone())],
        vec![
            ("Host", "app.example.test".to_owned()),
            ("Sec-Fetch-Site", "same-site".into()),
            ("Origin", "http://evil.example.test".into()),
        ],
        vec![("Origin", "null".to_owned())],
        vec![("Origin", other_port.clone())],
        vec![("Referer", format!("{other_port}/attack.html"))],
    ];
    let posts = [
        ("/api/sessions/revoke-others", String::new()),
        ("/api/sessions/revoke", "id=x".to_owned()),
        ("/api/demo/confirm", format!("password={}", encode(PASSWORD))),
        ("/api/demo/sign-in", sign_in_form("csrf@example.com", PASSWORD)),
        ("/api/demo/sign-out", String::new()),
        ("/api/demo/admin/revoke-all", "user_id=x".to_owned()),
    ];
    for headers in &refused_as {
        for (path, form) in &posts {
            let mut call = Call::post(path, form).cookie(&cookie).from(client(1));
            for (name, value) in headers {
                call = call.header(name, value.clone());
            }
            let reply = server.send(call).await;
            assert_eq!(
                (reply.status, reply.body.as_str()),
                (403, r#"{"Invalid":"error-cross-site"}"#),
                "{path} {headers:?}"
            );
        }
    }
    // The session survived every attempt.
    assert_eq!(server.send(Call::post("/api/demo/me", "").cookie(&cookie).from(client(1))).await.status, 200);
    // A trusted origin passes; so does a client that sends no browser headers at all (no ambient cookie to ride).
    let trusted = Call::post("/api/sessions/revoke-others", "")
        .cookie(&cookie)
        .header("Sec-Fetch-Site", "same-site")
        .header("Origin", "http://admin.example.test");
    assert_eq!(server.send(trusted).await.status, 200);
    let bare = server.send(Call::post("/api/sessions/revoke-others", "").cookie(&cookie)).await;
    assert_eq!(bare.status, 200, "{bare:?}");
    // A browser's form post from another site gets the demo's own page (the layer's Refusal, rendered by the
    // host), in the browser's language; the session still survives it.
    let mut page = Call::post("/api/demo/sign-out", "")
        .cookie(&cookie)
        .from(client(1))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Accept-Language", "es-ES,es;q=0.9");
    page.accept = "text/html";
    let reply = server.send(page).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{reply:?}");
    assert!(
        reply.body.contains(r#"<html lang="es">"#) && reply.body.contains("No hemos podido hacerlo"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("Esta petición venía de otro sitio"),
        "the layer's message, in Spanish: {}",
        reply.body
    );
    assert_eq!(server.send(Call::post("/api/demo/me", "").cookie(&cookie).from(client(1))).await.status, 200);
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let server = start(&[]).await;
    server.sign_up("next@example.com", PASSWORD, client(1)).await;
    for next in ["/\t/evil.example/", "//evil.example/", "/\\evil.example", "https://evil.example/", "/\u{202e}/x"] {
        let form = format!("{}&next={}", sign_in_form("next@example.com", PASSWORD), encode(next));
        let mut call = Call::post("/api/demo/sign-in", &form).from(client(1));
        call.accept = "text/html";
        let reply = server.send(call).await;
        assert_eq!(reply.header("location"), Some("/"), "{next:?}: {reply:?}");
    }
}

#[tokio::test]
async fn one_account_cannot_read_another_accounts_failed_sign_ins() {
    use crate::common::{start_on, CHROME, SECRET};
    use app::users::Users;
    use leptos_sessions::engine::{Auth, Config, RequestMeta, Sessions, SqliteStore};

    // The state the old code left, seeded before the server starts: an account registered as the victim's email
    // with U+0001 appended. Sign-up stored its email trimmed and lower-cased only; the trail stored its identity
    // with control characters removed, i.e. the victim's, so its history listed the victim's failed attempts.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let engine = Sessions::new(Config::new(SECRET).unwrap().secure_cookies(false), store.clone());
    let meta = |ip: &str| RequestMeta { ip: ip.parse().ok(), user_agent: Some(CHROME.into()), ..Default::default() };
    let victim = users.create("victim@example.com", PASSWORD).await.unwrap().unwrap();
    let disguised_as_stored = "victim@example.com\u{1}";
    let disguised = users.create(disguised_as_stored, PASSWORD).await.unwrap().unwrap();
    let old_identity = "victim@example.com";
    sqlx::query(
        "INSERT INTO sessions_events (id, kind, user_id, identity, auth_method, ip_address, occurred_at)
         VALUES (?, 'login', ?, ?, 'password', '192.0.2.66', 1764547200000)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(&disguised.id)
    .bind(old_identity)
    .execute(store.pool())
    .await
    .unwrap();
    let disguised_session =
        engine.sign_in(&disguised.id, &Auth::password().identity(old_identity), &meta("192.0.2.67")).await.unwrap();
    engine.record_failed_attempt(&meta("198.51.100.77"), "victim@example.com", "invalid_credentials").await;
    // The old trail removed control characters only: a zero-width space stayed in identities, failures included.
    let zero_width = users.create("vic\u{200b}tim@example.com", PASSWORD).await.unwrap().unwrap();
    for (kind, user_id) in [("login", Some(zero_width.id.as_str())), ("failed_login", None)] {
        sqlx::query(
            "INSERT INTO sessions_events (id, kind, user_id, identity, ip_address, occurred_at)
             VALUES (?, ?, ?, 'vic\u{200b}tim@example.com', '192.0.2.68', 1764547200000)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(kind)
        .bind(user_id)
        .execute(store.pool())
        .await
        .unwrap();
    }
    let leaked = engine.history(&disguised.id, 50, 0).await.unwrap();
    assert!(leaked.iter().any(|e| e.kind == "failed_login"), "the seed reproduces the leak: {leaked:?}");

    let server = start_on(&url, &[]).await;
    let repaired = "victim@example.com\u{fffd}";
    // Opening the database repaired the account: its email and its events' identity are today's normalization...
    let rows = server.rows(&format!("SELECT email FROM demo_users WHERE id = '{}'", disguised.id)).await;
    assert_eq!(rows, [[repaired]]);
    let sql = format!(
        "SELECT DISTINCT identity FROM sessions_events WHERE user_id = '{}' AND identity IS NOT NULL",
        disguised.id
    );
    assert_eq!(server.rows(&sql).await, [[repaired]]);
    assert_eq!(users.by_email(disguised_as_stored).await.unwrap().map(|u| u.id), Some(disguised.id.clone()));
    // The zero-width account's own failure moved with it, where its history and its erasure find it.
    let sql = "SELECT kind FROM sessions_events WHERE identity = 'vic\u{fffd}tim@example.com' ORDER BY kind";
    assert_eq!(server.rows(sql).await, [["failed_login"], ["login"]]);
    // ...and the session opened under the disguise ended before the server served anything.
    let sql = format!("SELECT ended_reason, ended_by FROM sessions WHERE id = '{}'", disguised_session.session_id);
    assert_eq!(server.rows(&sql).await, [["account_disabled", "system"]]);
    let old_cookie = disguised_session.cookies.session_cookie().unwrap().stripped().to_string();
    let history = server.send(Call::post("/api/sessions/history", "page=0").cookie(&old_cookie).from(client(2))).await;
    assert_eq!(history.status, 401, "{}", history.body);

    let typo = sign_in_form("victim@example.com", "a wrong password");
    server.send(Call::post("/api/demo/sign-in", &typo).from(client(9))).await;
    // The attack today: registering the victim's email with an invisible character is refused.
    for disguise in ["victim@example.com\u{1}", "vic\u{200b}tim@example.com", "\u{202e}moc.elpmaxe@mitciv"] {
        let form = sign_in_form(disguise, PASSWORD);
        let reply = server.send(Call::post("/api/demo/sign-up", &form).from(client(2))).await;
        assert_eq!((reply.status, reply.body.as_str()), (400, r#"{"Invalid":"error-email-hidden-characters"}"#));
    }
    // A wrong password typed with such an identity is a failure of its own, never recorded against the victim.
    let form = sign_in_form(disguised_as_stored, "another wrong password");
    assert_eq!(server.send(Call::post("/api/demo/sign-in", &form).from(client(3))).await.status, 400);
    assert_eq!(reasons(&server, "victim@example.com").await, ["invalid_credentials", "invalid_credentials"]);
    // The disguised account can still sign in, as itself: its history has its own failure, none of the victim's.
    let form = sign_in_form(disguised_as_stored, PASSWORD);
    let signed_in = server.send(Call::post("/api/demo/sign-in", &form).from(client(3))).await;
    assert!(signed_in.status < 400, "{signed_in:?}");
    let history =
        server.send(Call::post("/api/sessions/history", "page=0").cookie(&signed_in.cookies()).from(client(3))).await;
    assert_eq!(history.status, 200);
    assert_eq!(history.body.matches("failed_login").count(), 1, "{}", history.body);
    for victims_address in ["198.51.100.77", "127.10.0.10"] {
        assert!(!history.body.contains(victims_address), "{victims_address} in {}", history.body);
    }
    assert!(users.by_id(&victim.id).await.unwrap().is_some());
}

#[tokio::test]
async fn malformed_arguments_get_a_400_with_our_own_words() {
    let server = start(&[]).await;
    let cookie = server.sign_up("args@example.com", PASSWORD, client(1)).await;
    let bad_request = r#"{"Invalid":"error-bad-request"}"#;
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", "page=1e30"),
        ("application/x-www-form-urlencoded", "page=-1"),
        ("application/x-www-form-urlencoded", "page=1&page=2"),
        ("application/x-www-form-urlencoded", ""),
        ("application/x-www-form-urlencoded", "page=%ZZ"),
        ("application/json", r#"{"page": 1e30"#),
        (
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data; name=\"page\"\r\n\r\n1\r\n--x--\r\n",
        ),
    ] {
        let mut call = Call::post("/api/sessions/history", body).cookie(&cookie);
        call.content_type = content_type;
        let reply = server.send(call).await;
        assert_eq!((reply.status, reply.body.as_str()), (400, bad_request), "{content_type} {body:?}");
    }
    // A link cannot make a page say what it likes: `__err` shows only our own messages.
    let chosen = r#"{"Invalid":"Your account is locked. Call +1 555 0100"}"#;
    let err = base64_url(chosen.as_bytes());
    let page = server.get(&format!("/signin?__path=%2Fapi%2Fdemo%2Fsign-in&__err={err}")).await;
    assert!(!page.body.contains("555 0100") && !page.body.contains("Unknown localization key"), "{}", page.body);
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// Without JavaScript a refused sign-in is a plain form post: it must land back on the form with the message, not
/// on a bare JSON error body.
#[tokio::test]
async fn a_refused_form_post_without_javascript_goes_back_to_the_form_with_its_message() {
    let server = start(&[]).await;
    let form = sign_in_form("Nobody@Example.com", "wrong password");
    let post = |referer: String| {
        let mut call = Call::post("/api/demo/sign-in", &form).header("Referer", referer);
        call.accept = "text/html,application/xhtml+xml";
        call
    };
    let reply = server.send(post(format!("http://{}/signin?next=%2Fsettings", server.addr))).await;
    assert_eq!(reply.status, 302, "{reply:?}");
    let location = reply.header("location").unwrap();
    // Back to the same page on this site, with the error and the email as typed, never the password.
    assert!(location.starts_with("/signin?next=%2Fsettings&email=Nobody%40Example.com&__path="), "{location}");
    assert!(!location.contains("wrong"), "{location}");
    let back = server.get(location).await;
    assert!(
        back.body.contains("That email and password don&#x27;t match an account.")
            || back.body.contains("That email and password don't match an account."),
        "{}",
        back.body
    );
    assert!(back.body.contains(r#"value="Nobody@Example.com""#), "{}", back.body);

    // A second failure from that page replaces the first one's error and email rather than adding to them.
    let again = server.send(post(format!("http://{}{location}", server.addr))).await;
    let location = again.header("location").unwrap();
    assert!(location.starts_with("/signin?next=%2Fsettings&email="), "{location}");
    assert_eq!(location.matches("__err=").count(), 1, "{location}");
    assert_eq!(location.matches("email=").count(), 1, "{location}");
}

/// The demo's password handling as deployed, logging everything it can (`RUST_LOG=debug`): a wrong guess and the
/// right password at sign-in, a wrong one at the confirm step, a wrong and then a right current password at a
/// password change. No password (a wrong guess is often someone's password elsewhere), old or new, is in the
/// database files or the logs, and no session token is in the logs.
#[tokio::test]
async fn no_password_or_token_is_stored_or_logged() {
    const GUESS: &str = "tr0ub4dor-and-3";
    const NEW: &str = "a-new-password-never-stored";
    let server = start(&[("RUST_LOG", "debug")]).await;
    let first = server.sign_up("ada@example.com", PASSWORD, client(1)).await;
    let form = sign_in_form("ada@example.com", GUESS);
    let refused = server.send(Call::post("/api/demo/sign-in", &form).from(client(2))).await;
    assert!(!refused.cookies().contains("session="), "{refused:?}");
    let form = sign_in_form("ada@example.com", PASSWORD);
    let signed = server.send(Call::post("/api/demo/sign-in", &form).from(client(2))).await;
    let cookie = signed.cookies();
    assert!(cookie.contains("session="), "signed in: {signed:?}");
    let confirm = format!("password={}", encode(GUESS));
    server.send(Call::post("/api/demo/confirm", &confirm).cookie(&cookie).from(client(2))).await;
    let wrong = format!("current_password={}&new_password={}", encode(GUESS), encode(NEW));
    server.send(Call::post("/api/demo/password", &wrong).cookie(&cookie).from(client(2))).await;
    let right = format!("current_password={}&new_password={}", encode(PASSWORD), encode(NEW));
    let changed = server.send(Call::post("/api/demo/password", &right).cookie(&cookie).from(client(2))).await;
    let rotated = changed.cookies();
    assert!(rotated.contains("session="), "password changed: {changed:?}");

    let files = server.database_files();
    let holds = |needle: &str| files.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(holds("ada@example.com") && holds("password_change_failed"), "the files hold the trail");
    let log = server.log();
    assert!(log.contains("DEBUG"), "the capture works: {log:.400}");
    for secret in [PASSWORD, GUESS, NEW] {
        assert!(!holds(secret), "{secret:?} is stored");
        assert!(!log.contains(secret), "{secret:?} reached the logs");
    }
    // No cookie value reaches the logs, nor its last 32 characters (the token, after the signature).
    for jar in [&first, &cookie, &rotated] {
        for pair in jar.split("; ").filter(|p| p.starts_with("session=") || p.starts_with("device=")) {
            let value = &pair[pair.find('=').unwrap() + 1..];
            let tail = &value[value.len().saturating_sub(32)..];
            assert!(!log.contains(value) && !log.contains(tail), "a cookie reached the logs: {pair}");
        }
    }
    // And what is kept is what happened: each refusal, with its reason.
    assert_eq!(
        reasons(&server, "ada@example.com").await,
        ["invalid_credentials", "reauth_failed", "password_change_failed"],
        "every failure is on the trail"
    );
}

/// A browser logged out from another device is told why by the page it loads next, however many script calls it
/// makes first: those are refused (401) and leave its cookie alone, and the page load clears it.
#[tokio::test]
async fn a_device_logged_out_elsewhere_learns_why_on_its_next_page() {
    let server = start(&[]).await;
    let a = server.sign_up("ada@example.com", PASSWORD, client(1)).await;
    let form = sign_in_form("ada@example.com", PASSWORD);
    let b = server.send(Call::post("/api/demo/sign-in", &form).from(client(2))).await.cookies();
    let ended = server.send(Call::post("/api/sessions/revoke-others", "").cookie(&a).from(client(1))).await;
    assert_eq!(ended.status, 200, "{ended:?}");

    let call = server.send(Call::post("/api/sessions/devices", "").cookie(&b).from(client(2))).await;
    assert_eq!(call.status, 401, "{call:?}");
    assert!(!call.head.to_ascii_lowercase().contains("set-cookie: session="), "a script's call keeps it: {call:?}");

    let page = server.send(Call::get("/settings/sessions").cookie(&b).from(client(2))).await;
    assert_eq!(page.header("location"), Some("/signin?next=/settings/sessions&ended=device"), "{page:?}");
    let cleared = page.head.lines().any(|l| l.to_ascii_lowercase().starts_with("set-cookie: session=;"));
    assert!(cleared, "the page load clears it: {page:?}");

    // A cookie nobody signed is just signed out, with nothing to explain.
    let forged = server.send(Call::get("/settings/sessions").cookie("session=forged").from(client(3))).await;
    assert_eq!(forged.header("location"), Some("/signin?next=/settings/sessions"), "{forged:?}");
}

/// Opens a live stream with `cookie` from `from` and reads its answer's head and first event (or the refusal).
async fn open_stream(
    server: &Server,
    cookie: &str,
    from: std::net::Ipv4Addr,
    site: &str,
) -> (u16, tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from((from, 0))).unwrap();
    let mut stream = socket.connect(server.addr.parse().unwrap()).await.unwrap();
    let req = format!(
        "GET /api/sessions/live HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\nSec-Fetch-Site: {site}\r\n\r\n",
        server.addr
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&seen);
        if text.contains("\r\n\r\n") && (!text.starts_with("HTTP/1.1 200") || text.contains("event: ready")) {
            break;
        }
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&seen).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, stream)
}

#[tokio::test]
async fn a_stolen_cookie_cannot_hold_open_streams_beyond_the_caps_nor_another_site_open_one() {
    let server = start(&[]).await;
    let victim = server.sign_up("vic@example.com", PASSWORD, client(1)).await;
    let bystander = server.sign_up("bea@example.com", PASSWORD, client(2)).await;
    // A sibling site (another port or subdomain) rides on the cookie: refused.
    for site in ["cross-site", "same-site"] {
        assert_eq!(open_stream(&server, &victim, client(3), site).await.0, 403, "{site}");
    }
    // A thief with the cookie opens streams from a hundred addresses: four are held (a session's cap), every other
    // is refused at once, and the server holds nothing more for them.
    let (_, rss_before) = server.memory_mib();
    let mut held = Vec::new();
    let mut refused = 0;
    for n in 0..100 {
        let (status, stream) = open_stream(&server, &victim, client(100 + n), "same-origin").await;
        match status {
            200 => held.push(stream),
            429 => refused += 1,
            other => panic!("stream {n}: {other}"),
        }
    }
    assert_eq!((held.len(), refused), (4, 96));
    let (_, rss_after) = server.memory_mib();
    assert!(rss_after < rss_before + 20, "memory grew from {rss_before} to {rss_after} MiB");
    // Another account is not affected.
    assert_eq!(open_stream(&server, &bystander, client(2), "same-origin").await.0, 200);
    // Closed, their places are free again.
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(open_stream(&server, &victim, client(1), "same-origin").await.0, 200);
}
