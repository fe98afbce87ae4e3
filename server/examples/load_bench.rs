//! Load benchmark on loopback: the same trivial authenticated handler served by bare axum, behind the session layer
//! (SQLite and PostgreSQL, with and without the session cache) and behind tower-sessions with its SQLx store.
//! Every server is its own process; this one generates the load over keep-alive HTTP/1.1 connections, running the
//! variants interleaved, round after round, and prints Markdown tables. Every answer's body is checked: a 200 for
//! another user than the cookie's fails the run.
//!
//! It then measures revocation staleness. While load runs, sessions are revoked one after another; around each
//! revocation two dedicated connections send the revoked cookie back to back, from before the revocation is sent
//! until 20 ms after it returned, so the first requests after the return are always probed. Any request sent after
//! the revocation returned and answered as signed in is stale, and the latest of them says how long the window was.
//! Revocations are made on the same instance, by another process on the same SQLite file (a one-shot process that
//! does what `server revoke-all` does), or by another instance on the same PostgreSQL schema; tower-sessions is
//! measured the same way, with and without its own cache.
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
    /// Load only the servers named here, `|` between names (to profile one, or compare two side by side).
    only: Option<String>,
    /// Instead of the comparison: hold this many idle live streams open on our layer (SQLite), and measure what
    /// they cost and the load's throughput beside them.
    streams: Option<usize>,
    /// How long the streams are left idle while their CPU is measured.
    idle: Duration,
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
        streams: None,
        idle: Duration::from_secs(45),
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
            "--streams" => args.streams = Some(value().parse().expect("--streams n")),
            "--idle" => args.idle = Duration::from_secs_f64(value().parse().expect("--idle seconds")),
            "--smoke" => {
                args.smoke = true;
                args.duration = Duration::from_millis(600);
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
    /// What `POST /bench/revoke` takes to end each user's session: the user for ours, the session id for
    /// tower-sessions.
    revoke_keys: Vec<String>,
    /// The SQLite file or PostgreSQL schema it keeps its sessions in, for a second process to share.
    shared: Vec<String>,
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
    let shared = args.windows(2).filter(|w| w[0] == "--file" || w[0] == "--schema").map(|w| w[1].to_owned());
    let mut target = Target {
        name: name.to_owned(),
        child,
        addr,
        cookies: Vec::new(),
        revoke_keys: Vec::new(),
        shared: shared.collect(),
    };
    let mut client = Client::connect(addr).await;
    for i in 0..users {
        let (status, body) = client.get(&format!("/bench/login?user=user-{i}"), None).await;
        assert_eq!(status, 200, "{name}: sign-in {i} failed: {body}");
        let key = match body.strip_prefix("id=") {
            Some(session_id) => session_id.to_owned(),
            None => format!("user-{i}"),
        };
        target.revoke_keys.push(key);
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
    /// A 200 whose body names another user than the cookie's.
    wrong_user: u64,
    revoked: u64,
    /// The latest stale load request, sent this long after its revocation returned.
    latest_stale: Duration,
    probes: Probes,
    elapsed: Duration,
}

impl Run {
    fn rps(&self) -> f64 {
        (self.ok + self.signed_out + self.refused + self.stale + self.other + self.wrong_user) as f64
            / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        self.latencies_us[i] as f64
    }
}

/// What the dedicated probe connections saw after the revocations returned.
#[derive(Default)]
struct Probes {
    refused: u64,
    stale: u64,
    wrong_user: u64,
    /// The latest stale probe, sent this long after its revocation returned.
    latest_stale: Duration,
    /// How long the revocation calls took (sent to returned), the window no probe can judge.
    revoke_calls: Vec<Duration>,
}

/// How a run revokes sessions: through an instance's HTTP endpoint, or by starting a one-shot process per revocation.
#[derive(Clone)]
enum Via {
    Http(SocketAddr),
    Process(PathBuf, Vec<String>),
}

/// Revocations to make during a run: how, which users, how often.
struct Revoker {
    via: Via,
    users: Vec<usize>,
    every: Duration,
}

/// How long the probes keep sending a revoked cookie after the revocation returned.
const PROBE_WINDOW: Duration = Duration::from_millis(20);

async fn revoke(via: &Via, key: &str) {
    match via {
        Via::Http(addr) => {
            let status = post(*addr, "/bench/revoke", key.to_owned()).await;
            assert_eq!(status, 204, "revoking {key}");
        }
        Via::Process(program, args) => {
            let mut command = Command::new(program);
            command.args(args).args(["--revoke", key]);
            let status = tokio::task::spawn_blocking(move || command.status().expect("the revoking process starts"))
                .await
                .unwrap();
            assert!(status.success(), "revoking {key}: {status}");
        }
    }
}

/// Sends `cookie` on `client` until `PROBE_WINDOW` after `returned` (nanoseconds after `origin`, 0 until then) and
/// judges every answer sent after the return.
async fn probe(client: &mut Client, cookie: &str, expect: &str, origin: Instant, returned: &AtomicU64) -> Probes {
    let mut seen = Probes::default();
    let mut after = 0;
    loop {
        let sent = origin.elapsed().as_nanos() as u64;
        let (status, body) = client.get("/", Some(cookie)).await;
        let back = returned.load(Ordering::Acquire);
        if back == 0 || sent < back {
            continue; // sent before the revocation returned: either answer is right
        }
        after += 1;
        match status {
            200 if body != expect => seen.wrong_user += 1,
            200 => {
                seen.stale += 1;
                seen.latest_stale = seen.latest_stale.max(Duration::from_nanos(sent - back));
            }
            _ => seen.refused += 1,
        }
        if after >= 3 && Duration::from_nanos(origin.elapsed().as_nanos() as u64 - back) >= PROBE_WINDOW {
            return seen;
        }
    }
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
                let (status, body) = client.get("/", Some(&cookies[user])).await;
                run.latencies_us.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                let revoked = revoked_at[user].load(Ordering::Acquire);
                match status {
                    200 if body != format!("ok user-{user}") => run.wrong_user += 1,
                    200 if revoked != 0 && revoked < sent => {
                        run.stale += 1;
                        run.latest_stale = run.latest_stale.max(Duration::from_nanos(sent - revoked));
                    }
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
        let (revoked_at, cookies, keys, addr) =
            (revoked_at.clone(), cookies.clone(), target.revoke_keys.clone(), target.addr);
        tokio::spawn(async move {
            let mut done = 0u64;
            let mut probes = Probes::default();
            let (mut a, mut b) = (Client::connect(addr).await, Client::connect(addr).await);
            for user in revoker.users {
                if Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(revoker.every).await;
                let returned = AtomicU64::new(0);
                let expect = format!("ok user-{user}");
                let call = async {
                    let sent = Instant::now();
                    revoke(&revoker.via, &keys[user]).await;
                    let back = origin.elapsed().as_nanos() as u64;
                    revoked_at[user].store(back, Ordering::Release);
                    returned.store(back, Ordering::Release);
                    sent.elapsed()
                };
                let (took, seen_a, seen_b) = tokio::join!(
                    call,
                    probe(&mut a, &cookies[user], &expect, origin, &returned),
                    probe(&mut b, &cookies[user], &expect, origin, &returned)
                );
                for seen in [seen_a, seen_b] {
                    probes.refused += seen.refused;
                    probes.stale += seen.stale;
                    probes.wrong_user += seen.wrong_user;
                    probes.latest_stale = probes.latest_stale.max(seen.latest_stale);
                }
                probes.revoke_calls.push(took);
                done += 1;
            }
            (done, probes)
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
        total.wrong_user += run.wrong_user;
        total.latest_stale = total.latest_stale.max(run.latest_stale);
    }
    total.elapsed = origin.elapsed();
    if let Some(revocations) = revocations {
        (total.revoked, total.probes) = revocations.await.unwrap();
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
    if let Some(streams) = args.streams {
        return streams_bench(&args, streams, target_bin).await;
    }
    let run_id = std::process::id();
    let file = |name: &str| std::env::temp_dir().join(format!("load-{run_id}-{name}.db")).display().to_string();
    let (ours_file, tower_file) = (file("ours"), file("tower"));
    let mut targets = Vec::new();
    targets.push(start("bare axum", target_bin.clone(), &["--mode", "bare"], args.users).await);
    let ours = ["--db", "sqlite", "--file", &ours_file];
    targets.push(start("our layer, SQLite", target_bin.clone(), &ours, args.users).await);
    targets.push(
        start("our layer, SQLite, no cache", target_bin.clone(), &["--db", "sqlite", "--no-cache"], args.users).await,
    );
    if let Some(baseline) = &args.baseline {
        targets.push(start("tower-sessions, SQLite", baseline.clone(), &["--db", "sqlite"], args.users).await);
        let cached = ["--db", "sqlite", "--cache", "--file", &tower_file];
        targets.push(start("tower-sessions, SQLite, moka cache", baseline.clone(), &cached, args.users).await);
    }
    if let Some(pg) = &args.postgres {
        let schema = format!("load_{run_id}_a");
        targets.push(
            start("our layer, PostgreSQL", target_bin.clone(), &["--db", pg, "--schema", &schema], args.users).await,
        );
        let schema = format!("load_{run_id}_b");
        let shared = ["--db", pg, "--schema", &schema, "--shared-cache"];
        targets.push(start("our layer, PostgreSQL, shared cache", target_bin.clone(), &shared, args.users).await);
        if let Some(baseline) = &args.baseline {
            let schema = format!("ts_{run_id}_a");
            let plain = ["--db", pg, "--schema", &schema];
            targets.push(start("tower-sessions, PostgreSQL", baseline.clone(), &plain, args.users).await);
            let schema = format!("ts_{run_id}_b");
            let cached = ["--db", pg, "--schema", &schema, "--cache"];
            targets.push(start("tower-sessions, PostgreSQL, moka cache", baseline.clone(), &cached, args.users).await);
        }
    }

    if let Some(only) = &args.only {
        targets.retain(|t| only.split('|').any(|name| t.name == name));
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
            let wrong = (run.signed_out, run.other, run.wrong_user);
            assert_eq!(wrong, (0, 0, 0), "{}: every request carries its own user's live session", target.name);
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
    println!("\n| ratio (requests/s, this run) | value |\n|---|---|");
    for (a, b) in [
        ("our layer, SQLite", "bare axum"),
        ("our layer, SQLite", "tower-sessions, SQLite, moka cache"),
        ("our layer, SQLite", "tower-sessions, SQLite"),
        ("our layer, SQLite, no cache", "tower-sessions, SQLite"),
        ("our layer, PostgreSQL", "tower-sessions, PostgreSQL"),
        ("our layer, PostgreSQL, shared cache", "tower-sessions, PostgreSQL, moka cache"),
        ("our layer, PostgreSQL, shared cache", "bare axum"),
    ] {
        if let (Some(x), Some(y)) = (of(a), of(b)) {
            println!("| {a} / {b} | {:.2} |", x / y);
        }
    }

    // Staleness: revoke a quarter of the users, one at a time, while the load runs.
    println!(
        "\n| revocation staleness under load | revocations | revocation call, median | probes after return: \
         refused | probes after return: served (stale) | latest stale answer, sent after return | load requests after \
         return: refused / stale | wrong user |\n|---|---|---|---|---|---|---|---|"
    );
    let every = args.duration / (args.users as u32 / 4).max(1);
    let mut failures = Vec::new();
    let mut measure = |name: String, mut run: Run, strict: bool| {
        let p = &mut run.probes;
        p.revoke_calls.sort();
        let call = p.revoke_calls.get(p.revoke_calls.len() / 2).copied().unwrap_or_default();
        let latest = p.latest_stale.max(run.latest_stale);
        let latest =
            if p.stale + run.stale == 0 { "—".to_owned() } else { format!("{:.2} ms", latest.as_secs_f64() * 1e3) };
        println!(
            "| {name} | {} | {:.2} ms | {} | {} | {latest} | {} / {} | {} |",
            run.revoked,
            call.as_secs_f64() * 1e3,
            p.refused,
            p.stale,
            run.refused,
            run.stale,
            p.wrong_user + run.wrong_user
        );
        if strict && (p.stale != 0 || run.stale != 0) {
            failures.push(format!("{name}: {} stale probes, {} stale requests", p.stale, run.stale));
        }
        if p.wrong_user + run.wrong_user != 0 {
            failures.push(format!("{name}: answered for another user"));
        }
        if run.revoked == 0 || (strict && p.refused == 0) {
            failures.push(format!("{name}: the staleness run revoked nothing"));
        }
    };
    let quarter = |offset: usize| (offset..args.users).step_by(4).collect::<Vec<_>>();
    let same = |target: &Target| Revoker { via: Via::Http(target.addr), users: quarter(0), every };
    for target in targets.iter().filter(|t| t.name != "bare axum") {
        let run = load(target, args.connections, args.duration, Some(same(target))).await;
        // Within one instance ours is exact, cache or not; tower-sessions is measured, not held to it.
        let strict = target.name.starts_with("our layer");
        measure(format!("{} (revoked on the same instance)", target.name), run, strict);
    }
    // Another process on the same SQLite file: for ours a one-shot process per revocation (what the CLI does),
    // for tower-sessions a second instance on the first one's file.
    if let Some(target) = targets.iter().find(|t| t.name == "our layer, SQLite") {
        let argv = ["--db", "sqlite", "--file", &ours_file].map(String::from).to_vec();
        let revoker = Revoker { via: Via::Process(target_bin.clone(), argv), users: quarter(1), every };
        let run = load(target, args.connections, args.duration, Some(revoker)).await;
        measure(format!("{} (revoked by another process, as the CLI does)", target.name), run, true);
    }
    let mut others = Vec::new();
    for (name, program) in [
        ("tower-sessions, SQLite, moka cache", args.baseline.clone()),
        ("our layer, PostgreSQL", Some(target_bin.clone())),
        ("our layer, PostgreSQL, shared cache", Some(target_bin.clone())),
        ("tower-sessions, PostgreSQL, moka cache", args.baseline.clone()),
    ] {
        let (Some(target), Some(program)) = (targets.iter().find(|t| t.name == name), program) else { continue };
        let mut argv = match &args.postgres {
            Some(pg) if name.contains("PostgreSQL") => vec!["--db", pg.as_str(), "--schema"],
            _ => vec!["--db", "sqlite", "--file"],
        };
        argv.push(&target.shared[0]);
        argv.extend(["--shared-cache", "--cache"].into_iter().filter(|f| {
            (name.contains("shared cache") && *f == "--shared-cache") || (name.contains("moka") && *f == "--cache")
        }));
        let other = start("second instance", program, &argv, 0).await;
        let revoker = Revoker { via: Via::Http(other.addr), users: quarter(1), every };
        let run = load(target, args.connections, args.duration, Some(revoker)).await;
        // Ours by default is held to zero; the opt-in shared cache and tower-sessions' cache are measured.
        let strict = name == "our layer, PostgreSQL";
        measure(format!("{name} (revoked on another instance)"), run, strict);
        others.push(other);
    }
    let mut schemas = vec![format!("load_{run_id}_a"), format!("load_{run_id}_b")];
    schemas.extend([format!("ts_{run_id}_a"), format!("ts_{run_id}_b")]);
    drop(others);
    drop(targets);
    for file in [&ours_file, &tower_file] {
        for suffix in ["", "-wal", "-shm", "-endings", "-changes"] {
            let _ = std::fs::remove_file(format!("{file}{suffix}"));
        }
    }
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

/// Resident memory (bytes) and CPU time used so far (seconds) of a process, from `/proc`.
fn usage(pid: u32) -> (u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("process stat");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // Linux reports CPU time in clock ticks of 1/100 s on every platform this runs on.
    (rss_kb * 1024, ticks as f64 / 100.0)
}

/// One idle live stream: the request sent with a user's cookie, and its first event read.
async fn open_stream(addr: SocketAddr, cookie: String) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET /api/sessions/live HTTP/1.1\r\nhost: {addr}\r\ncookie: {cookie}\r\naccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.expect("request");
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("event: ready") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "stream closed before it was ready: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&seen));
    stream
}

/// One idle keep-alive connection after a signed-in request: what any open tab's connection costs, for comparison.
async fn open_idle(addr: SocketAddr, cookie: String) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET / HTTP/1.1\r\nhost: {addr}\r\ncookie: {cookie}\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("request");
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("ok user-") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    stream
}

/// The server's resident memory per connection once `count` connections are held open by `open`.
async fn memory_per<F, Fut>(target: &Target, count: usize, open: F) -> (f64, Vec<tokio::net::TcpStream>)
where
    F: Fn(SocketAddr, String) -> Fut,
    Fut: std::future::Future<Output = tokio::net::TcpStream> + Send + 'static,
{
    let pid = target.child.id();
    let (before, _) = usage(pid);
    let mut held = Vec::with_capacity(count);
    for chunk in target.cookies[..count].chunks(200) {
        let batch: Vec<_> = chunk.iter().map(|cookie| tokio::spawn(open(target.addr, cookie.clone()))).collect();
        for opening in batch {
            held.push(opening.await.expect("opening a connection"));
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, _) = usage(pid);
    ((after.saturating_sub(before)) as f64 / count as f64 / 1024.0, held)
}

/// What idle live streams cost the server: memory and CPU per stream, and the load's throughput beside them.
async fn streams_bench(args: &Args, streams: usize, target_bin: PathBuf) {
    // For comparison, a server of its own holding as many idle keep-alive connections (no stream).
    let plain_file = std::env::temp_dir().join(format!("load-{}-plain.db", std::process::id())).display().to_string();
    let plain = start("plain", target_bin.clone(), &["--db", "sqlite", "--file", &plain_file], streams).await;
    let (keep_alive, held) = memory_per(&plain, streams, open_idle).await;
    drop(held);
    drop(plain);
    for suffix in ["", "-wal", "-shm", "-endings", "-changes"] {
        let _ = std::fs::remove_file(format!("{plain_file}{suffix}"));
    }

    let file = std::env::temp_dir().join(format!("load-{}-live.db", std::process::id())).display().to_string();
    let users = args.users.max(streams);
    let started = Instant::now();
    let target = start("our layer, SQLite", target_bin, &["--db", "sqlite", "--file", &file], users).await;
    eprintln!("{users} users signed in in {:.1} s", started.elapsed().as_secs_f64());
    let pid = target.child.id();
    let rounds = |label: &'static str| {
        let target = &target;
        async move {
            let mut rps = Vec::new();
            for round in 0..args.rounds {
                let run = load(target, args.connections, args.duration, None).await;
                assert_eq!((run.signed_out, run.other, run.wrong_user), (0, 0, 0), "{label}: wrong answers");
                eprintln!("{label}, round {}: {:.0} req/s, p99 {} µs", round + 1, run.rps(), run.percentile(0.99));
                rps.push(run.rps());
            }
            median(rps)
        }
    };
    let without = rounds("no streams").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_before, _) = usage(pid);

    let opened = Instant::now();
    let mut open = Vec::with_capacity(streams);
    for chunk in target.cookies[..streams].chunks(200) {
        let batch: Vec<_> = chunk.iter().map(|cookie| tokio::spawn(open_stream(target.addr, cookie.clone()))).collect();
        for opening in batch {
            open.push(opening.await.expect("opening a stream"));
        }
    }
    eprintln!("{streams} streams open in {:.1} s", opened.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_open, cpu_0) = usage(pid);
    tokio::time::sleep(args.idle).await;
    let (rss_idle, cpu_1) = usage(pid);
    let with = rounds("streams open").await;
    // Every stream is still open (the load did not push any out): a read would block, not return 0.
    let mut closed = 0;
    for stream in &open {
        let mut buf = [0u8; 256];
        if let Ok(0) = stream.try_read(&mut buf) {
            closed += 1;
        }
    }
    drop(open);
    drop(target);
    for suffix in ["", "-wal", "-shm", "-endings", "-changes"] {
        let _ = std::fs::remove_file(format!("{file}{suffix}"));
    }

    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    // Signed: with a handful of streams (the smoke run) the allocator may hand memory back meanwhile.
    let per = (rss_open.max(rss_idle) as f64 - rss_before as f64) / streams as f64 / 1024.0;
    let cpu = (cpu_1 - cpu_0) / args.idle.as_secs_f64() * 100.0;
    println!("\n| idle live streams | value |\n|---|---|");
    println!("| streams held open | {streams} ({closed} closed by the end) |");
    println!(
        "| server memory before / open / after {:.0} s idle | {:.1} / {:.1} / {:.1} MiB |",
        args.idle.as_secs_f64(),
        mib(rss_before),
        mib(rss_open),
        mib(rss_idle)
    );
    println!("| memory per stream | {per:.1} KiB |");
    println!(
        "| memory per idle keep-alive connection, no stream (another server, for comparison) | {keep_alive:.1} KiB |"
    );
    println!("| server CPU while they idle (heartbeats every 20 s) | {cpu:.2}% of one core |");
    println!(
        "| load, {} connections: requests/s without streams / with them | {without:.0} / {with:.0} ({:+.1}%) |",
        args.connections,
        (with / without - 1.0) * 100.0
    );
    assert_eq!(closed, 0, "streams were closed under load");
}
