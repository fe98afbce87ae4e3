//! What a backend must do, in four traits by concern. Every method is one statement or one transaction; none
//! parses or decides policy. A backend implements all four and is then a [`SessionStore`].

use std::sync::Arc;

use time::OffsetDateTime;

use super::{
    CountryCount, CountrySort, Ended, Ending, Event, FailureGroup, FailureKey, FailureSort, Fingerprint, HourCount,
    Invalidation, LiveSession, Page, Place, Replaces, SessionFilter, SessionRecord, SessionSort, StoreError, Watch,
};

/// The registry's rows: sign-in, the per-request lookup, activity, and every write that ends a row or changes its
/// token. This is the only part the per-instance session cache
/// ([`Config::session_cache`](crate::engine::Config::session_cache)) sits in front of: it passes every call through
/// and drops a user's cached entries after each call here that can end one of their rows or change its token.
#[async_trait::async_trait]
pub trait Registry: Send + Sync {
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
    ) -> Result<Vec<Ended>, StoreError>;

    /// The live row holding this token digest: one indexed lookup.
    async fn find_live(&self, token_digest: &str) -> Result<Option<LiveSession>, StoreError>;

    /// Why the ended row holding this token digest ended (`user_revoked`, `expired`, …); `None` when no ended row
    /// holds it. Asked only when a validly signed cookie finds no live row, so the browser can be told why.
    async fn ended_reason(&self, token_digest: &str) -> Result<Option<String>, StoreError>;

    /// Records activity unless it was recorded after `stale_before`. Returns whether a write happened.
    async fn touch(
        &self,
        id: &str,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// A user's live rows, most recently active first.
    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError>;

    /// Ends one of `user_id`'s live rows and writes its event. `None` when there is no such live row (ending is
    /// idempotent: an ended row changes nothing and writes nothing).
    async fn end(&self, user_id: &str, id: &str, ending: &Ending<'_>) -> Result<Option<Ended>, StoreError>;

    /// Ends every live row of `user_id` except `keep`, one event each. Returns the ended rows.
    async fn end_others(&self, user_id: &str, keep: &str, ending: &Ending<'_>) -> Result<Vec<Ended>, StoreError>;

    /// Ends up to `limit` live rows idle since before `idle_before` or created before `created_before`.
    async fn expire_batch(
        &self,
        idle_before: Option<OffsetDateTime>,
        created_before: Option<OffsetDateTime>,
        limit: u32,
        ending: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError>;

    /// Up to `limit` users with more than `cap` live rows.
    async fn users_over_cap(&self, cap: usize, limit: u32) -> Result<Vec<String>, StoreError>;

    /// Ends a user's oldest live rows beyond the `cap` newest.
    async fn prune(&self, user_id: &str, cap: usize, ending: &Ending<'_>) -> Result<Vec<Ended>, StoreError>;

    /// Gives a live row a new token digest (the old cookie stops working).
    async fn rotate_token(&self, id: &str, token_digest: &str) -> Result<bool, StoreError>;

    /// Records that the row's user confirmed their password at `at`.
    async fn mark_reauthenticated(&self, id: &str, at: OffsetDateTime) -> Result<bool, StoreError>;

    /// When the live row's user last signed in or confirmed their password.
    async fn reauthenticated_at(&self, id: &str) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Sets `auth_detail.second_factor` on a live row.
    async fn mark_second_factor(&self, id: &str, factor: &str) -> Result<bool, StoreError>;

    /// Records that every session of `user_id` started before `at` is ended (all of them were ended at once), even
    /// those the registry has no row of: the axum-login adapter signs out, instead of adopting, any session of such a
    /// user that carries no registry token. Keeps the later time when one is already recorded.
    async fn set_not_before(&self, user_id: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    /// The time [`set_not_before`](Self::set_not_before) recorded for `user_id`, if any.
    async fn not_before(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError>;

    /// How per-instance session caches learn that rows ended elsewhere. The default, [`Watch::Unsupported`],
    /// keeps caching off, which is always safe. A store that reports endings through `on` stops once `on` returns
    /// `false`: the cache it fed is gone (or was never kept, when the host did not allow a shared cache).
    fn watch_endings(&self, on: Arc<dyn Fn(Invalidation) -> bool + Send + Sync>) -> Watch {
        let _ = on;
        Watch::Unsupported
    }

    /// How live push ([`Sessions::follow`](crate::engine::Sessions::follow)) hears of changes other processes
    /// make: call `on` with the user whose sessions or trail changed, or with `None` when anything may have changed
    /// (a reconnection after a lost channel), until it returns `false`. The default hears nothing: changes made
    /// through this process's engine are pushed all the same; those of other processes only once the page asks.
    fn watch_changes(&self, on: super::ChangeListener) {
        let _ = on;
    }
}

/// The append-only login trail: writing events, and the reads sign-in itself needs (new-device and repeated-failure
/// checks, a user's history).
#[async_trait::async_trait]
pub trait Trail: Send + Sync {
    /// Appends one event to the trail.
    async fn insert_event(&self, event: &Event) -> Result<(), StoreError>;

    /// Whether a sign-in looking like `fp` is new for the user: `None` for their first sign-in ever (never new),
    /// otherwise whether none of their other rows or login events looks like it.
    async fn is_new_device(
        &self,
        user_id: &str,
        except: &str,
        fp: &Fingerprint<'_>,
    ) -> Result<Option<bool>, StoreError>;

    /// Failed sign-ins typed against `identity` since `since`.
    async fn count_failures(&self, identity: &str, since: OffsetDateTime) -> Result<u64, StoreError>;

    /// The user's trail, newest first: their own events and failed attempts typed against identities they have
    /// signed in with.
    async fn history(&self, user_id: &str, limit: u32, offset: u32) -> Result<Vec<Event>, StoreError>;

    /// One session's own events (its sign-in, and how it ended), newest first, at most `limit`; only if the
    /// session is the user's.
    async fn session_events(&self, user_id: &str, session_id: &str, limit: u32) -> Result<Vec<Event>, StoreError>;

    /// The newest login event of a browser.
    async fn last_login(&self, device_id: &str) -> Result<Option<Event>, StoreError>;

    /// Fills in the location of a row and/or an event (the event through the sanctioned geo back-fill path).
    async fn set_place(
        &self,
        session_id: Option<&str>,
        event_id: Option<&str>,
        place: &Place,
    ) -> Result<(), StoreError>;
}

/// Read-only queries across every user, for an administrator's console: failed sign-ins grouped, sessions found by
/// filter, new-device sign-ins, counts per country and per hour. Each returns one page.
#[async_trait::async_trait]
pub trait Triage: Send + Sync {
    /// Failed sign-ins since `since`, grouped by address or identity: one page in `page`'s order.
    async fn failures_by(
        &self,
        key: FailureKey,
        since: OffsetDateTime,
        page: &Page<FailureSort>,
    ) -> Result<Vec<FailureGroup>, StoreError>;

    /// Registry rows of every user that match `filter`: one page in `page`'s order.
    async fn find_sessions(
        &self,
        filter: &SessionFilter,
        page: &Page<SessionSort>,
    ) -> Result<Vec<SessionRecord>, StoreError>;

    /// Sign-ins since `since` that the new-device check flagged (`metadata.new_device`), newest first unless
    /// `page.direction` is ascending.
    async fn new_device_logins(&self, since: OffsetDateTime, page: &Page<()>) -> Result<Vec<Event>, StoreError>;

    /// Sign-ins and failed sign-ins since `since`, per country: one page in `page`'s order.
    async fn by_country(
        &self,
        since: OffsetDateTime,
        page: &Page<CountrySort>,
    ) -> Result<Vec<CountryCount>, StoreError>;

    /// Sign-ins and failed sign-ins since `since` per clock hour (UTC), oldest first; hours without any are
    /// left out ([`every_hour`](super::every_hour) fills them in).
    async fn per_hour(&self, since: OffsetDateTime) -> Result<Vec<HourCount>, StoreError>;
}

/// Retention, erasure and re-derivation: the sanctioned paths that delete rows and events or rewrite old ones,
/// run by the sweep, [`Sessions::forget`](crate::engine::Sessions::forget) and the CLI, never on a request.
#[async_trait::async_trait]
pub trait Maintenance: Send + Sync {
    /// Sanctioned path: deletes up to `limit` ended rows that ended before `before`. Returns how many.
    async fn purge_ended(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;

    /// Sanctioned path: deletes up to `limit` events older than `before`. Returns how many.
    async fn purge_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;

    /// Takes the sweep lock so that only one instance sweeps at a time; false when another holds it.
    async fn try_sweep_lock(&self) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Releases the sweep lock.
    async fn release_sweep_lock(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Sanctioned path: erases a user: their rows, their events, the failed attempts typed against `identities`
    /// or against any identity they signed in with, and their id as the actor (`ended_by`) of other users' endings,
    /// which becomes `erased` (`admin:7` → `admin:erased`, `7` → `erased`). Returns (rows, events) deleted.
    async fn forget(&self, user_id: &str, identities: &[String]) -> Result<(u64, u64), StoreError>;

    /// After an erasure and the host's own deletions: removes the copies of erased data the database keeps outside
    /// its rows (on SQLite, statistics samples and the WAL). Nothing by default.
    async fn scrub_erased(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Up to `limit` rows (ended ones too) with ids after `after`, in id order, for re-deriving device fields.
    async fn rows_after(&self, after: &str, limit: u32) -> Result<Vec<SessionRecord>, StoreError>;

    /// Rewrites a row's device fields (browser, OS, device type and model, app) from `row`.
    async fn update_device(&self, row: &SessionRecord) -> Result<(), StoreError>;
}

/// A complete backend: the four concerns together. Implemented for every type that implements them; the engine
/// holds one (`Sessions::new`) and calls each concern through it.
///
/// ```
/// use leptos_sessions::engine::{Registry, SessionStore, StoreError};
///
/// // Code that only signs people in and out needs only the registry.
/// async fn live_devices(store: &dyn SessionStore, user_id: &str) -> Result<usize, StoreError> {
///     Ok(store.list_live(user_id).await?.len())
/// }
/// ```
pub trait SessionStore: Registry + Trail + Triage + Maintenance {}

impl<T: Registry + Trail + Triage + Maintenance + ?Sized> SessionStore for T {}
