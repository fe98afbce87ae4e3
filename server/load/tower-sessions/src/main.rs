//! tower-sessions with its SQLx store, serving the same routes as the product's `load_target` example:
//! `GET /` ("ok <user>" or 401), `GET /bench/login?user=` (answers the cookie to send), `POST /bench/revoke` with a
//! session id (deletes it through the store, so a caching store forgets it too). Run by `load_bench`.
//!
//! `--cache` puts tower-sessions' own cache in front (`CachingSessionStore` with `MokaStore`), as its documentation
//! recommends for speed; `--file` and `--schema` let a second process share the first one's sessions, which is how
//! `load_bench` measures what that cache serves after another process deletes a session.

use std::str::FromStr;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use tower_sessions::session::Id;
use tower_sessions::session_store::{CachingSessionStore, SessionStore};
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_moka_store::MokaStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

async fn authenticated(session: Session) -> (StatusCode, String) {
    match session.get::<String>("user").await {
        Ok(Some(user)) => (StatusCode::OK, format!("ok {user}")),
        _ => (StatusCode::UNAUTHORIZED, "signed out".into()),
    }
}

async fn login(session: Session, Query(Login { user }): Query<Login>) -> String {
    session.insert("user", user).await.unwrap();
    session.save().await.unwrap();
    format!("id={}", session.id().unwrap())
}

async fn revoke<S: SessionStore + Clone>(State(store): State<S>, id: String) -> StatusCode {
    let Ok(id) = Id::from_str(id.trim()) else { return StatusCode::BAD_REQUEST };
    match store.delete(&id).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn routes<S: SessionStore + Clone>(store: S) -> Router {
    let layer = SessionManagerLayer::new(store.clone()).with_secure(false);
    Router::new()
        .route("/", get(authenticated))
        .route("/bench/login", get(login))
        .route("/bench/revoke", post(revoke::<S>))
        .with_state(store)
        .layer(layer)
}

fn app<S: SessionStore + Clone>(store: S, cache: bool) -> Router {
    if cache {
        // The capacity tower-sessions-moka-store's examples use; the benchmark signs in far fewer users.
        routes(CachingSessionStore::new(MokaStore::new(Some(2_000)), store))
    } else {
        routes(store)
    }
}

#[tokio::main]
async fn main() {
    let (mut db, mut addr, mut cache) = ("sqlite".to_owned(), "127.0.0.1:0".to_owned(), false);
    let (mut file, mut schema) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--db" => db = args.next().expect("--db sqlite|<postgres url>"),
            "--addr" => addr = args.next().expect("--addr host:port"),
            "--cache" => cache = true,
            "--file" => file = args.next(),
            "--schema" => schema = args.next(),
            other => panic!("unknown argument {other}"),
        }
    }
    let app = if db == "sqlite" {
        let file = file.unwrap_or_else(|| {
            let path = std::env::temp_dir().join(format!("tower-sessions-{}.db", std::process::id()));
            path.display().to_string()
        });
        // The same journal settings as the product's SQLite store, so the comparison is of the layers.
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let store = SqliteStore::new(pool);
        store.migrate().await.unwrap();
        app(store, cache)
    } else {
        let pool = sqlx::PgPool::connect(&db).await.unwrap();
        let schema = schema.unwrap_or_else(|| format!("ts_{}", std::process::id()));
        let store = PostgresStore::new(pool).with_schema_name(schema).unwrap();
        store.migrate().await.unwrap();
        app(store, cache)
    };
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
