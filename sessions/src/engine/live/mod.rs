//! Live push: open pages (and the host's own code) hear at once that their session ended, that the user's devices
//! changed, or that their login trail grew.
//!
//! Every change the engine stores for a user reaches the [`hub`] of this process; changes made by other processes
//! reach it through the store ([`Registry::watch_changes`](super::Registry::watch_changes): PostgreSQL's
//! LISTEN/NOTIFY, SQLite's files beside the database). The hub re-reads a followed user's live rows once per burst
//! of changes and tells each follower what that means for it. Only users somebody follows cost anything.

mod hub;
mod publishing;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::layer::CurrentSession;
use super::store::SessionRecord;
use super::Sessions;

pub(crate) use hub::Hub;
pub use hub::LiveCaps;
pub(crate) use publishing::Publishing;
pub(crate) use stream::respond;

/// What a follower of a session hears ([`Sessions::follow`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LiveEvent {
    /// The followed session ended; `reason` as in the trail (`user_revoked`, `logout_everywhere`,
    /// `password_change`, `admin_revoked`, `expired`, `logout`, …; `ended` when it left no event, as when a new
    /// sign-in on the same browser superseded it). Nothing follows it.
    Ended {
        /// Why it ended.
        reason: String,
    },
    /// The user's list of live sessions changed: sessions signed in since the last look (whole rows, to name them),
    /// ids of sessions that ended, or only activity and places.
    Devices {
        /// Sessions signed in since the last look.
        signed_in: Vec<SessionRecord>,
        /// Sessions of the user that ended since the last look (the followed one is told with [`LiveEvent::Ended`]).
        ended: Vec<String>,
    },
    /// The user's login trail has new entries.
    History,
}

/// The changes of one signed-in session, as they happen. Dropping it stops following.
///
/// ```no_run
/// # async fn run(sessions: leptos_sessions::engine::Sessions, current: leptos_sessions::engine::CurrentSession) {
/// use leptos_sessions::engine::LiveEvent;
///
/// // Close this session's own WebSocket once the session ends, wherever it was ended.
/// let mut follow = sessions.follow(&current).expect("under the stream caps");
/// while let Some(event) = follow.next().await {
///     if let LiveEvent::Ended { reason } = event {
///         println!("session ended: {reason}");
///         break;
///     }
/// }
/// # }
/// ```
pub struct Follow {
    rx: mpsc::Receiver<Message>,
    sessions: Sessions,
    session: CurrentSession,
    key: u64,
    /// When the session times out unless it is used meanwhile; nobody writes anything then, so it is looked at.
    deadline: Option<tokio::time::Instant>,
}

/// What the hub sends a follower: an event, or the session's times (for its timeout).
#[derive(Debug)]
pub(crate) enum Message {
    Event(LiveEvent),
    Times { created_at: time::OffsetDateTime, last_seen_at: time::OffsetDateTime },
}

/// Why [`Sessions::follow`] refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FollowError {
    /// The session, its user or this process already has as many followers as [`Config::live_caps`] allows.
    ///
    /// [`Config::live_caps`]: super::Config::live_caps
    #[error("too many live streams open")]
    TooMany,
    /// The process is shutting down ([`Sessions::close_live`]).
    #[error("shutting down")]
    Closed,
}

impl Follow {
    /// The next change; `None` once the follower was let go (the process is shutting down, or it fell too far
    /// behind to be told everything): check the session again before trusting it.
    pub async fn next(&mut self) -> Option<LiveEvent> {
        loop {
            let message = match self.deadline {
                Some(deadline) => tokio::select! {
                    message = self.rx.recv() => message,
                    () = tokio::time::sleep_until(deadline) => {
                        // Ending it is a stored change like any other: the hub tells this follower. Unable to look
                        // (the store is down), it looks again shortly.
                        self.deadline = match self.sessions.expire_if_idle(&self.session).await {
                            true => None,
                            false => Some(tokio::time::Instant::now() + hub::RETRY),
                        };
                        continue;
                    }
                },
                None => self.rx.recv().await,
            };
            match message? {
                Message::Event(event) => return Some(event),
                Message::Times { created_at, last_seen_at } => {
                    self.deadline = self.sessions.timeout_at(created_at, last_seen_at);
                }
            }
        }
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.sessions.hub().remove(&self.session.user_id, self.key);
    }
}

impl Sessions {
    /// Follows one signed-in session: whether it ends (from any device, instance or the CLI), the user's devices
    /// and trail. The devices section's pages get this through the layer's stream ([`Config::live_path`]); a host
    /// can follow in Rust too, for example to close its own WebSockets when their session ends.
    ///
    /// Each follower costs one read of the user's live rows per burst of changes, and nothing while nothing
    /// changes. Refused beyond [`Config::live_caps`].
    ///
    /// [`Config::live_path`]: super::Config::live_path
    /// [`Config::live_caps`]: super::Config::live_caps
    pub fn follow(&self, session: &CurrentSession) -> Result<Follow, FollowError> {
        self.follow_with(session, false)
    }

    /// `activity`: also re-read the user's rows every [`hub::ACTIVITY`] for "Active now" (the devices page).
    pub(crate) fn follow_with(&self, session: &CurrentSession, activity: bool) -> Result<Follow, FollowError> {
        self.start_live_watch();
        let (tx, rx) = mpsc::channel(hub::QUEUE);
        let key = self.hub().add(session, activity, tx, self.config().live_caps)?;
        // Whatever happened before it was registered (an ending racing its request) is found by this first look.
        self.live_changed(&session.user_id, false);
        Ok(Follow { rx, sessions: self.clone(), session: session.clone(), key, deadline: None })
    }

    /// Lets every follower go: their streams end, so a graceful shutdown does not wait for pages that stay open.
    /// New follows are refused from then on.
    ///
    /// ```no_run
    /// # async fn run(sessions: leptos_sessions::engine::Sessions, app: axum::Router) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// axum::serve(listener, app)
    ///     .with_graceful_shutdown(async move {
    ///         let _ = tokio::signal::ctrl_c().await;
    ///         sessions.close_live();
    ///     })
    ///     .await
    /// # }
    /// ```
    pub fn close_live(&self) {
        self.hub().close();
    }

    /// Something changed for `user_id`; `history` when the trail grew. Free when nobody follows the user.
    pub(crate) fn live_changed(&self, user_id: &str, history: bool) {
        if let Some(user) = self.hub().changed(user_id, history) {
            tokio::spawn(hub::refresh(self.clone(), user));
        }
    }

    /// The store says another process changed `user` (`None`: perhaps anything, as after a lost connection).
    fn changed_elsewhere(&self, user: Option<&str>) {
        match user {
            Some(user) => self.live_changed(user, true),
            None => {
                for user in self.hub().followed() {
                    self.live_changed(&user, true);
                }
            }
        }
    }

    /// Starts, once, the store's report of other processes' changes and the activity ticker.
    fn start_live_watch(&self) {
        if !self.hub().start() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let weak = Arc::downgrade(&self.inner);
        self.registry().watch_changes(Arc::new(move |user| match weak.upgrade() {
            Some(inner) => {
                Sessions { inner }.changed_elsewhere(user);
                true
            }
            None => false,
        }));
        let weak = Arc::downgrade(&self.inner);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(hub::ACTIVITY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let sessions = Sessions { inner };
                for user in sessions.hub().watching_activity() {
                    sessions.live_changed(&user, false);
                }
            }
        });
    }

    /// When a session with these times times out, unless it is used meanwhile; `None` without timeouts.
    fn timeout_at(
        &self,
        created_at: time::OffsetDateTime,
        last_seen_at: time::OffsetDateTime,
    ) -> Option<tokio::time::Instant> {
        let config = self.config();
        let idle = config.idle_timeout.map(|t| last_seen_at + t);
        let absolute = config.absolute_timeout.map(|t| created_at + t);
        let at = [idle, absolute].into_iter().flatten().min()?;
        let wait: Duration = (at - self.now()).try_into().unwrap_or_default();
        // A moment after the limit, so the session is past it when looked at.
        Some(tokio::time::Instant::now() + wait + Duration::from_millis(50))
    }

    /// Ends the session if it has timed out (a followed session nobody uses still expires on time). False when the
    /// store could not be asked.
    async fn expire_if_idle(&self, session: &CurrentSession) -> bool {
        let Ok(rows) = self.registry().list_live(&session.user_id).await else { return false };
        let Some(row) = rows.into_iter().find(|r| *r.id == *session.id) else { return true };
        let now = self.now();
        let live = super::store::LiveSession {
            id: session.id.clone(),
            user_id: session.user_id.clone(),
            created_at: row.created_at.unwrap_or(now),
            last_seen_at: row.last_seen_at.unwrap_or(now),
        };
        match self.expire_if_due(&live, now).await {
            Some(true) => true,
            Some(false) => {
                // Used meanwhile: the next look is at its new limit.
                self.live_changed(&session.user_id, false);
                true
            }
            None => false,
        }
    }
}
