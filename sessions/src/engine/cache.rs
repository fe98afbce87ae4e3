//! A small per-instance cache of validated sessions, so most requests cost no database round trip.
//!
//! Entries are keyed by the session cookie exactly as the browser sent it: a hit is a cookie whose signature was
//! verified when it was cached, so the hot path skips the HMAC and the digest. Only live rows are cached, for a
//! short time-to-live. Whatever ends a row or changes its token goes through
//! [`Invalidating`], which drops the user's entries after the write returns, so this instance never serves a
//! revoked cookie after the revocation committed. Other instances learn of endings from the store
//! ([`Registry::watch_endings`]: PostgreSQL's LISTEN/NOTIFY); while that channel is down the cache is bypassed.
//!
//! A generation counter closes the race between a lookup that read the row just before a revocation committed and
//! the invalidation that follows: such a lookup finds the generation moved and does not cache what it read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::store::{ChangeListener, Ended, Ending, Event, LiveSession, Registry, Replaces, SessionRecord, StoreError};

const SHARDS: usize = 16;
const SHARD_CAPACITY: usize = 4096;

/// What a shared store tells the caches of every instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalidation {
    /// A row of this user ended or changed its token.
    User(String),
    /// The channel is (re)connected: what was missed meanwhile is unknown, so start from empty.
    Listening,
    /// The channel is down: stop trusting cached rows until it is back.
    Lost,
}

/// How a store keeps per-instance caches honest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watch {
    /// No other process can write the store (an in-memory database): local invalidation is enough.
    SingleWriter,
    /// Every process appends to this file after ending rows, before the ending call returns (SQLite). The cache
    /// checks the file's length and modification time on each hit (one `fstat`), so a revocation by another process
    /// (the `server` CLI) is seen by the very next request.
    File(std::path::PathBuf),
    /// Endings arrive asynchronously through the callback, starting with [`Invalidation::Listening`]
    /// (PostgreSQL's LISTEN/NOTIFY). Another instance may still serve a request that arrives within the
    /// notification's delivery time, so this mode caches only when [`crate::engine::Config::shared_session_cache`]
    /// accepts that.
    Notified,
    /// The store cannot report endings: caching stays off.
    Unsupported,
}

/// Keys are cookies whose signature was verified before they were cached, so nobody can choose them to collide:
/// a fast seeded hash is enough, and SipHash of a ~100-byte cookie was the cache's largest per-request cost.
type Hasher = foldhash::fast::RandomState;

pub(crate) struct SessionCache {
    shards: Vec<Mutex<HashMap<String, Entry, Hasher>>>,
    /// Picks a cookie's shard; seeded apart from the maps so a shard's keys still spread over its table.
    spread: Hasher,
    /// With [`Watch::File`]: the file and what was last seen of it.
    endings: std::sync::OnceLock<EndingsFile>,
    generation: AtomicU64,
    trusted: AtomicBool,
    ttl: Duration,
}

/// Another process's endings show as a new length or modification time of this file.
///
/// Checked on every cache hit, so the common case takes no lock: a shared read lock for the `fstat` and two atomic
/// loads for what was seen last.
struct EndingsFile {
    path: std::path::PathBuf,
    /// Kept open so each check is one `fstat`, without resolving the path.
    file: std::sync::RwLock<Option<std::fs::File>>,
    seen_len: AtomicU64,
    /// Modification time in nanoseconds since the epoch; 0 before the first look.
    seen_modified: AtomicU64,
}

impl EndingsFile {
    fn new(path: std::path::PathBuf) -> Self {
        let file = std::sync::RwLock::new(std::fs::File::open(&path).ok());
        Self { path, file, seen_len: AtomicU64::new(0), seen_modified: AtomicU64::new(0) }
    }

    fn stamp(&self) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let meta = {
            let file = self.file.read().unwrap_or_else(|e| e.into_inner());
            file.as_ref().and_then(|f| f.metadata().ok())
        };
        // Missing, or deleted and perhaps recreated: writers append to the file at the path, so follow it.
        let Some(meta) = meta.filter(|m| m.nlink() > 0) else {
            *self.file.write().unwrap_or_else(|e| e.into_inner()) = std::fs::File::open(&self.path).ok();
            return None;
        };
        let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as u64;
        Some((meta.len(), modified))
    }

    fn seen(&self) -> (u64, u64) {
        (self.seen_len.load(Ordering::SeqCst), self.seen_modified.load(Ordering::SeqCst))
    }

    /// Called after the cache was cleared, so a reader that finds the new stamp also finds the cache cleared.
    fn remember(&self, (len, modified): (u64, u64)) {
        self.seen_len.store(len, Ordering::SeqCst);
        self.seen_modified.store(modified, Ordering::SeqCst);
    }
}

struct Entry {
    live: LiveSession,
    cached_at: Instant,
}

impl SessionCache {
    pub(crate) fn new(ttl: Duration, trusted: bool) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::with_hasher(Hasher::default()))).collect(),
            spread: Hasher::default(),
            endings: std::sync::OnceLock::new(),
            generation: AtomicU64::new(0),
            trusted: AtomicBool::new(trusted),
            ttl,
        }
    }

    fn shard(&self, cookie: &str) -> std::sync::MutexGuard<'_, HashMap<String, Entry, Hasher>> {
        use std::hash::BuildHasher;
        let index = (self.spread.hash_one(cookie) % SHARDS as u64) as usize;
        // A panic while holding a shard leaves a map that is still consistent; keep using it.
        self.shards[index].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// False when another process announced endings since the last look (the cache is cleared then).
    fn endings_unchanged(&self) -> bool {
        let Some(endings) = self.endings.get() else { return true };
        let Some(stamp) = endings.stamp() else { return false };
        if endings.seen() == stamp {
            return true;
        }
        self.clear();
        endings.remember(stamp);
        false
    }

    /// The live row behind a session cookie (its value exactly as sent), if cached and fresh.
    pub(crate) fn get(&self, cookie: &str) -> Option<LiveSession> {
        if !self.trusted.load(Ordering::Acquire) || !self.endings_unchanged() {
            return None;
        }
        let shard = self.shard(cookie);
        shard.get(cookie).filter(|e| e.cached_at.elapsed() < self.ttl).map(|e| e.live.clone())
    }

    /// Read before the database lookup whose result may be cached.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches `live` unless an invalidation happened since `generation` was read.
    pub(crate) fn put(&self, cookie: &str, live: LiveSession, generation: u64) {
        if !self.trusted.load(Ordering::Acquire) {
            return;
        }
        let mut shard = self.shard(cookie);
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if shard.len() >= SHARD_CAPACITY {
            let ttl = self.ttl;
            shard.retain(|_, e| e.cached_at.elapsed() < ttl);
            if shard.len() >= SHARD_CAPACITY {
                shard.clear();
            }
        }
        shard.insert(cookie.to_owned(), Entry { live, cached_at: Instant::now() });
    }

    /// Records a touch so the next requests do not try to write it again.
    pub(crate) fn touched(&self, cookie: &str, at: OffsetDateTime) {
        if let Some(entry) = self.shard(cookie).get_mut(cookie) {
            entry.live.last_seen_at = at;
        }
    }

    fn remove_where(&self, keep: impl Fn(&LiveSession) -> bool) {
        // Bump first: a lookup racing with this sweep either sees the new generation or is swept.
        self.generation.fetch_add(1, Ordering::SeqCst);
        for shard in &self.shards {
            shard.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, e| keep(&e.live));
        }
    }

    pub(crate) fn invalidate_user(&self, user_id: &str) {
        self.remove_where(|live| &*live.user_id != user_id);
    }

    /// One pass for many users (a sweep batch ends hundreds of rows at once).
    fn invalidate_users<'a>(&self, users: impl IntoIterator<Item = &'a str>) {
        let users: std::collections::HashSet<&str> = users.into_iter().collect();
        if !users.is_empty() {
            self.remove_where(|live| !users.contains(&*live.user_id));
        }
    }

    pub(crate) fn invalidate_session(&self, id: &str) {
        self.remove_where(|live| &*live.id != id);
    }

    pub(crate) fn clear(&self) {
        self.remove_where(|_| false);
    }

    pub(crate) fn apply(&self, invalidation: Invalidation) {
        match invalidation {
            Invalidation::User(user) => self.invalidate_user(&user),
            Invalidation::Listening => {
                self.clear();
                self.trusted.store(true, Ordering::Release);
            }
            Invalidation::Lost => {
                self.trusted.store(false, Ordering::Release);
                self.clear();
            }
        }
    }
}

/// The registry wrapped so its endings reach a new cache, or the registry as it is when it cannot keep one honest.
pub(crate) fn wrap(
    registry: Arc<dyn Registry>,
    ttl: Duration,
    notified: bool,
) -> (Arc<dyn Registry>, Option<Arc<SessionCache>>) {
    // Untrusted until the store says how it reports endings.
    let cache = Arc::new(SessionCache::new(ttl, false));
    // Weak: when no cache is kept after all, the store's watch learns so and stops (and frees its connection).
    let listener = Arc::downgrade(&cache);
    let on = move |invalidation| listener.upgrade().map(|cache| cache.apply(invalidation)).is_some();
    match registry.watch_endings(Arc::new(on)) {
        Watch::SingleWriter => cache.apply(Invalidation::Listening),
        Watch::File(path) => {
            let _ = cache.endings.set(EndingsFile::new(path));
            cache.apply(Invalidation::Listening);
        }
        // Trusted once the listener reports Listening.
        Watch::Notified if notified => {}
        Watch::Notified | Watch::Unsupported => return (registry, None),
    }
    (Arc::new(Invalidating { inner: registry, cache: Arc::clone(&cache) }), Some(cache))
}

/// The registry as the engine sees it when caching: every write that can end a row or change its token drops that
/// user's cached entries once it returns, whether it succeeded or not (a failed call may still have committed).
/// Only the registry is wrapped: the trail, triage and maintenance never touch what the cache holds, except
/// [`Maintenance::forget`](super::store::Maintenance::forget), after which `Sessions::forget` drops the user's entries.
pub(crate) struct Invalidating {
    pub(crate) inner: Arc<dyn Registry>,
    pub(crate) cache: Arc<SessionCache>,
}

impl Invalidating {
    fn ended<T>(&self, result: &Result<Vec<Ended>, T>) {
        match result {
            Ok(ended) => self.cache.invalidate_users(ended.iter().map(|e| e.row.user_id.as_str())),
            Err(_) => self.cache.clear(),
        }
    }
}

#[async_trait::async_trait]
impl Registry for Invalidating {
    async fn insert(
        &self,
        row: &SessionRecord,
        token_digest: &str,
        login: Option<&Event>,
        replaces: &Replaces<'_>,
        cap: usize,
        prune: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError> {
        let result = self.inner.insert(row, token_digest, login, replaces, cap, prune).await;
        // Superseded rows are not in `result`: the user's cached entries go whenever a row was replaced.
        if replaces.device_id.is_some() || replaces.previous.is_some() || replaces.app.is_some() {
            self.cache.invalidate_user(&row.user_id);
        }
        self.ended(&result);
        result
    }

    async fn find_live(&self, token_digest: &str) -> Result<Option<LiveSession>, StoreError> {
        self.inner.find_live(token_digest).await
    }

    async fn ended_reason(&self, token_digest: &str) -> Result<Option<String>, StoreError> {
        self.inner.ended_reason(token_digest).await
    }

    async fn touch(
        &self,
        id: &str,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.touch(id, at, ip, stale_before).await
    }

    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.inner.list_live(user_id).await
    }

    async fn end(&self, user_id: &str, id: &str, ending: &Ending<'_>) -> Result<Option<Ended>, StoreError> {
        let result = self.inner.end(user_id, id, ending).await;
        self.cache.invalidate_user(user_id);
        result
    }

    async fn end_others(&self, user_id: &str, keep: &str, ending: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        let result = self.inner.end_others(user_id, keep, ending).await;
        self.cache.invalidate_user(user_id);
        result
    }

    async fn expire_batch(
        &self,
        idle_before: Option<OffsetDateTime>,
        created_before: Option<OffsetDateTime>,
        limit: u32,
        ending: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError> {
        let result = self.inner.expire_batch(idle_before, created_before, limit, ending).await;
        self.ended(&result);
        result
    }

    async fn users_over_cap(&self, cap: usize, limit: u32) -> Result<Vec<String>, StoreError> {
        self.inner.users_over_cap(cap, limit).await
    }

    async fn prune(&self, user_id: &str, cap: usize, ending: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        let result = self.inner.prune(user_id, cap, ending).await;
        self.cache.invalidate_user(user_id);
        result
    }

    async fn rotate_token(&self, id: &str, token_digest: &str) -> Result<bool, StoreError> {
        let result = self.inner.rotate_token(id, token_digest).await;
        self.cache.invalidate_session(id);
        result
    }

    async fn mark_reauthenticated(&self, id: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        self.inner.mark_reauthenticated(id, at).await
    }

    async fn reauthenticated_at(&self, id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.inner.reauthenticated_at(id).await
    }

    async fn mark_second_factor(&self, id: &str, factor: &str) -> Result<bool, StoreError> {
        self.inner.mark_second_factor(id, factor).await
    }

    async fn set_not_before(&self, user_id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.inner.set_not_before(user_id, at).await
    }

    async fn not_before(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.inner.not_before(user_id).await
    }

    fn watch_endings(&self, on: Arc<dyn Fn(Invalidation) -> bool + Send + Sync>) -> Watch {
        self.inner.watch_endings(on)
    }

    fn watch_changes(&self, on: ChangeListener) {
        self.inner.watch_changes(on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(id: &str, user: &str) -> LiveSession {
        let now = OffsetDateTime::now_utc();
        LiveSession { id: id.into(), user_id: user.into(), created_at: now, last_seen_at: now }
    }

    #[test]
    fn a_lookup_that_raced_an_invalidation_is_not_cached() {
        let cache = SessionCache::new(Duration::from_secs(60), true);
        let before = cache.generation();
        cache.invalidate_user("u1");
        cache.put("d1", live("s1", "u1"), before);
        assert_eq!(cache.get("d1"), None);
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert_eq!(cache.get("d1").map(|l| l.id), Some("s1".into()));
    }

    #[test]
    fn invalidation_drops_only_that_user() {
        let cache = SessionCache::new(Duration::from_secs(60), true);
        let g = cache.generation();
        cache.put("d1", live("s1", "u1"), g);
        cache.put("d2", live("s2", "u2"), g);
        cache.invalidate_user("u1");
        assert_eq!(cache.get("d1"), None);
        assert!(cache.get("d2").is_some());
        cache.invalidate_session("s2");
        assert_eq!(cache.get("d2"), None);

        let g = cache.generation();
        for (d, s, u) in [("d3", "s3", "u3"), ("d4", "s4", "u4"), ("d5", "s5", "u5")] {
            cache.put(d, live(s, u), g);
        }
        cache.invalidate_users(["u3", "u5"]);
        assert_eq!((cache.get("d3"), cache.get("d5")), (None, None));
        assert!(cache.get("d4").is_some());
    }

    #[test]
    fn entries_expire_and_a_lost_channel_bypasses_the_cache() {
        let cache = SessionCache::new(Duration::ZERO, true);
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert_eq!(cache.get("d1"), None, "past its time-to-live");

        let cache = SessionCache::new(Duration::from_secs(60), false);
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert_eq!(cache.get("d1"), None, "not trusted before the channel listens");
        cache.apply(Invalidation::Listening);
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert!(cache.get("d1").is_some());
        cache.apply(Invalidation::Lost);
        assert_eq!(cache.get("d1"), None);
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert_eq!(cache.get("d1"), None);
    }

    #[test]
    fn an_announcement_by_another_process_empties_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db-endings");
        std::fs::write(&path, b"").unwrap();
        let cache = SessionCache::new(Duration::from_secs(60), true);
        let _ = cache.endings.set(EndingsFile::new(path.clone()));
        assert_eq!(cache.get("d1"), None, "the first look records the file");
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert!(cache.get("d1").is_some());
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b".").unwrap();
        assert_eq!(cache.get("d1"), None, "another process ended rows");
        cache.put("d1", live("s1", "u1"), cache.generation());
        assert!(cache.get("d1").is_some(), "cached again once the change was seen");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(cache.get("d1"), None, "a missing file bypasses the cache");
    }

    #[test]
    fn a_full_shard_makes_room() {
        let cache = SessionCache::new(Duration::from_secs(60), true);
        for i in 0..SHARDS * SHARD_CAPACITY * 2 {
            cache.put(&format!("d{i}"), live(&format!("s{i}"), "u"), cache.generation());
        }
        let total: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(total <= SHARDS * SHARD_CAPACITY);
    }
}
