//! Sign-in tracking cost without password hashing: user-agent parse, device cookie, row and event insert with the
//! cap check in one transaction, supersede, new-device check. p50/p99 and sign-ins per second, one at a time and
//! eight at once, on SQLite and (with `SESSIONS_TEST_POSTGRES_URL`) PostgreSQL.
//!
//! Run: `cargo bench -p leptos-sessions --features ssr --bench signin`. `cargo test --benches` runs it briefly.

mod common;

use std::time::Instant;

use leptos_sessions::engine::{Auth, Config, RequestMeta, SessionStore, Sessions};

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
];

fn meta(i: usize) -> RequestMeta {
    RequestMeta {
        ip: Some(format!("203.0.113.{}", i % 250).parse().unwrap()),
        user_agent: Some(AGENTS[i % AGENTS.len()].into()),
        ..RequestMeta::default()
    }
}

async fn measure(name: &str, store: impl SessionStore + 'static, n: usize) {
    let config = Config::new("benchmark secret that is long enough!!").unwrap().secure_cookies(false);
    let sessions = Sessions::new(config, store);
    leptos_sessions::engine::device::warm_up();
    // 200 users, so sign-ins meet existing rows, the cap check and the new-device check on a growing trail.
    for i in 0..50 {
        sessions.sign_in(&format!("user-{}", i % 200), &Auth::password(), &meta(i)).await.unwrap();
    }
    let mut times = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        let signed = sessions.sign_in(&format!("user-{}", i % 200), &Auth::password(), &meta(i)).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(signed.cookies.iter().count(), 2, "session and device cookies");
    }
    let sequential = n as f64 / started.elapsed().as_secs_f64();
    let (p50, p99, max) = common::summary(&mut times);

    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let sessions = sessions.clone();
            tokio::spawn(async move {
                for i in (t..n).step_by(8) {
                    sessions.sign_in(&format!("user-{}", i % 200), &Auth::password(), &meta(i)).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let concurrent = n as f64 / started.elapsed().as_secs_f64();
    println!("| {name} | {p50:.2?} | {p99:.2?} | {max:.2?} | {sequential:.0} | {concurrent:.0} |");
}

fn main() {
    let n = if common::smoke() { 50 } else { 5000 };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!("{n} sign-ins per backend after 50 warm-up ones\n");
        println!("| backend | p50 | p99 | max | sign-ins/s, one at a time | sign-ins/s, 8 at once |");
        println!("|---|---|---|---|---|---|");
        let (sqlite, _dir) = common::sqlite().await;
        measure("SQLite (file, WAL)", sqlite, n).await;
        if let Some((pg, schema)) = common::postgres().await {
            measure("PostgreSQL", pg.clone(), n).await;
            common::drop_schema(&pg, &schema).await;
        }
    });
}
