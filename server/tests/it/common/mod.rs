//! The real `server` binary on a throw-away SQLite file, and raw HTTP/1.1 requests to it from any loopback source
//! address (127.0.0.0/8 lets one machine be many clients).
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const SECRET: &str = "attack test secret that is long enough to sign";
pub const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";

pub struct Server {
    child: Option<Child>,
    pub addr: String,
    pub url: String,
    env: Vec<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The binary with the test's database and secret; `env` adds or overrides variables.
/// Runs a CLI command to its end, and fails the test if it has not exited within a minute: a command that hangs
/// (one once could not exit, its work done) must not stall the suite.
pub fn finish(cmd: &mut Command) -> std::process::Output {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let pid = child.id().to_string();
    // Read on another thread, so a command printing more than a pipe holds is not mistaken for one that hangs.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("{cmd:?} did not exit within a minute");
        }
    }
}

pub fn command(url: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("SESSIONS_DATABASE_URL", url)
        .env("SESSIONS_SECRET_KEY", SECRET)
        .env("SESSIONS_SECURE_COOKIES", "false")
        .env("SESSIONS_SWEEP_INTERVAL", "off")
        .env("LEPTOS_OUTPUT_NAME", "sessions")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("RUST_LOG", "error");
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

/// Starts a server on a fresh database in its own temporary directory.
pub async fn start(env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut server = Server { child: None, addr: String::new(), url, env, _dir: Some(dir) };
    server.await_ready().await;
    server
}

/// Starts a server on a database the test has already seeded.
pub async fn start_on(url: &str, env: &[(&str, &str)]) -> Server {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut server = Server { child: None, addr: String::new(), url: url.to_owned(), env, _dir: None };
    server.await_ready().await;
    server
}

impl Server {
    /// (Re)starts the binary on a free port and waits until it answers.
    async fn await_ready(&mut self) {
        self.stop();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        self.addr = format!("127.0.0.1:{port}");
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // What the process prints (its logs go to standard output), kept beside its database for tests that read
        // it (`Server::log`).
        let log = || match &self._dir {
            Some(dir) => {
                let file = std::fs::File::options().create(true).append(true).open(dir.path().join("server.log"));
                Stdio::from(file.unwrap())
            }
            None => Stdio::null(),
        };
        let child = command(&self.url, &env)
            .arg("serve")
            .env("SESSIONS_ADDR", &self.addr)
            .env("LEPTOS_SITE_ADDR", &self.addr)
            .stdout(log())
            .stderr(log())
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..300 {
            if self.get("/healthz").await.status == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start on {}", self.addr);
    }

    /// `kill -9`, wherever it is in its work, then a fresh start on the same database.
    pub async fn crash_and_restart(&mut self) {
        self.stop();
        self.await_ready().await;
    }

    /// SIGKILL: no destructor, no graceful shutdown, no final checkpoint.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
    /// The body's bytes as they came (compressed, chunked), for what is not text.
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The first value of a response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// `name=value` of every cookie set, for the next request's `Cookie` header.
    pub fn cookies(&self) -> String {
        let set = self.head.lines().filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case("set-cookie").then(|| value.trim().split(';').next().unwrap().to_owned())
        });
        set.filter(|c| !c.ends_with('=')).collect::<Vec<_>>().join("; ")
    }
}

/// One request to a server function or page.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a str,
    pub content_type: &'a str,
    /// Extra headers (`Cookie`, `Origin`, `Sec-Fetch-Site`, …).
    pub headers: Vec<(&'a str, String)>,
    /// The loopback source address to connect from (127.x.y.z); `None` is 127.0.0.1.
    pub from: Option<Ipv4Addr>,
    pub accept: &'a str,
}

impl<'a> Call<'a> {
    /// A server-function call as an API client makes it (form-encoded arguments, JSON answers).
    pub fn post(path: &'a str, body: &'a str) -> Self {
        Self {
            method: "POST",
            path,
            body,
            content_type: "application/x-www-form-urlencoded",
            headers: Vec::new(),
            from: None,
            accept: "application/json",
        }
    }

    pub fn get(path: &'a str) -> Self {
        Self { method: "GET", accept: "text/html", ..Self::post(path, "") }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn cookie(self, cookie: &str) -> Self {
        if cookie.is_empty() {
            self
        } else {
            self.header("Cookie", cookie)
        }
    }

    pub fn from(mut self, ip: Ipv4Addr) -> Self {
        self.from = Some(ip);
        self
    }
}

impl Server {
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Call::get(path)).await
    }

    pub async fn send(&self, call: Call<'_>) -> Reply {
        send_to(&self.addr, call).await
    }

    /// Creates an account through the sign-up form; returns its session and device cookies.
    pub async fn sign_up(&self, email: &str, password: &str, from: Ipv4Addr) -> String {
        let form = format!("email={}&password={}", encode(email), encode(password));
        let reply = self.send(Call::post("/api/demo/sign-up", &form).from(from)).await;
        assert!(reply.status < 400, "sign-up of {email}: {reply:?}");
        reply.cookies()
    }

    /// Peak and current resident memory of the server process, in MiB (Linux).
    pub fn memory_mib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.as_ref().unwrap().id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
                / 1024
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// Everything the server has logged so far (servers made by `start`; `RUST_LOG` sets how much).
    pub fn log(&self) -> String {
        let dir = self._dir.as_ref().expect("a server made by start() keeps its log");
        std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
    }

    /// The bytes of the database as a copy of its files would show them: the main file and the write-ahead log.
    pub fn database_files(&self) -> Vec<u8> {
        let path = self.url.strip_prefix("sqlite://").expect("a SQLite server");
        ["", "-wal"].iter().flat_map(|suffix| std::fs::read(format!("{path}{suffix}")).unwrap_or_default()).collect()
    }

    /// Rows of one query on the server's database, each column rendered as text.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        use sqlx::{Column, Row};
        let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&pool).await.unwrap();
        let text = |row: &sqlx::sqlite::SqliteRow, i: usize| -> String {
            row.try_get::<Option<String>, _>(i)
                .map(|v| v.unwrap_or_default())
                .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| v.map(|n| n.to_string()).unwrap_or_default()))
                .unwrap_or_else(|_| format!("<{}>", row.columns()[i].name()))
        };
        let out = rows.iter().map(|row| (0..row.columns().len()).map(|i| text(row, i)).collect()).collect();
        pool.close().await;
        out
    }
}

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A loopback source address of its own for client `n`.
pub fn client(n: u32) -> Ipv4Addr {
    Ipv4Addr::new(127, 10, (n / 250) as u8, (n % 250) as u8 + 1)
}

/// One request to the server at `addr` (for tasks that outlive a restart of it).
pub async fn send_to(addr: &str, call: Call<'_>) -> Reply {
    let target: SocketAddr = addr.parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    if let Some(ip) = call.from {
        socket.bind(SocketAddr::from((ip, 0))).unwrap();
    }
    let Ok(mut stream) = socket.connect(target).await else {
        return Reply { status: 0, head: String::new(), body: String::new(), bytes: Vec::new() };
    };
    // A test may pose as another host name (a sibling subdomain) by giving its own `Host`.
    let host = call.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("host"));
    let mut req = format!("{} {} HTTP/1.1\r\n", call.method, call.path);
    if host.is_none() {
        req.push_str(&format!("Host: {}\r\n", addr));
    }
    req.push_str(&format!("Connection: close\r\nAccept: {}\r\nUser-Agent: {CHROME}\r\n", call.accept));
    for (name, value) in &call.headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str(&format!("Content-Type: {}\r\nContent-Length: {}\r\n\r\n", call.content_type, call.body.len()));
    req.push_str(call.body);
    if stream.write_all(req.as_bytes()).await.is_err() {
        return Reply { status: 0, head: String::new(), body: String::new(), bytes: Vec::new() };
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |at| at + 4);
    let bytes = raw[split..].to_vec();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply { status, head: head.to_owned(), body: body.to_owned(), bytes }
}
