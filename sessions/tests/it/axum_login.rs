//! An app on axum-login + tower-sessions with tower-sessions' own SQLx store (PostgreSQL), adopting the registry
//! through `engine::AxumLogin`: list devices, revoke one, sign out the others, password change, logout and the
//! trail, for users who signed in through axum-login. Needs `SESSIONS_TEST_POSTGRES_URL` (fails under CI=true
//! without it) and the `axum-login` feature.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use axum_login::{AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, UserId};
use http::request::Parts;
use http::{header, Request};
use leptos_sessions::engine::{
    Auth, AxumLogin, Config, CurrentSession, Error, Page, PgStore, SessionFilter, SessionRecord, SessionState, Sessions,
};
use tower::ServiceExt;
use tower_sessions::SessionManagerLayer;
use tower_sessions_sqlx_store::{sqlx as sqlx08, PostgresStore};

const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

#[derive(Clone, Debug)]
struct User {
    id: String,
    email: String,
}

impl AuthUser for User {
    type Id = String;

    fn id(&self) -> String {
        self.id.clone()
    }

    // Constant on purpose: every sign-out below must come from the registry, not from axum-login's own hash check.
    fn session_auth_hash(&self) -> &[u8] {
        self.id.as_bytes()
    }
}

/// The app's accounts: email -> (id, password).
#[derive(Clone, Default)]
struct Backend {
    users: Arc<Mutex<HashMap<String, (String, String)>>>,
}

#[derive(Clone, serde::Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Debug, thiserror::Error)]
#[error("backend error")]
struct BackendError;

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, BackendError> {
        let users = self.users.lock().unwrap();
        Ok(users
            .get(&creds.email)
            .filter(|(_, password)| *password == creds.password)
            .map(|(id, _)| User { id: id.clone(), email: creds.email.clone() }))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, BackendError> {
        let users = self.users.lock().unwrap();
        Ok(users.iter().find(|(_, (uid, _))| uid == id).map(|(email, _)| User { id: id.clone(), email: email.clone() }))
    }
}

type Session = AuthSession<Backend>;

// ANCHOR: login
async fn login(
    mut auth: Session,
    Extension(registry): Extension<AxumLogin>,
    Extension(sessions): Extension<Sessions>,
    parts: Parts,
    Form(creds): Form<Credentials>,
) -> impl IntoResponse {
    let meta = sessions.request_meta(&parts);
    let Ok(Some(user)) = auth.authenticate(creds.clone()).await else {
        sessions.record_failed_attempt(&meta, &creds.email, "invalid_credentials").await;
        return StatusCode::UNAUTHORIZED.into_response();
    };
    auth.login(&user).await.unwrap();
    let auth_method = Auth::password().identity(&user.email);
    let signed_in = registry.logged_in(&auth.session, &user.id, &auth_method, &meta).await.unwrap();
    (signed_in.cookies, "signed in").into_response()
}
// ANCHOR_END: login

// ANCHOR: logout
async fn logout(
    mut auth: Session,
    Extension(registry): Extension<AxumLogin>,
    Extension(sessions): Extension<Sessions>,
    parts: Parts,
) {
    let meta = sessions.request_meta(&parts);
    registry.logged_out(&auth.session, &meta).await.unwrap();
    auth.logout().await.unwrap();
}
// ANCHOR_END: logout

async fn me(auth: Session) -> Result<String, StatusCode> {
    auth.user.map(|u| u.email).ok_or(StatusCode::UNAUTHORIZED)
}

async fn devices(
    Extension(sessions): Extension<Sessions>,
    current: Option<Extension<CurrentSession>>,
) -> Result<String, StatusCode> {
    let Extension(current) = current.ok_or(StatusCode::UNAUTHORIZED)?;
    let rows = sessions.devices(&current).await.unwrap();
    Ok(rows
        .iter()
        .map(|r| format!("{} {}", r.id, r.browser_name.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join("\n"))
}

async fn revoke(
    Extension(sessions): Extension<Sessions>,
    Extension(current): Extension<CurrentSession>,
    Path(id): Path<String>,
    parts: Parts,
) -> StatusCode {
    let meta = sessions.request_meta(&parts);
    match sessions.revoke(&current, &id, &meta).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(Error::ReauthRequired) => StatusCode::FORBIDDEN,
        Err(_) => StatusCode::NOT_FOUND,
    }
}

// ANCHOR: confirm
/// The password confirmation before a destructive action ("sudo mode").
async fn confirm(
    auth: Session,
    Extension(registry): Extension<AxumLogin>,
    Extension(sessions): Extension<Sessions>,
    parts: Parts,
    Form(form): Form<HashMap<String, String>>,
) -> StatusCode {
    let Some(user) = auth.user.clone() else { return StatusCode::UNAUTHORIZED };
    let creds = Credentials { email: user.email, password: form["password"].clone() };
    if !matches!(auth.backend.authenticate(creds).await, Ok(Some(_))) {
        return StatusCode::FORBIDDEN;
    }
    registry.reauthenticated(&auth.session, &sessions.request_meta(&parts)).await.unwrap();
    StatusCode::NO_CONTENT
}
// ANCHOR_END: confirm

async fn revoke_others(
    Extension(sessions): Extension<Sessions>,
    Extension(current): Extension<CurrentSession>,
    parts: Parts,
) -> String {
    let meta = sessions.request_meta(&parts);
    sessions.revoke_others(&current, &meta).await.unwrap().to_string()
}

// ANCHOR: password
async fn change_password(
    auth: Session,
    Extension(registry): Extension<AxumLogin>,
    Extension(sessions): Extension<Sessions>,
    parts: Parts,
    Form(new): Form<HashMap<String, String>>,
) -> StatusCode {
    let meta = sessions.request_meta(&parts);
    let Some(user) = auth.user.clone() else { return StatusCode::UNAUTHORIZED };
    auth.backend.users.lock().unwrap().get_mut(&user.email).unwrap().1 = new["password"].clone();
    registry.password_changed(&auth.session, &meta).await.unwrap();
    StatusCode::NO_CONTENT
}
// ANCHOR_END: password

/// A login handler from before the adapter: axum-login only, nothing for the registry.
async fn plain_login(mut auth: Session, Form(creds): Form<Credentials>) -> StatusCode {
    let Ok(Some(user)) = auth.authenticate(creds).await else { return StatusCode::UNAUTHORIZED };
    auth.login(&user).await.unwrap();
    StatusCode::OK
}

struct App {
    router: Router,
    /// The same app as it was before the adapter was installed (same tower-sessions store and backend).
    before: Router,
    store: PostgresStore,
    backend: Backend,
    sessions: Sessions,
    pool: sqlx08::PgPool,
    schema: String,
    registry: crate::common::Harness,
    /// The schema of the registry when it is on PostgreSQL instead of `registry`'s SQLite file.
    pg_registry: Option<String>,
}

/// Where the test app keeps the registry.
#[derive(Clone, Copy, Debug)]
enum Registry {
    Sqlite,
    Postgres,
}

async fn app() -> Option<App> {
    app_with(|config| config).await
}

async fn app_with(tweak: impl FnOnce(Config) -> Config) -> Option<App> {
    app_on(Registry::Sqlite, tweak).await
}

async fn app_on(on: Registry, tweak: impl FnOnce(Config) -> Config) -> Option<App> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let url = match std::env::var("SESSIONS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if ci => panic!("CI=true but SESSIONS_TEST_POSTGRES_URL is not set: the axum-login test must run in CI"),
        _ => {
            eprintln!("skipped: set SESSIONS_TEST_POSTGRES_URL=postgres://… to run the axum-login adapter test");
            return None;
        }
    };
    let pool = sqlx08::PgPool::connect(&url).await.expect("PostgreSQL is reachable");
    let schema = format!("axum_login_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresStore::new(pool.clone()).with_schema_name(&schema).unwrap();
    store.migrate().await.unwrap();

    let backend = Backend::default();
    backend.users.lock().unwrap().insert("ada@example.com".into(), ("user-ada".into(), "first password".into()));
    let auth_layer =
        AuthManagerLayerBuilder::new(backend.clone(), SessionManagerLayer::new(store.clone()).with_secure(false))
            .build();
    let before = Router::new().route("/login", post(plain_login)).layer(
        AuthManagerLayerBuilder::new(backend.clone(), SessionManagerLayer::new(store.clone()).with_secure(false))
            .build(),
    );

    // The registry keeps its own tables (SQLite, or a schema of its own on PostgreSQL); the app's sessions stay in
    // its tower-sessions store.
    let (registry, sessions, pg_registry) = match on {
        Registry::Sqlite => {
            let registry = crate::common::harness_with(tweak).await;
            let sessions = registry.sessions.clone();
            (registry, sessions, None)
        }
        Registry::Postgres => {
            let registry_schema = format!("axum_login_registry_{}", uuid::Uuid::new_v4().simple());
            sqlx08::query(&format!("CREATE SCHEMA \"{registry_schema}\"")).execute(&pool).await.unwrap();
            let options =
                url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().options([("search_path", &registry_schema)]);
            let store = PgStore::connect_with(options).await.unwrap();
            let config = tweak(Config::new(crate::common::SECRET).unwrap().secure_cookies(false));
            (crate::common::harness().await, Sessions::new(config, store), Some(registry_schema))
        }
    };
    // ANCHOR: router
    let adapter = AxumLogin::new(sessions.clone());
    let router = Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/devices", get(devices))
        .route("/devices/{id}/revoke", post(revoke))
        .route("/devices/revoke-others", post(revoke_others))
        .route("/password", post(change_password))
        .route("/confirm", post(confirm))
        .layer(Extension(adapter.clone()))
        .layer(adapter.layer::<Backend>())
        .layer(auth_layer);
    // ANCHOR_END: router
    Some(App { router, before, store, backend, sessions, pool, schema, registry, pg_registry })
}

impl App {
    /// Every registry row of the user, ended ones too.
    async fn rows(&self, user_id: &str) -> Vec<SessionRecord> {
        let mut rows = Vec::new();
        for state in [SessionState::Live, SessionState::Ended] {
            let filter = SessionFilter { user_id: Some(user_id.to_owned()), state, ..SessionFilter::default() };
            rows.extend(self.sessions.triage().find_sessions(&filter, &Page::first(10_000)).await.unwrap());
        }
        rows
    }

    /// How many "every session ended" times the registry keeps for the user (0 or 1).
    async fn not_before_rows(&self, user_id: &str) -> i64 {
        match &self.pg_registry {
            None => sqlx::query_scalar("SELECT COUNT(*) FROM sessions_not_before WHERE user_id = ?")
                .bind(user_id)
                .fetch_one(self.registry.store.pool())
                .await
                .unwrap(),
            Some(schema) => {
                let sql = format!("SELECT COUNT(*) FROM \"{schema}\".sessions_not_before WHERE user_id = $1");
                sqlx08::query_scalar(&sql).bind(user_id).fetch_one(&self.pool).await.unwrap()
            }
        }
    }

    /// Drops the test's schemas (a failed test keeps them for inspection).
    async fn cleanup(self) {
        for schema in std::iter::once(&self.schema).chain(&self.pg_registry) {
            sqlx08::query(&format!("DROP SCHEMA \"{schema}\" CASCADE")).execute(&self.pool).await.unwrap();
        }
    }
}

/// One browser: its cookies and user agent.
struct Browser {
    ua: &'static str,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(ua: &'static str) -> Self {
        Self { ua, cookies: HashMap::new() }
    }

    async fn send(&mut self, app: &App, method: &str, path: &str, form: &str) -> (StatusCode, String) {
        self.send_to(&app.router, method, path, form).await
    }

    async fn send_to(&mut self, router: &Router, method: &str, path: &str, form: &str) -> (StatusCode, String) {
        let res = router.clone().oneshot(self.request(method, path, form)).await.unwrap();
        self.absorb(res).await
    }

    /// A request as this browser would send it now.
    fn request(&self, method: &str, path: &str, form: &str) -> Request<axum::body::Body> {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::USER_AGENT, self.ua)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(form.to_owned()))
            .unwrap()
    }

    /// Takes in a response's cookies; returns its status and body.
    async fn absorb(&mut self, res: http::Response<axum::body::Body>) -> (StatusCode, String) {
        for set in res.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            if set.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn login(&mut self, app: &App, password: &str) {
        let form = format!("email=ada%40example.com&password={}", password.replace(' ', "+"));
        assert_eq!(self.send(app, "POST", "/login", &form).await.0, StatusCode::OK);
    }

    async fn me(&mut self, app: &App) -> StatusCode {
        self.send(app, "GET", "/me", "").await.0
    }

    /// Whether this browser's tower-sessions record still exists in the app's own store.
    async fn has_record(&self, app: &App) -> bool {
        let Some(id) = self.cookies.get("id") else { return false };
        let sql = format!("SELECT count(*) FROM \"{}\".\"session\" WHERE id = $1", app.schema);
        let n: i64 = sqlx08::query_scalar(&sql).bind(id).fetch_one(&app.pool).await.unwrap();
        n == 1
    }

    /// The registry token the adapter keeps in this browser's tower-sessions record.
    async fn token_in_record(&self, app: &App) -> Option<String> {
        use tower_sessions::SessionStore as _;
        let id = self.cookies.get("id")?.parse().unwrap();
        let record = app.store.load(&id).await.unwrap()?;
        Some(record.data.get("leptos_sessions.token")?.as_str()?.to_owned())
    }
}

/// The `id` of the listed device whose browser is `browser`.
fn device_id(list: &str, browser: &str) -> String {
    list.lines()
        .find(|l| l.ends_with(browser))
        .unwrap_or_else(|| panic!("no {browser} in {list}"))
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn axum_login_users_list_revoke_and_sign_out_others_through_the_registry() {
    let Some(app) = app().await else { return };
    let mut a = Browser::new(crate::common::CHROME_MAC);
    let mut b = Browser::new(FIREFOX);
    a.login(&app, "first password").await;
    b.login(&app, "first password").await;
    assert_eq!(a.me(&app).await, StatusCode::OK);

    let (status, list) = a.send(&app, "GET", "/devices", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.lines().next().unwrap().ends_with("Chrome"), "this device first: {list}");
    let firefox = list.lines().find(|l| l.ends_with("Firefox")).unwrap().split(' ').next().unwrap().to_owned();

    // Revoke one: B's very next request is signed out, and its tower-sessions record is gone.
    assert!(b.has_record(&app).await);
    let (status, _) = a.send(&app, "POST", &format!("/devices/{firefox}/revoke"), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(b.me(&app).await, StatusCode::UNAUTHORIZED);
    assert!(!b.has_record(&app).await, "the revoked session's record is deleted from the app's store");
    assert_eq!(a.me(&app).await, StatusCode::OK);

    // Sign out the others.
    let mut c = Browser::new(IPHONE);
    c.login(&app, "first password").await;
    let (_, ended) = a.send(&app, "POST", "/devices/revoke-others", "").await;
    assert_eq!(ended, "1");
    assert_eq!(c.me(&app).await, StatusCode::UNAUTHORIZED);
    assert_eq!(a.me(&app).await, StatusCode::OK);

    // A password change on A signs D out (axum-login's own hash is constant here, so this is the registry).
    let mut d = Browser::new(FIREFOX);
    d.login(&app, "first password").await;
    let (status, _) = a.send(&app, "POST", "/password", "password=second+password").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(d.me(&app).await, StatusCode::UNAUTHORIZED);
    assert_eq!(a.me(&app).await, StatusCode::OK, "the device that changed the password stays signed in");
    let (_, list) = a.send(&app, "GET", "/devices", "").await;
    assert_eq!(list.lines().count(), 1, "{list}");

    // A wrong password and a logout, then the trail.
    let (status, _) = d.send(&app, "POST", "/login", "email=ada%40example.com&password=first+password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    a.send(&app, "POST", "/logout", "").await;
    assert_eq!(a.me(&app).await, StatusCode::UNAUTHORIZED);

    let history = app.sessions.history("user-ada", 50, 0).await.unwrap();
    let kinds: Vec<&str> = history.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "login").count(), 4, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "failed_login").count(), 1, "typed against ada's email: {kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "revoked").count(), 3, "one, the others, password change: {kinds:?}");
    assert_eq!(kinds.last(), Some(&"logout"), "{kinds:?}");
    assert!(history.iter().filter(|e| e.kind == "login").all(|e| e.identity.as_deref() == Some("ada@example.com")));

    // A user the app deletes is signed out by axum-login, and the registry ends their row instead of listing it.
    let mut e = Browser::new(IPHONE);
    e.login(&app, "second password").await;
    app.backend.users.lock().unwrap().remove("ada@example.com");
    assert_eq!(e.send(&app, "GET", "/devices", "").await.0, StatusCode::UNAUTHORIZED);
    let history = app.sessions.history("user-ada", 1, 0).await.unwrap();
    assert_eq!(history[0].kind, "logout", "the deleted user's row ended: {history:?}");

    sqlx08::query(&format!("DROP SCHEMA \"{}\" CASCADE", app.schema)).execute(&app.pool).await.unwrap();
}

#[tokio::test]
async fn axum_login_users_confirm_their_password_before_logging_out_a_device() {
    // The registry's clock, moved by hand: the sudo window is 10 minutes by default.
    let offset = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clock = offset.clone();
    let Some(app) = app_with(move |config| {
        config.clock(move || {
            time::OffsetDateTime::now_utc() + time::Duration::seconds(clock.load(std::sync::atomic::Ordering::SeqCst))
        })
    })
    .await
    else {
        return;
    };
    let mut a = Browser::new(crate::common::CHROME_MAC);
    let mut b = Browser::new(FIREFOX);
    a.login(&app, "first password").await;
    b.login(&app, "first password").await;
    let (_, list) = a.send(&app, "GET", "/devices", "").await;
    let firefox = list.lines().find(|l| l.ends_with("Firefox")).unwrap().split(' ').next().unwrap().to_owned();

    offset.store(11 * 60, std::sync::atomic::Ordering::SeqCst);
    let revoke = format!("/devices/{firefox}/revoke");
    assert_eq!(a.send(&app, "POST", &revoke, "").await.0, StatusCode::FORBIDDEN, "the sign-in is too old");
    assert_eq!(a.send(&app, "POST", "/confirm", "password=wrong").await.0, StatusCode::FORBIDDEN);
    assert_eq!(a.send(&app, "POST", "/confirm", "password=first+password").await.0, StatusCode::NO_CONTENT);

    // The rotated token went into A's tower-sessions record: A is still signed in, now in sudo mode.
    assert_eq!(a.me(&app).await, StatusCode::OK);
    assert_eq!(a.send(&app, "GET", "/devices", "").await.0, StatusCode::OK);
    assert_eq!(a.send(&app, "POST", &revoke, "").await.0, StatusCode::NO_CONTENT);
    assert_eq!(b.me(&app).await, StatusCode::UNAUTHORIZED);
    assert_eq!(a.me(&app).await, StatusCode::OK);

    sqlx08::query(&format!("DROP SCHEMA \"{}\" CASCADE", app.schema)).execute(&app.pool).await.unwrap();
}

#[tokio::test]
async fn sessions_from_before_the_adapter_are_adopted_on_their_first_request() {
    let Some(app) = app().await else { return };
    let mut old = Browser::new(FIREFOX);
    let (status, _) =
        old.send_to(&app.before, "POST", "/login", "email=ada%40example.com&password=first+password").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(old.token_in_record(&app).await, None, "signed in through axum-login alone");
    let mut a = Browser::new(crate::common::CHROME_MAC);
    a.login(&app, "first password").await;

    // One request later the old session is a device like any other, without pretending it was a password sign-in.
    assert_eq!(old.me(&app).await, StatusCode::OK);
    assert!(old.token_in_record(&app).await.is_some());
    assert!(old.cookies.contains_key("device_id"), "the device cookie a sign-in would have minted");
    assert_eq!(old.me(&app).await, StatusCode::OK);
    let (_, list) = a.send(&app, "GET", "/devices", "").await;
    assert_eq!(list.lines().count(), 2, "adopted once, not once per request: {list}");
    let firefox = device_id(&list, "Firefox");
    let row =
        app.sessions.registry().list_live("user-ada").await.unwrap().into_iter().find(|r| r.id == firefox).unwrap();
    assert_eq!(row.auth_method, "unknown");
    assert_eq!(row.auth_detail, Some(serde_json::json!({ "adopted": true })));
    let history = app.sessions.history("user-ada", 50, 0).await.unwrap();
    assert!(
        history.iter().all(|e| e.session_id.as_deref() != Some(firefox.as_str())),
        "no sign-in invented: {history:?}"
    );

    // Adoption is no authentication: the old session must confirm the password before logging devices out.
    let chrome = device_id(&list, "Chrome");
    assert_eq!(old.send(&app, "POST", &format!("/devices/{chrome}/revoke"), "").await.0, StatusCode::FORBIDDEN);

    // "Sign out everywhere else" from the other device reaches it: its next request is signed out.
    let (_, ended) = a.send(&app, "POST", "/devices/revoke-others", "").await;
    assert_eq!(ended, "1");
    assert_eq!(old.me(&app).await, StatusCode::UNAUTHORIZED);
    assert!(!old.has_record(&app).await, "its tower-sessions record is deleted");
    assert_eq!(a.me(&app).await, StatusCode::OK);

    sqlx08::query(&format!("DROP SCHEMA \"{}\" CASCADE", app.schema)).execute(&app.pool).await.unwrap();
}

#[tokio::test]
async fn the_raw_token_in_the_tower_sessions_record_never_reaches_the_registry_or_the_trail() {
    use sha2::Digest;

    let Some(app) = app().await else { return };
    let mut a = Browser::new(crate::common::CHROME_MAC);
    let mut b = Browser::new(FIREFOX);
    a.login(&app, "first password").await;
    b.send_to(&app.before, "POST", "/login", "email=ada%40example.com&password=first+password").await;
    b.me(&app).await;
    a.send(&app, "POST", "/confirm", "password=first+password").await;
    a.send(&app, "POST", "/devices/revoke-others", "").await;
    app.sessions.record_failed_attempt(&crate::common::meta(FIREFOX), "ada@example.com", "invalid_credentials").await;

    let pool = app.registry.store.pool();
    let mut secrets = Vec::new();
    for browser in [&a, &b] {
        let value = browser.token_in_record(&app).await.expect("the adapter keeps a token in the record");
        // The record holds the signed cookie value: the signature, then the raw token (64 hex digits).
        let raw = value[value.len() - 64..].to_owned();
        secrets.extend([value, raw]);
    }
    for table in ["sessions", "sessions_events"] {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?)").bind(table).fetch_all(pool).await.unwrap();
        assert!(columns.len() > 10, "{table}: {columns:?}");
        for column in columns {
            for secret in &secrets {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE instr(CAST(\"{column}\" AS TEXT), ?) > 0");
                let hits: i64 =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(secret).fetch_one(pool).await.unwrap();
                assert_eq!(hits, 0, "{table}.{column} holds the raw token");
            }
        }
    }
    // The scan looked for the right thing: those tokens' digests are what the registry holds.
    for raw in secrets.iter().skip(1).step_by(2) {
        let digest: String = sha2::Sha256::digest(raw.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let sql = "SELECT COUNT(*) FROM sessions WHERE token_digest = ?";
        let stored: i64 = sqlx::query_scalar(sql).bind(&digest).fetch_one(pool).await.unwrap();
        assert_eq!(stored, 1, "the record's token is the one whose digest the registry holds");
    }

    sqlx08::query(&format!("DROP SCHEMA \"{}\" CASCADE", app.schema)).execute(&app.pool).await.unwrap();
}

const ADA: &str = "email=ada%40example.com&password=first+password";

/// A session from before the adapter that was quiet when its user ended every session ("sign out everywhere else",
/// a password change, an administrator's revoke-all) had no row to end; its next request must not bring it back as
/// a device. Sessions signed in through the adapter afterwards are not affected.
#[tokio::test]
async fn ending_every_session_also_ends_the_quiet_ones_from_before_the_adapter() {
    ending_every_session_ends_the_quiet_ones(Registry::Sqlite).await;
}

#[tokio::test]
async fn ending_every_session_also_ends_the_quiet_ones_from_before_the_adapter_registry_on_postgres() {
    ending_every_session_ends_the_quiet_ones(Registry::Postgres).await;
}

async fn ending_every_session_ends_the_quiet_ones(on: Registry) {
    for action in ["revoke-others", "password", "end_all"] {
        let Some(app) = app_on(on, |config| config).await else { return };
        let context = format!("{on:?}, {action}");
        let mut quiet = Browser::new(FIREFOX);
        assert_eq!(quiet.send_to(&app.before, "POST", "/login", ADA).await.0, StatusCode::OK);
        let mut b = Browser::new(crate::common::CHROME_MAC);
        match action {
            "revoke-others" => {
                b.login(&app, "first password").await;
                let (_, ended) = b.send(&app, "POST", "/devices/revoke-others", "").await;
                assert_eq!(ended, "0", "{context}: no device was listed to end");
            }
            "password" => {
                b.login(&app, "first password").await;
                let (status, _) = b.send(&app, "POST", "/password", "password=second+password").await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{context}");
            }
            // An administrator's revoke-all while the user had no listed device at all.
            _ => assert_eq!(app.sessions.end_all("user-ada", "admin_revoked", Some("admin:7")).await.unwrap(), 0),
        }

        assert_eq!(quiet.me(&app).await, StatusCode::UNAUTHORIZED, "{context}: the quiet session came back");
        assert!(!quiet.has_record(&app).await, "{context}: its tower-sessions record is deleted");
        assert_eq!(quiet.me(&app).await, StatusCode::UNAUTHORIZED, "{context}");
        let rows = app.rows("user-ada").await;
        assert!(rows.iter().all(|r| r.browser_name.as_deref() != Some("Firefox")), "{context}: {rows:?}");

        // Sessions signed in through the adapter afterwards are devices as always.
        if action != "end_all" {
            assert_eq!(b.me(&app).await, StatusCode::OK, "{context}");
        }
        let password = if action == "password" { "second password" } else { "first password" };
        let mut later = Browser::new(IPHONE);
        later.login(&app, password).await;
        assert_eq!(later.me(&app).await, StatusCode::OK, "{context}");
        let (_, list) = later.send(&app, "GET", "/devices", "").await;
        assert!(!list.contains("Firefox"), "{context}: {list}");
        assert_eq!(list.lines().count(), if action == "end_all" { 1 } else { 2 }, "{context}: {list}");

        // Erasure takes the user's time with the rest, and ends nobody else's.
        app.sessions.end_all("user-bob", "admin_revoked", None).await.unwrap();
        assert_eq!(app.not_before_rows("user-ada").await, 1, "{context}");
        app.sessions.forget("user-ada", &[]).await.unwrap();
        assert_eq!(app.not_before_rows("user-ada").await, 0, "{context}: erasure left the user's time behind");
        assert_eq!(app.not_before_rows("user-bob").await, 1, "{context}");
        app.cleanup().await;
    }
}

/// A page load fires several requests at once: a session from before the adapter is adopted by one of them, and the
/// others find its token instead of adopting it again (rows nobody holds would count toward the cap). The same
/// burst from such a session that its user ended is signed out on every request.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_of_a_session_from_before_the_adapter_adopt_it_once() {
    concurrent_first_requests_adopt_once(Registry::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_of_a_session_from_before_the_adapter_adopt_it_once_registry_on_postgres() {
    concurrent_first_requests_adopt_once(Registry::Postgres).await;
}

async fn concurrent_first_requests_adopt_once(on: Registry) {
    let Some(app) = app_on(on, |config| config).await else { return };
    let mut old = Browser::new(FIREFOX);
    assert_eq!(old.send_to(&app.before, "POST", "/login", ADA).await.0, StatusCode::OK);
    let burst: Vec<_> =
        (0..6).map(|_| tokio::spawn(app.router.clone().oneshot(old.request("GET", "/me", "")))).collect();
    for one in burst {
        let (status, _) = old.absorb(one.await.unwrap().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{on:?}");
    }
    let rows = app.rows("user-ada").await;
    assert_eq!(rows.len(), 1, "{on:?}: adopted once: {rows:?}");
    // The record keeps the token of that one row.
    let (status, list) = old.send(&app, "GET", "/devices", "").await;
    assert_eq!(status, StatusCode::OK, "{on:?}");
    assert_eq!(list.lines().collect::<Vec<_>>(), [format!("{} Firefox", rows[0].id)], "{on:?}");
    assert_eq!(app.rows("user-ada").await.len(), 1, "{on:?}");

    // Another quiet session of the user, then a revoke-all: a burst of its requests is signed out, every one.
    let mut quiet = Browser::new(IPHONE);
    assert_eq!(quiet.send_to(&app.before, "POST", "/login", ADA).await.0, StatusCode::OK);
    app.sessions.end_all("user-ada", "admin_revoked", Some("admin:7")).await.unwrap();
    let burst: Vec<_> =
        (0..6).map(|_| tokio::spawn(app.router.clone().oneshot(quiet.request("GET", "/me", "")))).collect();
    for one in burst {
        let (status, _) = quiet.absorb(one.await.unwrap().unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{on:?}");
    }
    assert!(!quiet.has_record(&app).await, "{on:?}");
    assert_eq!(app.rows("user-ada").await.len(), 1, "{on:?}: only the first session's row, now ended");
    app.cleanup().await;
}

/// The adapter runs the same origin check as the layer: a page on a sibling subdomain or another port cannot post
/// "sign out everywhere else" with the user's cookie; the site's own pages can.
#[tokio::test]
async fn the_adapter_refuses_state_changes_from_other_origins() {
    let Some(app) = app().await else { return };
    let mut a = Browser::new(crate::common::CHROME_MAC);
    let mut b = Browser::new(FIREFOX);
    a.login(&app, "first password").await;
    b.login(&app, "first password").await;
    let post = |browser: &Browser, headers: &[(&'static str, &str)]| {
        let mut req = browser.request("POST", "/devices/revoke-others", "");
        req.headers_mut().insert(header::HOST, "app.example.test".parse().unwrap());
        for (name, value) in headers {
            req.headers_mut().insert(*name, value.parse().unwrap());
        }
        req
    };
    for headers in [
        &[("sec-fetch-site", "same-site"), ("origin", "http://evil.example.test")][..],
        &[("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")][..],
        &[("origin", "http://app.example.test:8080")][..],
        &[("origin", "null")][..],
    ] {
        let res = app.router.clone().oneshot(post(&a, headers)).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(b.me(&app).await, StatusCode::OK, "nothing a foreign page posted took effect");
    let own = [("sec-fetch-site", "same-origin"), ("origin", "http://app.example.test")];
    let res = app.router.clone().oneshot(post(&a, &own)).await.unwrap();
    assert_ne!(res.status(), StatusCode::FORBIDDEN, "the site's own page is refused");
    app.cleanup().await;
}
