//! Maintenance: expire timed-out sessions, prune users over the cap, and purge the trail and ended rows past
//! retention. Every step works in bounded batches, so it never holds the write lock for long.

use std::time::{Duration, Instant};

use super::store::Ending;
use super::{Error, Sessions};

/// Rows or events per statement.
pub(crate) const BATCH: u32 = 500;

/// Batches sized by time rather than by count. What 500 deletions cost depends on the table's size, its indexes and
/// the disk (17 ms at the median but 180 ms at p99 on a 10-million-event SQLite trail, BENCHMARKS.md), and on SQLite
/// every other writer, sign-ins included, waits for the batch. So each batch aims at [`Batches::TARGET`]: the next
/// one halves after a slow batch and doubles after a quick, full one.
pub(crate) struct Batches {
    size: u32,
}

impl Batches {
    const TARGET: Duration = Duration::from_millis(20);
    const MIN: u32 = 20;
    const MAX: u32 = 5_000;

    pub(crate) fn new() -> Self {
        Self { size: BATCH }
    }

    /// How many rows the next batch may touch.
    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// Records a batch that touched `done` rows since `started`; true when it was full, so more may remain.
    pub(crate) fn record(&mut self, done: u64, started: Instant) -> bool {
        let full = done >= u64::from(self.size);
        let took = started.elapsed();
        if took > Self::TARGET * 2 {
            self.size = (self.size / 2).max(Self::MIN);
        } else if full && took < Self::TARGET / 2 {
            self.size = (self.size * 2).min(Self::MAX);
        }
        full
    }
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepReport {
    /// Live rows ended as `expired`: idle or absolute timeout, or unused for the cookie's whole lifetime.
    pub expired: u64,
    /// Live rows ended as `pruned` because their user had more than
    /// [`Config::session_cap`](super::Config::session_cap).
    pub pruned: u64,
    /// Trail events deleted past [`Config::retention`](super::Config::retention).
    pub events_purged: u64,
    /// Ended rows deleted past [`Config::retention`](super::Config::retention).
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
        if !self.maintenance().try_sweep_lock().await? {
            return Ok(SweepReport { skipped: true, ..SweepReport::default() });
        }
        let result = self.sweep_locked().await;
        if let Err(err) = self.maintenance().release_sweep_lock().await {
            tracing::warn!(error = %err, "could not release the sweep lock; it ends with the connection");
        }
        result
    }

    async fn sweep_locked(&self) -> Result<SweepReport, Error> {
        let config = self.config();
        let now = self.now();
        let mut report = SweepReport::default();

        // Without an idle timeout, a row unused for the cookie's whole lifetime has no browser left to hold it.
        let idle_before = Some(now - config.idle_timeout.unwrap_or_else(|| config.cookie_lifetime()));
        let created_before = config.absolute_timeout.map(|t| now - t);
        {
            let ending = Ending {
                at: now,
                reason: "expired",
                by: Some("system"),
                event_kind: Some("expired"),
                request_id: None,
            };
            let mut batches = Batches::new();
            loop {
                let started = Instant::now();
                let ended = self.registry().expire_batch(idle_before, created_before, batches.size(), &ending).await?;
                let full = batches.record(ended.len() as u64, started);
                for one in &ended {
                    self.emit_ended(one, None);
                }
                report.expired += ended.len() as u64;
                if !full {
                    break;
                }
            }
        }

        let pruning =
            Ending { at: now, reason: "pruned", by: Some("system"), event_kind: Some("revoked"), request_id: None };
        loop {
            let users = self.registry().users_over_cap(config.session_cap, BATCH).await?;
            for user in &users {
                for one in self.registry().prune(user, config.session_cap, &pruning).await? {
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
        let mut batches = Batches::new();
        loop {
            let started = Instant::now();
            let n = self.maintenance().purge_ended(before, batches.size()).await?;
            report.rows_purged += n;
            if !batches.record(n, started) {
                break;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ago(ms: u64) -> Instant {
        Instant::now() - Duration::from_millis(ms)
    }

    #[test]
    fn batches_shrink_when_slow_and_grow_when_quick() {
        let mut b = Batches::new();
        assert!(b.record(500, ago(100)), "a full batch means more may remain");
        assert_eq!(b.size(), 250);
        b.record(250, ago(100));
        assert_eq!(b.size(), 125);
        b.record(125, ago(1));
        assert_eq!(b.size(), 250);
        assert!(!b.record(10, ago(1)), "a short batch was the last");
        assert_eq!(b.size(), 250, "only a full batch says anything about a larger one");
        b.record(250, ago(20));
        assert_eq!(b.size(), 250, "on target");
    }

    #[test]
    fn batches_stay_within_bounds() {
        let mut b = Batches::new();
        for _ in 0..20 {
            b.record(u64::from(b.size()), ago(1_000));
        }
        assert_eq!(b.size(), Batches::MIN);
        for _ in 0..20 {
            b.record(u64::from(b.size()), ago(0));
        }
        assert_eq!(b.size(), Batches::MAX);
    }
}
