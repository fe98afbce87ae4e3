//! The demo's own accounts: email + argon2id password hash. A host site brings its own users.

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Row;

use super::hashing::{Busy, Hashing};

/// The demo's accounts, on whichever database the sessions use (SQL written to run on SQLite and PostgreSQL).
#[derive(Clone)]
pub struct Users {
    pool: AnyPool,
    hashing: Hashing,
}

/// Why an account operation that hashes a password did not finish.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// Too many password checks at once: the caller answers 429, nothing was checked or changed.
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    password_hash: String,
}

impl Users {
    /// Connects to the same database as the session store (`sqlite://…` or `postgres://…`).
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            // Neither starts SQLx 0.9.0's pool maintenance task, which can spin forever (launchbadge/sqlx#3645; the
            // library's pools are built the same way).
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // On SQLite every rewrite and deletion zeroes the old bytes where they were, so an old password
                    // hash or an erased email does not linger in the file.
                    if conn.backend_name() == "SQLite" {
                        sqlx::query("PRAGMA secure_delete = ON").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS demo_users (
                id TEXT PRIMARY KEY NOT NULL,
                email TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )",
        )
        .execute(&pool)
        .await?;
        // Added after the first release of the demo: databases created before them gain the columns here.
        // `sign_out_pending`: the identity repair below left the account's sessions to end (see `repair_identities`).
        for column in ["is_admin", "sign_out_pending"] {
            let sql = format!("ALTER TABLE demo_users ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0");
            if let Err(err) = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await {
                let message = err.to_string();
                if !message.contains("duplicate column") && !message.contains("already exists") {
                    return Err(err);
                }
            }
        }
        let users = Self { pool, hashing: Hashing::for_this_machine() };
        users.repair_identities().await?;
        Ok(users)
    }

    /// Whether the account may open the admin page.
    pub async fn is_admin(&self, id: &str) -> Result<bool, sqlx::Error> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM demo_users WHERE id = $1 AND is_admin = 1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Grants or withdraws the admin flag; `Ok(false)` when no account has this email.
    pub async fn set_admin(&self, email: &str, admin: bool) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE demo_users SET is_admin = $1 WHERE email = $2")
            .bind(i32::from(admin))
            .bind(normalize_email(email))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The emails of these account ids (ids without an account are left out).
    pub async fn emails(&self, ids: &[String]) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
        let mut emails = std::collections::HashMap::new();
        // Pages are small; chunks keep any caller under the databases' bind-parameter limits.
        for chunk in ids.chunks(100) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT id, email FROM demo_users WHERE id IN ({})", marks.join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                emails.insert(row.try_get("id")?, row.try_get("email")?);
            }
        }
        Ok(emails)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Creates an account; `Ok(None)` when the email is taken.
    pub async fn create(&self, email: &str, password: &str) -> Result<Option<User>, UsersError> {
        let password_hash = self.hashing.hash(password).await?.map_err(UsersError::Hash)?;
        let user = User { id: uuid::Uuid::now_v7().to_string(), email: email.to_owned(), password_hash };
        let inserted = sqlx::query(
            "INSERT INTO demo_users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(time::OffsetDateTime::now_utc().unix_timestamp())
        .execute(&self.pool)
        .await?;
        Ok((inserted.rows_affected() == 1).then_some(user))
    }

    /// The account with this email and password, or `None` without saying which was wrong.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<User>, UsersError> {
        let user = self.find("SELECT id, email, password_hash FROM demo_users WHERE email = $1", email).await?;
        let ok = self.hashing.verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
        Ok(user.filter(|_| ok))
    }

    /// Replaces a user's password hash.
    pub async fn set_password(&self, id: &str, password: &str) -> Result<(), UsersError> {
        let password_hash = self.hashing.hash(password).await?.map_err(UsersError::Hash)?;
        sqlx::query("UPDATE demo_users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user with this id if `password` is theirs.
    pub async fn check_password(&self, id: &str, password: &str) -> Result<Option<User>, UsersError> {
        match self.by_id(id).await? {
            Some(user) => self.authenticate(&user.email, password).await,
            None => Ok(None),
        }
    }

    pub async fn by_email(&self, email: &str) -> Result<Option<User>, sqlx::Error> {
        self.find("SELECT id, email, password_hash FROM demo_users WHERE email = $1", &normalize_email(email)).await
    }

    pub async fn by_id(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
        self.find("SELECT id, email, password_hash FROM demo_users WHERE id = $1", id).await
    }

    async fn find(&self, sql: &'static str, key: &str) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(sql).bind(key).fetch_optional(&self.pool).await?;
        row.map(|r| {
            Ok(User { id: r.try_get("id")?, email: r.try_get("email")?, password_hash: r.try_get("password_hash")? })
        })
        .transpose()
    }

    /// Erasure (the demo's `Config::on_forget`): deletes the account, zeroing the row in place on SQLite (the
    /// engine's erasure then empties the WAL). `Ok(false)` when it is already gone, so a re-run succeeds.
    pub async fn forget(&self, id: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM demo_users WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The one-time repair of accounts registered before identities kept their hidden characters, run by
    /// [`Users::open`]. Idempotent: once every stored email is its own normalization there is nothing to do, and
    /// each open then only reads the emails once.
    ///
    /// Sign-up used to store an email trimmed and lower-cased only, while the trail stored identities with their
    /// control characters removed: an account registered as `victim@example.com` + U+0001 signed in with the
    /// identity `victim@example.com`, so its history listed the victim's failed attempts, and today's lookups
    /// (which turn U+0001 into U+FFFD) could not find it. For every account whose stored email is not what
    /// [`normalize_email`] makes of it, in one transaction:
    ///
    /// - **(a)** the email becomes its normalization (U+FFFD for each hidden character), so typing the email as
    ///   stored finds the account again. Two accounts are never merged: when another account already has that
    ///   email, the one holding it keeps it (between two repaired accounts, the older), and this one gets
    ///   `#duplicate-<its id>` appended, which is its own normalization too and which consoles show as is;
    /// - **(b)** every event of the account that carries an identity carries that email instead, through the
    ///   trail's sanctioned unlock (purpose `identity_repair`, migration `20261201000002_identities`), so its
    ///   history holds only failed attempts typed against it. Failed attempts typed against an identity it went
    ///   by that still holds hidden characters (the old trail removed control characters but kept bidi and
    ///   zero-width ones) are renormalized the same way, so its history and its erasure still find them; those
    ///   whose hidden characters were removed look like the stripped identity's own and stay with it;
    /// - **(c)** an account whose stored email had hidden characters was disguised as another: it is marked
    ///   `sign_out_pending`, and the server ends its sessions with the library (`account_disabled`) before it
    ///   serves anything ([`Users::pending_sign_outs`]), so no session opened under the disguise keeps reading.
    ///
    /// Needs the trail's tables: open the session store (which migrates them) first.
    async fn repair_identities(&self) -> Result<(), sqlx::Error> {
        use futures::TryStreamExt;
        let mut changed = Vec::new();
        {
            let mut rows = sqlx::query("SELECT id, email, created_at FROM demo_users").fetch(&self.pool);
            while let Some(row) = rows.try_next().await? {
                let email: String = row.try_get("email")?;
                if normalize_email(&email) != email {
                    let (id, created_at): (String, i64) = (row.try_get("id")?, row.try_get("created_at")?);
                    changed.push((created_at, id, email));
                }
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        // Oldest first: between two repaired accounts that normalize alike, the older keeps the email.
        changed.sort();
        let mut tx = self.pool.begin().await?;
        let sqlite = tx.backend_name() == "SQLite";
        if sqlite {
            // Rewritten rows leave no stale copy of the old email or identity behind, for a later erasure to miss.
            sqlx::query("PRAGMA secure_delete = ON").execute(&mut *tx).await?;
            sqlx::query("INSERT INTO sessions_events_unlock (purpose) VALUES ('identity_repair')")
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("SELECT set_config('sessions.trail_unlock', 'identity_repair', true)")
                .execute(&mut *tx)
                .await?;
        }
        let mut disguised = 0;
        for (_, id, stored) in &changed {
            let normalized = normalize_email(stored);
            let mut email = normalized.clone();
            for n in 1.. {
                let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM demo_users WHERE email = $1 AND id <> $2")
                    .bind(&email)
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                if taken == 0 {
                    break;
                }
                email = Self::duplicate_email(&normalized, id, n);
            }
            sqlx::query("UPDATE demo_users SET email = $1 WHERE id = $2")
                .bind(&email)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // Failed attempts typed against what the account went by, where the old trail kept characters today's
            // normalization replaces (bidi, zero-width): renormalized too, so they stay with the account and its
            // erasure still finds them. A clean identity (`victim@example.com`) is never touched: its failures are
            // its owner's.
            let mut went_by: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT identity FROM sessions_events WHERE user_id = $1 AND identity IS NOT NULL",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            went_by.push(stored.clone());
            went_by.sort();
            went_by.dedup();
            for identity in went_by {
                let renormalized = normalize_email(&identity);
                if renormalized != identity && !renormalized.is_empty() {
                    sqlx::query(
                        "UPDATE sessions_events SET identity = $1 WHERE kind = 'failed_login' AND identity = $2",
                    )
                    .bind(&renormalized)
                    .bind(&identity)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query(
                "UPDATE sessions_events SET identity = $1 WHERE user_id = $2 AND identity IS NOT NULL AND identity <> $3",
            )
            .bind(&email)
            .bind(id)
            .bind(&email)
            .execute(&mut *tx)
            .await?;
            if leptos_sessions::engine::has_hidden_characters(stored) {
                disguised += 1;
                sqlx::query("UPDATE demo_users SET sign_out_pending = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if sqlite {
            sqlx::query("DELETE FROM sessions_events_unlock").execute(&mut *tx).await?;
        }
        tx.commit().await?;
        tracing::warn!(
            accounts = changed.len(),
            disguised,
            "repaired stored emails written before identities kept hidden characters, and their trail identities"
        );
        Ok(())
    }

    /// `<normalized>#duplicate-<id>` (`-<n>` after it past the first), cut to the normalization's 255 characters
    /// from the email's end, so that it is its own normalization and the repair never runs twice on it.
    fn duplicate_email(normalized: &str, id: &str, n: u32) -> String {
        let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect();
        let mut suffix = format!("#duplicate-{}", id.to_ascii_lowercase());
        if n > 1 {
            suffix.push_str(&format!("-{n}"));
        }
        let keep = 255usize.saturating_sub(suffix.chars().count());
        let email: String = normalized.chars().take(keep).chain(suffix.chars()).collect();
        debug_assert_eq!(normalize_email(&email), email);
        email
    }

    /// The accounts whose sessions the identity repair left to end. The server ends them with
    /// `Sessions::end_all(id, "account_disabled", …)`, then calls [`Users::signed_out`]; until then every open
    /// lists them again, so a crash in between only delays the sign-out.
    pub async fn pending_sign_outs(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT id FROM demo_users WHERE sign_out_pending = 1").fetch_all(&self.pool).await
    }

    /// The account's sessions are ended: it leaves [`Users::pending_sign_outs`].
    pub async fn signed_out(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE demo_users SET sign_out_pending = 0 WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// The first step of an erasure: no password opens the account any more (its hash is replaced by one no
    /// password matches), so no sign-in can start while the library erases its sessions and trail. `Ok(false)`
    /// when no account has this id.
    pub async fn disable(&self, id: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE demo_users SET password_hash = 'disabled' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The users the trail says signed in with this (normalized) email who no longer have an account: what an
    /// erasure that stopped after deleting the account, or a sign-in that raced it, left behind.
    pub async fn orphans_signed_in_as(&self, email: &str) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM sessions_events
             WHERE identity = $1 AND user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM demo_users)",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await
    }
}

/// The engine's identity normalization, so an account, its trail, its throttle and its erasure all agree on who
/// "  Ana@Example.com " is.
pub fn normalize_email(email: &str) -> String {
    leptos_sessions::engine::normalize_identity(email).unwrap_or_default()
}
