//! The server-side engine: one cloneable [`Sessions`] handle holding the configuration and the store.

mod auth;
#[cfg(feature = "axum-login")]
pub(crate) mod axum_login;
mod cache;
mod config;
pub mod device;
mod geo;
mod hooks;
mod hourly;
pub mod ip;
mod layer;
mod lifecycle;
mod live;
mod origin;
mod reasons;
mod refusal;
mod set_cookies;
pub mod store;
mod sweep;
mod token;
mod trail;

use std::net::IpAddr;
use std::sync::Arc;

pub use crate::identity::{has_hidden_characters, is_format_char, normalize_identity, visible_identity};
pub use auth::{Auth, METHODS};
#[cfg(feature = "axum-login")]
pub use axum_login::{AxumLogin, AxumLoginLayer, AxumLoginService};
pub use config::Config;
/// The `cookie` crate, whose `Cookie` type [`SetCookies`] hands out.
pub use cookie;
pub use device::{ClientHeaders, DeviceInfo};
pub use geo::Geo;
pub use ip::ClientIp;
pub use layer::{CurrentSession, SessionEnded, SessionLayer};
pub use lifecycle::SignedIn;
pub use live::{Follow, FollowError, LiveCaps, LiveEvent};
pub use reasons::REASONS;
pub use refusal::Refusal;
pub use set_cookies::SetCookies;
pub(crate) use set_cookies::{PendingCookies, SessionCookieSet};
#[cfg(feature = "postgres")]
pub use store::PgStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{
    every_hour, ChangeListener, CountryCount, CountrySort, Direction, Event, FailureGroup, FailureKey, FailureSort,
    HourCount, Invalidation, Maintenance, Page, Place, Registry, SessionFilter, SessionRecord, SessionSort,
    SessionState, SessionStore, StoreError, Trail, Triage, Watch,
};
pub use sweep::SweepReport;
pub use trail::LastLogin;

/// The session registry: sign-in, sign-out, revocation and the per-request layer all go through one handle.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use leptos_sessions::engine::{Config, Sessions, SqliteStore};
///
/// let store = SqliteStore::open("sqlite://data/sessions.db").await?;
/// let sessions = Sessions::new(Config::new("a secret of at least thirty-two bytes!!")?, store);
/// let app: axum::Router = axum::Router::new().layer(sessions.layer());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: Config,
    store: Arc<dyn SessionStore>,
    /// The store's registry, behind the session cache when that is on: every registry call goes through it.
    registry: Arc<dyn Registry>,
    cache: Option<Arc<cache::SessionCache>>,
    geo_queue: std::sync::OnceLock<geo::Queue>,
    hours: hourly::FinishedHours,
    hub: live::Hub,
}

impl Sessions {
    /// The engine over `store`. With a geolocation database configured, call it inside a Tokio runtime: it starts
    /// the background worker that fills in locations.
    ///
    /// Panics with the validation message on a contradictory configuration; [`Sessions::try_new`] returns it.
    pub fn new(config: Config, store: impl SessionStore + 'static) -> Self {
        Self::try_new(config, store).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`Sessions::new`], returning configuration errors ("the idle timeout is longer than …").
    pub fn try_new(config: Config, store: impl SessionStore + 'static) -> Result<Self, Error> {
        config.validate()?;
        let store: Arc<dyn SessionStore> = Arc::new(store);
        let registry: Arc<dyn Registry> = store.clone();
        let (registry, cache) = match config.session_cache {
            Some(ttl) => cache::wrap(registry, ttl, config.shared_session_cache),
            None => (registry, None),
        };
        let sessions = Self {
            inner: Arc::new_cyclic(|inner| Inner {
                config,
                store,
                registry: Arc::new(live::Publishing { inner: registry, sessions: inner.clone() }),
                cache,
                geo_queue: std::sync::OnceLock::new(),
                hours: Default::default(),
                hub: Default::default(),
            }),
        };
        if let Some(queue) = sessions.start_geo_worker() {
            let _ = sessions.inner.geo_queue.set(queue);
        }
        Ok(sessions)
    }

    /// The configured clock's current time.
    pub fn now(&self) -> time::OffsetDateTime {
        (self.inner.config.clock)()
    }

    pub(crate) fn cache(&self) -> Option<&cache::SessionCache> {
        self.inner.cache.as_deref()
    }

    pub(crate) fn hub(&self) -> &live::Hub {
        &self.inner.hub
    }

    pub(crate) fn geo_queue(&self) -> Option<&geo::Queue> {
        self.inner.geo_queue.get()
    }

    /// The tower layer that resolves the session cookie on every request.
    pub fn layer(&self) -> SessionLayer {
        SessionLayer::new(self.clone())
    }

    /// The configuration this engine was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store's session rows, behind the session cache when that is on: read devices, or end rows the engine's
    /// own methods do not cover, without leaving a stale cache entry behind.
    ///
    /// ```no_run
    /// # async fn run(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::StoreError> {
    /// let devices = sessions.registry().list_live("user-7").await?;
    /// println!("{} signed-in devices", devices.len());
    /// # Ok(()) }
    /// ```
    pub fn registry(&self) -> &dyn Registry {
        self.inner.registry.as_ref()
    }

    /// The store's queries across every user, for an administrator's console.
    ///
    /// ```no_run
    /// # async fn run(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::StoreError> {
    /// use leptos_sessions::engine::{FailureKey, Page};
    ///
    /// let since = sessions.now() - time::Duration::hours(24);
    /// for group in sessions.triage().failures_by(FailureKey::Ip, since, &Page::first(10)).await? {
    ///     println!("{}: {} failed sign-ins", group.key, group.attempts);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn triage(&self) -> &dyn Triage {
        self.inner.store.as_ref()
    }

    /// The login trail: never cached, so it goes to the store itself.
    pub(crate) fn trail(&self) -> &dyn Trail {
        self.inner.store.as_ref()
    }

    /// Retention, erasure and re-derivation. [`Maintenance::forget`] deletes rows outright, so its caller drops the
    /// user's cached entries ([`Sessions::forget`]).
    pub(crate) fn maintenance(&self) -> &dyn Maintenance {
        self.inner.store.as_ref()
    }
}

/// What the engine knows about a request that signs in or fails to: build it with [`Sessions::request_meta`].
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The client address as [`Config::client_ip`] resolves it, not yet truncated (that happens when it is
    /// stored).
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header, cut to [`device::MAX_USER_AGENT_CHARS`] characters.
    pub user_agent: Option<String>,
    /// From a correctly signed device cookie only.
    pub device_id: Option<String>,
    /// From `X-Request-Id`, when it looks like one.
    pub request_id: Option<String>,
    /// The session the request is already signed in with, if any.
    pub current: Option<CurrentSession>,
    /// Client hints and `X-Client-*` headers.
    pub client: ClientHeaders,
}

/// Errors the engine reports; tracking steps never produce them, explicit lifecycle operations do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("session store error: {0}")]
    /// The session store failed.
    Store(#[from] StoreError),
    #[error("no such live session for this user")]
    /// No live session with this id belongs to the user.
    NotFound,
    #[error("the current session cannot be revoked from the devices page")]
    /// The devices page asked to revoke the session it was sent from.
    CannotRevokeCurrent,
    #[error("confirm your password first")]
    /// The action needs a password confirmed within [`Config::sudo_window`].
    ReauthRequired,
    #[error("invalid configuration: {0}")]
    /// The configuration is invalid or contradictory; the message says why.
    Config(String),
    /// [`Config::on_forget`] failed: the sessions and trail are erased, the host's data perhaps not. Run
    /// [`Sessions::forget`] again.
    #[error("the host's erasure hook failed (the sessions and trail are erased; run forget again): {0}")]
    ForgetHook(Box<dyn std::error::Error + Send + Sync>),
    /// The host's tower-sessions record could not be read or written (feature `axum-login`).
    #[cfg(feature = "axum-login")]
    #[error("tower-sessions error: {0}")]
    TowerSessions(#[from] tower_sessions::session::Error),
}

impl From<Error> for crate::error::ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Self::NotFound,
            Error::CannotRevokeCurrent => Self::CannotRevokeCurrent,
            Error::ReauthRequired => Self::ReauthRequired,
            Error::Store(err) => {
                tracing::error!(error = %err, "session store error");
                Self::Unavailable
            }
            Error::ForgetHook(err) => {
                tracing::error!(error = %err, "erasure hook failed");
                Self::Unavailable
            }
            #[cfg(feature = "axum-login")]
            Error::TowerSessions(err) => {
                tracing::error!(error = %err, "tower-sessions error");
                Self::Unavailable
            }
            Error::Config(_) => Self::ServerFn(leptos::server_fn::error::ServerFnErrorErr::ServerError(e.to_string())),
        }
    }
}
