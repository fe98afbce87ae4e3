//! The trail at scale: 10 million events over a year (60% sign-ins, 30% failures, a fifth of them against accounts
//! that do not exist, 10% sign-outs; 100,000 users with about 100 events each, 65,536 addresses). Times the triage query "failed sign-ins in
//! the last 24 h grouped by IP" (and by identity), a user's history page, and the retention sweep deleting the
//! oldest 1 million events, reporting how long a concurrent write had to wait for it (the longest write transaction).
//!
//! Run: `cargo bench -p leptos-sessions --features ssr --bench trail_scale` (add `-- --events 1000000` for a
//! quicker run). `cargo test --benches` runs it on 20,000 events as a correctness check.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leptos_sessions::engine::{Config, Event, FailureKey, Page, SessionStore, Sessions};
use time::OffsetDateTime;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn events() -> i64 {
    let arg = std::env::args().skip_while(|a| a != "--events").nth(1);
    match arg {
        Some(n) => n.parse().expect("--events N"),
        None if common::smoke() => 20_000,
        None => 10_000_000,
    }
}

/// Row `i` of the synthetic trail, as SQL expressions over `i` (shared by both backends' generators).
const KIND: &str = "CASE WHEN i % 10 < 6 THEN 'login' WHEN i % 10 < 9 THEN 'failed_login' ELSE 'logout' END";

async fn run<S: SessionStore + Clone + 'static>(
    name: &str,
    store: &S,
    seed: impl std::future::Future<Output = ()>,
    n: i64,
    now_ms: i64,
) {
    let started = Instant::now();
    seed.await;
    eprintln!("{name}: seeded {n} events in {:.1?}", started.elapsed());

    // The seed's clock, not the current one: seeding 10 million events takes minutes.
    let now = OffsetDateTime::from_unix_timestamp(now_ms / 1000).unwrap();
    let since = now - Duration::from_secs(24 * 3600);
    let mut rows = Vec::new();
    let time = |label: &'static str, took: Duration, found: usize| (label, took, found);
    for _ in 0..2 {
        // Twice: the first run reads from disk, the second shows the warm cost.
        let t = Instant::now();
        let by_ip = store.failures_by(FailureKey::Ip, since, &Page::first(50)).await.unwrap();
        rows.push(time("failed sign-ins in the last 24 h by IP (top 50)", t.elapsed(), by_ip.len()));
        assert!(!by_ip.is_empty(), "the last day has failures");
        let t = Instant::now();
        let by_identity = store.failures_by(FailureKey::Identity, since, &Page::first(50)).await.unwrap();
        rows.push(time("failed sign-ins in the last 24 h by identity (top 50)", t.elapsed(), by_identity.len()));
        let t = Instant::now();
        let page = store.history("user-42", 20, 0).await.unwrap();
        rows.push(time("history of one user, first page of 20", t.elapsed(), page.len()));
        assert!(!page.is_empty(), "user-42 has a history");
        let t = Instant::now();
        let page = store.history("user-42", 20, 40).await.unwrap();
        rows.push(time("history of one user, third page", t.elapsed(), page.len()));
    }
    for (label, took, found) in rows.iter().skip(rows.len() / 2) {
        println!("| {name} | {label} | {took:.1?} | {found} rows |");
    }

    // The oldest million (or tenth, in smaller runs) are past retention. The sweep runs the product's own path
    // (`Sessions::purge_events`, batches sized to about 20 ms each) while a probe writes one event every 5 ms and
    // times each write: on SQLite every write waits for the batch in progress, so the probe's worst wait is the
    // longest write transaction the sweep held.
    let expired = (n / 10).min(1_000_000);
    let span_ms = 365 * DAY_MS;
    let before = now - Duration::from_millis((span_ms - span_ms * expired / n) as u64) + Duration::from_millis(1);
    let config = Config::new("benchmark secret that is long enough!!").unwrap().clock(move || now);
    let sessions = Sessions::new(config, store.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let probe = tokio::spawn({
        let (store, stop) = (store.clone(), stop.clone());
        async move {
            let mut waits = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let event = Event {
                    id: uuid::Uuid::now_v7().to_string(),
                    kind: "failed_login".into(),
                    identity: Some("probe@example.com".into()),
                    device_type: Some("desktop".into()),
                    occurred_at: Some(now),
                    ..Event::default()
                };
                let t = Instant::now();
                store.insert_event(&event).await.unwrap();
                waits.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            waits
        }
    });
    let started = Instant::now();
    let purged = sessions.purge_events((now - before).try_into().unwrap()).await.unwrap();
    let total = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut waits = probe.await.unwrap();
    let (p50, p99, max) = common::summary(&mut waits);
    println!(
        "| {name} | sweep {purged} expired events (time-sized batches) | {total:.1?} total | a concurrent write waited p50 {p50:.1?}, p99 {p99:.1?}, max {max:.1?} ({} writes) |",
        waits.len()
    );
    assert!(purged as i64 >= expired - 1 && purged as i64 <= expired + 1, "purged {purged}, expected {expired}");
}

fn main() {
    let n = events();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let now_ms = OffsetDateTime::now_utc().unix_timestamp() * 1000;
        println!("| backend | query | time | result |\n|---|---|---|---|");
        let (sqlite, _dir) = common::sqlite().await;
        let seed = async {
            // Generated inside the database; ids in insertion order, times spread evenly over the last year.
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
                 INSERT INTO sessions_events (id, kind, user_id, identity, failure_reason, ip_address, country_code,
                                              device_type, occurred_at)
                 SELECT printf('%012d', i), {KIND},
                        CASE WHEN i % 10 < 6 OR i % 10 = 9 THEN 'user-' || ((i / 10) % 100000) END,
                        CASE WHEN i % 50 = 7 THEN 'nobody' || (i % 5000) || '@example.com'
                             ELSE 'user' || ((i / 10) % 100000) || '@example.com' END,
                        CASE WHEN i % 10 BETWEEN 6 AND 8 THEN 'invalid_credentials' END,
                        '198.51.' || (i % 256) || '.' || ((i / 256) % 256),
                        CASE i % 4 WHEN 0 THEN 'GB' WHEN 1 THEN 'US' WHEN 2 THEN 'DE' ELSE NULL END,
                        'desktop', {now_ms} - {span} + ({span} * i / {n})
                 FROM n",
                span = 365 * DAY_MS
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(sqlite.pool()).await.unwrap();
            sqlx::query("ANALYZE").execute(sqlite.pool()).await.unwrap();
        };
        run("SQLite", &sqlite, seed, n, now_ms).await;

        if let Some((pg, schema)) = common::postgres().await {
            let seed = async {
                let sql = format!(
                    "INSERT INTO sessions_events (id, kind, user_id, identity, failure_reason, ip_address, country_code,
                                                  device_type, occurred_at)
                     SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, {KIND},
                            CASE WHEN i % 10 < 6 OR i % 10 = 9 THEN 'user-' || ((i / 10) % 100000) END,
                            CASE WHEN i % 50 = 7 THEN 'nobody' || (i % 5000) || '@example.com'
                                 ELSE 'user' || ((i / 10) % 100000) || '@example.com' END,
                            CASE WHEN i % 10 BETWEEN 6 AND 8 THEN 'invalid_credentials' END,
                            '198.51.' || (i % 256) || '.' || ((i / 256) % 256),
                            CASE i % 4 WHEN 0 THEN 'GB' WHEN 1 THEN 'US' WHEN 2 THEN 'DE' ELSE NULL END,
                            'desktop',
                            to_timestamp(({now_ms} - {span} + ({span}::bigint * i / {n})) / 1000.0)
                     FROM generate_series(1, {n}::bigint) AS i",
                    span = 365 * DAY_MS
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pg.pool()).await.unwrap();
                sqlx::query("ANALYZE sessions_events").execute(pg.pool()).await.unwrap();
            };
            run("PostgreSQL", &pg, seed, n, now_ms).await;
            common::drop_schema(&pg, &schema).await;
        }
    });
}
