//! The server side of the load benchmark (`load_bench`): one trivial authenticated handler, served either by bare
//! axum (`--mode bare`) or behind the session layer (`--mode layer`) on SQLite or PostgreSQL.
//!
//! `GET /` answers "ok <user>" for a signed-in request and 401 otherwise. `GET /bench/login?user=<id>` signs the user
//! in and answers the `Cookie` header value to send; `POST /bench/revoke` with a user id ends their sessions and
//! answers once the revocation has committed. Bare axum answers the same routes with the same handler body, reading
//! the user from an unsigned cookie of the same length, so the two differ only by the session handling.
//!
//! `--file <path>` names the SQLite file, so that a second process can share it; `--revoke <user> --file <path>`
//! is that second process in one shot: it opens the file, ends the user's sessions and exits, as `server revoke-all`
//! does.
//!
//! Run by `load_bench`; by hand: `cargo run --release -p server --example load_target -- --mode layer --db sqlite`.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::header::COOKIE;
use axum::http::{HeaderMap, StatusCode};
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
    file: Option<String>,
    revoke: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        mode: "layer".into(),
        db: "sqlite".into(),
        addr: "127.0.0.1:0".parse().unwrap(),
        cache: true,
        shared_cache: false,
        schema: None,
        file: None,
        revoke: None,
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
            "--file" => args.file = it.next(),
            "--revoke" => args.revoke = it.next(),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

// The same allocator as the demo server (src/main.rs), for bare axum and the layers alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args = args();
    let _dir; // keeps a temporary SQLite file alive until exit
    let app = if args.mode == "bare" {
        Router::new().route("/", get(authenticated_bare)).route("/bench/login", get(sign_in_bare))
    } else {
        let config = Config::new("load benchmark secret, long enough to sign")
            .unwrap()
            .secure_cookies(false)
            .session_cache(args.cache.then_some(Duration::from_secs(2)))
            .shared_session_cache(args.shared_cache);
        let sessions = if args.db == "sqlite" {
            let file = match &args.file {
                Some(file) => std::path::PathBuf::from(file),
                None => {
                    let dir = tempfile::tempdir().unwrap();
                    let file = dir.path().join("load.db");
                    _dir = dir;
                    file
                }
            };
            Sessions::new(config, SqliteStore::open(&format!("sqlite://{}", file.display())).await.unwrap())
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
        if let Some(user) = &args.revoke {
            let ended = sessions.end_all(user, "admin_revoked", Some("admin:cli")).await.unwrap();
            assert_eq!(ended, 1, "{user} had one session to end");
            return;
        }
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

/// The same body as `authenticated`, for bare axum: the user comes from an unsigned cookie instead of the layer.
async fn authenticated_bare(headers: HeaderMap) -> impl IntoResponse {
    let user = headers
        .get(COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("session="))
        .and_then(|v| v.split_once('.'))
        .map(|(user, _)| user.to_owned());
    match user {
        Some(user_id) => (StatusCode::OK, format!("ok {user_id}")),
        None => (StatusCode::UNAUTHORIZED, "signed out".to_owned()),
    }
}

/// A cookie as long as the layer's (user, a dot, then 86 characters where the layer carries token and signature).
async fn sign_in_bare(Query(Login { user }): Query<Login>) -> String {
    format!("session={user}.{}", "x".repeat(86))
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
    signed.cookies.session_cookie().unwrap().stripped().to_string()
}

/// Ends every session of the user named in the body; answers after the revocation committed.
async fn revoke(State(sessions): State<Sessions>, user: String) -> impl IntoResponse {
    match sessions.end_all(user.trim(), "admin_revoked", Some("system")).await {
        Ok(1) => StatusCode::NO_CONTENT,
        Ok(_) => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
