//! Storage: one narrow trait, one implementation per database. SQL lives only below this module.

mod sqlite;

pub use sqlite::SqliteStore;

use time::OffsetDateTime;

/// One row of the registry: a signed-in device. Rows are ended in place, never deleted by the lifecycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub device_type: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub last_seen_ip: Option<String>,
    pub ended_at: Option<OffsetDateTime>,
    pub ended_reason: Option<String>,
    pub ended_by: Option<String>,
}

/// The part of a live row the per-request layer needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub id: String,
    pub user_id: String,
    pub last_seen_at: OffsetDateTime,
}

/// How a row ends: why, and who ended it (`user:<id>`, `system`, …).
#[derive(Clone, Debug)]
pub struct Ending<'a> {
    pub at: OffsetDateTime,
    pub reason: &'a str,
    pub by: Option<&'a str>,
}

/// What a backend must do. Every method is one statement or one transaction; none parses or decides policy.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a new live row whose token digest is `token_digest`.
    async fn insert(&self, row: &SessionRecord, token_digest: &str) -> Result<(), sqlx::Error>;

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

    /// Ends one of `user_id`'s live rows. Returns false when there is no such live row (ending is idempotent).
    async fn end(&self, user_id: &str, id: &str, ending: &Ending<'_>) -> Result<bool, sqlx::Error>;

    /// Ends every live row of `user_id` except `keep`. Returns how many ended.
    async fn end_others(
        &self,
        user_id: &str,
        keep: &str,
        ending: &Ending<'_>,
    ) -> Result<u64, sqlx::Error>;
}
