//! The demo's security-alert outbox: the `on_new_device` hook writes here and the home page reads it, the way a
//! real site would send an email.

use serde::{Deserialize, Serialize};

use leptos_sessions::data::{DeviceFields, PlaceView};

/// One alert as the home page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    pub device: DeviceFields,
    pub place: Option<PlaceView>,
    pub ip_address: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// The session the sign-in started, so the alert can log it out.
    pub session_id: String,
    /// Still signed in (the alert offers "Log it out"), and whether it is the device reading the alert.
    pub live: bool,
    pub current: bool,
}

#[cfg(feature = "ssr")]
pub use store::Alerts;

#[cfg(feature = "ssr")]
mod store {
    use sqlx::AnyPool;
    use sqlx::Row;

    use super::AlertView;
    use leptos_sessions::data::DeviceFields;
    use leptos_sessions::engine::SessionRecord;

    #[derive(Clone, Debug)]
    pub struct Alerts {
        pool: AnyPool,
    }

    impl Alerts {
        /// Uses the demo's database connection (see [`crate::users::Users::pool`]); the SQL runs on SQLite
        /// and PostgreSQL alike.
        pub async fn from_pool(pool: AnyPool) -> Result<Self, sqlx::Error> {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS demo_alerts (
                    id TEXT PRIMARY KEY NOT NULL,
                    user_id TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    browser_name TEXT, browser_version TEXT, os_name TEXT, os_version TEXT,
                    device_type TEXT NOT NULL, device_model TEXT, app_name TEXT, app_version TEXT,
                    ip_address TEXT,
                    created_at BIGINT NOT NULL
                )",
            )
            .execute(&pool)
            .await?;
            sqlx::query("CREATE INDEX IF NOT EXISTS demo_alerts_user ON demo_alerts (user_id, id)")
                .execute(&pool)
                .await?;
            Ok(Self { pool })
        }

        /// Queues the "new sign-in" alert for the session's owner.
        pub async fn new_device(&self, s: &SessionRecord) -> Result<(), sqlx::Error> {
            sqlx::query(
                "INSERT INTO demo_alerts (id, user_id, session_id, browser_name, browser_version, os_name, os_version,
                    device_type, device_model, app_name, app_version, ip_address, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(&s.user_id)
            .bind(&s.id)
            .bind(&s.browser_name)
            .bind(&s.browser_version)
            .bind(&s.os_name)
            .bind(&s.os_version)
            .bind(&s.device_type)
            .bind(&s.device_model)
            .bind(&s.app_name)
            .bind(&s.app_version)
            .bind(&s.ip_address)
            .bind(time::OffsetDateTime::now_utc().unix_timestamp())
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        /// Erasure: deletes every alert of the user, zeroing the rows in place on SQLite (see `Users::forget`).
        pub async fn forget(&self, user_id: &str) -> Result<u64, sqlx::Error> {
            let mut tx = self.pool.begin().await?;
            if tx.backend_name() == "SQLite" {
                sqlx::query("PRAGMA secure_delete = ON").execute(&mut *tx).await?;
            }
            let done =
                sqlx::query("DELETE FROM demo_alerts WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        }

        pub async fn recent(&self, user_id: &str) -> Result<Vec<AlertView>, sqlx::Error> {
            // The place is read from the session row, which the geolocation worker fills in after sign-in.
            let rows = sqlx::query(
                "SELECT a.*, s.country_code, s.country_name, s.city,
                        CASE WHEN s.id IS NOT NULL AND s.ended_at IS NULL THEN 'live' ELSE 'ended' END AS state
                 FROM demo_alerts a
                 LEFT JOIN sessions s ON CAST(s.id AS TEXT) = a.session_id
                 WHERE a.user_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT 5",
            )
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AlertView {
                        device: DeviceFields {
                            browser_name: r.try_get("browser_name")?,
                            browser_version: r.try_get("browser_version")?,
                            os_name: r.try_get("os_name")?,
                            os_version: r.try_get("os_version")?,
                            device_type: r.try_get("device_type")?,
                            device_model: r.try_get("device_model")?,
                            app_name: r.try_get("app_name")?,
                            app_version: r.try_get("app_version")?,
                        },
                        place: leptos_sessions::context::place(
                            r.try_get("country_code")?,
                            r.try_get("city")?,
                            r.try_get("country_name")?,
                            r.try_get::<Option<String>, _>("ip_address")?.as_deref(),
                        ),
                        ip_address: r.try_get("ip_address")?,
                        created_at: r.try_get("created_at")?,
                        session_id: r.try_get("session_id")?,
                        live: r.try_get::<String, _>("state")? == "live",
                        current: false,
                    })
                })
                .collect()
        }
    }
}
