//! The operator's questions across all users ("is someone attacking us?"): which sessions, which failures, from
//! where, and how many per hour. Every list is a page of a sorted result, so the admin page and the CLI share it.

use time::OffsetDateTime;

/// Sort direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    /// Largest or newest first.
    Desc,
    /// Smallest or oldest first.
    Asc,
}

impl Direction {
    pub(super) fn sql(self) -> &'static str {
        match self {
            Direction::Desc => "DESC",
            Direction::Asc => "ASC",
        }
    }
}

/// One page of a sorted list: `limit` rows after skipping `offset`, ordered by `sort` then `direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page<S> {
    /// What to order by.
    pub sort: S,
    /// Which way.
    pub direction: Direction,
    /// At most this many rows.
    pub limit: u32,
    /// Rows skipped before the page starts.
    pub offset: u32,
}

impl<S: Default> Page<S> {
    /// The first `limit` rows in the default order (largest, newest first).
    pub fn first(limit: u32) -> Self {
        Page { sort: S::default(), direction: Direction::Desc, limit, offset: 0 }
    }
}

/// Orders for groups of failed sign-ins ([`super::Triage::failures_by`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailureSort {
    #[default]
    /// The number of failed sign-ins.
    Attempts,
    /// Distinct identities (by address) or addresses (by identity).
    Distinct,
    /// The earliest failure.
    FirstSeen,
    /// The latest failure.
    LastSeen,
    /// The address or the identity itself.
    Key,
}

impl FailureSort {
    pub(super) fn column(self) -> &'static str {
        match self {
            FailureSort::Attempts => "n",
            FailureSort::Distinct => "d",
            FailureSort::FirstSeen => "first_at",
            FailureSort::LastSeen => "last_at",
            FailureSort::Key => "k",
        }
    }
}

/// Which registry rows an operator lists ([`super::Triage::find_sessions`]). Empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionFilter {
    /// Only this account's rows.
    pub user_id: Option<String>,
    /// Matches the address at sign-in or the last one seen.
    pub ip: Option<String>,
    /// ISO 3166 alpha-2, upper case.
    pub country_code: Option<String>,
    /// Only rows started with this method (see [`METHODS`](crate::engine::METHODS)).
    pub auth_method: Option<String>,
    /// Only this device type: `desktop`, `smartphone`, `tablet`, `bot` or `unknown`.
    pub device_type: Option<String>,
    /// Live rows (the default), recently active or idle ones, or ended ones.
    pub state: SessionState,
}

impl SessionFilter {
    /// The exact-match filters that are set, as (column, value).
    pub(super) fn columns(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("user_id", &self.user_id),
            ("country_code", &self.country_code),
            ("auth_method", &self.auth_method),
            ("device_type", &self.device_type),
        ]
        .into_iter()
        .filter_map(|(column, value)| value.as_deref().map(|v| (column, v)))
    }
}

/// Live rows (all, recently used, or idle) or ended ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionState {
    #[default]
    /// Every live row.
    Live,
    /// Live and used at or after this time.
    ActiveSince(OffsetDateTime),
    /// Live and not used since this time.
    IdleSince(OffsetDateTime),
    /// Signed out, revoked or expired (kept until the retention purge).
    Ended,
}

/// Orders for registry rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionSort {
    /// Last activity; for ended rows, when they ended (their last event).
    #[default]
    LastSeen,
    /// Sign-in time (`created_at`).
    SignedIn,
}

impl SessionSort {
    /// Each (sort, state) pair has an index that yields rows in this order, so a page never sorts the whole table.
    pub(super) fn column(self, state: SessionState) -> &'static str {
        match (self, state) {
            (SessionSort::LastSeen, SessionState::Ended) => "ended_at",
            (SessionSort::LastSeen, _) => "last_seen_at",
            (SessionSort::SignedIn, _) => "created_at",
        }
    }
}

/// Sign-ins and failed sign-ins from one country ([`super::Triage::by_country`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CountryCount {
    /// `None` for addresses the geolocation database does not place (or private ones).
    pub country_code: Option<String>,
    /// The country's name as stored with the events.
    pub country_name: Option<String>,
    /// Sign-ins (`login` events).
    pub logins: u64,
    /// Failed sign-ins.
    pub failures: u64,
    /// Distinct users who signed in from there.
    pub users: u64,
}

/// Orders for [`CountryCount`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CountrySort {
    #[default]
    /// By sign-ins.
    Logins,
    /// By failed sign-ins.
    Failures,
    /// By distinct users.
    Users,
    /// By country code.
    Country,
}

impl CountrySort {
    pub(super) fn column(self) -> &'static str {
        match self {
            CountrySort::Logins => "logins",
            CountrySort::Failures => "failures",
            CountrySort::Users => "users",
            CountrySort::Country => "code",
        }
    }
}

/// Sign-ins and failed sign-ins in one clock hour (UTC) ([`super::Triage::per_hour`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourCount {
    /// The start of the hour.
    pub hour: OffsetDateTime,
    /// Sign-ins (`login` events) in the hour.
    pub logins: u64,
    /// Failed sign-ins in the hour.
    pub failures: u64,
}

/// Fills the hours without events with zeros, oldest first, from the hour holding `since` to the one holding
/// `until`: a chart needs every hour, and the stores only return hours that had events.
pub fn every_hour(counts: &[HourCount], since: OffsetDateTime, until: OffsetDateTime) -> Vec<HourCount> {
    let start = since.unix_timestamp().div_euclid(3600);
    let end = until.unix_timestamp().div_euclid(3600);
    (start..=end)
        .map(|h| {
            let hour = OffsetDateTime::from_unix_timestamp(h * 3600).unwrap_or(since);
            counts.iter().find(|c| c.hour == hour).copied().unwrap_or(HourCount { hour, logins: 0, failures: 0 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_hours_are_zero_and_the_range_is_inclusive() {
        let t = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let counts = [HourCount { hour: t(7200), logins: 3, failures: 1 }];
        let hours = every_hour(&counts, t(3600 + 59), t(3 * 3600 + 1));
        let summary: Vec<_> = hours.iter().map(|h| (h.hour.unix_timestamp(), h.logins, h.failures)).collect();
        assert_eq!(summary, [(3600, 0, 0), (7200, 3, 1), (10800, 0, 0)]);
    }
}
