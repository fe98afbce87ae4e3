//! Devices page benchmark: server-side rendering of `/settings/sessions` (and the history page) by the release demo
//! server, for a user with 100 live sessions and 10,000 trail events, timed from a client on loopback.
//!
//! Seeds a fresh SQLite file, starts `target/release/server` on it (built by `scripts/build.sh`), checks that the
//! pages' queries search their indexes (SQLite's query plans), then requests each page sequentially. `scripts/bench.sh page` runs it; `--smoke` is the short correctness run CI uses.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app::users::Users;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use leptos_sessions::engine::{Auth, Config, Event, RequestMeta, Sessions, SqliteStore, Trail};

const SECRET: &str = "page benchmark secret, long enough to sign";
const AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36 Edg/137.0.0.0",
    "Mozilla/5.0 (iPad; CPU OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
];

#[tokio::main]
async fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (sessions_n, events_n, requests): (usize, usize, usize) =
        if smoke { (10, 200, 10) } else { (100, 10_000, 300) };
    let server =
        std::env::args().skip_while(|a| a != "--server").nth(1).unwrap_or_else(|| "target/release/server".into());

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("page.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let user = users.create("bench@example.com", "a long benchmark password").await.unwrap().unwrap();
    let sessions = Sessions::new(Config::new(SECRET).unwrap().secure_cookies(false), store.clone());
    let mut cookie = String::new();
    for i in 0..sessions_n {
        let meta = RequestMeta {
            user_agent: Some(AGENTS[i % AGENTS.len()].into()),
            ip: Some(format!("203.0.113.{}", i % 250).parse().unwrap()),
            ..RequestMeta::default()
        };
        let signed = sessions.sign_in(&user.id, &Auth::password(), &meta).await.unwrap();
        cookie = signed.cookies.iter().map(|c| c.stripped().to_string()).collect::<Vec<_>>().join("; ");
    }
    let started = Instant::now();
    for i in 0..events_n.saturating_sub(sessions_n) {
        let failed = i % 3 == 0;
        let event = Event {
            id: uuid::Uuid::now_v7().to_string(),
            kind: if failed { "failed_login" } else { "login" }.into(),
            user_id: (!failed).then(|| user.id.clone()),
            identity: Some("bench@example.com".into()),
            auth_method: Some("password".into()),
            failure_reason: failed.then(|| "invalid_password".into()),
            ip_address: Some(format!("198.51.100.{}", i % 250)),
            user_agent: Some(AGENTS[i % AGENTS.len()].into()),
            device_type: Some("desktop".into()),
            occurred_at: Some(time::OffsetDateTime::now_utc() - Duration::from_secs(60 * i as u64)),
            ..Event::default()
        };
        store.insert_event(&event).await.unwrap();
    }
    eprintln!("seeded {sessions_n} sessions and {events_n} events in {:?}", started.elapsed());
    drop(sessions);

    // The server logs the address it was given, so give it a free port rather than port 0.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(&server)
        .arg("serve")
        .env("SESSIONS_ADDR", format!("127.0.0.1:{port}"))
        .env("SESSIONS_DATABASE_URL", &url)
        .env("SESSIONS_SECRET_KEY", SECRET)
        .env("SESSIONS_SECURE_COOKIES", "false")
        .env("RUST_LOG", "info")
        // The server logs (its address too) to standard output.
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {server} (run scripts/build.sh first): {e}"));
    let mut addr = None;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            // Strip the colour codes tracing may add after the address.
            addr = Some(rest.split(|c: char| c.is_whitespace() || c == '\u{1b}').next().unwrap_or(rest).to_owned());
            break;
        }
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let addr = addr.expect("the server printed its address");

    // The plans of the pages' queries as the server sees the database (its start refreshed the statistics): a query
    // that reads a whole table or index fails the run, whatever the timings say. Not in the smoke run: on its ten
    // rows, all of one user, reading the table is the planner's right choice (a test checks the plans on a trail
    // of many users).
    let plans = SqliteStore::open(&url).await.unwrap().page_query_plans(&user.id).await.unwrap();
    let mut failed = false;
    for (query, steps) in &plans {
        if steps.iter().any(|s| s.starts_with("SCAN sessions")) || !steps.iter().any(|s| s.starts_with("SEARCH ")) {
            eprintln!("the {query} query stopped searching its index: {steps:#?}");
            failed |= !smoke;
        }
    }
    eprintln!("query plans checked: {}", plans.iter().map(|(q, _)| *q).collect::<Vec<_>>().join(", "));

    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    println!("| page | p50 | p99 | mean | page size |\n|---|---|---|---|---|");
    for (path, expect) in [("/settings/sessions", "data-device-id"), ("/settings/sessions/history", "data-kind")] {
        let mut times = Vec::new();
        let mut size = 0;
        for i in 0..requests + 20 {
            let req = Request::get(path).header("host", &addr).header("cookie", &cookie).body(Empty::<Bytes>::new());
            sender.ready().await.unwrap();
            let started = Instant::now();
            let res = sender.send_request(req.unwrap()).await.unwrap();
            let status = res.status();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            let took = started.elapsed();
            let page = String::from_utf8_lossy(&body);
            if status != 200 || !page.contains(expect) {
                eprintln!("{path}: status {status}, {} bytes without {expect:?}", body.len());
                failed = true;
                break;
            }
            if path == "/settings/sessions" && page.matches("data-device-id").count() != sessions_n {
                eprintln!("{path}: expected {sessions_n} devices");
                failed = true;
            }
            size = body.len();
            // The first requests warm the caches and the allocator.
            if i >= 20 {
                times.push(took);
            }
        }
        times.sort();
        if let (Some(p50), Some(p99)) = (times.get(times.len() / 2), times.get(times.len() * 99 / 100)) {
            let mean = times.iter().sum::<Duration>() / times.len() as u32;
            println!("| `{path}` | {p50:.2?} | {p99:.2?} | {mean:.2?} | {} KB |", size / 1024);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    if failed {
        std::process::exit(1);
    }
}
