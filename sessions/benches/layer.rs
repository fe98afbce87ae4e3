//! Per-request cost of the session layer: a request with a live session cookie (one indexed lookup; the activity
//! touch is throttled) against the same request without a cookie, on SQLite and, when
//! `SESSIONS_TEST_POSTGRES_URL` is set, PostgreSQL. Run: `cargo bench -p leptos-sessions --features ssr --bench layer`.

use std::hint::black_box;
use std::str::FromStr;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use http::{header, Request};
use leptos_sessions::engine::{Auth, Config, PgStore, RequestMeta, Sessions, SqliteStore};
use tower::ServiceExt;

fn bench_store(c: &mut Criterion, name: &str, rt: &tokio::runtime::Runtime, sessions: Sessions) {
    let app = Router::new().route("/", get(|| async { "ok" })).layer(sessions.layer());
    let meta = RequestMeta { user_agent: Some("Mozilla/5.0 Chrome/137.0.0.0".into()), ..RequestMeta::default() };
    let signed = rt.block_on(sessions.sign_in("bench", &Auth::password(), &meta)).unwrap();
    let cookie = signed.cookies.session_cookie().unwrap().stripped().to_string();
    let bare = Router::new().route("/", get(|| async { "ok" }));
    let mut group = c.benchmark_group(format!("layer/{name}"));
    group.bench_function("bare_axum_no_layer", |b| {
        b.iter(|| rt.block_on(bare.clone().oneshot(Request::get("/").body(Body::empty()).unwrap())).unwrap())
    });
    group.bench_function("no_cookie", |b| {
        b.iter(|| rt.block_on(app.clone().oneshot(Request::get("/").body(Body::empty()).unwrap())).unwrap())
    });
    group.bench_function("live_session", |b| {
        b.iter(|| {
            let req = Request::get("/").header(header::COOKIE, black_box(&cookie)).body(Body::empty()).unwrap();
            rt.block_on(app.clone().oneshot(req)).unwrap()
        })
    });
    group.finish();
}

fn layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let config = || Config::new("benchmark secret that is long enough!!").unwrap().secure_cookies(false);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = rt.block_on(SqliteStore::open(&url)).unwrap();
    let sessions = rt.block_on(async { Sessions::new(config(), sqlite) });
    bench_store(c, "sqlite", &rt, sessions);

    if let Ok(url) = std::env::var("SESSIONS_TEST_POSTGRES_URL") {
        let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let pg = rt.block_on(async {
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.unwrap();
            let options = sqlx::postgres::PgConnectOptions::from_str(&url).unwrap().options([("search_path", &schema)]);
            PgStore::connect_with(options).await.unwrap()
        });
        let pool = pg.pool().clone();
        let sessions = rt.block_on(async { Sessions::new(config(), pg) });
        bench_store(c, "postgres", &rt, sessions);
        let _ = rt.block_on(sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(&pool));
    }
}

criterion_group!(benches, layer);
criterion_main!(benches);
