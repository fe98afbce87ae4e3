//! The registry as the engine sees it: every write that can change a user's list of live sessions tells the live
//! hub once it returns, whoever called it (the lifecycle, the sweep, or a host ending rows through
//! [`Sessions::registry`](crate::engine::Sessions::registry)).

use std::sync::{Arc, Weak};

use time::OffsetDateTime;

use crate::engine::store::{
    ChangeListener, Ended, Ending, Event, Invalidation, LiveSession, Registry, Replaces, SessionRecord, StoreError,
    Watch,
};
use crate::engine::{Inner, Sessions};

pub(crate) struct Publishing {
    pub(crate) inner: Arc<dyn Registry>,
    pub(crate) sessions: Weak<Inner>,
}

impl Publishing {
    fn changed<'a>(&self, users: impl IntoIterator<Item = &'a str>) {
        let Some(inner) = self.sessions.upgrade() else { return };
        let sessions = Sessions { inner };
        for user in users {
            sessions.live_changed(user, false);
        }
    }

    fn ended<T>(&self, result: &Result<Vec<Ended>, T>) {
        if let Ok(ended) = result {
            self.changed(ended.iter().map(|e| e.row.user_id.as_str()));
        }
    }
}

#[async_trait::async_trait]
impl Registry for Publishing {
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
        self.changed([row.user_id.as_str()]);
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
        // The layer, which knows the user, tells the hub of a touch.
        self.inner.touch(id, at, ip, stale_before).await
    }

    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.inner.list_live(user_id).await
    }

    async fn end(&self, user_id: &str, id: &str, ending: &Ending<'_>) -> Result<Option<Ended>, StoreError> {
        let result = self.inner.end(user_id, id, ending).await;
        self.changed([user_id]);
        result
    }

    async fn end_others(&self, user_id: &str, keep: &str, ending: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        let result = self.inner.end_others(user_id, keep, ending).await;
        self.changed([user_id]);
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
        self.changed([user_id]);
        result
    }

    async fn rotate_token(&self, id: &str, token_digest: &str) -> Result<bool, StoreError> {
        self.inner.rotate_token(id, token_digest).await
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
