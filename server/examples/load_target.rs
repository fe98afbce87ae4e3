//! The server side of the load benchmark (`load_bench`): one trivial authenticated handler, served either by bare
//! axum (`--mode bare`) or behind the session layer (`--mode layer`) on SQLite or PostgreSQL.
//!
//! `GET /` answers "ok <user>" for a signed-in request and 401 otherwise (bare: always "ok").
//! `GET /bench/login?user=<id>` signs the user in and answers the `Cookie` header value to send; `POST /bench/revoke`
//! with a user id ends their sessions and answers once the revocation has committed.
//!
//! Run by `load_bench`; by hand: `cargo run --release -p server --example load_target -- --mode layer --db sqlite`.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Router};
use leptos_sessions::engine::{Auth, Config, CurrentSession, PgStore, RequestMeta, Sessions, SqliteStore};

struct Args {
    mode: String,
    db: String,
    addr: SocketAddr,
    cache: bool,
    shared_cache: bool,
    schema: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        mode: "layer".into(),
        db: "sqlite".into(),
        addr: "127.0.0.1:0".parse().unwrap(),
        cache: true,
        shared_cache: false,
        schema: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--mode" => args.mode = it.next().expect("--mode bare|layer"),
            "--db" => args.db = it.next().expect("--db sqlite|<postgres url>"),
            "--addr" => args.addr = it.next().and_then(|a| a.parse().ok()).expect("--addr host:port"),
            "--no-cache" => args.cache = false,
            "--shared-cache" => args.shared_cache = true,
            "--schema" => args.schema = it.next(),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

#[tokio::main]
async fn main() {
    let args = args();
    let _dir; // keeps the SQLite file alive until exit
    let app = if args.mode == "bare" {
        Router::new().route("/", get(|| async { "ok" })).route("/bench/login", get(|| async { "" }))
    } else {
        let config = Config::new("load benchmark secret, long enough to sign")
            .unwrap()
            .secure_cookies(false)
            .session_cache(args.cache.then_some(Duration::from_secs(2)))
            .shared_session_cache(args.shared_cache);
        let sessions = if args.db == "sqlite" {
            _dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", _dir.path().join("load.db").display());
            Sessions::new(config, SqliteStore::open(&url).await.unwrap())
        } else {
            // Instances given the same schema share their sessions (load_bench's cross-instance revocations).
            let schema = args.schema.clone().unwrap_or_else(|| format!("load_{}", std::process::id()));
            let admin = sqlx::PgPool::connect(&args.db).await.expect("PostgreSQL is reachable");
            let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&admin).await.unwrap();
            let options =
                sqlx::postgres::PgConnectOptions::from_str(&args.db).unwrap().options([("search_path", &schema)]);
            Sessions::new(config, PgStore::connect_with(options).await.unwrap())
        };
        Router::new()
            .route("/", get(authenticated))
            .route("/bench/login", get(sign_in))
            .route("/bench/revoke", post(revoke))
            .layer(sessions.layer())
            .with_state(sessions)
    };
    let listener = tokio::net::TcpListener::bind(args.addr).await.unwrap();
    // load_bench reads this line to learn the port.
    println!("listening on {}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}

async fn authenticated(current: Option<Extension<CurrentSession>>) -> impl IntoResponse {
    match current {
        Some(Extension(current)) => (StatusCode::OK, format!("ok {}", current.user_id)),
        None => (StatusCode::UNAUTHORIZED, "signed out".to_owned()),
    }
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

async fn sign_in(State(sessions): State<Sessions>, Query(Login { user }): Query<Login>) -> String {
    let meta = RequestMeta {
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/137.0.0.0 Safari/537.36".into()),
        ..RequestMeta::default()
    };
    let signed = sessions.sign_in(&user, &Auth::password(), &meta).await.unwrap();
    let cookie = signed.set_cookies.iter().find(|c| c.starts_with("session=")).unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Ends every session of the user named in the body; answers after the revocation committed.
async fn revoke(State(sessions): State<Sessions>, user: String) -> impl IntoResponse {
    match sessions.end_all(user.trim(), "admin_revoked", Some("system")).await {
        Ok(1) => StatusCode::NO_CONTENT,
        Ok(_) => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
