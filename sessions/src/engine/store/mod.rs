//! Storage: four narrow traits by concern, one implementation per database behind its cargo feature. SQL lives only
//! below this module; how a record maps to columns is written once, in `columns`.

#[cfg(feature = "sqlite")]
mod changes_file;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod columns;
mod contract;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
// Its SQL helpers serve the built-in backends; a host with only its own backend does not use them.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
mod triage;

#[cfg(feature = "postgres")]
pub use postgres::PgStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use triage::{
    every_hour, CountryCount, CountrySort, Direction, FailureSort, HourCount, Page, SessionFilter, SessionSort,
    SessionState,
};

pub use super::cache::{Invalidation, Watch};
pub use contract::{Maintenance, Registry, SessionStore, Trail, Triage};

/// What [`Registry::watch_changes`] reports to: the user whose sessions or trail another process changed (`None`:
/// perhaps anyone's); it returns `false` once nobody listens any more.
pub type ChangeListener = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;
pub use error::StoreError;

use serde_json::Value;
use std::sync::Arc;
use time::OffsetDateTime;

/// The options every pool this crate builds starts from. No idle timeout and no maximum lifetime: either one starts
/// SQLx 0.9.0's pool maintenance task, which a race in its idle count can wedge in a loop that never yields
/// (launchbadge/sqlx#3645, fixed upstream by #4289 but not released): a core at 100% and a process that cannot
/// exit. The pools here are small and their connections live as long as the process.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new().idle_timeout(None).max_lifetime(None)
}

/// One row of the registry: a signed-in device. Rows are ended in place, never deleted by the lifecycle.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionRecord {
    /// The row id (a UUIDv7): what the devices list and [`Sessions::revoke`](crate::engine::Sessions::revoke)
    /// name a session by.
    pub id: String,
    /// The account the session belongs to, as the host identifies it.
    pub user_id: String,
    /// The id in the browser's signed device cookie, kept across sign-ins so that one browser stays one device.
    pub device_id: Option<String>,
    /// How the session started: one of [`METHODS`](crate::engine::METHODS) or the host's own tag; `unknown` when
    /// not said.
    pub auth_method: String,
    /// The identity provider, lower-cased (`github`, `google`, …); `None` for methods without one.
    pub auth_provider: Option<String>,
    /// Other facts of the sign-in as a JSON object (`second_factor`, `remembered`, …); `None` when there are none.
    pub auth_detail: Option<Value>,
    /// The client address at sign-in: canonical, and truncated in privacy mode
    /// ([`ClientIp::truncate`](crate::engine::ClientIp::truncate)); `None` when unknown.
    pub ip_address: Option<String>,
    /// The `User-Agent` header at sign-in, cut to
    /// [`MAX_USER_AGENT_CHARS`](crate::engine::device::MAX_USER_AGENT_CHARS) characters; `None` when absent or empty.
    pub user_agent: Option<String>,
    /// The browser's display name (`Chrome`, `Firefox`, …); `None` when not recognized, and for a native app's
    /// WebView.
    pub browser_name: Option<String>,
    /// The browser's major version only.
    pub browser_version: Option<String>,
    /// The operating system (`macOS`, `Windows`, `iOS`, `Android`, …); `None` when not recognized.
    pub os_name: Option<String>,
    /// The OS version, only when the client really reports it (see
    /// [`DeviceInfo::os_version`](crate::engine::DeviceInfo::os_version)).
    pub os_version: Option<String>,
    /// `desktop`, `smartphone`, `tablet`, `bot` or `unknown`.
    pub device_type: String,
    /// The device model (`Pixel 8`, `iPhone`), from the user agent, client hints or a native app; `None` when
    /// not reported.
    pub device_model: Option<String>,
    /// The native app's name, from its user-agent prefix or
    /// [`Config::native_app_names`](crate::engine::Config::native_app_names); `None` in a browser.
    pub app_name: Option<String>,
    /// The native app's version (user-agent prefix or `X-Client-Version`).
    pub app_version: Option<String>,
    /// The native app's build number (user-agent prefix or `X-Client-Build`).
    pub app_build: Option<String>,
    /// Client hints and `X-Client-*` headers captured at sign-in, kept so names can be re-derived.
    pub client_hints: Option<Value>,
    /// ISO 3166-1 alpha-2 code of the sign-in address's country, filled in by the geolocation worker after the
    /// sign-in; `None` without a geolocation database, for private addresses, or before the lookup.
    pub country_code: Option<String>,
    /// The country's name, in the language given to [`Config::geoip`](crate::engine::Config::geoip).
    pub country_name: Option<String>,
    /// The region (the first subdivision: state, province, …), in the same language.
    pub region: Option<String>,
    /// The city, in the same language.
    pub city: Option<String>,
    /// When the session started (UTC). Always set on rows read from a store.
    pub created_at: Option<OffsetDateTime>,
    /// The last recorded activity (UTC), written at most once per
    /// [`Config::touch_interval`](crate::engine::Config::touch_interval). Always set on rows read from a store.
    pub last_seen_at: Option<OffsetDateTime>,
    /// The client address of the last recorded activity, stored like `ip_address`.
    pub last_seen_ip: Option<String>,
    /// When the session ended (UTC); `None` while it is live.
    pub ended_at: Option<OffsetDateTime>,
    /// Why it ended: an ending reason from [`REASONS`](crate::engine::REASONS) (`logout`, `user_revoked`,
    /// `expired`, …) or the host's own; `None` while live.
    pub ended_reason: Option<String>,
    /// Who ended it: `user:<id>`, `system`, or the actor the host passed (`admin:7`); `None` for superseded rows
    /// and endings without an actor. Erasing a user turns their id here into `erased`.
    pub ended_by: Option<String>,
}

/// One entry of the append-only login trail.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    /// The event id (a UUIDv7).
    pub id: String,
    /// login, failed_login, logout, revoked, expired or password_changed.
    pub kind: String,
    /// Never set on failed logins.
    pub user_id: Option<String>,
    /// The registry row the event is about; `None` for failed sign-ins and for sign-ins recorded with
    /// [`Sessions::track_login`](crate::engine::Sessions::track_login).
    pub session_id: Option<String>,
    /// The identity as typed (trimmed, lower-cased).
    pub identity: Option<String>,
    /// The id in the browser's device cookie (for an ending, the row's); `None` when there was none.
    pub device_id: Option<String>,
    /// How the sign-in was made or attempted, as in [`SessionRecord::auth_method`]; `None` for failures recorded
    /// without a method ([`Sessions::record_failed_attempt`](crate::engine::Sessions::record_failed_attempt)).
    pub auth_method: Option<String>,
    /// The identity provider, lower-cased; `None` for methods without one.
    pub auth_provider: Option<String>,
    /// Other facts of the sign-in as a JSON object (`second_factor`, …); `None` when there are none.
    pub auth_detail: Option<Value>,
    /// `failed_login` only: why, as a failure reason from [`REASONS`](crate::engine::REASONS)
    /// (`invalid_credentials`, `rate_limited`, …) or the host's own, at most 64 characters.
    pub failure_reason: Option<String>,
    /// `revoked` only: the session's ending reason (`user_revoked`, `pruned`, `admin_revoked`, …).
    pub revoked_reason: Option<String>,
    /// The client address (for an ending, the row's last seen one): canonical, and truncated in privacy mode.
    pub ip_address: Option<String>,
    /// The `User-Agent` header, cut to
    /// [`MAX_USER_AGENT_CHARS`](crate::engine::device::MAX_USER_AGENT_CHARS) characters.
    pub user_agent: Option<String>,
    /// As [`SessionRecord::browser_name`].
    pub browser_name: Option<String>,
    /// As [`SessionRecord::browser_version`].
    pub browser_version: Option<String>,
    /// As [`SessionRecord::os_name`].
    pub os_name: Option<String>,
    /// As [`SessionRecord::os_version`].
    pub os_version: Option<String>,
    /// `desktop`, `smartphone`, `tablet`, `bot` or `unknown`.
    pub device_type: Option<String>,
    /// As [`SessionRecord::device_model`].
    pub device_model: Option<String>,
    /// As [`SessionRecord::app_name`].
    pub app_name: Option<String>,
    /// As [`SessionRecord::app_version`].
    pub app_version: Option<String>,
    /// As [`SessionRecord::app_build`].
    pub app_build: Option<String>,
    /// Client hints and `X-Client-*` headers sent with a sign-in or failed attempt, as a JSON object; `None`
    /// otherwise.
    pub client_hints: Option<Value>,
    /// ISO 3166-1 alpha-2 code of the client address's country, filled in by the geolocation worker (an ending
    /// copies the row's); `None` without a geolocation database, for private addresses, or before the lookup.
    pub country_code: Option<String>,
    /// The country's name, in the language given to [`Config::geoip`](crate::engine::Config::geoip).
    pub country_name: Option<String>,
    /// The region (the first subdivision: state, province, …), in the same language.
    pub region: Option<String>,
    /// The city, in the same language.
    pub city: Option<String>,
    /// Approximate latitude in degrees, rounded to two decimals (about 1 km). Only the geolocation worker sets
    /// it, on the sign-ins and failed attempts it locates; sessions never store coordinates.
    pub latitude: Option<f64>,
    /// Approximate longitude in degrees, rounded like `latitude`.
    pub longitude: Option<f64>,
    /// The request's `X-Request-Id`, when it sent a well-formed one; `None` for the sweep's and other system
    /// endings.
    pub request_id: Option<String>,
    /// Other facts as a JSON object: `new_device: true` on sign-ins the new-device check flagged, `ended_by` on
    /// endings that name an actor.
    pub metadata: Option<Value>,
    /// When it happened (UTC). Always set on events read from a store.
    pub occurred_at: Option<OffsetDateTime>,
}

/// Where an address probably is (from the geolocation database).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 code, upper case (`DE`, `US`).
    pub country_code: Option<String>,
    /// The country's name, in the configured language (English when the database lacks it).
    pub country_name: Option<String>,
    /// The region (the first subdivision: state, province, …), in the same language.
    pub region: Option<String>,
    /// The city, in the same language.
    pub city: Option<String>,
    /// Events only, rounded.
    pub latitude: Option<f64>,
    /// Events only, rounded like `latitude`.
    pub longitude: Option<f64>,
}

/// Failed sign-ins sharing one source address or one typed identity (the triage view of an attack).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureGroup {
    /// The IP address or the identity, per [`FailureKey`].
    pub key: String,
    /// Failed sign-ins in the group.
    pub attempts: u64,
    /// Distinct identities tried from the address, or distinct addresses that tried the identity.
    pub distinct: u64,
    /// Country codes seen, sorted.
    pub countries: Vec<String>,
    /// The earliest of them (UTC); always set by the stores.
    pub first_at: Option<OffsetDateTime>,
    /// The latest of them (UTC); always set by the stores.
    pub last_at: Option<OffsetDateTime>,
}

/// How [`Triage::failures_by`] groups failed sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKey {
    /// By source address, as stored.
    Ip,
    /// By the identity as typed.
    Identity,
}

/// A row that was just ended, with the event written for it (none for superseded rows).
#[derive(Clone, Debug, PartialEq)]
pub struct Ended {
    /// The row as ended, its `ended_*` fields set.
    pub row: SessionRecord,
    /// The event written for it in the same transaction; `None` when the [`Ending`] writes none.
    pub event: Option<Event>,
}

/// The part of a live row the per-request layer needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    /// The row id.
    pub id: Arc<str>,
    /// The account it belongs to.
    pub user_id: Arc<str>,
    /// When the session started.
    pub created_at: OffsetDateTime,
    /// Its last recorded activity.
    pub last_seen_at: OffsetDateTime,
}

/// How rows end, and the event each ended row gets (in the same transaction).
#[derive(Clone, Debug)]
pub struct Ending<'a> {
    /// When the rows end: their `ended_at`, and the events' `occurred_at`.
    pub at: OffsetDateTime,
    /// Stored in `ended_reason`: logout, user_revoked, logout_everywhere, superseded, expired, …
    pub reason: &'a str,
    /// `user:<id>`, `system`, …
    pub by: Option<&'a str>,
    /// The event kind to write for each ended row; `None` writes nothing (superseded rows).
    pub event_kind: Option<&'a str>,
    /// The request that ends them, copied to each event; `None` for system endings.
    pub request_id: Option<&'a str>,
}

/// The rows a new sign-in replaces: the user's live rows on this browser (`device_id`), the session the browser
/// was signed in with (`previous`), and rows of the same native app install (`app`).
#[derive(Clone, Debug, Default)]
pub struct Replaces<'a> {
    /// The browser's device id: the user's live rows on it end.
    pub device_id: Option<&'a str>,
    /// The row the browser was signed in with: it ends too.
    pub previous: Option<&'a str>,
    /// The native app install whose live rows end; `None` in a browser.
    pub app: Option<AppInstall<'a>>,
}

/// A native app on one device: its WebView and its native HTTP client are one device row.
#[derive(Clone, Debug)]
pub struct AppInstall<'a> {
    /// The app's name.
    pub app_name: &'a str,
    /// The device model; `None` matches only rows without one.
    pub device_model: Option<&'a str>,
    /// The operating system; `None` matches only rows without one.
    pub os_name: Option<&'a str>,
}

/// What a sign-in looked like, for the new-device check.
#[derive(Clone, Debug)]
pub struct Fingerprint<'a> {
    /// `desktop`, `smartphone`, `tablet`, `bot` or `unknown`.
    pub device_type: &'a str,
    /// The operating system; `None` matches only rows and events without one.
    pub os_name: Option<&'a str>,
    /// The browser; `None` matches only rows and events without one.
    pub browser_name: Option<&'a str>,
    /// The native app; `None` matches only rows and events without one.
    pub app_name: Option<&'a str>,
}

impl Event {
    /// The event recording that `row` ended: it describes the device that was signed out.
    pub fn for_ending(row: &SessionRecord, ending: &Ending<'_>, kind: &str) -> Self {
        let metadata = ending.by.map(|by| serde_json::json!({ "ended_by": by }));
        Event {
            id: uuid::Uuid::now_v7().to_string(),
            kind: kind.to_owned(),
            user_id: Some(row.user_id.clone()),
            session_id: Some(row.id.clone()),
            device_id: row.device_id.clone(),
            auth_method: Some(row.auth_method.clone()),
            auth_provider: row.auth_provider.clone(),
            revoked_reason: (kind == "revoked").then(|| ending.reason.to_owned()),
            ip_address: row.last_seen_ip.clone().or_else(|| row.ip_address.clone()),
            user_agent: row.user_agent.clone(),
            browser_name: row.browser_name.clone(),
            browser_version: row.browser_version.clone(),
            os_name: row.os_name.clone(),
            os_version: row.os_version.clone(),
            device_type: Some(row.device_type.clone()),
            device_model: row.device_model.clone(),
            app_name: row.app_name.clone(),
            app_version: row.app_version.clone(),
            app_build: row.app_build.clone(),
            country_code: row.country_code.clone(),
            country_name: row.country_name.clone(),
            region: row.region.clone(),
            city: row.city.clone(),
            request_id: ending.request_id.map(str::to_owned),
            metadata,
            occurred_at: Some(ending.at),
            ..Event::default()
        }
    }
}
