//! Load benchmark on loopback: the same trivial authenticated handler served by bare axum, behind the session layer
//! (SQLite and PostgreSQL, with and without the session cache) and behind tower-sessions with its SQLx store.
//! Every server is its own process; this one generates the load over keep-alive HTTP/1.1 connections, running the
//! variants interleaved, round after round, and prints Markdown tables. It then measures revocation staleness: while
//! load runs, sessions are revoked, and any request sent after its revocation returned but answered as signed in is
//! counted.
//!
//! `scripts/bench.sh load` builds everything and runs it; `--smoke` is the short correctness run CI uses.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;

struct Args {
    duration: Duration,
    connections: usize,
    rounds: usize,
    users: usize,
    postgres: Option<String>,
    baseline: Option<PathBuf>,
    smoke: bool,
    /// Load only the servers whose name contains this (for profiling one of them).
    only: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        duration: Duration::from_secs(10),
        connections: 32,
        rounds: 3,
        users: 1000,
        postgres: std::env::var("SESSIONS_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()),
        baseline: None,
        smoke: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--duration" => args.duration = Duration::from_secs_f64(value().parse().expect("--duration seconds")),
            "--connections" => args.connections = value().parse().expect("--connections n"),
            "--rounds" => args.rounds = value().parse().expect("--rounds n"),
            "--users" => args.users = value().parse().expect("--users n"),
            "--postgres" => args.postgres = Some(value()),
            "--no-postgres" => args.postgres = None,
            "--baseline" => args.baseline = Some(PathBuf::from(value())),
            "--only" => args.only = Some(value()),
            "--smoke" => {
                args.smoke = true;
                args.duration = Duration::from_millis(1500);
                args.rounds = 1;
                args.users = 50;
                args.connections = 8;
            }
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// One server process under test.
struct Target {
    name: String,
    child: Child,
    addr: SocketAddr,
    cookies: Vec<String>,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent().expect("examples directory").join(name)
}

async fn start(name: &str, program: PathBuf, args: &[&str], users: usize) -> Target {
    let mut child = Command::new(&program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{name} did not start: {line:?}"));
    let mut target = Target { name: name.to_owned(), child, addr, cookies: Vec::new() };
    let mut client = Client::connect(addr).await;
    for i in 0..users {
        let (status, body) = client.get(&format!("/bench/login?user=user-{i}"), None).await;
        assert_eq!(status, 200, "{name}: sign-in {i} failed: {body}");
        target.cookies.push(body);
    }
    target
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        Self { sender, addr }
    }

    async fn get(&mut self, path: &str, cookie: Option<&str>) -> (u16, String) {
        let mut req = Request::get(path).header("host", self.addr.to_string());
        if let Some(cookie) = cookie.filter(|c| !c.is_empty()) {
            req = req.header("cookie", cookie);
        }
        self.sender.ready().await.expect("connection ready");
        let res = self.sender.send_request(req.body(Empty::new()).unwrap()).await.expect("response");
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

async fn post(addr: SocketAddr, path: &str, body: String) -> u16 {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    let req = Request::post(path).header("host", addr.to_string()).body(Full::new(Bytes::from(body))).unwrap();
    sender.send_request(req).await.expect("response").status().as_u16()
}

#[derive(Default)]
struct Run {
    latencies_us: Vec<u32>,
    ok: u64,
    signed_out: u64,
    /// Signed out because this run revoked the session.
    refused: u64,
    other: u64,
    stale: u64,
    revoked: u64,
    elapsed: Duration,
}

impl Run {
    fn rps(&self) -> f64 {
        (self.ok + self.signed_out + self.refused + self.stale + self.other) as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        self.latencies_us[i] as f64
    }
}

/// Revocations to make during a run: which instance to ask, which users, how often.
struct Revoker {
    addr: SocketAddr,
    users: Vec<usize>,
    every: Duration,
}

async fn load(target: &Target, connections: usize, duration: Duration, revoker: Option<Revoker>) -> Run {
    let cookies = Arc::new(target.cookies.clone());
    let origin = Instant::now();
    // Nanoseconds after `origin` at which each user's revocation returned; 0 while live.
    let revoked_at: Arc<Vec<AtomicU64>> = Arc::new((0..cookies.len()).map(|_| AtomicU64::new(0)).collect());
    let deadline = origin + duration;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (cookies, revoked_at, addr) = (cookies.clone(), revoked_at.clone(), target.addr);
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            let mut run = Run::default();
            let mut i = c;
            while Instant::now() < deadline {
                let user = i % cookies.len();
                i += connections;
                let sent = origin.elapsed().as_nanos() as u64;
                let started = Instant::now();
                let (status, _) = client.get("/", Some(&cookies[user])).await;
                run.latencies_us.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                let revoked = revoked_at[user].load(Ordering::Acquire);
                match status {
                    200 if revoked != 0 && revoked < sent => run.stale += 1,
                    200 => run.ok += 1,
                    401 if revoked != 0 => run.refused += 1,
                    401 => run.signed_out += 1,
                    _ => run.other += 1,
                }
            }
            run
        }));
    }
    let revocations = revoker.map(|revoker| {
        let revoked_at = revoked_at.clone();
        tokio::spawn(async move {
            let mut done = 0u64;
            for user in revoker.users {
                if Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(revoker.every).await;
                let status = post(revoker.addr, "/bench/revoke", format!("user-{user}")).await;
                assert_eq!(status, 204, "revoking user-{user}");
                revoked_at[user].store(origin.elapsed().as_nanos() as u64, Ordering::Release);
                done += 1;
            }
            done
        })
    });
    let mut total = Run::default();
    for task in tasks {
        let run = task.await.unwrap();
        total.latencies_us.extend(run.latencies_us);
        total.ok += run.ok;
        total.signed_out += run.signed_out;
        total.refused += run.refused;
        total.other += run.other;
        total.stale += run.stale;
    }
    total.elapsed = origin.elapsed();
    if let Some(revocations) = revocations {
        total.revoked = revocations.await.unwrap();
    }
    total.latencies_us.sort_unstable();
    total
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    let target_bin = example("load_target");
    let mut targets = Vec::new();
    targets.push(start("bare axum", target_bin.clone(), &["--mode", "bare"], args.users).await);
    targets.push(start("our layer, SQLite", target_bin.clone(), &["--db", "sqlite"], args.users).await);
    targets.push(
        start("our layer, SQLite, no cache", target_bin.clone(), &["--db", "sqlite", "--no-cache"], args.users).await,
    );
    if let Some(baseline) = &args.baseline {
        targets.push(start("tower-sessions, SQLite", baseline.clone(), &["--db", "sqlite"], args.users).await);
    }
    let run_id = std::process::id();
    if let Some(pg) = &args.postgres {
        let schema = format!("load_{run_id}_a");
        targets.push(
            start("our layer, PostgreSQL", target_bin.clone(), &["--db", pg, "--schema", &schema], args.users).await,
        );
        let schema = format!("load_{run_id}_b");
        let shared = ["--db", pg, "--schema", &schema, "--shared-cache"];
        targets.push(start("our layer, PostgreSQL, shared cache", target_bin.clone(), &shared, args.users).await);
        if let Some(baseline) = &args.baseline {
            targets.push(start("tower-sessions, PostgreSQL", baseline.clone(), &["--db", pg], args.users).await);
        }
    }

    if let Some(only) = &args.only {
        targets.retain(|t| t.name == *only);
    }
    let mut results: BTreeMap<usize, Vec<Run>> = BTreeMap::new();
    for round in 0..args.rounds {
        for (i, target) in targets.iter().enumerate() {
            let run = load(target, args.connections, args.duration, None).await;
            eprintln!(
                "round {} {:<40} {:>9.0} req/s  p50 {:>5} µs  p99 {:>6} µs",
                round + 1,
                target.name,
                run.rps(),
                run.percentile(0.5),
                run.percentile(0.99)
            );
            assert!(run.ok > 0, "{}: no request succeeded", target.name);
            assert_eq!((run.signed_out, run.other), (0, 0), "{}: every request carries a live session", target.name);
            results.entry(i).or_default().push(run);
        }
    }

    println!(
        "\n{} connections, {:.1} s per run, {} interleaved rounds (medians), {} signed-in users\n",
        args.connections,
        args.duration.as_secs_f64(),
        args.rounds,
        args.users
    );
    println!("| server | requests/s | p50 | p99 |\n|---|---|---|---|");
    let mut rps = Vec::new();
    for (i, runs) in &results {
        let r = median(runs.iter().map(Run::rps).collect());
        let p50 = median(runs.iter().map(|r| r.percentile(0.5)).collect());
        let p99 = median(runs.iter().map(|r| r.percentile(0.99)).collect());
        println!("| {} | {:.0} | {:.0} µs | {:.0} µs |", targets[*i].name, r, p50, p99);
        rps.push((targets[*i].name.clone(), r));
    }
    let of = |name: &str| rps.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
    let ratio = |a: &str, b: &str| match (of(a), of(b)) {
        (Some(a), Some(b)) => format!("{:.2}", a / b),
        _ => "n/a".into(),
    };
    println!("\n| ratio | value |\n|---|---|");
    println!("| our layer, SQLite / bare axum | {} |", ratio("our layer, SQLite", "bare axum"));
    println!(
        "| our layer, SQLite / tower-sessions, SQLite | {} |",
        ratio("our layer, SQLite", "tower-sessions, SQLite")
    );
    println!("| our layer, PostgreSQL / bare axum | {} |", ratio("our layer, PostgreSQL", "bare axum"));
    println!(
        "| our layer, PostgreSQL / tower-sessions, PostgreSQL | {} |",
        ratio("our layer, PostgreSQL", "tower-sessions, PostgreSQL")
    );
    println!(
        "| our layer, PostgreSQL, shared cache / bare axum | {} |",
        ratio("our layer, PostgreSQL, shared cache", "bare axum")
    );

    // Staleness: revoke a quarter of the users while the load runs.
    println!("\n| revocation staleness under load | revocations | refused after revocation | served after revocation (stale) |\n|---|---|---|---|");
    let every = args.duration / (args.users as u32 / 4).max(1);
    let mut failures = Vec::new();
    let mut measure = |name: String, run: Run, strict: bool| {
        println!("| {} | {} | {} | {} |", name, run.revoked, run.refused, run.stale);
        if strict && run.stale != 0 {
            failures.push(format!("{name}: {} stale requests", run.stale));
        }
        if run.revoked == 0 || run.refused == 0 {
            failures.push(format!("{name}: the staleness run revoked nothing"));
        }
    };
    let quarter = |offset: usize| (offset..args.users).step_by(4).collect::<Vec<_>>();
    for target in targets.iter().filter(|t| t.name.starts_with("our layer")) {
        let revoker = Revoker { addr: target.addr, users: quarter(0), every };
        let run = load(target, args.connections, args.duration, Some(revoker)).await;
        // Within one instance the guarantee is exact, cache or not.
        measure(format!("{} (revoked on the same instance)", target.name), run, true);
    }
    if let Some(pg) = &args.postgres {
        // A second instance on the first PostgreSQL schemas: revoke through it, load the first.
        for (name, extra) in
            [("our layer, PostgreSQL", None), ("our layer, PostgreSQL, shared cache", Some("--shared-cache"))]
        {
            let schema = format!("load_{run_id}_{}", if extra.is_some() { "b" } else { "a" });
            let mut argv = vec!["--db", pg.as_str(), "--schema", schema.as_str()];
            argv.extend(extra);
            let other = start("second instance", target_bin.clone(), &argv, 0).await;
            let target = targets.iter().find(|t| t.name == name).unwrap();
            let revoker = Revoker { addr: other.addr, users: quarter(1), every };
            let run = load(target, args.connections, args.duration, Some(revoker)).await;
            // The shared cache learns of other instances' revocations by notification: measured, not promised.
            measure(format!("{name} (revoked on another instance)"), run, extra.is_none());
        }
    }
    let mut schemas = vec![format!("load_{run_id}_a"), format!("load_{run_id}_b")];
    schemas.extend(
        targets.iter().filter(|t| t.name == "tower-sessions, PostgreSQL").map(|t| format!("ts_{}", t.child.id())),
    );
    drop(targets);
    if let Some(pg) = &args.postgres {
        let pool = sqlx::PgPool::connect(pg).await.expect("PostgreSQL");
        for schema in schemas {
            let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
        }
    }
    if !failures.is_empty() {
        eprintln!("FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}
