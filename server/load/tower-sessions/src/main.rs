//! tower-sessions with its SQLx store, serving the same routes as the product's `load_target` example:
//! `GET /` ("ok <user>" or 401), `GET /bench/login?user=` (answers the cookie to send). Run by `load_bench`.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tower_sessions::{Session, SessionManagerLayer};
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

#[tokio::main]
async fn main() {
    let mut db = "sqlite".to_owned();
    let mut addr = "127.0.0.1:0".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--db" => db = args.next().expect("--db sqlite|<postgres url>"),
            "--addr" => addr = args.next().expect("--addr host:port"),
            other => panic!("unknown argument {other}"),
        }
    }
    let routes = Router::new().route("/", get(authenticated)).route("/bench/login", get(login));
    let app = if db == "sqlite" {
        let file = std::env::temp_dir().join(format!("tower-sessions-{}.db", std::process::id()));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let store = SqliteStore::new(pool);
        store.migrate().await.unwrap();
        routes.layer(SessionManagerLayer::new(store).with_secure(false))
    } else {
        let pool = sqlx::PgPool::connect(&db).await.unwrap();
        let store = PostgresStore::new(pool).with_schema_name(format!("ts_{}", std::process::id())).unwrap();
        store.migrate().await.unwrap();
        routes.layer(SessionManagerLayer::new(store).with_secure(false))
    };
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
