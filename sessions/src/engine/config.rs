use std::sync::Arc;
use std::time::Duration;

use cookie::Key;
use time::OffsetDateTime;

use super::hooks::{Hooks, RepeatedFailures};
use super::store::{Event, SessionRecord};
use super::Error;

type Clock = dyn Fn() -> OffsetDateTime + Send + Sync;

/// Engine settings with safe defaults; only the signing secret is required.
#[derive(Clone)]
pub struct Config {
    pub(crate) clock: Arc<Clock>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) absolute_timeout: Option<Duration>,
    pub(crate) session_cap: usize,
    pub(crate) sudo_window: Option<Duration>,
    pub(crate) retention: Duration,
    pub(crate) key: Key,
    /// The names as sent: `__Host-` prefixed while cookies are `Secure`.
    pub(crate) cookie_name: String,
    base_cookie_name: String,
    pub(crate) secure_cookies: bool,
    pub(crate) touch_interval: Duration,
    pub(crate) session_cache: Option<Duration>,
    pub(crate) shared_session_cache: bool,
    pub(crate) live_path: Option<String>,
    pub(crate) live_caps: super::LiveCaps,
    pub(crate) reject_cross_site: bool,
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) device_cookie_name: String,
    base_device_cookie_name: String,
    pub(crate) hooks: Hooks,
    pub(crate) client_ip: super::ip::ClientIp,
    pub(crate) app_names: Vec<String>,
    pub(crate) request_client_hints: bool,
    pub(crate) geo: Option<std::sync::Arc<super::geo::Geo>>,
    #[cfg(feature = "fault-injection")]
    pub(crate) inject_faults: bool,
}

impl Config {
    /// A configuration signing cookies with `secret` (at least 32 bytes; keep it out of the repository).
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = leptos_sessions::engine::Config::new("0123456789abcdef0123456789abcdef")
    ///     .unwrap()
    ///     .secure_cookies(false)
    ///     .touch_interval(Duration::from_secs(60));
    /// ```
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let secret = secret.as_ref();
        if secret.len() < 32 {
            return Err(Error::Config(format!(
                "the cookie signing secret must be at least 32 bytes, got {}",
                secret.len()
            )));
        }
        Ok(Self {
            clock: Arc::new(OffsetDateTime::now_utc),
            idle_timeout: None,
            absolute_timeout: None,
            session_cap: 100,
            sudo_window: Some(Duration::from_secs(10 * 60)),
            retention: Duration::from_secs(365 * 24 * 3600),
            key: Key::derive_from(secret),
            cookie_name: String::new(),
            base_cookie_name: "session".into(),
            secure_cookies: true,
            touch_interval: Duration::from_secs(5 * 60),
            session_cache: Some(Duration::from_secs(2)),
            shared_session_cache: false,
            live_path: Some("/api/sessions/live".into()),
            live_caps: super::LiveCaps::default(),
            reject_cross_site: true,
            trusted_origins: Vec::new(),
            device_cookie_name: String::new(),
            base_device_cookie_name: "device_id".into(),
            hooks: Hooks::default(),
            client_ip: super::ip::ClientIp::default(),
            app_names: Vec::new(),
            request_client_hints: false,
            geo: None,
            #[cfg(feature = "fault-injection")]
            inject_faults: false,
        }
        .with_cookie_names())
    }

    /// `__Host-` cookies must be Secure, have `Path=/` and no domain: browsers then refuse them from subdomains
    /// and plain-http pages.
    fn with_cookie_names(mut self) -> Self {
        let prefix = if self.secure_cookies { "__Host-" } else { "" };
        self.cookie_name = format!("{prefix}{}", self.base_cookie_name);
        self.device_cookie_name = format!("{prefix}{}", self.base_device_cookie_name);
        self
    }

    /// Timeouts from NIST SP 800-63B rev. 4: `nist_aal1` (30 days absolute), `nist_aal2` (24 h absolute, 1 h
    /// idle), `nist_aal3` (12 h absolute, 15 min idle).
    ///
    /// ```
    /// let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap().preset("nist_aal2").unwrap();
    /// assert!(leptos_sessions::engine::Config::new([0u8; 32]).unwrap().preset("aal9").is_err());
    /// ```
    pub fn preset(self, name: &str) -> Result<Self, Error> {
        let hours = |h: u64| Some(Duration::from_secs(h * 3600));
        let (absolute, idle) = match name {
            "nist_aal1" => (hours(30 * 24), None),
            "nist_aal2" => (hours(24), hours(1)),
            "nist_aal3" => (hours(12), Some(Duration::from_secs(15 * 60))),
            other => {
                return Err(Error::Config(format!(
                    "unknown preset {other:?}; expected nist_aal1, nist_aal2 or nist_aal3"
                )))
            }
        };
        Ok(self.absolute_timeout(absolute).idle_timeout(idle))
    }

    /// Ends sessions with no request for this long (off by default).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Ends sessions this long after sign-in, active or not (off by default).
    pub fn absolute_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.absolute_timeout = timeout;
        self
    }

    /// At most this many live sessions per user (default 100); a sign-in past it ends the oldest.
    pub fn session_cap(mut self, cap: usize) -> Self {
        self.session_cap = cap;
        self
    }

    /// Logging out devices needs a password confirmed (or a sign-in) this recently (default 10 minutes);
    /// `None` turns the check off.
    pub fn sudo_window(mut self, window: Option<Duration>) -> Self {
        self.sudo_window = window;
        self
    }

    /// How long the trail and ended rows are kept (default 12 months).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The time source; tests pass a controllable clock.
    ///
    /// ```
    /// let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap().clock(time::OffsetDateTime::now_utc);
    /// ```
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings together; [`crate::engine::Sessions::try_new`] calls it.
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |m: String| Err(Error::Config(m));
        if self.session_cap == 0 {
            return fail("the session cap must be at least 1".into());
        }
        for (name, value) in [("idle timeout", self.idle_timeout), ("absolute lifetime", self.absolute_timeout)] {
            if value == Some(Duration::ZERO) {
                return fail(format!("the {name} must be longer than zero (use None to turn it off)"));
            }
        }
        if let (Some(idle), Some(absolute)) = (self.idle_timeout, self.absolute_timeout) {
            if idle > absolute {
                return fail(format!(
                    "the idle timeout ({idle:?}) is longer than the absolute lifetime ({absolute:?}); it would never apply"
                ));
            }
        }
        if let Some(idle) = self.idle_timeout {
            if idle <= self.touch_interval {
                return fail(format!(
                    "the idle timeout ({idle:?}) must be longer than the activity-touch interval ({:?})",
                    self.touch_interval
                ));
            }
        }
        if self.retention < Duration::from_secs(24 * 3600) {
            return fail("retention must be at least one day".into());
        }
        Ok(())
    }

    /// Marks cookies `Secure` (default on). Turn off only for plain-http development on loopback.
    pub fn secure_cookies(mut self, on: bool) -> Self {
        self.secure_cookies = on;
        self.with_cookie_names()
    }

    /// The name of the session cookie (default `session`, sent as `__Host-session` while cookies are Secure).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.base_cookie_name = name.into();
        self.with_cookie_names()
    }

    /// At most one `last_seen_at` write per session per interval (default 5 minutes).
    pub fn touch_interval(mut self, interval: Duration) -> Self {
        self.touch_interval = interval;
        self
    }

    /// Keep validated sessions in memory for up to `ttl` (default 2 seconds; `None` looks every request up).
    ///
    /// Endings written through this crate drop the cached entries before they return, and on SQLite every process
    /// sharing the file sees them on its next request (an endings file beside the database), so a revoked cookie is
    /// refused on its very next request. The time-to-live only bounds rows ended by hand in SQL. On PostgreSQL the
    /// cache stays off unless [`Config::shared_session_cache`] allows it.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = leptos_sessions::engine::Config::new("0123456789abcdef0123456789abcdef")
    ///     .unwrap()
    ///     .session_cache(Some(Duration::from_secs(5)));
    /// ```
    pub fn session_cache(mut self, ttl: Option<Duration>) -> Self {
        self.session_cache = ttl.filter(|t| !t.is_zero());
        self
    }

    /// On PostgreSQL, cache sessions too (default off): other instances learn of endings through LISTEN/NOTIFY,
    /// so for the delivery time of a notification (well under a millisecond on one network) another instance may
    /// still accept a cookie that was just revoked. While the listening connection is down the cache is bypassed.
    ///
    /// ```
    /// let config = leptos_sessions::engine::Config::new("0123456789abcdef0123456789abcdef")
    ///     .unwrap()
    ///     .shared_session_cache(true);
    /// ```
    pub fn shared_session_cache(mut self, on: bool) -> Self {
        self.shared_session_cache = on;
        self
    }

    /// Where the layer answers signed-in pages' live streams (default `/api/sessions/live`; `None` turns them off,
    /// and pages then learn of changes on their next request as before). A `GET` there with the session cookie is
    /// a Server-Sent Events stream of that session's changes ([`Sessions::follow`](super::Sessions::follow)); the
    /// devices section opens it by itself.
    ///
    /// ```
    /// let config = leptos_sessions::engine::Config::new("0123456789abcdef0123456789abcdef")
    ///     .unwrap()
    ///     .live_path(Some("/account/live"));
    /// ```
    pub fn live_path(mut self, path: Option<&str>) -> Self {
        self.live_path = path.map(str::to_owned);
        self
    }

    /// The most live streams (and [`Sessions::follow`](super::Sessions::follow)ers) open at once: per session (its
    /// tabs; default 4), per user (16) and per process (20,000). Beyond them a stream is refused with 429 and its
    /// page works as without live push.
    ///
    /// ```
    /// use leptos_sessions::engine::{Config, LiveCaps};
    /// let config = Config::new("0123456789abcdef0123456789abcdef")
    ///     .unwrap()
    ///     .live_caps(LiveCaps { per_session: 2, per_user: 8, per_process: 50_000 });
    /// ```
    pub fn live_caps(mut self, caps: super::LiveCaps) -> Self {
        self.live_caps = caps;
        self
    }

    /// The path [`Config::live_path`] set, if live streams are on.
    pub fn live_stream_path(&self) -> Option<&str> {
        self.live_path.as_deref()
    }

    /// How long the browser keeps the session cookie: the absolute timeout when there is one, otherwise 400 days
    /// (the most any browser keeps a cookie). The layer refreshes it with the throttled touch, so an active user is
    /// never signed out by the browser; a row nobody has used for that long can have no cookie left, and the sweep
    /// ends it (`expired`) even when no idle timeout is set.
    pub fn cookie_lifetime(&self) -> Duration {
        self.absolute_timeout.unwrap_or(super::token::LONGEST_COOKIE)
    }

    /// Refuse state-changing requests that do not come from this site's own origin (default on).
    pub fn reject_cross_site(mut self, on: bool) -> Self {
        self.reject_cross_site = on;
        self
    }

    /// Other origins whose pages may post to this site (another subdomain of yours, say), as
    /// `scheme://host[:port]`. Nothing else passes, not even a sibling subdomain.
    ///
    /// ```
    /// use leptos_sessions::engine::Config;
    /// let config = Config::new([0u8; 32]).unwrap().trusted_origins(["https://admin.example.com"]).unwrap();
    /// ```
    pub fn trusted_origins<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, origins: I) -> Result<Self, Error> {
        for origin in origins {
            let origin = origin.as_ref().trim();
            match super::origin::origin_of(origin) {
                Some(parsed) if parsed.len() == origin.trim_end_matches('/').len() => self.trusted_origins.push(parsed),
                _ => {
                    return Err(Error::Config(format!(
                        "{origin:?} is not an origin: write scheme://host[:port], such as https://admin.example.com"
                    )))
                }
            }
        }
        Ok(self)
    }

    /// How to find the client address behind proxies, and whether to truncate it before storing (privacy mode).
    ///
    /// ```
    /// use leptos_sessions::engine::{ClientIp, Config};
    /// let proxies = ClientIp::parse_proxies("10.0.0.0/8").unwrap();
    /// let config = Config::new([0u8; 32]).unwrap().client_ip(ClientIp { trusted_proxies: proxies, ..ClientIp::default() });
    /// ```
    pub fn client_ip(mut self, client_ip: super::ip::ClientIp) -> Self {
        self.client_ip = client_ip;
        self
    }

    /// An address as this configuration stores it (canonical, and truncated in privacy mode), so that a search for
    /// an address matches the rows it was stored in.
    ///
    /// ```
    /// use leptos_sessions::engine::{ClientIp, Config};
    /// let private = Config::new([0u8; 32]).unwrap().client_ip(ClientIp { truncate: true, ..ClientIp::default() });
    /// assert_eq!(private.stored_address("81.2.69.142".parse().unwrap()), "81.2.69.0");
    /// ```
    pub fn stored_address(&self, ip: std::net::IpAddr) -> String {
        self.client_ip.store_form(ip)
    }

    /// Native app names to recognize anywhere in a user agent (for shells that cannot use the
    /// `AppName/1.2.3 (Model; OS 1.2)` prefix), e.g. `["MyApp"]`.
    pub fn native_app_names<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.app_names = names.into_iter().map(Into::into).filter(|n: &String| !n.is_empty()).collect();
        self
    }

    /// Sends `Accept-CH` so Chromium browsers report their real platform version, model and brand on later
    /// requests (off by default; the hints arrive over HTTPS only).
    pub fn request_client_hints(mut self, on: bool) -> Self {
        self.request_client_hints = on;
        self
    }

    /// Turns geolocation on with a MaxMind-format City database, opened now (a bad path is an error here).
    /// `language` picks the stored place names where the database has them (`en`, `es`, …).
    ///
    /// ```no_run
    /// let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap()
    ///     .geoip("/var/lib/GeoIP/GeoLite2-City.mmdb", "en").unwrap();
    /// ```
    pub fn geoip(mut self, path: impl AsRef<std::path::Path>, language: &str) -> Result<Self, Error> {
        let geo = super::geo::Geo::open(path, language, 2).map_err(Error::Config)?;
        self.geo = Some(std::sync::Arc::new(geo));
        Ok(self)
    }

    /// Called after a sign-in from a device the user has not used before (never on their first sign-in).
    ///
    /// ```
    /// # let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap();
    /// let config = config.on_new_device(|session, _event| {
    ///     let user = session.user_id.clone();
    ///     tokio::spawn(async move { /* email `user` about the new sign-in */ });
    /// });
    /// ```
    pub fn on_new_device(mut self, hook: impl Fn(&SessionRecord, &Event) + Send + Sync + 'static) -> Self {
        self.hooks.on_new_device = Some(std::sync::Arc::new(hook));
        self
    }

    /// Called when a live session is revoked (not on logout, expiry or supersede): the row, who, and why.
    ///
    /// ```
    /// # let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap();
    /// let config = config.on_session_revoked(|session, by, reason| {
    ///     tracing::info!(session = %session.id, ?by, reason, "session revoked");
    /// });
    /// ```
    pub fn on_session_revoked(
        mut self,
        hook: impl Fn(&SessionRecord, Option<&str>, &str) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.on_session_revoked = Some(std::sync::Arc::new(hook));
        self
    }

    /// Called with every event stored in the trail (an audit-log tee).
    ///
    /// ```
    /// # let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap();
    /// let config = config.on_event(|event| tracing::info!(kind = %event.kind, "trail"));
    /// ```
    pub fn on_event(mut self, hook: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.hooks.on_event = Some(std::sync::Arc::new(hook));
        self
    }

    /// Called once when an identity's failed sign-ins within `window` reach `threshold`; again only after older
    /// failures age out of the window and the count climbs back. Off by default.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let config = leptos_sessions::engine::Config::new([0u8; 32]).unwrap();
    /// let config = config.on_repeated_failed_logins(5, Duration::from_secs(15 * 60), |identity, count, _event| {
    ///     tracing::warn!(identity, count, "possible password guessing");
    /// });
    /// ```
    pub fn on_repeated_failed_logins(
        mut self,
        threshold: u64,
        window: Duration,
        hook: impl Fn(&str, u64, &Event) + Send + Sync + 'static,
    ) -> Self {
        let rule = RepeatedFailures { threshold: threshold.max(1), window };
        self.hooks.on_repeated_failures = Some((rule, std::sync::Arc::new(hook)));
        self
    }

    /// Erases the host's own data about a user (its account row, profile, outbox…) as part of
    /// [`Sessions::forget`](super::Sessions::forget), so one call erases everything. It runs after the sessions and
    /// the trail are erased and before the erased bytes are purged from the database files (on SQLite: statistics
    /// samples and the WAL, after the hook's deletions too). Unlike the other hooks it is awaited, and an error
    /// (or a panic) makes `forget` fail: the registry part is done by then, and `forget` is safe to run again, so
    /// keep the hook safe to re-run as well (delete whatever is left) and delete the row you look people up by
    /// last. On SQLite, delete with `PRAGMA secure_delete = ON` on that connection so the rows are zeroed in place.
    ///
    /// ```no_run
    /// # async fn f(pool: sqlx::SqlitePool) -> Result<(), Box<dyn std::error::Error>> {
    /// use leptos_sessions::engine::{Config, Sessions, SqliteStore};
    ///
    /// let config = Config::new("a secret of at least thirty-two bytes!!")?.on_forget({
    ///     let pool = pool.clone();
    ///     move |user_id| {
    ///         let pool = pool.clone();
    ///         async move {
    ///             let mut tx = pool.begin().await?;
    ///             sqlx::query("PRAGMA secure_delete = ON").execute(&mut *tx).await?;
    ///             sqlx::query("DELETE FROM profiles WHERE user_id = ?").bind(&user_id).execute(&mut *tx).await?;
    ///             sqlx::query("DELETE FROM accounts WHERE id = ?").bind(&user_id).execute(&mut *tx).await?;
    ///             tx.commit().await
    ///         }
    ///     }
    /// });
    /// let sessions = Sessions::new(config, SqliteStore::from_pool(pool).await?);
    /// sessions.forget("user-42", &["ada@example.com".to_owned()]).await?;
    /// # Ok(()) }
    /// ```
    pub fn on_forget<F, E>(mut self, hook: impl Fn(String) -> F + Send + Sync + 'static) -> Self
    where
        F: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: Into<super::hooks::BoxError>,
    {
        use futures::FutureExt;
        self.hooks.on_forget = Some(Arc::new(move |user_id| hook(user_id).map(|r| r.map_err(Into::into)).boxed()));
        self
    }

    /// Makes every isolated tracking step panic, to prove sign-in survives them. Tests only.
    #[cfg(feature = "fault-injection")]
    pub fn inject_faults(mut self, on: bool) -> Self {
        self.inject_faults = on;
        self
    }
}
