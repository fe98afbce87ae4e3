//! Sign-ins and failed sign-ins per hour for the admin chart. The trail is append-only and stamped at insert time,
//! so an hour that has ended no longer changes: this instance remembers finished hours and reads only the current
//! one again. Retention and erasure (the only ways old events change) forget what was remembered.

use std::collections::BTreeMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use super::store::{every_hour, HourCount};
use super::{Error, Sessions};

/// Finished hours this instance has counted, by the unix hour they start at.
#[derive(Default)]
pub(crate) struct FinishedHours(Mutex<BTreeMap<i64, HourCount>>);

impl FinishedHours {
    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Sessions {
    /// Every hour from the one holding `since` to the current one, oldest first, with its sign-ins and failed
    /// sign-ins. The first call reads the whole range (about 130 ms for a week of a 10-million-event trail on
    /// SQLite, BENCHMARKS.md); later ones read only the hours not yet counted, usually just the current one.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::Error> {
    /// let week = sessions.per_hour(sessions.now() - std::time::Duration::from_secs(7 * 24 * 3600)).await?;
    /// let failures: u64 = week.iter().map(|h| h.failures).sum();
    /// # Ok(()) }
    /// ```
    pub async fn per_hour(&self, since: OffsetDateTime) -> Result<Vec<HourCount>, Error> {
        let now = self.now();
        let first = since.unix_timestamp().div_euclid(3600);
        let current = now.unix_timestamp().div_euclid(3600);
        // The first hour in the range this instance has not counted yet.
        let from = {
            let known = self.inner.hours.0.lock().unwrap_or_else(|e| e.into_inner());
            (first..current).find(|h| !known.contains_key(h)).unwrap_or(current)
        };
        let start = OffsetDateTime::from_unix_timestamp(from * 3600).unwrap_or(since);
        let fresh = self.triage().per_hour(start).await?;
        let mut known = self.inner.hours.0.lock().unwrap_or_else(|e| e.into_inner());
        for h in from..current {
            let hour = OffsetDateTime::from_unix_timestamp(h * 3600).unwrap_or(start);
            let count = fresh.iter().find(|c| c.hour == hour).copied();
            known.insert(h, count.unwrap_or(HourCount { hour, logins: 0, failures: 0 }));
        }
        // Hours that fell out of every window are not needed again.
        known.retain(|h, _| *h >= current - 31 * 24);
        let mut counts: Vec<HourCount> = known.range(first..current).map(|(_, c)| *c).collect();
        counts.extend(fresh.into_iter().filter(|c| c.hour.unix_timestamp().div_euclid(3600) >= current));
        Ok(every_hour(&counts, since, now))
    }
}
