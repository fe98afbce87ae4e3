//! The SQLite backend (feature `sqlite`). The columns and row mapping are shared (`columns`); what is here is the SQL
//! that differs from PostgreSQL's, and why:
//! - Times are unix milliseconds and ids text: SQLite has no timestamp or UUID type, and integers compare and index
//!   fast.
//! - `BEGIN IMMEDIATE` takes the write lock up front where a transaction counts rows before writing (sign-in, the
//!   cap, the sweep): SQLite has no row locks, and a deferred transaction would fail to upgrade under contention.
//! - `IS` is null-safe equality, `json_set`/`json_each` edit and expand JSON text, and `INDEXED BY` pins the plan of
//!   the trail queries where the planner's sampled statistics once chose a full scan (BENCHMARKS.md).
//! - The trail's append-only triggers are opened by a row in `sessions_events_unlock` (SQLite has no session
//!   variables), and endings are announced to other processes through a file beside the database (no LISTEN).

use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite, Transaction};
use time::OffsetDateTime;

use super::columns::{self, event, record, Cell, Cells};
use super::{
    CountryCount, CountrySort, Ended, Ending, Event, FailureGroup, FailureKey, FailureSort, Fingerprint, HourCount,
    LiveSession, Maintenance, Page, Place, Registry, Replaces, SessionFilter, SessionRecord, SessionSort, SessionState,
    StoreError, Trail, Triage,
};

/// The embedded default: a SQLite file (created and migrated on open). Timestamps are unix milliseconds.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    endings: Option<std::sync::Arc<std::path::PathBuf>>,
    /// Where this process tells the others' live push which users changed.
    changes: Option<super::changes_file::ChangesFile>,
    /// Dropping the last clone of the store stops the background checkpointer.
    _checkpointer: Option<std::sync::Arc<tokio::sync::oneshot::Sender<()>>>,
    /// This process's writers take turns here, first come first served, before they ask SQLite for its write lock.
    /// SQLite makes a blocked writer poll with growing sleeps (up to 100 ms apart), so under a stream of sweep
    /// batches a sign-in could lose every race and wait a second (BENCHMARKS.md); a FIFO queue hands the lock over
    /// the moment the previous writer commits. Other processes (the CLI) still meet SQLite's own busy handling.
    writes: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url`, e.g. `sqlite://data/sessions.db`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode NORMAL cannot corrupt the file; it only skips an fsync per commit, which made every
            // sign-in (several short commits) wait on the disk: p50 went from 4 ms to 1 ms (BENCHMARKS.md).
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // Deleted and rewritten rows are zeroed where they were (no extra I/O), so an UPDATE (a session
            // ending, a location filled in) leaves no stale copy that a later erasure would not find.
            .pragma("secure_delete", "FAST")
            // The background task below checkpoints; SQLite's own, inline in a commit, only if it falls far behind.
            .pragma("wal_autocheckpoint", "10000");
        let pool = super::pool_options().max_connections(8).connect_with(options).await?;
        let mut store = Self::from_pool(pool).await?;
        store._checkpointer = Some(std::sync::Arc::new(checkpoint_in_background(store.pool.clone())));
        Ok(store)
    }

    /// Uses an existing pool (the host's), running this crate's migrations on it.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        optimize(&pool).await?;
        let endings = endings_file(&pool).await?.map(std::sync::Arc::new);
        let changes = database_file(&pool).await?.and_then(|file| super::changes_file::ChangesFile::beside(&file));
        Ok(Self { pool, endings, changes, _checkpointer: None, writes: Default::default() })
    }

    /// Tells every process caching sessions of this file that rows ended (see [`super::Watch::File`]).
    fn announce(&self) {
        let Some(path) = &self.endings else { return };
        let append = || -> std::io::Result<()> {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path.as_path())?;
            // Readers compare length and modification time; starting over keeps the file small.
            if file.metadata()?.len() >= 4096 {
                file.set_len(0)?;
            }
            file.write_all(b".")
        };
        if let Err(err) = append() {
            tracing::error!(error = %err, path = %path.display(), "could not announce ended sessions");
        }
    }

    /// Tells other processes' live push that these users changed (`None`: perhaps anyone).
    fn tell<'a>(&self, users: impl IntoIterator<Item = Option<&'a str>>) {
        if let Some(changes) = &self.changes {
            changes.tell(users);
        }
    }

    fn announced<T>(&self, result: Result<T, StoreError>, ended_any: impl Fn(&T) -> bool) -> Result<T, StoreError> {
        // An error may come after the commit, so announce unless nothing can have ended.
        if result.as_ref().map_or(true, ended_any) {
            self.announce();
        }
        result
    }

    /// The connection pool the store uses.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// A user's history: their own events, and the failed attempts on the identities they signed in with (failures
/// never carry a user id, so the parts cannot overlap). Each part reads its index newest first and stops after
/// `?2` rows (the page's end), so a page costs the same however long the trail: one `identity IN (…)` part instead
/// had to fetch and sort every failure of those identities (3.8 ms for a user with 10,000 events; 0.15 ms now). The
/// failures part names its index: with the sampled statistics `PRAGMA optimize` keeps, the planner once took (kind,
/// occurred_at) instead and read every failure of the trail (0.7 s on 10 million events, BENCHMARKS.md).
/// Binds: `?1` user, `?2` rows per part, `?3` limit, `?4` offset, `?5`… the identities.
fn history_sql(identities: usize) -> String {
    let mut sql = String::from(
        "SELECT * FROM (SELECT * FROM (SELECT * FROM sessions_events WHERE user_id = ?1
         ORDER BY occurred_at DESC, id DESC LIMIT ?2)",
    );
    for i in 0..identities {
        sql.push_str(&format!(
            " UNION ALL SELECT * FROM (SELECT * FROM sessions_events INDEXED BY sessions_events_identity_kind_time
             WHERE identity = ?{} AND kind = 'failed_login' ORDER BY occurred_at DESC, id DESC LIMIT ?2)",
            i + 5
        ));
    }
    sql.push_str(") ORDER BY occurred_at DESC, id DESC LIMIT ?3 OFFSET ?4");
    sql
}

/// Identities one user has signed in with that the history shows failures for: a handful in practice (an email
/// changed once or twice); the cap keeps one odd account from making a page query of hundreds of parts.
const HISTORY_IDENTITIES: u32 = 20;

/// The devices page's list of a user's live sessions, newest activity first.
const LIST_LIVE: &str =
    "SELECT * FROM sessions WHERE user_id = ? AND ended_at IS NULL ORDER BY last_seen_at DESC, created_at DESC";

impl SqliteStore {
    async fn signed_in_as(&self, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT DISTINCT identity FROM sessions_events
             WHERE user_id = ? AND kind = 'login' AND identity IS NOT NULL LIMIT ?",
        )
        .bind(user_id)
        .bind(HISTORY_IDENTITIES)
        .fetch_all(&self.pool)
        .await
    }

    /// SQLite's plan for each query the devices and history pages run for `user_id`, one line per plan step:
    /// `scripts/bench.sh page` and a test fail when one of them reads a whole table or index instead of searching.
    #[doc(hidden)]
    pub async fn page_query_plans(&self, user_id: &str) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        let identities = self.signed_in_as(user_id).await?;
        let mut history =
            sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", history_sql(identities.len()))))
                .bind(user_id)
                .bind(26)
                .bind(25)
                .bind(0);
        for identity in &identities {
            history = history.bind(identity);
        }
        let mut plans = vec![("history", history.fetch_all(&self.pool).await?)];
        for (name, sql) in [("session lookup", SQL.find_live.as_str()), ("devices", LIST_LIVE)] {
            let explain = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).bind(user_id);
            plans.push((name, explain.fetch_all(&self.pool).await?));
        }
        Ok(plans
            .into_iter()
            .map(|(name, rows)| (name, rows.iter().filter_map(|r| r.try_get::<String, _>("detail").ok()).collect()))
            .collect())
    }
}

/// Fresh statistics where they are missing or stale, so the planner picks the history and triage indexes (SQLite
/// has none until something runs ANALYZE: the devices page took 7.3 ms instead of 4.6, BENCHMARKS.md). The limit
/// keeps it to milliseconds on any size; both pragmas must run on one connection.
async fn optimize(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *conn).await?;
    sqlx::query("PRAGMA optimize = 0x10002").execute(&mut *conn).await?;
    Ok(())
}

/// Copies the WAL back into the database every 200 ms, off the request path, and refreshes the planner's statistics
/// every hour as the trail grows.
///
/// SQLite otherwise checkpoints inside whichever commit grows the WAL past 1,000 pages, and that commit waits for
/// the copy and its fsyncs: that was most of the sign-in p99 (5–6 ms against a 1 ms p50; with this task 3 ms, see
/// BENCHMARKS.md). A passive checkpoint never blocks readers or writers; SQLite's own threshold, raised to 10,000
/// pages, stays as the fallback if this task falls behind or stops.
fn checkpoint_in_background(pool: SqlitePool) -> tokio::sync::oneshot::Sender<()> {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        let mut ticks: u32 = 0;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = tick.tick() => {}
            }
            if pool.is_closed() {
                break;
            }
            ticks = ticks.wrapping_add(1);
            if ticks.is_multiple_of(5 * 3600) {
                if let Err(err) = optimize(&pool).await {
                    tracing::warn!(error = %err, "could not refresh the SQLite planner statistics");
                }
            }
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                Ok(_) => failing = false,
                // Logged once per outage, not five times a second.
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "background WAL checkpoint failed; SQLite's own checkpoints remain");
                }
                Err(_) => {}
            }
        }
    });
    stop
}

/// Copies a sweep batch's pages from the WAL into the database before the next batch, outside the write lock.
///
/// A batch of deletions on a large trail dirties thousands of pages. Batch after batch, the WAL would outgrow the
/// 200 ms background checkpoint and cross SQLite's inline threshold, and whichever commit crossed it (often a
/// sign-in's) would copy tens of megabytes and fsync before returning: the sweep's worst concurrent-write wait was
/// 300–500 ms on a 10-million-event file (BENCHMARKS.md). A passive checkpoint never blocks writers; if it fails,
/// the background task and SQLite's own threshold remain.
async fn checkpoint_after_bulk_write(pool: &SqlitePool) {
    if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await {
        tracing::debug!(error = %err, "checkpoint after a sweep batch failed; the background checkpoint remains");
    }
}

/// The database's file; `None` in memory.
async fn database_file(pool: &SqlitePool) -> Result<Option<String>, sqlx::Error> {
    let file: Option<String> =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_optional(pool).await?;
    Ok(file.filter(|f| !f.is_empty()))
}

/// `<database>-endings` beside a file database; none for an in-memory one.
async fn endings_file(pool: &SqlitePool) -> Result<Option<std::path::PathBuf>, sqlx::Error> {
    let Some(file) = database_file(pool).await? else { return Ok(None) };
    let path = std::path::PathBuf::from(format!("{file}-endings"));
    match std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        Ok(_) => Ok(Some(path)),
        Err(err) => {
            tracing::warn!(error = %err, path = %path.display(), "no endings file; sessions are not cached");
            Ok(None)
        }
    }
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Cells for SqliteRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }

    fn id(&self, column: &str) -> Result<String, sqlx::Error> {
        self.try_get(column)
    }

    fn opt_id(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(column)
    }

    fn time(&self, column: &str) -> Result<OffsetDateTime, sqlx::Error> {
        Ok(from_ms(self.try_get(column)?))
    }

    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, sqlx::Error> {
        Ok(self.try_get::<Option<i64>, _>(column)?.map(from_ms))
    }

    fn json(&self, column: &str) -> Result<Option<Value>, sqlx::Error> {
        let text: Option<String> = self.try_get(column)?;
        Ok(text.and_then(|s| serde_json::from_str(&s).ok()))
    }

    fn float(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(column)
    }
}

type Query<'q> = sqlx::query::Query<'q, Sqlite, <Sqlite as sqlx::Database>::Arguments>;

/// Binds a value as this backend stores it: ids as text, times as unix milliseconds, JSON as text.
fn bind<'q>(q: Query<'q>, cell: Cell<'q>) -> Query<'q> {
    match cell {
        Cell::Text(v) | Cell::Id(v) => q.bind(v),
        Cell::Key(v) => q.bind(v),
        Cell::Time(t) => q.bind(ms(t)),
        Cell::Json(v) => q.bind(v.map(Value::to_string)),
        Cell::Float(v) => q.bind(v),
    }
}

fn bind_all<'q>(q: Query<'q>, cells: impl IntoIterator<Item = (&'static str, Cell<'q>)>) -> Query<'q> {
    cells.into_iter().fold(q, |q, (_, cell)| bind(q, cell))
}

static SQL: std::sync::LazyLock<columns::Statements> = std::sync::LazyLock::new(|| columns::Statements::new('?'));

async fn insert_event(tx: &mut Transaction<'_, Sqlite>, e: &Event) -> Result<(), sqlx::Error> {
    bind_all(sqlx::query(SQL.insert_event.as_str()), columns::event_cells(e)).execute(&mut **tx).await?;
    Ok(())
}

/// Writes the ending event of each ended row inside the transaction that ended them.
async fn end_events(
    tx: &mut Transaction<'_, Sqlite>,
    rows: Vec<SessionRecord>,
    e: &Ending<'_>,
) -> Result<Vec<Ended>, sqlx::Error> {
    let mut ended = Vec::with_capacity(rows.len());
    for row in rows {
        let event = e.event_kind.map(|kind| Event::for_ending(&row, e, kind));
        if let Some(event) = &event {
            insert_event(tx, event).await?;
        }
        ended.push(Ended { row, event });
    }
    Ok(ended)
}

/// Ends `user_id`'s oldest live rows beyond the `cap` newest; `keep` (the new row) always counts as one of them.
async fn prune_in(
    tx: &mut Transaction<'_, Sqlite>,
    user_id: &str,
    keep: Option<&str>,
    cap: usize,
    e: &Ending<'_>,
) -> Result<Vec<Ended>, sqlx::Error> {
    let others_allowed = if keep.is_some() { cap.saturating_sub(1) } else { cap };
    let rows = sqlx::query(
        "UPDATE sessions SET ended_at = ?, ended_reason = ?, ended_by = ?
         WHERE id IN (
             SELECT id FROM sessions WHERE user_id = ? AND ended_at IS NULL AND id IS NOT ?
             ORDER BY last_seen_at DESC, id DESC LIMIT -1 OFFSET ?)
         RETURNING *",
    )
    .bind(ms(e.at))
    .bind(e.reason)
    .bind(e.by)
    .bind(user_id)
    .bind(keep)
    .bind(others_allowed as i64)
    .fetch_all(&mut **tx)
    .await?;
    let rows = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
    end_events(tx, rows, e).await
}

/// Opens the trail for one sanctioned change inside `tx` (see the migration's triggers).
async fn unlock(tx: &mut Transaction<'_, Sqlite>, purpose: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sessions_events_unlock (purpose) VALUES (?)").bind(purpose).execute(&mut **tx).await?;
    Ok(())
}

async fn relock(tx: &mut Transaction<'_, Sqlite>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions_events_unlock").execute(&mut **tx).await?;
    Ok(())
}

#[async_trait::async_trait]
impl Registry for SqliteStore {
    async fn insert(
        &self,
        r: &SessionRecord,
        token_digest: &str,
        login: Option<&Event>,
        replaces: &Replaces<'_>,
        cap: usize,
        prune: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError> {
        let _turn = self.writes.lock().await;
        let result = async {
            let now = r.created_at.unwrap_or(prune.at);
            // IMMEDIATE takes the write lock up front, so concurrent sign-ins of one user count each other correctly.
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let app = replaces.app.as_ref();
            let superseded = sqlx::query(
                "UPDATE sessions SET ended_at = ?1, ended_reason = 'superseded'
                 WHERE user_id = ?2 AND ended_at IS NULL
                   AND (device_id = ?3 OR id = ?4
                        OR (?5 IS NOT NULL AND app_name = ?5 AND device_model IS ?6 AND os_name IS ?7))",
            )
            .bind(ms(now))
            .bind(&r.user_id)
            .bind(replaces.device_id)
            .bind(replaces.previous)
            .bind(app.map(|a| a.app_name))
            .bind(app.and_then(|a| a.device_model))
            .bind(app.and_then(|a| a.os_name))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            bind_all(sqlx::query(SQL.insert_session.as_str()), columns::session_cells(r, token_digest, now))
                .execute(&mut *tx)
                .await?;
            if let Some(event) = login {
                insert_event(&mut tx, event).await?;
            }
            let ended = prune_in(&mut tx, &r.user_id, Some(&r.id), cap, prune).await?;
            tx.commit().await?;
            Ok((ended, superseded))
        }
        .await;
        self.tell([Some(r.user_id.as_str())]);
        self.announced(result, |(ended, superseded)| !ended.is_empty() || *superseded > 0).map(|(ended, _)| ended)
    }

    async fn find_live(&self, token_digest: &str) -> Result<Option<LiveSession>, StoreError> {
        let row = sqlx::query(SQL.find_live.as_str()).bind(token_digest).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(columns::live).transpose()?)
    }

    async fn ended_reason(&self, token_digest: &str) -> Result<Option<String>, StoreError> {
        let reason: Option<Option<String>> =
            sqlx::query_scalar("SELECT ended_reason FROM sessions WHERE token_digest = ? AND ended_at IS NOT NULL")
                .bind(token_digest)
                .fetch_optional(&self.pool)
                .await?;
        Ok(reason.flatten())
    }

    async fn touch(
        &self,
        id: &str,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let _turn = self.writes.lock().await;
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

    async fn list_live(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(LIST_LIVE).bind(user_id).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
    }

    async fn end(&self, user_id: &str, id: &str, e: &Ending<'_>) -> Result<Option<Ended>, StoreError> {
        let _turn = self.writes.lock().await;
        let result = async {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query(
                "UPDATE sessions SET ended_at = ?, ended_reason = ?, ended_by = ?
                 WHERE id = ? AND user_id = ? AND ended_at IS NULL RETURNING *",
            )
            .bind(ms(e.at))
            .bind(e.reason)
            .bind(e.by)
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row.as_ref().map(record).transpose()? else { return Ok(None) };
            let ended = end_events(&mut tx, vec![row], e).await?;
            tx.commit().await?;
            Ok(ended.into_iter().next())
        }
        .await;
        self.tell([Some(user_id)]);
        self.announced(result, |ended| ended.is_some())
    }

    async fn end_others(&self, user_id: &str, keep: &str, e: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        let _turn = self.writes.lock().await;
        let result = async {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(
                "UPDATE sessions SET ended_at = ?, ended_reason = ?, ended_by = ?
                 WHERE user_id = ? AND id <> ? AND ended_at IS NULL RETURNING *",
            )
            .bind(ms(e.at))
            .bind(e.reason)
            .bind(e.by)
            .bind(user_id)
            .bind(keep)
            .fetch_all(&mut *tx)
            .await?;
            let rows = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
            let ended = end_events(&mut tx, rows, e).await?;
            tx.commit().await?;
            Ok(ended)
        }
        .await;
        self.tell([Some(user_id)]);
        self.announced(result, |ended| !ended.is_empty())
    }

    async fn expire_batch(
        &self,
        idle_before: Option<OffsetDateTime>,
        created_before: Option<OffsetDateTime>,
        limit: u32,
        e: &Ending<'_>,
    ) -> Result<Vec<Ended>, StoreError> {
        let _turn = self.writes.lock().await;
        let result = async {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let rows = sqlx::query(
                "UPDATE sessions SET ended_at = ?, ended_reason = ?, ended_by = ?
                 WHERE id IN (
                     SELECT id FROM sessions WHERE ended_at IS NULL AND last_seen_at < ?
                     UNION
                     SELECT id FROM sessions WHERE ended_at IS NULL AND created_at < ?
                     LIMIT ?)
                 RETURNING *",
            )
            .bind(ms(e.at))
            .bind(e.reason)
            .bind(e.by)
            .bind(idle_before.map_or(i64::MIN, ms))
            .bind(created_before.map_or(i64::MIN, ms))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let rows = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
            let ended = end_events(&mut tx, rows, e).await?;
            tx.commit().await?;
            Ok(ended)
        }
        .await;
        match &result {
            Ok(ended) => self.tell(ended.iter().map(|e| Some(e.row.user_id.as_str()))),
            Err(_) => self.tell([None]),
        }
        self.announced(result, |ended| !ended.is_empty())
    }

    async fn users_over_cap(&self, cap: usize, limit: u32) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM sessions WHERE ended_at IS NULL GROUP BY user_id HAVING COUNT(*) > ? LIMIT ?",
        )
        .bind(cap as i64)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn prune(&self, user_id: &str, cap: usize, e: &Ending<'_>) -> Result<Vec<Ended>, StoreError> {
        let _turn = self.writes.lock().await;
        let result = async {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let ended = prune_in(&mut tx, user_id, None, cap, e).await?;
            tx.commit().await?;
            Ok(ended)
        }
        .await;
        self.tell([Some(user_id)]);
        self.announced(result, |ended| !ended.is_empty())
    }

    async fn rotate_token(&self, id: &str, token_digest: &str) -> Result<bool, StoreError> {
        let _turn = self.writes.lock().await;
        let result = async {
            let done = sqlx::query("UPDATE sessions SET token_digest = ? WHERE id = ? AND ended_at IS NULL")
                .bind(token_digest)
                .bind(id)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }
        .await;
        self.announced(result, |done| *done)
    }

    async fn mark_reauthenticated(&self, id: &str, at: OffsetDateTime) -> Result<bool, StoreError> {
        let _turn = self.writes.lock().await;
        let done = sqlx::query("UPDATE sessions SET reauthenticated_at = ? WHERE id = ? AND ended_at IS NULL")
            .bind(ms(at))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn reauthenticated_at(&self, id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT reauthenticated_at FROM sessions WHERE id = ? AND ended_at IS NULL")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(at.flatten().map(from_ms))
    }

    async fn mark_second_factor(&self, id: &str, factor: &str) -> Result<bool, StoreError> {
        let _turn = self.writes.lock().await;
        let done = sqlx::query(
            "UPDATE sessions SET auth_detail = json_set(COALESCE(auth_detail, '{}'), '$.second_factor', ?)
             WHERE id = ? AND ended_at IS NULL",
        )
        .bind(factor)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_not_before(&self, user_id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        let _turn = self.writes.lock().await;
        sqlx::query(
            "INSERT INTO sessions_not_before (user_id, not_before) VALUES (?, ?)
             ON CONFLICT (user_id) DO UPDATE SET not_before = max(not_before, excluded.not_before)",
        )
        .bind(user_id)
        .bind(ms(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn not_before(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar("SELECT not_before FROM sessions_not_before WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(at.map(from_ms))
    }

    fn watch_changes(&self, on: super::ChangeListener) {
        if let Some(changes) = &self.changes {
            changes.watch(on);
        }
    }

    fn watch_endings(&self, _: std::sync::Arc<dyn Fn(super::Invalidation) -> bool + Send + Sync>) -> super::Watch {
        match &self.endings {
            Some(path) => super::Watch::File(path.to_path_buf()),
            // In memory: no other process can open it.
            None => super::Watch::SingleWriter,
        }
    }
}

#[async_trait::async_trait]
impl Trail for SqliteStore {
    async fn insert_event(&self, e: &Event) -> Result<(), StoreError> {
        {
            let _turn = self.writes.lock().await;
            let mut tx = self.pool.begin().await?;
            insert_event(&mut tx, e).await?;
            tx.commit().await?;
        }
        if e.user_id.is_some() {
            self.tell([e.user_id.as_deref()]);
        }
        Ok(())
    }

    async fn is_new_device(
        &self,
        user_id: &str,
        except: &str,
        fp: &Fingerprint<'_>,
    ) -> Result<Option<bool>, StoreError> {
        let row = sqlx::query(
            "SELECT
                EXISTS (SELECT 1 FROM sessions WHERE user_id = ?1 AND id <> ?2)
                  OR EXISTS (SELECT 1 FROM sessions_events WHERE user_id = ?1 AND kind = 'login') AS known_user,
                EXISTS (SELECT 1 FROM sessions WHERE user_id = ?1 AND id <> ?2 AND device_type IS ?3
                        AND os_name IS ?4 AND browser_name IS ?5 AND app_name IS ?6)
                  OR EXISTS (SELECT 1 FROM sessions_events WHERE user_id = ?1 AND kind = 'login' AND device_type IS ?3
                        AND os_name IS ?4 AND browser_name IS ?5 AND app_name IS ?6) AS seen",
        )
        .bind(user_id)
        .bind(except)
        .bind(fp.device_type)
        .bind(fp.os_name)
        .bind(fp.browser_name)
        .bind(fp.app_name)
        .fetch_one(&self.pool)
        .await?;
        let known: bool = row.try_get("known_user")?;
        let seen: bool = row.try_get("seen")?;
        Ok(known.then_some(!seen))
    }

    async fn count_failures(&self, identity: &str, since: OffsetDateTime) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions_events WHERE identity = ? AND kind = 'failed_login' AND occurred_at > ?",
        )
        .bind(identity)
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u64)
    }

    async fn history(&self, user_id: &str, limit: u32, offset: u32) -> Result<Vec<Event>, StoreError> {
        let identities = self.signed_in_as(user_id).await?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(history_sql(identities.len())))
            .bind(user_id)
            .bind(limit.saturating_add(offset))
            .bind(limit)
            .bind(offset);
        for identity in identities {
            q = q.bind(identity);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
    }

    async fn session_events(&self, user_id: &str, session_id: &str, limit: u32) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM sessions_events WHERE session_id = ? AND user_id = ?
             ORDER BY occurred_at DESC, id DESC LIMIT ?",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
    }

    async fn last_login(&self, device_id: &str) -> Result<Option<Event>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM sessions_events WHERE device_id = ? AND kind = 'login' ORDER BY occurred_at DESC, id DESC LIMIT 1",
        )
        .bind(device_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(event).transpose()?)
    }

    async fn set_place(&self, session_id: Option<&str>, event_id: Option<&str>, p: &Place) -> Result<(), StoreError> {
        let _turn = self.writes.lock().await;
        let mut tx = self.pool.begin().await?;
        if let Some(id) = session_id {
            sqlx::query("UPDATE sessions SET country_code = ?, country_name = ?, region = ?, city = ? WHERE id = ?")
                .bind(&p.country_code)
                .bind(&p.country_name)
                .bind(&p.region)
                .bind(&p.city)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(id) = event_id {
            unlock(&mut tx, "geo_backfill").await?;
            sqlx::query(
                "UPDATE sessions_events SET country_code = ?, country_name = ?, region = ?, city = ?, latitude = ?,
                    longitude = ? WHERE id = ?",
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
            relock(&mut tx).await?;
        }
        Ok(tx.commit().await?)
    }
}

#[async_trait::async_trait]
impl Triage for SqliteStore {
    async fn failures_by(
        &self,
        key: FailureKey,
        since: OffsetDateTime,
        page: &Page<FailureSort>,
    ) -> Result<Vec<FailureGroup>, StoreError> {
        let (group, other) = match key {
            FailureKey::Ip => ("ip_address", "identity"),
            FailureKey::Identity => ("identity", "ip_address"),
        };
        // Only column names and keywords from fixed lists are spliced in; values are bound.
        let sql = format!(
            "SELECT {group} AS k, COUNT(*) AS n, COUNT(DISTINCT {other}) AS d, group_concat(DISTINCT country_code) AS c,
                    MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
             FROM sessions_events INDEXED BY sessions_events_kind_time
             WHERE kind = 'failed_login' AND occurred_at >= ? AND {group} IS NOT NULL
             GROUP BY {group} ORDER BY {sort} {dir}, k LIMIT ? OFFSET ?",
            sort = page.sort.column(),
            dir = page.direction.sql(),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(since))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let countries: Option<String> = row.try_get("c")?;
                let mut countries: Vec<String> =
                    countries.unwrap_or_default().split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect();
                countries.sort();
                Ok(FailureGroup {
                    key: row.try_get("k")?,
                    attempts: row.try_get::<i64, _>("n")? as u64,
                    distinct: row.try_get::<i64, _>("d")? as u64,
                    countries,
                    first_at: Some(from_ms(row.try_get("first_at")?)),
                    last_at: Some(from_ms(row.try_get("last_at")?)),
                })
            })
            .collect()
    }

    async fn find_sessions(
        &self,
        filter: &SessionFilter,
        page: &Page<SessionSort>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let mut q = sqlx::QueryBuilder::<Sqlite>::new("SELECT * FROM sessions WHERE ");
        match filter.state {
            SessionState::Live => q.push("ended_at IS NULL"),
            SessionState::ActiveSince(t) => q.push("ended_at IS NULL AND last_seen_at >= ").push_bind(ms(t)),
            SessionState::IdleSince(t) => q.push("ended_at IS NULL AND last_seen_at < ").push_bind(ms(t)),
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
        // rowid breaks ties: every index ends with it, so the index order is the page order (an id would need a sort).
        let column = page.sort.column(filter.state);
        q.push(format_args!(" ORDER BY {column} {dir}, rowid {dir} LIMIT ", dir = page.direction.sql()))
            .push_bind(page.limit)
            .push(" OFFSET ")
            .push_bind(page.offset);
        let rows = q.build().fetch_all(&self.pool).await?;
        Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
    }

    async fn new_device_logins(&self, since: OffsetDateTime, page: &Page<()>) -> Result<Vec<Event>, StoreError> {
        // The WHERE clause repeats the partial index's own, so the planner can use it.
        let sql = format!(
            "SELECT * FROM sessions_events
             WHERE kind = 'login' AND json_extract(metadata, '$.new_device') = 1 AND occurred_at >= ?
             ORDER BY occurred_at {dir}, id {dir} LIMIT ? OFFSET ?",
            dir = page.direction.sql()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(since))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
    }

    async fn by_country(
        &self,
        since: OffsetDateTime,
        page: &Page<CountrySort>,
    ) -> Result<Vec<CountryCount>, StoreError> {
        let sql = format!(
            "SELECT country_code AS code, MAX(country_name) AS name, SUM(kind = 'login') AS logins,
                    SUM(kind = 'failed_login') AS failures, COUNT(DISTINCT user_id) AS users
             FROM sessions_events INDEXED BY sessions_events_kind_time
             WHERE kind IN ('login', 'failed_login') AND occurred_at >= ?
             GROUP BY country_code ORDER BY {sort} {dir} NULLS LAST, code NULLS LAST LIMIT ? OFFSET ?",
            sort = page.sort.column(),
            dir = page.direction.sql(),
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(since))
            .bind(page.limit)
            .bind(page.offset)
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
    }

    async fn per_hour(&self, since: OffsetDateTime) -> Result<Vec<HourCount>, StoreError> {
        // Read from the (kind, occurred_at) index alone: no table rows.
        let rows = sqlx::query(
            "SELECT occurred_at / 3600000 AS h, SUM(kind = 'login') AS logins, SUM(kind = 'failed_login') AS failures
             FROM sessions_events INDEXED BY sessions_events_kind_time
             WHERE kind IN ('login', 'failed_login') AND occurred_at >= ?
             GROUP BY h ORDER BY h",
        )
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(HourCount {
                    hour: from_ms(row.try_get::<i64, _>("h")? * 3_600_000),
                    logins: row.try_get::<i64, _>("logins")? as u64,
                    failures: row.try_get::<i64, _>("failures")? as u64,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Maintenance for SqliteStore {
    async fn purge_ended(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        let deleted = {
            let _turn = self.writes.lock().await;
            sqlx::query("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE ended_at < ? LIMIT ?)")
                .bind(ms(before))
                .bind(limit)
                .execute(&self.pool)
                .await?
                .rows_affected()
        };
        checkpoint_after_bulk_write(&self.pool).await;
        Ok(deleted)
    }

    async fn purge_events(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError> {
        let deleted = {
            let _turn = self.writes.lock().await;
            let mut tx = self.pool.begin().await?;
            unlock(&mut tx, "retention").await?;
            let done = sqlx::query(
                "DELETE FROM sessions_events WHERE id IN (SELECT id FROM sessions_events WHERE occurred_at < ? LIMIT ?)",
            )
            .bind(ms(before))
            .bind(limit)
            .execute(&mut *tx)
            .await?;
            relock(&mut tx).await?;
            tx.commit().await?;
            done.rows_affected()
        };
        checkpoint_after_bulk_write(&self.pool).await;
        Ok(deleted)
    }

    async fn forget(&self, user_id: &str, identities: &[String]) -> Result<(u64, u64), StoreError> {
        let identities = Value::from(identities.to_vec()).to_string();
        let erased = {
            let _turn = self.writes.lock().await;
            let result = async {
                let mut tx = self.pool.begin().await?;
                // ON also zeroes the pages the deletions free, which FAST (the default set in `open`) leaves as is.
                sqlx::query("PRAGMA secure_delete = ON").execute(&mut *tx).await?;
                unlock(&mut tx, "erasure").await?;
                let rows =
                    sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM sessions_not_before WHERE user_id = ?")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                // Before their own events go: those name the identities they signed in with.
                let failures = sqlx::query(
                    "DELETE FROM sessions_events WHERE kind = 'failed_login' AND identity IN (
                         SELECT value FROM json_each(?) UNION
                         SELECT identity FROM sessions_events WHERE user_id = ? AND identity IS NOT NULL)",
                )
                .bind(&identities)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                let events = sqlx::query("DELETE FROM sessions_events WHERE user_id = ?")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                relock(&mut tx).await?;
                sqlx::query("PRAGMA secure_delete = FAST").execute(&mut *tx).await?;
                tx.commit().await?;
                Ok((rows.rows_affected(), failures.rows_affected() + events.rows_affected()))
            }
            .await;
            if let Some(changes) = &self.changes {
                changes.forget_all();
            }
            self.announced(result, |(rows, _)| *rows > 0)?
        };
        // Finding the user as an actor reads every ending, seconds on a large trail: done without the write lock,
        // which is then held only to rewrite what was found. Their sessions are gone, so nobody acts as them now.
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sessions WHERE ended_by = ?1 OR substr(ended_by, -length(?1) - 1) = ':' || ?1",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let events: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM sessions_events
             WHERE metadata ->> '$.ended_by' = ?1 OR substr(metadata ->> '$.ended_by', -length(?1) - 1) = ':' || ?1",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() && events.is_empty() {
            return Ok(erased);
        }
        let _turn = self.writes.lock().await;
        let mut tx = self.pool.begin().await?;
        unlock(&mut tx, "erasure").await?;
        // The conditions again, so that a second erasure racing this one cannot rewrite `admin:erased`.
        sqlx::query(
            "UPDATE sessions SET ended_by = substr(ended_by, 1, length(ended_by) - length(?1)) || 'erased'
             WHERE id IN (SELECT value FROM json_each(?2))
               AND (ended_by = ?1 OR substr(ended_by, -length(?1) - 1) = ':' || ?1)",
        )
        .bind(user_id)
        .bind(Value::from(rows).to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE sessions_events SET metadata = json_set(metadata, '$.ended_by',
                 substr(metadata ->> '$.ended_by', 1, length(metadata ->> '$.ended_by') - length(?1)) || 'erased')
             WHERE id IN (SELECT value FROM json_each(?2))
               AND (metadata ->> '$.ended_by' = ?1 OR substr(metadata ->> '$.ended_by', -length(?1) - 1) = ':' || ?1)",
        )
        .bind(user_id)
        .bind(Value::from(events).to_string())
        .execute(&mut *tx)
        .await?;
        relock(&mut tx).await?;
        tx.commit().await?;
        Ok(erased)
    }

    async fn scrub_erased(&self) -> Result<(), StoreError> {
        {
            let _turn = self.writes.lock().await;
            let mut tx = self.pool.begin().await?;
            sqlx::query("PRAGMA secure_delete = ON").execute(&mut *tx).await?;
            // Statistics samples are copies of index keys: emails, addresses, ids. `optimize` gathers none (it sets
            // an analysis limit), but a full ANALYZE by anyone else does, and any sample may be the person's.
            let samples: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat4'")
                .fetch_one(&mut *tx)
                .await?;
            if samples > 0 {
                sqlx::query("DELETE FROM sqlite_stat4").execute(&mut *tx).await?;
            }
            sqlx::query("PRAGMA secure_delete = FAST").execute(&mut *tx).await?;
            tx.commit().await?;
        }
        // The WAL still holds every page as it was before the deletions. TRUNCATE copies the latest pages into the
        // file and empties the WAL, but only once no reader uses an older snapshot: each attempt waits for them up
        // to the busy timeout, and readers come and go, so try again for about ten seconds before giving up (the
        // caller reports it, and running the erasure again finishes it).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let busy: i64 = sqlx::query_scalar("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
            if busy == 0 {
                break;
            }
            if std::time::Instant::now() >= deadline {
                return Err(StoreError::unavailable(
                    "readers kept the WAL busy: it still holds erased data until a checkpoint can truncate it",
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    async fn rows_after(&self, after: &str, limit: u32) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM sessions WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
    }

    async fn update_device(&self, r: &SessionRecord) -> Result<(), StoreError> {
        let _turn = self.writes.lock().await;
        bind_all(sqlx::query(SQL.update_device.as_str()), columns::device_cells(r))
            .bind(&r.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
