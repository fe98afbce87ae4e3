//! Storage: one narrow trait, one implementation per database. SQL lives only below this module.

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
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

use serde_json::Value;
use time::OffsetDateTime;

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
    /// login, failed_login, logout, revoked or expired.
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

/// How [`SessionStore::failures_by`] groups failed sign-ins.
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
    pub id: String,
    /// The account it belongs to.
    pub user_id: String,
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

/// What a backend must do. Every method is one statement or one transaction; none parses or decides policy.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// One sign-in, in one transaction that serializes concurrent sign-ins of the user: quietly ends (`superseded`)
    /// the rows the new one `replaces`, inserts the new live row whose token digest is `token_digest` with its
    /// `login` event, then ends the user's oldest other live rows beyond `cap` with `prune` (never the new row). A
    /// crash can never leave a live row without the event that explains it, a failed sign-in ends nothing, and the
    /// cap counts only devices the user really has.
    async fn insert(
        &self,
        row: &SessionRecord,
        token_digest: &str,
        login: Option<&Event>,
        replaces: &Replaces<'_>,
        cap: usize,
        prune: &Ending<'_>,
    ) -> Result<Vec<Ended>, sqlx::Error>;

    /// Gives a live row a new token digest (the old cookie stops working).
    async fn rotate_token(&self, id: &str, token_digest: &str) -> Result<bool, sqlx::Error>;

    /// Records that the row's user confirmed their password at `at`.
    async fn mark_reauthenticated(&self, id: &str, at: OffsetDateTime) -> Result<bool, sqlx::Error>;

    /// When the live row's user last signed in or confirmed their password.
    async fn reauthenticated_at(&self, id: &str) -> Result<Option<OffsetDateTime>, sqlx::Error>;

    /// Ends up to `limit` live rows idle since before `idle_before` or created before `created_before`.
    async fn expire_batch(
        &self,
        idle_before: Option<OffsetDateTime>,
        created_before: Option<OffsetDateTime>,
        limit: u32,
        ending: &Ending<'_>,
    ) -> Result<Vec<Ended>, sqlx::Error>;

    /// Up to `limit` users with more than `cap` live rows.
    async fn users_over_cap(&self, cap: usize, limit: u32) -> Result<Vec<String>, sqlx::Error>;

    /// Ends a user's oldest live rows beyond the `cap` newest.
    async fn prune(&self, user_id: &str, cap: usize, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error>;

    /// Sanctioned path: deletes up to `limit` ended rows that ended before `before`. Returns how many.
    async fn purge_ended(&self, before: OffsetDateTime, limit: u32) -> Result<u64, sqlx::Error>;

    /// The live row holding this token digest: one indexed lookup.
    async fn find_live(&self, token_digest: &str) -> Result<Option<LiveSession>, sqlx::Error>;

    /// Records activity unless it was recorded after `stale_before`. Returns whether a write happened.
    async fn touch(
        &self,
        id: &str,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<bool, sqlx::Error>;

    /// A user's live rows, most recently active first.
    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, sqlx::Error>;

    /// Ends one of `user_id`'s live rows and writes its event. `None` when there is no such live row (ending is
    /// idempotent: an ended row changes nothing and writes nothing).
    async fn end(&self, user_id: &str, id: &str, ending: &Ending<'_>) -> Result<Option<Ended>, sqlx::Error>;

    /// Ends every live row of `user_id` except `keep`, one event each. Returns the ended rows.
    async fn end_others(&self, user_id: &str, keep: &str, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error>;

    /// Sets `auth_detail.second_factor` on a live row.
    async fn mark_second_factor(&self, id: &str, factor: &str) -> Result<bool, sqlx::Error>;

    /// Appends one event to the trail.
    async fn insert_event(&self, event: &Event) -> Result<(), sqlx::Error>;

    /// Whether a sign-in looking like `fp` is new for the user: `None` for their first sign-in ever (never new),
    /// otherwise whether none of their other rows or login events looks like it.
    async fn is_new_device(
        &self,
        user_id: &str,
        except: &str,
        fp: &Fingerprint<'_>,
    ) -> Result<Option<bool>, sqlx::Error>;

    /// Failed sign-ins typed against `identity` since `since`.
    async fn count_failures(&self, identity: &str, since: OffsetDateTime) -> Result<u64, sqlx::Error>;

    /// Failed sign-ins since `since`, grouped by address or identity: one page in `page`'s order.
    async fn failures_by(
        &self,
        key: FailureKey,
        since: OffsetDateTime,
        page: &Page<FailureSort>,
    ) -> Result<Vec<FailureGroup>, sqlx::Error>;

    /// Registry rows of every user that match `filter`: one page in `page`'s order.
    async fn find_sessions(
        &self,
        filter: &SessionFilter,
        page: &Page<SessionSort>,
    ) -> Result<Vec<SessionRecord>, sqlx::Error>;

    /// Sign-ins since `since` that the new-device check flagged (`metadata.new_device`), newest first unless
    /// `page.direction` is ascending.
    async fn new_device_logins(&self, since: OffsetDateTime, page: &Page<()>) -> Result<Vec<Event>, sqlx::Error>;

    /// Sign-ins and failed sign-ins since `since`, per country: one page in `page`'s order.
    async fn by_country(
        &self,
        since: OffsetDateTime,
        page: &Page<CountrySort>,
    ) -> Result<Vec<CountryCount>, sqlx::Error>;

    /// Sign-ins and failed sign-ins since `since` per clock hour (UTC), oldest first; hours without any are
    /// left out ([`every_hour`] fills them in).
    async fn per_hour(&self, since: OffsetDateTime) -> Result<Vec<HourCount>, sqlx::Error>;

    /// The user's trail, newest first: their own events and failed attempts typed against identities they have
    /// signed in with.
    async fn history(&self, user_id: &str, limit: u32, offset: u32) -> Result<Vec<Event>, sqlx::Error>;

    /// The newest login event of a browser.
    async fn last_login(&self, device_id: &str) -> Result<Option<Event>, sqlx::Error>;

    /// Fills in the location of a row and/or an event (the event through the sanctioned geo back-fill path).
    async fn set_place(
        &self,
        session_id: Option<&str>,
        event_id: Option<&str>,
        place: &Place,
    ) -> Result<(), sqlx::Error>;

    /// Up to `limit` rows (ended ones too) with ids after `after`, in id order, for re-deriving device fields.
    async fn rows_after(&self, after: &str, limit: u32) -> Result<Vec<SessionRecord>, sqlx::Error>;

    /// Rewrites a row's device fields (browser, OS, device type and model, app) from `row`.
    async fn update_device(&self, row: &SessionRecord) -> Result<(), sqlx::Error>;

    /// Sanctioned path: deletes up to `limit` events older than `before`. Returns how many.
    async fn purge_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, sqlx::Error>;

    /// Takes the sweep lock so that only one instance sweeps at a time; false when another holds it.
    async fn try_sweep_lock(&self) -> Result<bool, sqlx::Error> {
        Ok(true)
    }

    /// Releases the sweep lock.
    async fn release_sweep_lock(&self) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// Sanctioned path: erases a user: their rows, their events, the failed attempts typed against `identities`
    /// or against any identity they signed in with, and their id as the actor (`ended_by`) of other users' endings,
    /// which becomes `erased` (`admin:7` → `admin:erased`, `7` → `erased`). Returns (rows, events) deleted.
    async fn forget(&self, user_id: &str, identities: &[String]) -> Result<(u64, u64), sqlx::Error>;

    /// After an erasure and the host's own deletions: removes the copies of erased data the database keeps outside
    /// its rows (on SQLite, statistics samples and the WAL). Nothing by default.
    async fn scrub_erased(&self) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// How per-instance session caches learn that rows ended elsewhere. The default, [`Watch::Unsupported`],
    /// keeps caching off, which is always safe.
    fn watch_endings(&self, on: std::sync::Arc<dyn Fn(Invalidation) + Send + Sync>) -> Watch {
        let _ = on;
        Watch::Unsupported
    }

    /// Records that every session of `user_id` started before `at` is ended (all of them were ended at once), even
    /// those the registry has no row of: the axum-login adapter signs out, instead of adopting, any session of such a
    /// user that carries no registry token. Keeps the later time when one is already recorded.
    async fn set_not_before(&self, user_id: &str, at: OffsetDateTime) -> Result<(), sqlx::Error>;

    /// The time [`set_not_before`](Self::set_not_before) recorded for `user_id`, if any.
    async fn not_before(&self, user_id: &str) -> Result<Option<OffsetDateTime>, sqlx::Error>;
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
