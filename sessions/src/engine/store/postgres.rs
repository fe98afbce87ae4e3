//! The PostgreSQL backend (feature `postgres`): every server instance shares one database. The columns and row
//! mapping are shared (`columns`); what is here is the SQL that differs from SQLite's, and why:
//! - Ids are `uuid`, times `timestamptz`, JSON `jsonb`: native types, so ids take 16 bytes and a malformed id from a
//!   cookie or a form matches nothing instead of failing (`uid`).
//! - A transaction-scoped advisory lock per user serializes one user's sign-ins and prunes across instances (the cap
//!   counts rows before writing), and a session-scoped one lets a single instance sweep at a time.
//! - `IS NOT DISTINCT FROM` is null-safe equality, and `$5::text` gives a bind's type where PostgreSQL cannot infer
//!   it.
//! - The trail's append-only triggers are opened for one transaction by `set_config('sessions.trail_unlock', …)`,
//!   and endings reach every instance's cache through LISTEN/NOTIFY.

use std::str::FromStr;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgRow};
use sqlx::{Postgres, Row, Transaction};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::columns::{self, event, record, Cell, Cells};
use super::{
    CountryCount, CountrySort, Ended, Ending, Event, FailureGroup, FailureKey, FailureSort, Fingerprint, HourCount,
    LiveSession, Maintenance, Page, Place, Registry, Replaces, SessionFilter, SessionRecord, SessionSort, SessionState,
    StoreError, Trail, Triage,
};

/// The multi-instance backend: every server instance shares one PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// The connection holding the sweep's advisory lock while this instance sweeps.
    sweep_lock: std::sync::Arc<Mutex<Option<PoolConnection<Postgres>>>>,
}

/// Advisory-lock key of the sweep: one instance at a time.
const SWEEP_LOCK: i64 = 0x5e55_1045_5eef;

/// How long a request waits for a database connection (a new one, or a check of an idle one) before it answers 503.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// How long one store call on the request path may take, connection included. The acquire timeout alone does not
/// bound it: a server can stop answering after the pool's check of a connection has passed, and a query on that
/// connection would then wait as long as the operating system keeps the socket open.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs one store call within [`ANSWER_WITHIN`]; past it the call is dropped and the database counts as unavailable
/// (503, nobody signed out). A connection dropped mid-statement is checked by the pool before reuse.
async fn bounded<T>(call: impl std::future::Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    match tokio::time::timeout(ANSWER_WITHIN, call).await {
        Ok(answer) => answer,
        Err(_) => Err(StoreError::unavailable(format!("no answer within {ANSWER_WITHIN:?}"))),
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and runs `migrations/postgres`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options).await
    }

    /// Connects with explicit options (a `search_path`, say) and runs the migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = super::pool_options()
            .max_connections(16)
            // sqlx's default is 30 s: a server that stops answering would hold every request that long before its
            // 503. A pool kept busy by a healthy server hands a connection over in milliseconds.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    /// Uses an existing pool (the host's), running this crate's migrations on it.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool, sweep_lock: Default::default() })
    }

    /// The connection pool the store uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Ids come from cookies and forms: anything that is not a UUID matches no row.
fn uid(s: &str) -> Option<Uuid> {
    Uuid::try_parse(s).ok()
}

impl Cells for PgRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }

    fn id(&self, column: &str) -> Result<String, sqlx::Error> {
        Ok(self.try_get::<Uuid, _>(column)?.to_string())
    }

    fn opt_id(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        Ok(self.try_get::<Option<Uuid>, _>(column)?.map(|u| u.to_string()))
    }

    fn time(&self, column: &str) -> Result<OffsetDateTime, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, sqlx::Error> {
        self.try_get(column)
    }

    fn json(&self, column: &str) -> Result<Option<serde_json::Value>, sqlx::Error> {
        self.try_get(column)
    }

    fn float(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(column)
    }
}

type Query<'q> = sqlx::query::Query<'q, Postgres, <Postgres as sqlx::Database>::Arguments>;

/// Binds a value as this backend stores it: ids as UUIDs, times as `timestamptz`, JSON as `jsonb`.
fn bind<'q>(q: Query<'q>, cell: Cell<'q>) -> Query<'q> {
    match cell {
        Cell::Text(v) => q.bind(v),
        // The engine makes every id a UUIDv7; a row given anything else gets a fresh one rather than failing.
        Cell::Key(v) => q.bind(uid(v).unwrap_or_else(Uuid::now_v7)),
        Cell::Id(v) => q.bind(v.and_then(uid)),
        Cell::Time(t) => q.bind(t),
        Cell::Json(v) => q.bind(v.cloned()),
        Cell::Float(v) => q.bind(v),
    }
}

fn bind_all<'q>(q: Query<'q>, cells: impl IntoIterator<Item = (&'static str, Cell<'q>)>) -> Query<'q> {
    cells.into_iter().fold(q, |q, (_, cell)| bind(q, cell))
}

static SQL: std::sync::LazyLock<columns::Statements> = std::sync::LazyLock::new(|| columns::Statements::new('$'));

async fn insert_event(tx: &mut Transaction<'_, Postgres>, e: &Event) -> Result<(), sqlx::Error> {
    bind_all(sqlx::query(SQL.insert_event.as_str()), columns::event_cells(e)).execute(&mut **tx).await?;
    Ok(())
}

async fn end_events(
    tx: &mut Transaction<'_, Postgres>,
    rows: Vec<PgRow>,
    e: &Ending<'_>,
) -> Result<Vec<Ended>, sqlx::Error> {
    let mut ended = Vec::with_capacity(rows.len());
    for row in rows {
        let row = record(&row)?;
        let event = e.event_kind.map(|kind| Event::for_ending(&row, e, kind));
        if let Some(event) = &event {
            insert_event(tx, event).await?;
        }
        ended.push(Ended { row, event });
    }
    Ok(ended)
}

async fn unlock(tx: &mut Transaction<'_, Postgres>, purpose: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('sessions.trail_unlock', $1, true)").bind(purpose).execute(&mut **tx).await?;
    Ok(())
}

/// Serializes the sign-ins and prunes of one user across every instance, for the rest of the transaction.
async fn lock_user(tx: &mut Transaction<'_, Postgres>, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(user_id).execute(&mut **tx).await?;
    Ok(())
}

async fn prune_in(
    tx: &mut Transaction<'_, Postgres>,
    user_id: &str,
    keep: Option<&str>,
    cap: usize,
    e: &Ending<'_>,
) -> Result<Vec<Ended>, sqlx::Error> {
    let others_allowed = if keep.is_some() { cap.saturating_sub(1) } else { cap };
    let rows = sqlx::query(
        "UPDATE sessions SET ended_at = $1, ended_reason = $2, ended_by = $3
         WHERE id IN (
             SELECT id FROM sessions WHERE user_id = $4 AND ended_at IS NULL AND id IS DISTINCT FROM $5
             ORDER BY last_seen_at DESC, id DESC OFFSET $6)
         RETURNING *",
    )
    .bind(e.at)
    .bind(e.reason)
    .bind(e.by)
    .bind(user_id)
    .bind(keep.and_then(uid))
    .bind(others_allowed as i64)
    .fetch_all(&mut **tx)
    .await?;
    end_events(tx, rows, e).await
}

#[async_trait::async_trait]
impl Registry for PgStore {
    async fn insert(
        &self,
        r: &SessionRecord,
        token_digest: &str,
        login: Option<&Event>,
        replaces: &Replaces<'_>,
        cap: usize,
        prune: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError> {
        bounded(async move {
            let now = r.created_at.unwrap_or(prune.at);
            let mut tx = self.pool.begin().await?;
            lock_user(&mut tx, &r.user_id).await?;
            let app = replaces.app.as_ref();
            sqlx::query(
                "UPDATE sessions SET ended_at = $1, ended_reason = 'superseded'
                 WHERE user_id = $2 AND ended_at IS NULL
                   AND (device_id = $3 OR id = $4
                        OR ($5::text IS NOT NULL AND app_name = $5 AND device_model IS NOT DISTINCT FROM $6
                            AND os_name IS NOT DISTINCT FROM $7))",
            )
            .bind(now)
            .bind(&r.user_id)
            .bind(replaces.device_id.and_then(uid))
            .bind(replaces.previous.and_then(uid))
            .bind(app.map(|a| a.app_name))
            .bind(app.and_then(|a| a.device_model))
            .bind(app.and_then(|a| a.os_name))
            .execute(&mut *tx)
            .await?;
            bind_all(sqlx::query(SQL.insert_session.as_str()), columns::session_cells(r, token_digest, now))
                .execute(&mut *tx)
                .await?;
            if let Some(event) = login {
                insert_event(&mut tx, event).await?;
            }
            let ended = prune_in(&mut tx, &r.user_id, Some(&r.id), cap, prune).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    async fn find_live(&self, token_digest: &str) -> Result<Option<LiveSession>, StoreError> {
        bounded(async move {
            let row = sqlx::query(SQL.find_live.as_str()).bind(token_digest).fetch_optional(&self.pool).await?;
            Ok(row.as_ref().map(columns::live).transpose()?)
        })
        .await
    }

    async fn ended_reason(&self, token_digest: &str) -> Result<Option<String>, StoreError> {
        bounded(async move {
            let reason: Option<Option<String>> = sqlx::query_scalar(
                "SELECT ended_reason FROM sessions WHERE token_digest = $1 AND ended_at IS NOT NULL",
            )
            .bind(token_digest)
            .fetch_optional(&self.pool)
            .await?;
            Ok(reason.flatten())
        })
        .await
    }

    async fn touch(
        &self,
        id: &str,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        bounded(async move {
            let Some(id) = uid(id) else { return Ok(false) };
            let done = sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, last_seen_ip = COALESCE($2, last_seen_ip)
                 WHERE id = $3 AND ended_at IS NULL AND last_seen_at < $4",
            )
            .bind(at)
            .bind(ip)
            .bind(id)
            .bind(stale_before)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        bounded(async move {
            let rows = sqlx::query(
                "SELECT * FROM sessions WHERE user_id = $1 AND ended_at IS NULL ORDER BY last_seen_at DESC, created_at DESC",
            )
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn end(&self, user_id: &str, id: &str, e: &Ending<'_>) -> Result<Option<Ended>, StoreError> {
        bounded(async move {
            let Some(id) = uid(id) else { return Ok(None) };
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(
                "UPDATE sessions SET ended_at = $1, ended_reason = $2, ended_by = $3
                 WHERE id = $4 AND user_id = $5 AND ended_at IS NULL RETURNING *",
            )
            .bind(e.at)
            .bind(e.reason)
            .bind(e.by)
            .bind(id)
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await?;
            let ended = end_events(&mut tx, rows, e).await?;
            tx.commit().await?;
            Ok(ended.into_iter().next())
        })
        .await
    }

    async fn end_others(&self, user_id: &str, keep: &str, e: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        bounded(async move {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(
                "UPDATE sessions SET ended_at = $1, ended_reason = $2, ended_by = $3
                 WHERE user_id = $4 AND id IS DISTINCT FROM $5 AND ended_at IS NULL RETURNING *",
            )
            .bind(e.at)
            .bind(e.reason)
            .bind(e.by)
            .bind(user_id)
            .bind(uid(keep))
            .fetch_all(&mut *tx)
            .await?;
            let ended = end_events(&mut tx, rows, e).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    async fn expire_batch(
        &self,
        idle_before: Option<OffsetDateTime>,
        created_before: Option<OffsetDateTime>,
        limit: u32,
        e: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError> {
        bounded(async move {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(
                "UPDATE sessions SET ended_at = $1, ended_reason = $2, ended_by = $3
                 WHERE id IN (
                     SELECT id FROM sessions WHERE ended_at IS NULL AND (last_seen_at < $4 OR created_at < $5)
                     LIMIT $6 FOR UPDATE SKIP LOCKED)
                 RETURNING *",
            )
            .bind(e.at)
            .bind(e.reason)
            .bind(e.by)
            .bind(idle_before)
            .bind(created_before)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            let ended = end_events(&mut tx, rows, e).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    async fn users_over_cap(&self, cap: usize, limit: u32) -> Result<Vec<String>, StoreError> {
        bounded(async move {
            Ok(sqlx::query_scalar(
                "SELECT user_id FROM sessions WHERE ended_at IS NULL GROUP BY user_id HAVING COUNT(*) > $1 LIMIT $2",
            )
            .bind(cap as i64)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
        })
        .await
    }

    async fn prune(&self, user_id: &str, cap: usize, e: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        bounded(async move {
            let mut tx = self.pool.begin().await?;
            lock_user(&mut tx, user_id).await?;
            let ended = prune_in(&mut tx, user_id, None, cap, e).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    async fn rotate_token(&self, id: &str, token_digest: &str) -> Result<bool, StoreError> {
        bounded(async move {
            let Some(id) = uid(id) else { return Ok(false) };
            let done = sqlx::query("UPDATE sessions SET token_digest = $1 WHERE id = $2 AND ended_at IS NULL")
                .bind(token_digest)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn mark_reauthenticated(&self, id: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        bounded(async move {
            let Some(id) = uid(id) else { return Ok(false) };
            let done = sqlx::query("UPDATE sessions SET reauthenticated_at = $1 WHERE id = $2 AND ended_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn reauthenticated_at(&self, id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        bounded(async move {
            let Some(id) = uid(id) else { return Ok(None) };
            let at: Option<Option<OffsetDateTime>> =
                sqlx::query_scalar("SELECT reauthenticated_at FROM sessions WHERE id = $1 AND ended_at IS NULL")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(at.flatten())
        })
        .await
    }

    async fn mark_second_factor(&self, id: &str, factor: &str) -> Result<bool, StoreError> {
        bounded(async move {
            let Some(id) = uid(id) else { return Ok(false) };
            let done = sqlx::query(
                "UPDATE sessions SET auth_detail = jsonb_set(COALESCE(auth_detail, '{}'::jsonb), '{second_factor}', to_jsonb($1::text))
                 WHERE id = $2 AND ended_at IS NULL",
            )
            .bind(factor)
            .bind(id)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn set_not_before(&self, user_id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        bounded(async move {
            sqlx::query(
                "INSERT INTO sessions_not_before (user_id, not_before) VALUES ($1, $2)
                 ON CONFLICT (user_id) DO UPDATE SET not_before = GREATEST(sessions_not_before.not_before, excluded.not_before)",
            )
            .bind(user_id)
            .bind(at)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
        .await
    }

    async fn not_before(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        bounded(async move {
            Ok(sqlx::query_scalar("SELECT not_before FROM sessions_not_before WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?)
        })
        .await
    }

    fn watch_changes(&self, on: super::ChangeListener) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(listen_for_changes(self.pool.clone(), on));
        }
    }

    fn watch_endings(&self, on: std::sync::Arc<dyn Fn(super::Invalidation) -> bool + Send + Sync>) -> super::Watch {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return super::Watch::Unsupported;
        };
        runtime.spawn(listen_for_endings(self.pool.clone(), on));
        super::Watch::Notified
    }
}

#[async_trait::async_trait]
impl Trail for PgStore {
    async fn insert_event(&self, e: &Event) -> Result<(), StoreError> {
        bounded(async move {
            let mut tx = self.pool.begin().await?;
            insert_event(&mut tx, e).await?;
            Ok(tx.commit().await?)
        })
        .await
    }

    async fn is_new_device(
        &self,
        user_id: &str,
        except: &str,
        fp: &Fingerprint<'_>,
    ) -> Result<Option<bool>, StoreError> {
        bounded(async move {
            let row = sqlx::query(
                "SELECT
                    EXISTS (SELECT 1 FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2)
                      OR EXISTS (SELECT 1 FROM sessions_events WHERE user_id = $1 AND kind = 'login') AS known_user,
                    EXISTS (SELECT 1 FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2
                            AND device_type IS NOT DISTINCT FROM $3 AND os_name IS NOT DISTINCT FROM $4
                            AND browser_name IS NOT DISTINCT FROM $5 AND app_name IS NOT DISTINCT FROM $6)
                      OR EXISTS (SELECT 1 FROM sessions_events WHERE user_id = $1 AND kind = 'login'
                            AND device_type IS NOT DISTINCT FROM $3 AND os_name IS NOT DISTINCT FROM $4
                            AND browser_name IS NOT DISTINCT FROM $5 AND app_name IS NOT DISTINCT FROM $6) AS seen",
            )
            .bind(user_id)
            .bind(uid(except))
            .bind(fp.device_type)
            .bind(fp.os_name)
            .bind(fp.browser_name)
            .bind(fp.app_name)
            .fetch_one(&self.pool)
            .await?;
            let known: bool = row.try_get("known_user")?;
            let seen: bool = row.try_get("seen")?;
            Ok(known.then_some(!seen))
        })
        .await
    }

    async fn count_failures(&self, identity: &str, since: OffsetDateTime) -> Result<u64, StoreError> {
        bounded(async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sessions_events WHERE identity = $1 AND kind = 'failed_login' AND occurred_at > $2",
            )
            .bind(identity)
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
            Ok(n as u64)
        })
        .await
    }

    async fn history(&self, user_id: &str, limit: u32, offset: u32) -> Result<Vec<Event>, StoreError> {
        bounded(async move {
            let rows = sqlx::query(
                // The user's own events, and the failed attempts on each identity they signed in with (failures
                // never carry a user id, so the parts cannot overlap). Each part reads its index newest first and
                // stops at the page's end, so a page costs the same however long the trail; `identity IN (…)`
                // would fetch and sort every failure of those identities first.
                "SELECT * FROM (
                     (SELECT * FROM sessions_events WHERE user_id = $1
                      ORDER BY occurred_at DESC, id DESC LIMIT $2 + $3)
                     UNION ALL
                     (SELECT failed.* FROM (
                          SELECT DISTINCT identity FROM sessions_events
                          WHERE user_id = $1 AND kind = 'login' AND identity IS NOT NULL LIMIT 20) AS mine
                      CROSS JOIN LATERAL (
                          SELECT * FROM sessions_events
                          WHERE identity = mine.identity AND kind = 'failed_login'
                          ORDER BY occurred_at DESC, id DESC LIMIT $2 + $3) AS failed)
                 ) AS trail
                 ORDER BY occurred_at DESC, id DESC
                 LIMIT $2 OFFSET $3",
            )
            .bind(user_id)
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn session_events(&self, user_id: &str, session_id: &str, limit: u32) -> Result<Vec<Event>, StoreError> {
        bounded(async move {
            // The column is a uuid: a text parameter would not compare with it at all.
            let Some(session_id) = uid(session_id) else { return Ok(Vec::new()) };
            let rows = sqlx::query(
                "SELECT * FROM sessions_events WHERE session_id = $1 AND user_id = $2
                 ORDER BY occurred_at DESC, id DESC LIMIT $3",
            )
            .bind(session_id)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn last_login(&self, device_id: &str) -> Result<Option<Event>, StoreError> {
        bounded(async move {
            let Some(device_id) = uid(device_id) else { return Ok(None) };
            let row = sqlx::query(
                "SELECT * FROM sessions_events WHERE device_id = $1 AND kind = 'login' ORDER BY occurred_at DESC, id DESC LIMIT 1",
            )
            .bind(device_id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.as_ref().map(event).transpose()?)
        })
        .await
    }

    async fn set_place(&self, session_id: Option<&str>, event_id: Option<&str>, p: &Place) -> Result<(), StoreError> {
        bounded(async move {
            let mut tx = self.pool.begin().await?;
            if let Some(id) = session_id.and_then(uid) {
                sqlx::query(
                    "UPDATE sessions SET country_code = $1, country_name = $2, region = $3, city = $4 WHERE id = $5",
                )
                .bind(&p.country_code)
                .bind(&p.country_name)
                .bind(&p.region)
                .bind(&p.city)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(id) = event_id.and_then(uid) {
                unlock(&mut tx, "geo_backfill").await?;
                sqlx::query(
                    "UPDATE sessions_events SET country_code = $1, country_name = $2, region = $3, city = $4, latitude = $5,
                        longitude = $6 WHERE id = $7",
                )
                .bind(&p.country_code)
                .bind(&p.country_name)
                .bind(&p.region)
                .bind(&p.city)
                .bind(p.latitude)
                .bind(p.longitude)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            Ok(tx.commit().await?)
        })
        .await
    }
}

#[async_trait::async_trait]
impl Triage for PgStore {
    async fn failures_by(
        &self,
        key: FailureKey,
        since: OffsetDateTime,
        page: &Page<FailureSort>,
    ) -> Result<Vec<FailureGroup>, StoreError> {
        bounded(async move {
            let (group, other) = match key {
                FailureKey::Ip => ("ip_address", "identity"),
                FailureKey::Identity => ("identity", "ip_address"),
            };
            // Only column names and keywords from fixed lists are spliced in; values are bound.
            let sql = format!(
                "SELECT {group} AS k, COUNT(*) AS n, COUNT(DISTINCT {other}) AS d,
                        array_remove(array_agg(DISTINCT country_code ORDER BY country_code), NULL) AS c,
                        MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
                 FROM sessions_events
                 WHERE kind = 'failed_login' AND occurred_at >= $1 AND {group} IS NOT NULL
                 GROUP BY 1 ORDER BY {sort} {dir}, k LIMIT $2 OFFSET $3",
                sort = page.sort.column(),
                dir = page.direction.sql(),
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(since)
                .bind(i64::from(page.limit))
                .bind(i64::from(page.offset))
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(FailureGroup {
                        key: row.try_get("k")?,
                        attempts: row.try_get::<i64, _>("n")? as u64,
                        distinct: row.try_get::<i64, _>("d")? as u64,
                        countries: row.try_get("c")?,
                        first_at: row.try_get("first_at")?,
                        last_at: row.try_get("last_at")?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn find_sessions(
        &self,
        filter: &SessionFilter,
        page: &Page<SessionSort>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        bounded(async move {
            let mut q = sqlx::QueryBuilder::<Postgres>::new("SELECT * FROM sessions WHERE ");
            match filter.state {
                SessionState::Live => q.push("ended_at IS NULL"),
                SessionState::ActiveSince(t) => q.push("ended_at IS NULL AND last_seen_at >= ").push_bind(t),
                SessionState::IdleSince(t) => q.push("ended_at IS NULL AND last_seen_at < ").push_bind(t),
                SessionState::Ended => q.push("ended_at IS NOT NULL"),
            };
            for (column, value) in filter.columns() {
                q.push(format_args!(" AND {column} = ")).push_bind(value.to_owned());
            }
            if let Some(ip) = &filter.ip {
                q.push(" AND (ip_address = ")
                    .push_bind(ip.clone())
                    .push(" OR last_seen_ip = ")
                    .push_bind(ip.clone())
                    .push(")");
            }
            let column = page.sort.column(filter.state);
            q.push(format_args!(" ORDER BY {column} {dir}, id {dir} LIMIT ", dir = page.direction.sql()))
                .push_bind(i64::from(page.limit))
                .push(" OFFSET ")
                .push_bind(i64::from(page.offset));
            let rows = q.build().fetch_all(&self.pool).await?;
            Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn new_device_logins(&self, since: OffsetDateTime, page: &Page<()>) -> Result<Vec<Event>, StoreError> {
        bounded(async move {
            // The WHERE clause repeats the partial index's own, so the planner can use it.
            let sql = format!(
                "SELECT * FROM sessions_events
                 WHERE kind = 'login' AND metadata @> '{{\"new_device\": true}}' AND occurred_at >= $1
                 ORDER BY occurred_at {dir}, id {dir} LIMIT $2 OFFSET $3",
                dir = page.direction.sql()
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(since)
                .bind(i64::from(page.limit))
                .bind(i64::from(page.offset))
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn by_country(
        &self,
        since: OffsetDateTime,
        page: &Page<CountrySort>,
    ) -> Result<Vec<CountryCount>, StoreError> {
        bounded(async move {
            let sql = format!(
                "SELECT country_code AS code, MAX(country_name) AS name, COUNT(*) FILTER (WHERE kind = 'login') AS logins,
                        COUNT(*) FILTER (WHERE kind = 'failed_login') AS failures, COUNT(DISTINCT user_id) AS users
                 FROM sessions_events
                 WHERE kind IN ('login', 'failed_login') AND occurred_at >= $1
                 GROUP BY country_code ORDER BY {sort} {dir} NULLS LAST, code NULLS LAST LIMIT $2 OFFSET $3",
                sort = page.sort.column(),
                dir = page.direction.sql(),
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(since)
                .bind(i64::from(page.limit))
                .bind(i64::from(page.offset))
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(CountryCount {
                        country_code: row.try_get("code")?,
                        country_name: row.try_get("name")?,
                        logins: row.try_get::<i64, _>("logins")? as u64,
                        failures: row.try_get::<i64, _>("failures")? as u64,
                        users: row.try_get::<i64, _>("users")? as u64,
                    })
                })
                .collect()
        })
        .await
    }

    async fn per_hour(&self, since: OffsetDateTime) -> Result<Vec<HourCount>, StoreError> {
        bounded(async move {
            let rows = sqlx::query(
                "SELECT date_bin('1 hour', occurred_at, TIMESTAMPTZ 'epoch') AS h,
                        COUNT(*) FILTER (WHERE kind = 'login') AS logins,
                        COUNT(*) FILTER (WHERE kind = 'failed_login') AS failures
                 FROM sessions_events
                 WHERE kind IN ('login', 'failed_login') AND occurred_at >= $1
                 GROUP BY 1 ORDER BY 1",
            )
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(HourCount {
                        hour: row.try_get("h")?,
                        logins: row.try_get::<i64, _>("logins")? as u64,
                        failures: row.try_get::<i64, _>("failures")? as u64,
                    })
                })
                .collect()
        })
        .await
    }
}

#[async_trait::async_trait]
impl Maintenance for PgStore {
    async fn purge_ended(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE ended_at < $1 LIMIT $2)")
                .bind(before)
                .bind(i64::from(limit))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    async fn purge_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        unlock(&mut tx, "retention").await?;
        let done = sqlx::query(
            "DELETE FROM sessions_events WHERE id IN (SELECT id FROM sessions_events WHERE occurred_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn try_sweep_lock(&self) -> Result<bool, StoreError> {
        let mut held = self.sweep_lock.lock().await;
        if held.is_some() {
            return Ok(false);
        }
        let mut conn = self.pool.acquire().await?;
        let got: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(SWEEP_LOCK).fetch_one(&mut *conn).await?;
        if got {
            *held = Some(conn);
        }
        Ok(got)
    }

    async fn release_sweep_lock(&self) -> Result<(), StoreError> {
        if let Some(mut conn) = self.sweep_lock.lock().await.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(SWEEP_LOCK).execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn forget(&self, user_id: &str, identities: &[String]) -> Result<(u64, u64), StoreError> {
        let mut tx = self.pool.begin().await?;
        unlock(&mut tx, "erasure").await?;
        let rows = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions_not_before WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        // Before their own events go: those name the identities they signed in with.
        let failures = sqlx::query(
            "DELETE FROM sessions_events WHERE kind = 'failed_login' AND (identity = ANY($2) OR identity IN (
                 SELECT identity FROM sessions_events WHERE user_id = $1 AND identity IS NOT NULL))",
        )
        .bind(user_id)
        .bind(identities)
        .execute(&mut *tx)
        .await?;
        let events =
            sqlx::query("DELETE FROM sessions_events WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        // Row locks only: other writers go on while these scan every ending.
        sqlx::query(
            "UPDATE sessions SET ended_by = left(ended_by, -length($1)) || 'erased'
             WHERE ended_by = $1 OR right(ended_by, length($1) + 1) = ':' || $1",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE sessions_events
             SET metadata = jsonb_set(metadata, '{ended_by}', to_jsonb(left(metadata->>'ended_by', -length($1)) || 'erased'))
             WHERE metadata->>'ended_by' = $1 OR right(metadata->>'ended_by', length($1) + 1) = ':' || $1",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((rows.rows_affected(), failures.rows_affected() + events.rows_affected()))
    }

    async fn rows_after(&self, after: &str, limit: u32) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM sessions WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(uid(after).unwrap_or_else(Uuid::nil))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
    }

    async fn update_device(&self, r: &SessionRecord) -> Result<(), StoreError> {
        let Some(id) = uid(&r.id) else { return Ok(()) };
        bind_all(sqlx::query(SQL.update_device.as_str()), columns::device_cells(r))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The channel the `sessions_notify_ending` trigger announces on; the payload is the user id.
const ENDINGS_CHANNEL: &str = "leptos_sessions_endings";

/// Relays endings committed by any instance to this instance's cache, reconnecting when the connection drops. The
/// task ends when the pool is closed or the cache is gone.
async fn listen_for_endings(pool: PgPool, on: std::sync::Arc<dyn Fn(super::Invalidation) -> bool + Send + Sync>) {
    use super::Invalidation;
    while !pool.is_closed() {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            // By default try_recv reconnects before it reports the loss, and a reconnection can wait the whole
            // acquire timeout while the cache is still trusted and endings go unheard: report it at once instead.
            listener.eager_reconnect(false);
            listener.listen(ENDINGS_CHANNEL).await?;
            Ok::<_, StoreError>(listener)
        };
        match listener.await {
            Ok(mut listener) => {
                if !on(Invalidation::Listening) {
                    return;
                }
                // try_recv reports a lost connection as Ok(None) instead of silently reconnecting.
                while let Ok(Some(note)) = listener.try_recv().await {
                    if !on(Invalidation::User(note.payload().to_owned())) {
                        return;
                    }
                }
                if !on(Invalidation::Lost) {
                    return;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for session endings; caching is off meanwhile");
                if !on(Invalidation::Lost) {
                    return;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// The channel the `sessions_notify_change` trigger announces sign-ins, trail entries and places on; the payload is
/// the user id.
const CHANGES_CHANNEL: &str = "leptos_sessions_changes";

/// Relays every instance's changes (endings included) to this instance's live push, reconnecting when the
/// connection drops: after a reconnection anything may have changed meanwhile (`None`). Ends with the pool, or
/// when `on` says nobody listens.
async fn listen_for_changes(pool: PgPool, on: super::ChangeListener) {
    while !pool.is_closed() {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.eager_reconnect(false);
            listener.listen_all([ENDINGS_CHANNEL, CHANGES_CHANNEL]).await?;
            Ok::<_, StoreError>(listener)
        };
        match listener.await {
            Ok(mut listener) => {
                if !on(None) {
                    return;
                }
                while let Ok(Some(note)) = listener.try_recv().await {
                    if !on(Some(note.payload())) {
                        return;
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for session changes; open pages wait for it"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
