use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::Row;
use time::OffsetDateTime;

use super::{Ending, LiveSession, SessionRecord, SessionStore};

/// The embedded default: a SQLite file (created and migrated on open). Timestamps are unix milliseconds.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url`, e.g. `sqlite://data/sessions.db`.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    /// Uses an existing pool (the host's), running this crate's migrations on it.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, sqlx::Error> {
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn record(row: &SqliteRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        ip_address: row.try_get("ip_address")?,
        user_agent: row.try_get("user_agent")?,
        browser_name: row.try_get("browser_name")?,
        browser_version: row.try_get("browser_version")?,
        os_name: row.try_get("os_name")?,
        os_version: row.try_get("os_version")?,
        device_type: row.try_get("device_type")?,
        created_at: from_ms(row.try_get("created_at")?),
        last_seen_at: from_ms(row.try_get("last_seen_at")?),
        last_seen_ip: row.try_get("last_seen_ip")?,
        ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
        ended_reason: row.try_get("ended_reason")?,
        ended_by: row.try_get("ended_by")?,
    })
}

#[async_trait::async_trait]
impl SessionStore for SqliteStore {
    async fn insert(&self, r: &SessionRecord, token_digest: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_digest, ip_address, user_agent, browser_name, browser_version,
                os_name, os_version, device_type, created_at, last_seen_at, last_seen_ip)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.user_id)
        .bind(token_digest)
        .bind(&r.ip_address)
        .bind(&r.user_agent)
        .bind(&r.browser_name)
        .bind(&r.browser_version)
        .bind(&r.os_name)
        .bind(&r.os_version)
        .bind(&r.device_type)
        .bind(ms(r.created_at))
        .bind(ms(r.last_seen_at))
        .bind(&r.last_seen_ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_live(&self, token_digest: &str) -> Result<Option<LiveSession>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, user_id, last_seen_at FROM sessions WHERE token_digest = ? AND ended_at IS NULL",
        )
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(LiveSession {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                last_seen_at: from_ms(row.try_get("last_seen_at")?),
            })
        })
        .transpose()
    }

    async fn touch(
        &self,
        id: &str,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE sessions SET last_seen_at = ?, last_seen_ip = COALESCE(?, last_seen_ip)
             WHERE id = ? AND ended_at IS NULL AND last_seen_at < ?",
        )
        .bind(ms(at))
        .bind(ip)
        .bind(id)
        .bind(ms(stale_before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT * FROM sessions WHERE user_id = ? AND ended_at IS NULL ORDER BY last_seen_at DESC, created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    async fn end(&self, user_id: &str, id: &str, e: &Ending<'_>) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = ?, ended_reason = ?, ended_by = ?
             WHERE id = ? AND user_id = ? AND ended_at IS NULL",
        )
        .bind(ms(e.at))
        .bind(e.reason)
        .bind(e.by)
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_others(
        &self,
        user_id: &str,
        keep: &str,
        e: &Ending<'_>,
    ) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = ?, ended_reason = ?, ended_by = ?
             WHERE user_id = ? AND id <> ? AND ended_at IS NULL",
        )
        .bind(ms(e.at))
        .bind(e.reason)
        .bind(e.by)
        .bind(user_id)
        .bind(keep)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
