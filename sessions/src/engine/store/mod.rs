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
    pub id: String,
    pub user_id: String,
    pub device_id: Option<String>,
    pub auth_method: String,
    pub auth_provider: Option<String>,
    pub auth_detail: Option<Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub device_type: String,
    pub device_model: Option<String>,
    pub app_name: Option<String>,
    pub app_version: Option<String>,
    pub app_build: Option<String>,
    /// Client hints and `X-Client-*` headers captured at sign-in, kept so names can be re-derived.
    pub client_hints: Option<Value>,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub created_at: Option<OffsetDateTime>,
    pub last_seen_at: Option<OffsetDateTime>,
    pub last_seen_ip: Option<String>,
    pub ended_at: Option<OffsetDateTime>,
    pub ended_reason: Option<String>,
    pub ended_by: Option<String>,
}

/// One entry of the append-only login trail.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    pub id: String,
    /// login, failed_login, logout, revoked or expired.
    pub kind: String,
    /// Never set on failed logins.
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    /// The identity as typed (trimmed, lower-cased).
    pub identity: Option<String>,
    pub device_id: Option<String>,
    pub auth_method: Option<String>,
    pub auth_provider: Option<String>,
    pub auth_detail: Option<Value>,
    pub failure_reason: Option<String>,
    pub revoked_reason: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub device_type: Option<String>,
    pub device_model: Option<String>,
    pub app_name: Option<String>,
    pub app_version: Option<String>,
    pub app_build: Option<String>,
    pub client_hints: Option<Value>,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub request_id: Option<String>,
    pub metadata: Option<Value>,
    pub occurred_at: Option<OffsetDateTime>,
}

/// Where an address probably is (from the geolocation database).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Place {
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    /// Events only, rounded.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Failed sign-ins sharing one source address or one typed identity (the triage view of an attack).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureGroup {
    /// The IP address or the identity, per [`FailureKey`].
    pub key: String,
    pub attempts: u64,
    /// Distinct identities tried from the address, or distinct addresses that tried the identity.
    pub distinct: u64,
    /// Country codes seen, sorted.
    pub countries: Vec<String>,
    pub first_at: Option<OffsetDateTime>,
    pub last_at: Option<OffsetDateTime>,
}

/// How [`SessionStore::failures_by`] groups failed sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKey {
    Ip,
    Identity,
}

/// A row that was just ended, with the event written for it (none for superseded rows).
#[derive(Clone, Debug, PartialEq)]
pub struct Ended {
    pub row: SessionRecord,
    pub event: Option<Event>,
}

/// The part of a live row the per-request layer needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub id: String,
    pub user_id: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// How rows end, and the event each ended row gets (in the same transaction).
#[derive(Clone, Debug)]
pub struct Ending<'a> {
    pub at: OffsetDateTime,
    /// Stored in `ended_reason`: logout, user_revoked, logout_everywhere, superseded, expired, …
    pub reason: &'a str,
    /// `user:<id>`, `system`, …
    pub by: Option<&'a str>,
    /// The event kind to write for each ended row; `None` writes nothing (superseded rows).
    pub event_kind: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// The rows a new sign-in replaces: the user's live rows on this browser (`device_id`), the session the browser
/// was signed in with (`previous`), and rows of the same native app install (`app`).
#[derive(Clone, Debug, Default)]
pub struct Replaces<'a> {
    pub device_id: Option<&'a str>,
    pub previous: Option<&'a str>,
    pub app: Option<AppInstall<'a>>,
}

/// A native app on one device: its WebView and its native HTTP client are one device row.
#[derive(Clone, Debug)]
pub struct AppInstall<'a> {
    pub app_name: &'a str,
    pub device_model: Option<&'a str>,
    pub os_name: Option<&'a str>,
}

/// What a sign-in looked like, for the new-device check.
#[derive(Clone, Debug)]
pub struct Fingerprint<'a> {
    pub device_type: &'a str,
    pub os_name: Option<&'a str>,
    pub browser_name: Option<&'a str>,
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
