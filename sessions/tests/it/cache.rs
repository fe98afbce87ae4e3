//! The per-instance session cache against every write that ends a row or changes its token. Each test first requests
//! the cookie, so that the serving instance caches it, and proves the cache holds it (the row is hidden from the
//! database lookup for one request, and the cookie still works); then it makes the change, and the very next request
//! with the old cookie must be refused.
//!
//! Every test runs twice: on one instance over an in-memory SQLite database, where only the engine's own
//! invalidation can evict the entry (there is no endings file), and with the change made by another process's
//! instance on the same SQLite file, where only the endings file can tell the serving instance.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use axum::Router;
use leptos_sessions::engine::{Config, Registry, RequestMeta, Sessions, SqliteStore, Watch};

/// Long enough that no entry ages out during a test: only an invalidation can evict one.
const TTL: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// One instance on an in-memory database.
    OneInstance,
    /// The change is made by a second instance with its own pool and cache on the same file (another process).
    OtherProcess,
}

struct Rig {
    /// The serving instance's store, for SQL behind the cache's back.
    store: SqliteStore,
    /// The store the acting instance writes through.
    acting_store: SqliteStore,
    /// Signs in and makes the change.
    acting: Sessions,
    /// The serving instance behind its layer: its cache is the one under test.
    app: Router,
    clock: Clock,
    config: Config,
    _dir: Option<tempfile::TempDir>,
}

/// An in-memory database lives as long as its connection: one connection, never closed.
pub(crate) async fn in_memory() -> SqliteStore {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(SqliteConnectOptions::from_str("sqlite::memory:").unwrap())
        .await
        .unwrap();
    SqliteStore::from_pool(pool).await.unwrap()
}

impl Rig {
    async fn new(mode: Mode, tweak: impl FnOnce(Config) -> Config) -> Self {
        let clock = Clock::new();
        let config = clock.install(tweak(Config::new(SECRET).unwrap().secure_cookies(false).session_cache(Some(TTL))));
        let (store, acting_store, dir) = match mode {
            Mode::OneInstance => {
                let store = in_memory().await;
                let watch = store.watch_endings(Arc::new(|_| true));
                assert_eq!(watch, Watch::SingleWriter, "nothing but the engine's own invalidation evicts entries");
                (store.clone(), store, None)
            }
            Mode::OtherProcess => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("sessions.db").display());
                let serving = SqliteStore::open(&url).await.unwrap();
                let acting = SqliteStore::open(&url).await.unwrap();
                (serving, acting, Some(dir))
            }
        };
        let serving = Sessions::new(config.clone(), store.clone());
        let acting = match mode {
            Mode::OneInstance => serving.clone(),
            Mode::OtherProcess => Sessions::new(config.clone(), acting_store.clone()),
        };
        let app = app(&serving);
        Self { store, acting_store, acting, app, clock, config, _dir: dir }
    }

    /// Requests `cookie` so that the serving instance caches it, and proves that it did: with every live row of
    /// `user` hidden from the database lookup, the cookie still works.
    async fn warm(&self, cookie: &str, user: &str) {
        assert_eq!(get_me(&self.app, cookie).await.body, user, "live before the change");
        let hide =
            "UPDATE sessions SET token_digest = 'hidden:' || token_digest WHERE user_id = ? AND ended_at IS NULL";
        sqlx::query(hide).bind(user).execute(self.store.pool()).await.unwrap();
        let cached = get_me(&self.app, cookie).await.body;
        let show = "UPDATE sessions SET token_digest = substr(token_digest, 8) WHERE token_digest LIKE 'hidden:%'";
        sqlx::query(show).execute(self.store.pool()).await.unwrap();
        assert_eq!(cached, user, "the serving instance answers from its cache");
    }

    async fn refused(&self, cookie: &str, what: &str) {
        assert_eq!(get_me(&self.app, cookie).await.body, "anonymous", "{what}: refused on the very next request");
    }

    async fn works(&self, cookie: &str, user: &str) {
        assert_eq!(get_me(&self.app, cookie).await.body, user);
    }

    /// A sign-in through the acting instance, from a browser of its own unless `meta` names one.
    async fn sign_in(&self, user: &str, meta: &RequestMeta) -> (String, String) {
        let signed = self.acting.sign_in(user, &pw(), meta).await.unwrap();
        (signed.session_id, pair(&signed.cookies))
    }
}

fn browser(device_id: &str) -> RequestMeta {
    RequestMeta { device_id: Some(device_id.into()), ..meta(CHROME_MAC) }
}

async fn a_confirmed_password_refuses_the_old_cookie_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c).await;
    let (id, old) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    rig.warm(&old, "u1").await;
    let fresh = pair(&rig.acting.reauthenticated(&current(&id, "u1")).await.unwrap());
    rig.refused(&old, "the token the confirmation replaced").await;
    rig.works(&fresh, "u1").await;
}

async fn a_password_change_refuses_every_old_cookie_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c).await;
    let (id, old) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    let (_, elsewhere) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    let (_, bystander) = rig.sign_in("u2", &meta(CHROME_MAC)).await;
    for (cookie, user) in [(&old, "u1"), (&elsewhere, "u1"), (&bystander, "u2")] {
        rig.warm(cookie, user).await;
    }
    let fresh = pair(&rig.acting.password_changed(&current(&id, "u1"), &RequestMeta::default()).await.unwrap());
    rig.refused(&old, "this device's replaced token").await;
    rig.refused(&elsewhere, "the user's other device").await;
    rig.works(&fresh, "u1").await;
    rig.works(&bystander, "u2").await;
}

async fn an_erased_users_cookie_stops_working_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c).await;
    let (_, erased) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    let (_, bystander) = rig.sign_in("u2", &meta(CHROME_MAC)).await;
    rig.warm(&erased, "u1").await;
    rig.warm(&bystander, "u2").await;
    assert_eq!(rig.acting.forget("u1", &["ada@example.com".into()]).await.unwrap().0, 1);
    rig.refused(&erased, "the erased user's cookie").await;
    rig.works(&bystander, "u2").await;
}

/// Without an idle timeout the sweep ends rows unused for a whole cookie lifetime, which no request checks: only
/// the invalidation stands between the cached cookie and the row the sweep ended. (With an idle timeout the
/// request's own check ends the same row, cache or not.)
async fn a_row_ended_by_the_sweep_is_refused_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c.idle_timeout(None).absolute_timeout(None)).await;
    let (id, cookie) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    rig.warm(&cookie, "u1").await;
    rig.clock.advance(rig.config.cookie_lifetime() + Duration::from_secs(24 * 3600));
    assert_eq!(rig.acting.sweep().await.unwrap().expired, 1);
    assert_eq!(column(&rig.store, &id, "ended_reason").await.as_deref(), Some("expired"));
    rig.refused(&cookie, "the row the sweep expired").await;
}

async fn a_row_pruned_by_the_cap_is_refused_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c.session_cap(2)).await;
    let (oldest, cookie) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    rig.clock.advance(Duration::from_secs(1));
    let (_, kept) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    rig.warm(&cookie, "u1").await;
    rig.warm(&kept, "u1").await;
    rig.clock.advance(Duration::from_secs(1));
    let (_, newest) = rig.sign_in("u1", &meta(CHROME_MAC)).await;
    assert_eq!(column(&rig.store, &oldest, "ended_reason").await.as_deref(), Some("pruned"));
    rig.refused(&cookie, "the row the cap pruned").await;
    rig.works(&kept, "u1").await;
    rig.works(&newest, "u1").await;
}

/// A cap lowered on restart: the rows over it are pruned by the next sweep.
async fn a_row_pruned_by_the_sweep_under_a_lowered_cap_is_refused_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c.session_cap(2)).await;
    let before = Sessions::new(rig.config.clone().session_cap(10), rig.acting_store.clone());
    let mut cookies = Vec::new();
    for _ in 0..3 {
        let signed = before.sign_in("u1", &pw(), &meta(CHROME_MAC)).await.unwrap();
        cookies.push((signed.session_id, pair(&signed.cookies)));
        rig.clock.advance(Duration::from_secs(1));
    }
    for (_, cookie) in &cookies {
        rig.warm(cookie, "u1").await;
    }
    assert_eq!(rig.acting.sweep().await.unwrap().pruned, 1);
    assert_eq!(column(&rig.store, &cookies[0].0, "ended_reason").await.as_deref(), Some("pruned"));
    rig.refused(&cookies[0].1, "the row the sweep pruned").await;
    rig.works(&cookies[2].1, "u1").await;
}

async fn a_row_superseded_on_the_same_browser_is_refused_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c).await;
    let (first, cookie) = rig.sign_in("u1", &browser("browser-1")).await;
    rig.warm(&cookie, "u1").await;
    let (_, again) = rig.sign_in("u1", &browser("browser-1")).await;
    assert_eq!(column(&rig.store, &first, "ended_reason").await.as_deref(), Some("superseded"));
    rig.refused(&cookie, "the row the same browser's new sign-in replaced").await;
    rig.works(&again, "u1").await;
}

async fn another_account_signing_in_on_the_browser_refuses_the_first_at_once(mode: Mode) {
    let rig = Rig::new(mode, |c| c).await;
    let (first, cookie) = rig.sign_in("u1", &browser("browser-1")).await;
    rig.warm(&cookie, "u1").await;
    let switching = RequestMeta { current: Some(current(&first, "u1")), ..browser("browser-1") };
    let (_, theirs) = rig.sign_in("u2", &switching).await;
    assert_eq!(column(&rig.store, &first, "ended_reason").await.as_deref(), Some("superseded"));
    rig.refused(&cookie, "the first account's row on this browser").await;
    rig.works(&theirs, "u2").await;
}

macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {
        mod one_instance {
            $( #[tokio::test] async fn $name() { super::$name(super::Mode::OneInstance).await } )*
        }
        mod other_process {
            $( #[tokio::test] async fn $name() { super::$name(super::Mode::OtherProcess).await } )*
        }
    };
}

in_both_modes!(
    a_confirmed_password_refuses_the_old_cookie_at_once,
    a_password_change_refuses_every_old_cookie_at_once,
    an_erased_users_cookie_stops_working_at_once,
    a_row_ended_by_the_sweep_is_refused_at_once,
    a_row_pruned_by_the_cap_is_refused_at_once,
    a_row_pruned_by_the_sweep_under_a_lowered_cap_is_refused_at_once,
    a_row_superseded_on_the_same_browser_is_refused_at_once,
    another_account_signing_in_on_the_browser_refuses_the_first_at_once,
);
