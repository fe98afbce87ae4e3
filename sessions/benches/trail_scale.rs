//! The trail at scale: 10 million events over a year (60% sign-ins, 30% failures, a fifth of them against accounts
//! that do not exist, 10% sign-outs; 100,000 users with about 100 events each, 65,536 addresses). Times the triage query "failed sign-ins in
//! the last 24 h grouped by IP" (and by identity), a user's history page, and the retention sweep deleting the
//! oldest 1 million events, reporting how long a concurrent write had to wait for it (the longest write transaction).
//! The admin page's queries run on the same trail (1% of sign-ins flagged as new devices) and on 200,000 registry
//! rows (two per user, a quarter of them ended): sessions of every user with filters, flagged sign-ins, sign-ins by
//! country and per hour over 7 days.
//!
//! Run: `cargo bench -p leptos-sessions --features ssr --bench trail_scale` (add `-- --events 1000000` for a
//! quicker run). `cargo test --benches` runs it on 20,000 events as a correctness check.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leptos_sessions::engine::{
    Config, Direction, Event, FailureKey, Page, SessionFilter, SessionSort, SessionState, SessionStore, Sessions,
};
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
/// One sign-in in a hundred was flagged by the new-device check.
const NEW_DEVICE: &str = "CASE WHEN i % 10 < 6 AND i % 100 = 3 THEN '{\"new_device\": true}' END";
/// Registry rows: two per user, a quarter of them ended (a hundredth of that in the smoke run, as for the events).
fn registry_rows() -> i64 {
    if common::smoke() && !std::env::args().any(|a| a == "--events") {
        2_000
    } else {
        200_000
    }
}
const SESSION_IP: &str = "'198.51.' || (i % 256) || '.' || ((i / 256) % 256)";
const SESSION_COUNTRY: &str = "CASE i % 4 WHEN 0 THEN 'GB' WHEN 1 THEN 'US' WHEN 2 THEN 'DE' ELSE NULL END";
const SESSION_DEVICE: &str = "CASE i % 3 WHEN 0 THEN 'desktop' WHEN 1 THEN 'smartphone' ELSE 'tablet' END";

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
    let chart =
        Sessions::new(Config::new("benchmark secret that is long enough!!").unwrap().clock(move || now), store.clone());
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

        let week = now - Duration::from_secs(7 * 24 * 3600);
        let admin_page = |sort| Page { sort, direction: Direction::Desc, limit: 26, offset: 0 };
        let live = SessionFilter::default();
        let t = Instant::now();
        let found = store.find_sessions(&live, &admin_page(SessionSort::LastSeen)).await.unwrap();
        rows.push(time("admin: live sessions of every user, first page", t.elapsed(), found.len()));
        assert_eq!(found.len(), 26);
        let by_ip = SessionFilter { ip: Some("198.51.7.42".into()), ..SessionFilter::default() };
        let t = Instant::now();
        let found = store.find_sessions(&by_ip, &admin_page(SessionSort::LastSeen)).await.unwrap();
        rows.push(time("admin: live sessions from one IP", t.elapsed(), found.len()));
        let narrow = SessionFilter {
            country_code: Some("DE".into()),
            device_type: Some("smartphone".into()),
            state: SessionState::IdleSince(now - Duration::from_secs(3600)),
            ..SessionFilter::default()
        };
        let t = Instant::now();
        let third = Page { offset: 52, ..admin_page(SessionSort::SignedIn) };
        let found = store.find_sessions(&narrow, &third).await.unwrap();
        rows.push(time("admin: idle phones in one country, third page by sign-in", t.elapsed(), found.len()));
        let ended = SessionFilter { state: SessionState::Ended, ..SessionFilter::default() };
        let t = Instant::now();
        let found = store.find_sessions(&ended, &admin_page(SessionSort::LastSeen)).await.unwrap();
        rows.push(time("admin: ended sessions, first page", t.elapsed(), found.len()));
        let t = Instant::now();
        let flagged = store.new_device_logins(week, &Page::first(26)).await.unwrap();
        rows.push(time("admin: sign-ins from new devices, 7 days, first page", t.elapsed(), flagged.len()));
        assert!(!flagged.is_empty(), "the last week has flagged sign-ins");
        let t = Instant::now();
        let countries = store.by_country(since, &Page::first(26)).await.unwrap();
        rows.push(time("admin: sign-ins by country, 24 h", t.elapsed(), countries.len()));
        let t = Instant::now();
        let hours = store.per_hour(week).await.unwrap();
        rows.push(time("admin: sign-ins and failures per hour, 7 days (store query)", t.elapsed(), hours.len()));
        assert!(hours.len() >= 24 * 6, "every hour of the week has events");
        let t = Instant::now();
        let chart = chart.per_hour(week).await.unwrap();
        rows.push(time(
            "admin: the same through Sessions::per_hour, finished hours remembered",
            t.elapsed(),
            chart.len(),
        ));
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
    let registry_rows = registry_rows();
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
                                              device_type, metadata, occurred_at)
                 SELECT printf('%012d', i), {KIND},
                        CASE WHEN i % 10 < 6 OR i % 10 = 9 THEN 'user-' || ((i / 10) % 100000) END,
                        CASE WHEN i % 50 = 7 THEN 'nobody' || (i % 5000) || '@example.com'
                             ELSE 'user' || ((i / 10) % 100000) || '@example.com' END,
                        CASE WHEN i % 10 BETWEEN 6 AND 8 THEN 'invalid_credentials' END,
                        '198.51.' || (i % 256) || '.' || ((i / 256) % 256),
                        CASE i % 4 WHEN 0 THEN 'GB' WHEN 1 THEN 'US' WHEN 2 THEN 'DE' ELSE NULL END,
                        'desktop', {NEW_DEVICE}, {now_ms} - {span} + ({span} * i / {n})
                 FROM n",
                span = 365 * DAY_MS
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(sqlite.pool()).await.unwrap();
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {registry_rows})
                 INSERT INTO sessions (id, user_id, token_digest, ip_address, last_seen_ip, country_code, device_type,
                                       created_at, last_seen_at, ended_at, ended_reason)
                 SELECT printf('s%011d', i), 'user-' || (i % 100000), printf('%064d', i), {SESSION_IP}, {SESSION_IP},
                        {SESSION_COUNTRY}, {SESSION_DEVICE},
                        {now_ms} - (i % 90) * {DAY_MS} - (i % 1000) * 1000, {now_ms} - (i % 720) * 60000,
                        CASE WHEN i % 4 = 0 THEN {now_ms} - (i % 30) * {DAY_MS} END,
                        CASE WHEN i % 4 = 0 THEN 'logout' END
                 FROM n"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(sqlite.pool()).await.unwrap();
            sqlx::query("ANALYZE").execute(sqlite.pool()).await.unwrap();
            // A running database's WAL stays small (the store checkpoints every 200 ms); the seed's few huge
            // transactions leave gigabytes of it, which would still be copied back during the sweep below and
            // make every write wait on that copy's I/O instead of on the sweep.
            let wal = wal_size(&sqlite).await;
            let t = Instant::now();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(sqlite.pool()).await.unwrap();
            eprintln!("SQLite: checkpointed the seed's {} MB of WAL in {:.1?}", wal >> 20, t.elapsed());
        };
        run("SQLite", &sqlite, seed, n, now_ms).await;

        if let Some((pg, schema)) = common::postgres().await {
            let seed = async {
                let sql = format!(
                    "INSERT INTO sessions_events (id, kind, user_id, identity, failure_reason, ip_address, country_code,
                                                  device_type, metadata, occurred_at)
                     SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, {KIND},
                            CASE WHEN i % 10 < 6 OR i % 10 = 9 THEN 'user-' || ((i / 10) % 100000) END,
                            CASE WHEN i % 50 = 7 THEN 'nobody' || (i % 5000) || '@example.com'
                                 ELSE 'user' || ((i / 10) % 100000) || '@example.com' END,
                            CASE WHEN i % 10 BETWEEN 6 AND 8 THEN 'invalid_credentials' END,
                            '198.51.' || (i % 256) || '.' || ((i / 256) % 256),
                            CASE i % 4 WHEN 0 THEN 'GB' WHEN 1 THEN 'US' WHEN 2 THEN 'DE' ELSE NULL END,
                            'desktop', ({NEW_DEVICE})::jsonb,
                            to_timestamp(({now_ms} - {span} + ({span}::bigint * i / {n})) / 1000.0)
                     FROM generate_series(1, {n}::bigint) AS i",
                    span = 365 * DAY_MS
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pg.pool()).await.unwrap();
                let ms = |expr: &str| format!("to_timestamp(({expr}) / 1000.0)");
                let sql = format!(
                    "INSERT INTO sessions (id, user_id, token_digest, ip_address, last_seen_ip, country_code, device_type,
                                           created_at, last_seen_at, ended_at, ended_reason)
                     SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, 'user-' || (i % 100000),
                            lpad(i::text, 64, '0'), {SESSION_IP}, {SESSION_IP}, {SESSION_COUNTRY}, {SESSION_DEVICE},
                            {}, {}, CASE WHEN i % 4 = 0 THEN {} END, CASE WHEN i % 4 = 0 THEN 'logout' END
                     FROM generate_series(1, {registry_rows}::bigint) AS i",
                    ms(&format!("{now_ms} - (i % 90) * {DAY_MS} - (i % 1000) * 1000")),
                    ms(&format!("{now_ms} - (i % 720) * 60000")),
                    ms(&format!("{now_ms} - (i % 30) * {DAY_MS}")),
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pg.pool()).await.unwrap();
                sqlx::query("ANALYZE sessions_events").execute(pg.pool()).await.unwrap();
                sqlx::query("ANALYZE sessions").execute(pg.pool()).await.unwrap();
            };
            run("PostgreSQL", &pg, seed, n, now_ms).await;
            common::drop_schema(&pg, &schema).await;
        }
    });
}

/// Bytes in the SQLite file's write-ahead log.
async fn wal_size(store: &leptos_sessions::engine::SqliteStore) -> u64 {
    let file: String = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    std::fs::metadata(format!("{file}-wal")).map_or(0, |m| m.len())
}
