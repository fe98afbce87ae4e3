//! Shared by the engine test files: a store on a real SQLite file, a tiny app behind the layer, and helpers.
#![allow(dead_code)]

use axum::body::Body;
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::{header, Request, StatusCode};
use leptos_sessions::engine::{Auth, Config, CurrentSession, RequestMeta, Sessions, SqliteStore};
use sqlx::Row;
use tower::ServiceExt;

pub const SECRET: &str = "test secret that is long enough to sign cookies";
pub const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";

pub struct Harness {
    pub _dir: tempfile::TempDir,
    pub store: SqliteStore,
    pub sessions: Sessions,
}

pub async fn harness() -> Harness {
    harness_with(|c| c).await
}

/// A harness whose configuration `tweak` adjusts (hooks, intervals, fault injection).
pub async fn harness_with(tweak: impl FnOnce(Config) -> Config) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sessions.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let sessions = Sessions::new(tweak(Config::new(SECRET).unwrap().secure_cookies(false)), store.clone());
    Harness { _dir: dir, store, sessions }
}

pub fn meta(ua: &str) -> RequestMeta {
    RequestMeta { ip: "203.0.113.7".parse().ok(), user_agent: Some(ua.to_owned()), ..RequestMeta::default() }
}

pub fn pw() -> Auth {
    Auth::password()
}

/// `name=value` from a `Set-Cookie` header value.
/// A `Set-Cookie` line: one read off a response, or the session cookie of what the engine handed back.
pub trait SetCookieLine {
    fn line(&self) -> String;
}

impl SetCookieLine for str {
    fn line(&self) -> String {
        self.to_owned()
    }
}

impl SetCookieLine for String {
    fn line(&self) -> String {
        self.clone()
    }
}

impl SetCookieLine for leptos_sessions::engine::SetCookies {
    fn line(&self) -> String {
        self.session_cookie().expect("a session cookie").to_string()
    }
}

/// The `name=value` a browser sends back for a `Set-Cookie` line.
pub fn pair(set_cookie: &(impl SetCookieLine + ?Sized)) -> String {
    set_cookie.line().split(';').next().unwrap().to_owned()
}

pub fn app(sessions: &Sessions) -> Router {
    Router::new()
        .route(
            "/me",
            get(|current: Option<Extension<CurrentSession>>| async move {
                current.map(|Extension(c)| c.user_id.to_string()).unwrap_or_else(|| "anonymous".into())
            }),
        )
        .route("/change", post(|| async { "changed" }))
        .layer(sessions.layer())
}

pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub set_cookie: Vec<String>,
}

pub async fn call(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let set_cookie = res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    Answer { status, body: String::from_utf8_lossy(&body).into_owned(), set_cookie }
}

/// A browser's page load of `/me` (it accepts HTML, so an ended session's cookie is cleared on it).
pub async fn get_me(app: &Router, cookie: &str) -> Answer {
    let req = Request::get("/me").header(header::COOKIE, cookie).header(header::ACCEPT, "text/html");
    call(app, req.body(Body::empty()).unwrap()).await
}

pub async fn column(store: &SqliteStore, id: &str, col: &str) -> Option<String> {
    let sql = format!("SELECT CAST({col} AS TEXT) AS v FROM sessions WHERE id = ?");
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(store.pool()).await.unwrap().get("v")
}

pub async fn count(store: &SqliteStore, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(store.pool()).await.unwrap()
}

pub fn current(id: &str, user: &str) -> CurrentSession {
    CurrentSession { id: id.into(), user_id: user.into() }
}

/// A clock the test moves by hand (`Config::clock`): timeouts are tested without sleeping.
#[derive(Clone)]
pub struct Clock(std::sync::Arc<std::sync::Mutex<time::OffsetDateTime>>);

impl Clock {
    pub fn new() -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(time::OffsetDateTime::now_utc())))
    }
    pub fn advance(&self, by: std::time::Duration) {
        *self.0.lock().unwrap() += by;
    }
    pub fn install(&self, config: Config) -> Config {
        let c = self.0.clone();
        config.clock(move || *c.lock().unwrap())
    }
}
