//! Shared by the custom-harness benchmarks: stores to measure on, timing summaries, smoke mode.

#![allow(dead_code)]

use std::str::FromStr;
use std::time::Duration;

use leptos_sessions::engine::{PgStore, SqliteStore};

/// `cargo bench` passes `--bench`; `cargo test --benches` (CI) does not, and gets the short correctness run.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// A fresh SQLite file (kept alive by the returned directory). `BENCH_TMP=/dev/shm` puts it in memory-backed
/// storage, which separates the disk's latency from the CPU's.
pub async fn sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir = match std::env::var_os("BENCH_TMP") {
        Some(parent) => tempfile::tempdir_in(parent).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    (SqliteStore::open(&url).await.unwrap(), dir)
}

/// A fresh schema on `SESSIONS_TEST_POSTGRES_URL`, if set; its name, to drop afterwards.
pub async fn postgres() -> Option<(PgStore, String)> {
    let url = std::env::var("SESSIONS_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&url).await.expect("SESSIONS_TEST_POSTGRES_URL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.unwrap();
    let options = sqlx::postgres::PgConnectOptions::from_str(&url).unwrap().options([("search_path", &schema)]);
    Some((PgStore::connect_with(options).await.unwrap(), schema))
}

pub async fn drop_schema(store: &PgStore, schema: &str) {
    let sql = format!("DROP SCHEMA {schema} CASCADE");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.pool()).await.unwrap();
}

/// p50, p99 and max of a set of timings.
pub fn summary(times: &mut [Duration]) -> (Duration, Duration, Duration) {
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99), *times.last().unwrap())
}
