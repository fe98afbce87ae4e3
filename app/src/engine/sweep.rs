//! Maintenance: expire timed-out sessions, prune users over the cap, and purge the trail and ended rows past
//! retention. Every step works in bounded batches, so it never holds the write lock for long.

use super::store::Ending;
use super::{Error, Sessions};

/// Rows or events per statement.
pub(crate) const BATCH: u32 = 500;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: u64,
    pub pruned: u64,
    pub events_purged: u64,
    pub rows_purged: u64,
    /// Another instance was sweeping, so this one did nothing.
    pub skipped: bool,
}

impl Sessions {
    /// Runs every maintenance step once. The server runs it on a schedule; `server sweep` runs it by hand.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::Error> {
    /// let report = sessions.sweep().await?;
    /// println!("{} expired, {} events purged", report.expired, report.events_purged);
    /// # Ok(()) }
    /// ```
    pub async fn sweep(&self) -> Result<SweepReport, Error> {
        if !self.store().try_sweep_lock().await? {
            return Ok(SweepReport { skipped: true, ..SweepReport::default() });
        }
        let result = self.sweep_locked().await;
        if let Err(err) = self.store().release_sweep_lock().await {
            tracing::warn!(error = %err, "could not release the sweep lock; it ends with the connection");
        }
        result
    }

    async fn sweep_locked(&self) -> Result<SweepReport, Error> {
        let config = self.config();
        let now = self.now();
        let mut report = SweepReport::default();

        let idle_before = config.idle_timeout.map(|t| now - t);
        let created_before = config.absolute_timeout.map(|t| now - t);
        if idle_before.is_some() || created_before.is_some() {
            let ending = Ending {
                at: now,
                reason: "expired",
                by: Some("system"),
                event_kind: Some("expired"),
                request_id: None,
            };
            loop {
                let ended = self.store().expire_batch(idle_before, created_before, BATCH, &ending).await?;
                for one in &ended {
                    self.emit_ended(one, None);
                }
                report.expired += ended.len() as u64;
                if ended.len() < BATCH as usize {
                    break;
                }
            }
        }

        let pruning =
            Ending { at: now, reason: "pruned", by: Some("system"), event_kind: Some("revoked"), request_id: None };
        loop {
            let users = self.store().users_over_cap(config.session_cap, BATCH).await?;
            for user in &users {
                for one in self.store().prune(user, config.session_cap, &pruning).await? {
                    self.emit_ended(&one, Some(("system", "pruned")));
                    report.pruned += 1;
                }
            }
            if users.len() < BATCH as usize {
                break;
            }
        }

        report.events_purged = self.purge_events(config.retention).await?;
        let before = now - config.retention;
        loop {
            let n = self.store().purge_ended(before, BATCH).await?;
            report.rows_purged += n;
            if n < u64::from(BATCH) {
                break;
            }
        }
        Ok(report)
    }
}
