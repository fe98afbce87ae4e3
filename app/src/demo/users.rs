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
        let pool = AnyPoolOptions::new().max_connections(4).connect(url).await?;
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
        // Added after the first release of the demo: databases created before it gain the column here.
        if let Err(err) =
            sqlx::query("ALTER TABLE demo_users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0").execute(&pool).await
        {
            let message = err.to_string();
            if !message.contains("duplicate column") && !message.contains("already exists") {
                return Err(err);
            }
        }
        Ok(Self { pool, hashing: Hashing::for_this_machine() })
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
        if tx.backend_name() == "SQLite" {
            sqlx::query("PRAGMA secure_delete = ON").execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM demo_users WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}

/// The engine's identity normalization, so an account, its trail, its throttle and its erasure all agree on who
/// "  Ana@Example.com " is.
pub fn normalize_email(email: &str) -> String {
    crate::engine::normalize_identity(email).unwrap_or_default()
}
