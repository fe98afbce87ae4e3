//! The one error every store method returns, so the store traits do not tie a backend to SQLx.

type Source = Box<dyn std::error::Error + Send + Sync>;

/// A store call failed. The engine treats both kinds alike (the request answers 503 and nobody is signed out); the
/// kind is for logs, alerts and a host's own retries.
///
/// A backend built on SQLx converts with `?` (there is a `From<sqlx::Error>`); any other backend wraps its own
/// error:
///
/// ```
/// use leptos_sessions::engine::StoreError;
///
/// let err = StoreError::unavailable(std::io::Error::other("connection refused"));
/// assert!(err.is_unavailable());
/// assert_eq!(err.to_string(), "the session database is unavailable: connection refused");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database did not answer: unreachable, timed out, out of connections, or an I/O error. Worth retrying.
    #[error("the session database is unavailable: {0}")]
    Unavailable(#[source] Source),
    /// The database answered with an error: a constraint, a migration, a value it could not decode.
    #[error("the session database failed: {0}")]
    Failed(#[source] Source),
}

impl StoreError {
    /// The database could not be reached or did not answer in time.
    pub fn unavailable(err: impl Into<Source>) -> Self {
        Self::Unavailable(err.into())
    }

    /// The database answered with an error.
    pub fn failed(err: impl Into<Source>) -> Self {
        Self::Failed(err.into())
    }

    /// Whether the database could not be reached (rather than refusing the statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(err.into()),
            _ => Self::Failed(err.into()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Self::Failed(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::StoreError;

    #[test]
    fn an_outage_and_a_refusal_are_told_apart() {
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(StoreError::from(sqlx::Error::Io(std::io::Error::other("reset"))).is_unavailable());
        assert!(!StoreError::from(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::from(sqlx::Error::ColumnNotFound("id".into())).is_unavailable());
    }

    #[test]
    fn the_cause_stays_reachable() {
        let err = StoreError::from(sqlx::Error::PoolTimedOut);
        let source = std::error::Error::source(&err).expect("a source");
        assert_eq!(source.to_string(), sqlx::Error::PoolTimedOut.to_string());
    }
}
