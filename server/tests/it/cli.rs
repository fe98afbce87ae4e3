//! The triage commands against a seeded database: `failed-logins`, `history`, `sessions`, `revoke-all`, each as a
//! table and as `--json`, run as the real binary.

use std::process::Command;

use app::users::Users;
use leptos_sessions::engine::{Auth, Config, RequestMeta, Sessions, SqliteStore};
use serde_json::Value;

const SECRET: &str = "cli test secret that is long enough to sign";
const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36";
const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0";

fn meta(ip: &str, ua: &str) -> RequestMeta {
    RequestMeta { ip: ip.parse().ok(), user_agent: Some(ua.into()), ..RequestMeta::default() }
}

fn run(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = crate::common::finish(
        Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .env("SESSIONS_DATABASE_URL", url)
            .env("SESSIONS_SECRET_KEY", SECRET)
            .env("RUST_LOG", "error"),
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(url: &str, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run(url, args);
    assert!(ok, "{args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
}

#[tokio::test]
async fn triage_commands_answer_from_the_trail_and_revoke_all_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let ada = users.create("ada@example.com", "correct horse battery").await.unwrap().unwrap();
    let sessions = Sessions::new(Config::new(SECRET).unwrap(), store);
    let password = Auth::password().identity("ada@example.com");
    sessions.sign_in(&ada.id, &password, &meta("81.2.69.142", CHROME)).await.unwrap();
    sessions.sign_in(&ada.id, &password, &meta("81.2.69.143", FIREFOX)).await.unwrap();
    for _ in 0..3 {
        sessions.record_failed_attempt(&meta("203.0.113.9", CHROME), "ada@example.com", "invalid_credentials").await;
    }
    for who in ["nobody@example.com", "ghost@example.com"] {
        sessions.record_failed_attempt(&meta("198.51.100.7", FIREFOX), who, "unknown_identity").await;
    }

    let by_ip = json(&url, &["failed-logins", "--by", "ip", "--json"]);
    assert_eq!(by_ip[0]["ip"], "203.0.113.9");
    assert_eq!(by_ip[0]["attempts"], 3);
    assert_eq!(by_ip[1]["ip"], "198.51.100.7");
    assert_eq!(by_ip[1]["identities"], 2, "two identities tried from one address");
    let by_identity = json(&url, &["failed-logins", "--by", "identity", "--since", "1h", "--json"]);
    assert_eq!(by_identity[0]["identity"], "ada@example.com");
    assert_eq!(by_identity.as_array().unwrap().len(), 3, "ada, and the two that do not exist");
    let (ok, table, _) = run(&url, &["failed-logins"]);
    assert!(ok && table.starts_with("ip ") && table.contains("203.0.113.9") && table.contains("attempts"), "{table}");

    let live = json(&url, &["sessions", "ada@example.com", "--json"]);
    let devices: Vec<&str> = live.as_array().unwrap().iter().map(|s| s["device"].as_str().unwrap()).collect();
    assert_eq!(devices.len(), 2, "{live}");
    assert!(devices.contains(&"Chrome 137 on macOS") && devices.contains(&"Firefox 139 on Windows"), "{devices:?}");

    let trail = json(&url, &["history", "ada@example.com", "--json"]);
    let kinds: Vec<&str> = trail.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "login").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "failed_login").count(), 3, "failures typed against her email only");

    let revoked = json(&url, &["revoke-all", "ada@example.com", "--json"]);
    assert_eq!(revoked["ended"], 2);
    assert_eq!(json(&url, &["sessions", "ada@example.com", "--json"]), Value::Array(vec![]));
    let trail = json(&url, &["history", "ada@example.com", "--json"]);
    assert_eq!(trail[0]["kind"], "revoked");
    assert_eq!(trail[0]["revoked_reason"], "admin_revoked");
    assert_eq!(trail[0]["ended_by"], "admin:cli", "the actor is recorded");
    let (_, table, _) = run(&url, &["history", "ada@example.com"]);
    assert!(table.contains("admin_revoked by admin:cli"), "{table}");

    let (ok, _, stderr) = run(&url, &["history", "nobody@example.com"]);
    assert!(!ok && stderr.contains("no account with the email"), "{stderr}");
    let (ok, _, stderr) = run(&url, &["failed-logins", "--by", "country"]);
    assert!(!ok && stderr.contains("--by must be ip or identity"), "{stderr}");
}
