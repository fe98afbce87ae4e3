//! The login trail: failed attempts, manual sign-in records, and the queries the UI and hosts read.

use std::time::Duration;

use time::OffsetDateTime;

use super::auth::{clamp, classify, Auth};
use super::store::Event;
use super::{Error, RequestMeta, Sessions};
use crate::identity::normalize_identity;

/// What this browser last signed in with (read from its device cookie; nothing is minted to answer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastLogin {
    /// The account this browser signed in to.
    pub user_id: Option<String>,
    /// How it signed in: one of [`METHODS`](super::METHODS) or a host's own tag; `unknown` when the event names
    /// none.
    pub auth_method: String,
    /// The identity provider, lower-cased; `None` for methods without one.
    pub auth_provider: Option<String>,
    /// When that sign-in happened (UTC).
    pub occurred_at: OffsetDateTime,
}

impl Sessions {
    /// Records a failed sign-in. The identity is kept as typed (trimmed, lower-cased) whether or not an account
    /// has it, and the event is never linked to an account. Never pass the password. Tracking failures are
    /// logged, not returned: a failed attempt must never turn into an error page. For a failed passkey, one-time
    /// code or OAuth attempt, use [`Sessions::record_failure`], which also keeps the method.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions, parts: http::request::Parts) {
    /// let meta = sessions.request_meta(&parts);
    /// sessions.record_failed_attempt(&meta, "ada@example.com", "invalid_credentials").await;
    /// # }
    /// ```
    pub async fn record_failed_attempt(&self, meta: &RequestMeta, identity: &str, reason: &str) -> Option<Event> {
        self.record_failure(meta, &Auth::new("").identity(identity), reason).await
    }

    /// Records a failed sign-in of any kind: `auth` names the method, the provider, the second factor that failed
    /// and the identity as typed, so a wrong one-time code reads differently from a wrong password.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions, parts: http::request::Parts) {
    /// use leptos_sessions::engine::Auth;
    /// let meta = sessions.request_meta(&parts);
    /// let auth = Auth::password().identity("ada@example.com").second_factor("totp");
    /// sessions.record_failure(&meta, &auth, "invalid_code").await;
    /// # }
    /// ```
    pub async fn record_failure(&self, meta: &RequestMeta, auth: &Auth, reason: &str) -> Option<Event> {
        let seen = self.observe(meta);
        // An empty method is the plain `record_failed_attempt`: nothing is claimed about how the attempt was made.
        let method = auth
            .method_given()
            .then(|| self.isolate("classification", || classify(auth)).unwrap_or_else(|| auth.clone()));
        let event = Event {
            kind: "failed_login".into(),
            identity: auth.identity_typed().map(str::to_owned),
            auth_method: method.as_ref().map(|a| a.method().to_owned()),
            auth_provider: method.as_ref().and_then(|a| a.provider_name().map(str::to_owned)),
            auth_detail: method.as_ref().and_then(Auth::detail_json),
            failure_reason: Some(clamp(reason, 64)).filter(|r| !r.is_empty()),
            ..seen.event()
        };
        self.isolate_async("failed_login_event", self.trail().insert_event(&event)).await?;
        self.locate_later(meta.ip, event.user_id.as_deref(), None, Some(&event.id));
        self.emit(&event);
        if let (Some(identity), Some((rule, hook))) = (&event.identity, &self.config().hooks.on_repeated_failures) {
            let since = self.now() - rule.window;
            let count = self.isolate_async("repeated_failures", self.trail().count_failures(identity, since)).await;
            // Exactly at the threshold: one alert per burst, and another only once old failures age out.
            if count == Some(rule.threshold) {
                self.isolate("on_repeated_failed_logins", || hook(identity, rule.threshold, &event));
            }
        }
        Some(event)
    }

    /// Records a sign-in the library did not start a session for (API tokens, a host-managed session store).
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions, parts: http::request::Parts) {
    /// use leptos_sessions::engine::Auth;
    /// sessions.track_login("user-42", &Auth::token(), &sessions.request_meta(&parts)).await;
    /// # }
    /// ```
    pub async fn track_login(&self, user_id: &str, auth: &Auth, meta: &RequestMeta) -> Option<Event> {
        let seen = self.observe(meta);
        let auth = self.isolate("classification", || classify(auth)).unwrap_or_else(|| Auth::new("unknown"));
        let event = Event {
            kind: "login".into(),
            user_id: Some(user_id.to_owned()),
            identity: auth.identity_typed().map(str::to_owned),
            auth_method: Some(auth.method().to_owned()),
            auth_provider: auth.provider_name().map(str::to_owned),
            auth_detail: auth.detail_json(),
            ..seen.event()
        };
        self.isolate_async("login_event", self.trail().insert_event(&event)).await?;
        self.emit(&event);
        Some(event)
    }

    /// How this browser signed in last time, from its device cookie; `None` for a browser without one.
    pub async fn last_login(&self, meta: &RequestMeta) -> Option<LastLogin> {
        let device_id = meta.device_id.as_deref()?;
        let event = self.isolate_async("last_login", self.trail().last_login(device_id)).await.flatten()?;
        Some(LastLogin {
            user_id: event.user_id,
            auth_method: event.auth_method.unwrap_or_else(|| "unknown".into()),
            auth_provider: event.auth_provider,
            occurred_at: event.occurred_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }

    /// One page of a user's trail, newest first: their events and failed attempts typed against identities they
    /// have signed in with.
    pub async fn history(&self, user_id: &str, limit: u32, offset: u32) -> Result<Vec<Event>, Error> {
        Ok(self.trail().history(user_id, limit, offset).await?)
    }

    /// One session's own events, newest first (at most `limit`), if the session is `user_id`'s.
    pub async fn session_events(&self, user_id: &str, session_id: &str, limit: u32) -> Result<Vec<Event>, Error> {
        Ok(self.trail().session_events(user_id, session_id, limit).await?)
    }

    /// Retention: deletes trail events older than `max_age`, in batches sized to hold the write lock for about
    /// 20 ms each. One of the only ways the trail changes.
    pub async fn purge_events(&self, max_age: Duration) -> Result<u64, Error> {
        let before = self.now() - max_age;
        let mut total = 0;
        let mut batches = super::sweep::Batches::new();
        loop {
            let started = std::time::Instant::now();
            let n = self.maintenance().purge_events(before, batches.size()).await?;
            if n > 0 {
                self.inner.hours.clear();
            }
            total += n;
            if !batches.record(n, started) {
                return Ok(total);
            }
        }
    }

    /// Erasure, in one call: deletes every session row and trail event of `user_id` and the failed attempts typed
    /// against `identities` (the emails or usernames they sign in with) or against any identity their trail holds;
    /// replaces their id as the actor of other users' endings with `erased` (`admin:7` → `admin:erased`); runs the
    /// host's [`Config::on_forget`](super::Config::on_forget) hook for its own tables; erases the registry and the
    /// trail once more (see below); then, on SQLite, drops the statistics samples and truncates the WAL so no
    /// erased byte stays in the files (see the README's Privacy section for what PostgreSQL keeps). Returns the
    /// rows and events deleted. An error can come after some of it is done (a failing hook is
    /// [`Error::ForgetHook`]); running it again is safe and finishes the rest.
    ///
    /// An empty `user_id` erases by identity only, for when the account is already gone (an earlier run failed
    /// after the hook deleted it): the failed attempts typed against `identities`, then the scrub; the hook does
    /// not run. Events that carry the identity and a user id are that user's: erase them with their id.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::Error> {
    /// sessions.forget("user-42", &["ada@example.com".to_owned()]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn forget(&self, user_id: &str, identities: &[String]) -> Result<(u64, u64), Error> {
        use futures::FutureExt;
        let identities: Vec<String> = identities.iter().filter_map(|i| normalize_identity(i)).collect();
        // Without an account, an id no row can carry stands in for it: only the identities match anything.
        let nobody = uuid::Uuid::new_v4().to_string();
        let erase_as = if user_id.is_empty() { nobody.as_str() } else { user_id };
        let erased = self.maintenance().forget(erase_as, &identities).await;
        self.erased(erase_as);
        let (mut rows, mut events) = erased?;
        if let (false, Some(hook)) = (user_id.is_empty(), &self.config().hooks.on_forget) {
            let outcome = std::panic::AssertUnwindSafe(hook(user_id.to_owned())).catch_unwind().await;
            outcome.unwrap_or_else(|_| Err("the on_forget hook panicked".into())).map_err(Error::ForgetHook)?;
            // The registry and the trail again, after the hook. A sign-in that passed the host's password check
            // before the hook deleted (or disabled) the account can write its session row and login event after
            // the first pass: it would survive the erasure, with the identity, the address and a live cookie.
            // Once the hook has run no new sign-in can pass, so this pass leaves only a sign-in whose password
            // check came before the hook and whose write comes after this pass, slower than the whole erasure;
            // its login event carries the identity, so the host finds its user id there on a re-run (the demo's
            // `server forget` does). The first pass stays before the hook: the person is signed out everywhere
            // even when the hook then fails.
            let erased = self.maintenance().forget(user_id, &identities).await;
            self.erased(user_id);
            let (more_rows, more_events) = erased?;
            (rows, events) = (rows + more_rows, events + more_events);
        }
        self.maintenance().scrub_erased().await?;
        Ok((rows, events))
    }

    /// After an erasure, successful or not: the deleted rows leave no cached session and no cached hour counts, and
    /// the user's open pages are signed out.
    fn erased(&self, user_id: &str) {
        if let Some(cache) = self.cache() {
            cache.invalidate_user(user_id);
        }
        self.inner.hours.clear();
        self.live_changed(user_id, false);
    }
}
