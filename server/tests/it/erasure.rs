//! `server forget <email>` against a database holding everything the demo keeps about a person: their account,
//! two devices, a new-device alert, failed attempts typed against their email, and their id as the administrator
//! who revoked someone else's session. Afterwards no table, and no byte of the database, its WAL, shared-memory or
//! endings file, may hold their email, id, addresses or the user agent of the failed attempts. Also when the first
//! run fails late (readers keep the WAL busy) and a sign-in writes after the account is gone: the next run, which
//! no longer finds an account with the email, finishes the job.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::Output;

use crate::common::{command, finish, start_on, Call, CHROME, SECRET};
use app::alerts::Alerts;
use app::users::{User, Users};
use leptos_sessions::engine::{Auth, Config, CurrentSession, RequestMeta, Sessions, SqliteStore};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{Connection, Row};

const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
const FIREFOX: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:139.0) Gecko/20100101 Firefox/139.0";

fn run(url: &str, args: &[&str]) -> Output {
    finish(command(url, &[]).args(args))
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn meta(ip: &str, ua: &str) -> RequestMeta {
    RequestMeta { ip: ip.parse().ok(), user_agent: Some(ua.into()), ..RequestMeta::default() }
}

fn random_bytes() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

/// Every place a needle is found: `table.column` of any table sqlite_master lists (the statistics tables too), and
/// any file beside the database.
async fn traces(dir: &Path, db: &SqlitePool, needles: &[(&str, String)]) -> Vec<String> {
    let mut found = Vec::new();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(db).await.unwrap();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?)").bind(&table).fetch_all(db).await.unwrap();
        for column in columns {
            for (what, needle) in needles {
                // Bytes, not text: statistics samples are BLOBs holding index keys.
                let sql = format!(
                    r#"SELECT COUNT(*) FROM "{table}" WHERE instr(CAST("{column}" AS BLOB), CAST(? AS BLOB)) > 0"#
                );
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(needle).fetch_one(db).await.unwrap();
                if n > 0 {
                    found.push(format!("{what} in {table}.{column} ({n} rows)"));
                }
            }
        }
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for (what, needle) in needles {
            let hits = bytes.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count();
            if hits > 0 {
                found.push(format!("{what} in the bytes of {} ({hits} times)", path.display()));
            }
        }
    }
    found
}

/// The demo's account pool starts no SQLx pool maintenance task (idle timeout, maximum lifetime): one that wedged
/// kept a finished `server admin grant` from exiting for a quarter of an hour.
#[tokio::test]
async fn the_account_pool_runs_no_maintenance_task() {
    let dir = tempfile::tempdir().unwrap();
    let users = Users::open(&format!("sqlite://{}?mode=rwc", dir.path().join("pool.db").display())).await.unwrap();
    let options = users.pool().options();
    assert_eq!((options.get_idle_timeout(), options.get_max_lifetime()), (None, None));
}

#[tokio::test]
async fn forget_leaves_nothing_of_the_person_in_any_table_or_byte_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("erase.db");
    let url = format!("sqlite://{}", file.display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let alerts = Alerts::from_pool(users.pool().clone()).await.unwrap();
    let sessions = Sessions::new(Config::new(SECRET).unwrap().secure_cookies(false), store.clone());

    let r = random_bytes();
    let email = format!("erase-{}@example.com", uuid::Uuid::new_v4().simple());
    let home = Ipv4Addr::new(100, 64 + (r[0] & 63), r[1], r[2].max(1)).to_string();
    let phone =
        Ipv6Addr::new(0x2001, 0xdb8, u16::from_be_bytes([r[3], r[4]]), u16::from_be_bytes([r[5], r[6]]), 0, 0, 0, 7)
            .to_string();
    let attacker =
        Ipv6Addr::new(0x2001, 0xdb8, u16::from_be_bytes([r[7], r[8]]), 0, 0, 0, u16::from_be_bytes([r[9], r[10]]), 9)
            .to_string();
    let attacker_ua = format!("{FIREFOX} Probe/{}", uuid::Uuid::new_v4().simple());
    let person = users.create(&email, "correct horse battery").await.unwrap().unwrap();
    let bob = users.create("bob@example.com", "correct horse battery").await.unwrap().unwrap();

    let password = Auth::password().identity(&email);
    let laptop = sessions.sign_in(&person.id, &password, &meta(&home, CHROME)).await.unwrap();
    let second = sessions.sign_in(&person.id, &password, &meta(&phone, FIREFOX)).await.unwrap();
    assert!(second.new_device, "the second device is new");
    // A session that ended: its row was rewritten in place, which must leave no stale copy behind.
    let borrowed = sessions.sign_in(&person.id, &password, &meta(&home, SAFARI)).await.unwrap();
    let borrowed = CurrentSession { id: borrowed.session_id.into(), user_id: person.id.as_str().into() };
    let _cleared = sessions.sign_out(&borrowed, &meta(&home, SAFARI)).await.unwrap();
    let row = sessions.registry().list_live(&person.id).await.unwrap();
    let row = row.iter().find(|r| r.id == second.session_id).unwrap();
    alerts.new_device(row).await.unwrap();
    for _ in 0..3 {
        sessions
            .record_failed_attempt(&meta(&attacker, &attacker_ua), &email.to_uppercase(), "invalid_credentials")
            .await;
    }
    let bobs = sessions.sign_in(&bob.id, &Auth::password(), &meta("192.0.2.44", CHROME)).await.unwrap();
    let out = run(&url, &["admin", "grant", &email]);
    assert!(out.status.success(), "{}", text(&out));
    let actor = format!("admin:{}", person.id);
    sessions.end_session(&bob.id, &bobs.session_id, "admin_revoked", Some(&actor)).await.unwrap();

    // Full statistics, as a DBA's ANALYZE would leave them: sqlite_stat4 samples hold copies of index keys.
    let db = SqlitePool::connect(&url).await.unwrap();
    let mut conn = db.acquire().await.unwrap();
    sqlx::query("PRAGMA analysis_limit = 0").execute(&mut *conn).await.unwrap();
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
    drop(conn);

    let needles = [
        ("the email", email.clone()),
        ("the user id", person.id.clone()),
        ("the home address", home.clone()),
        ("the phone's address", phone.clone()),
        ("the attacker's address", attacker.clone()),
        ("the failed attempts' user agent", attacker_ua.clone()),
    ];
    let before = traces(dir.path(), &db, &needles).await;
    for (what, _) in &needles {
        assert!(before.iter().any(|t| t.starts_with(what)), "the test seeds {what}: {before:?}");
    }
    assert!(before.iter().any(|t| t.contains("sqlite_stat4")), "statistics samples hold the person: {before:?}");

    // The site is running, with connections open on the file, while the operator erases.
    let server = start_on(&url, &[]).await;
    let cookie = laptop.cookies.session_cookie().unwrap().stripped().to_string();
    assert_eq!(server.send(Call::get("/").cookie(&cookie)).await.status, 200);

    let out = run(&url, &["forget", &format!(" {} ", email.to_uppercase())]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("forgot {email}")), "{}", text(&out));

    let after = traces(dir.path(), &db, &needles).await;
    assert!(after.is_empty(), "left behind after forget:\n{}", after.join("\n"));

    // Bob's history still says an administrator revoked his session, without saying who.
    let row = sqlx::query("SELECT ended_reason, ended_by FROM sessions WHERE id = ?")
        .bind(&bobs.session_id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("ended_reason"), "admin_revoked");
    assert_eq!(row.get::<String, _>("ended_by"), "admin:erased");
    let revoked = sessions.history(&bob.id, 1, 0).await.unwrap().remove(0);
    assert_eq!(revoked.metadata.unwrap()["ended_by"], "admin:erased");
    assert!(users.by_email("bob@example.com").await.unwrap().is_some(), "bob keeps his account");
    drop(server);
}

#[tokio::test]
async fn forget_fails_loudly_when_the_demo_cannot_erase_its_own_rows_and_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("erase.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let ada = users.create("ada@example.com", "correct horse battery").await.unwrap().unwrap();
    let sessions = Sessions::new(Config::new(SECRET).unwrap(), store.clone());
    sessions.sign_in(&ada.id, &Auth::password().identity("ada@example.com"), &meta("192.0.2.9", CHROME)).await.unwrap();

    // Something in the host's database refuses the deletion of the account.
    sqlx::query("CREATE TRIGGER hold BEFORE DELETE ON demo_users BEGIN SELECT RAISE(ABORT, 'held for audit'); END")
        .execute(store.pool())
        .await
        .unwrap();
    let out = run(&url, &["forget", "ada@example.com"]);
    assert!(!out.status.success(), "forget reported success with the account still there: {}", text(&out));
    assert!(text(&out).contains("held for audit"), "the host's error is shown: {}", text(&out));
    assert!(users.by_email("ada@example.com").await.unwrap().is_some(), "the account is still there");

    sqlx::query("DROP TRIGGER hold").execute(store.pool()).await.unwrap();
    let out = run(&url, &["forget", "ada@example.com"]);
    assert!(out.status.success(), "running it again finishes the erasure: {}", text(&out));
    assert!(users.by_email("ada@example.com").await.unwrap().is_none());
    assert!(sessions.registry().list_live(&ada.id).await.unwrap().is_empty());
}

/// A person with a device and failed attempts typed against their email, in a fresh database: the URL, the engine,
/// the accounts, the person, and what must not survive their erasure.
async fn a_person(dir: &Path) -> (String, Sessions, Users, User, Vec<(&'static str, String)>) {
    let url = format!("sqlite://{}", dir.join("erase.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    let users = Users::open(&url).await.unwrap();
    let sessions = Sessions::new(Config::new(SECRET).unwrap().secure_cookies(false), store);
    let r = random_bytes();
    let email = format!("erase-{}@example.com", uuid::Uuid::new_v4().simple());
    let home = Ipv4Addr::new(100, 64 + (r[0] & 63), r[1], r[2].max(1)).to_string();
    let attacker =
        Ipv6Addr::new(0x2001, 0xdb8, u16::from_be_bytes([r[7], r[8]]), 0, 0, 0, u16::from_be_bytes([r[9], r[10]]), 9)
            .to_string();
    let attacker_ua = format!("{FIREFOX} Probe/{}", uuid::Uuid::new_v4().simple());
    let person = users.create(&email, "correct horse battery").await.unwrap().unwrap();
    sessions.sign_in(&person.id, &Auth::password().identity(&email), &meta(&home, CHROME)).await.unwrap();
    sessions.record_failed_attempt(&meta(&attacker, &attacker_ua), &email, "invalid_credentials").await;
    let needles = vec![
        ("the email", email),
        ("the user id", person.id.clone()),
        ("the home address", home),
        ("the attacker's address", attacker),
        ("the failed attempts' user agent", attacker_ua),
    ];
    (url, sessions, users, person, needles)
}

#[tokio::test]
async fn forget_finishes_when_run_again_after_readers_kept_the_wal_busy() {
    let dir = tempfile::tempdir().unwrap();
    let (url, sessions, users, person, needles) = a_person(dir.path()).await;
    let email = needles[0].1.clone();
    let (attacker, attacker_ua) = (needles[3].1.clone(), needles[4].1.clone());
    let db = SqlitePool::connect(&url).await.unwrap();

    // A reader that keeps its snapshot from before the erasure: no checkpoint can empty the WAL while it lasts.
    let mut connection = SqliteConnection::connect(&url).await.unwrap();
    let mut reader = connection.begin().await.unwrap();
    let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions_events").fetch_one(&mut *reader).await.unwrap();
    let out = run(&url, &["forget", &email]);
    assert!(!out.status.success(), "forget reported success with the WAL still full: {}", text(&out));
    assert!(text(&out).contains("readers kept the WAL busy"), "{}", text(&out));
    assert!(users.by_email(&email).await.unwrap().is_none(), "the account went before the scrub failed");
    let left = traces(dir.path(), &db, &needles).await;
    assert!(left.iter().any(|t| t.contains("in the bytes of")), "the files still hold the person: {left:?}");
    reader.rollback().await.unwrap();
    connection.close().await.unwrap();

    // Late writes under the email: a sign-in that passed its password check before the account went, and one more
    // failed attempt typed against it.
    sessions.sign_in(&person.id, &Auth::password().identity(&email), &meta("192.0.2.31", SAFARI)).await.unwrap();
    sessions.record_failed_attempt(&meta(&attacker, &attacker_ua), &email, "invalid_credentials").await;

    let out = run(&url, &["forget", &email.to_uppercase()]);
    assert!(out.status.success(), "running it again finishes the erasure: {}", text(&out));
    assert!(text(&out).contains(&format!("no account has the email {email}: erased")), "{}", text(&out));
    assert!(text(&out).contains("1 sessions") && text(&out).contains("emptied the WAL"), "{}", text(&out));
    let after = traces(dir.path(), &db, &needles).await;
    assert!(after.is_empty(), "left behind after the second run:\n{}", after.join("\n"));

    // Nothing left to find: a third run says so and succeeds.
    let out = run(&url, &["forget", &email]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 sessions and 0 trail events"), "{}", text(&out));
}

#[tokio::test]
async fn a_sign_in_that_races_the_erasure_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (url, plain, users, person, needles) = a_person(dir.path()).await;
    let email = needles[0].1.clone();
    // The demo's hook, run while a sign-in that passed its password check before the erasure began commits its
    // session and login event: after the library's first pass, before the account goes.
    let config = Config::new(SECRET).unwrap().secure_cookies(false).on_forget({
        let (plain, users, email) = (plain.clone(), users.clone(), email.clone());
        move |user_id: String| {
            let (plain, users, email) = (plain.clone(), users.clone(), email.clone());
            async move {
                plain.sign_in(&user_id, &Auth::password().identity(&email), &meta("192.0.2.32", SAFARI)).await?;
                users.forget(&user_id).await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            }
        }
    });
    let sessions = Sessions::new(config, SqliteStore::open(&url).await.unwrap());
    sessions.forget(&person.id, std::slice::from_ref(&email)).await.unwrap();

    let db = SqlitePool::connect(&url).await.unwrap();
    let sessions_left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = ?")
        .bind(&person.id)
        .fetch_one(&db)
        .await
        .unwrap();
    let events_left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions_events WHERE user_id = ? OR identity = ?")
        .bind(&person.id)
        .bind(&email)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!((sessions_left, events_left), (0, 0), "the racing sign-in's session and events survived");
    let after = traces(dir.path(), &db, &needles).await;
    assert!(after.is_empty(), "left behind:\n{}", after.join("\n"));
}
