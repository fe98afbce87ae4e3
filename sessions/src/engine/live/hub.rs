//! The followers of this process, by user, and the one re-read of a user's rows that a burst of changes costs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{FollowError, LiveEvent, Message};
use crate::engine::layer::CurrentSession;
use crate::engine::Sessions;

/// Messages a follower may have waiting; one that falls further behind is let go (its stream reconnects and looks
/// again), never left missing an ending.
pub(crate) const QUEUE: usize = 32;
/// How often the devices page's rows are re-read for "Active now" and places: nobody announces activity.
pub(crate) const ACTIVITY: Duration = Duration::from_secs(30);
/// Changes within this time are answered by one read.
const SETTLE: Duration = Duration::from_millis(15);
/// After a failed read: an outage must not sign anybody out, so the followers wait for the store.
pub(crate) const RETRY: Duration = Duration::from_secs(2);

#[derive(Default)]
pub(crate) struct Hub {
    users: Mutex<HashMap<Arc<str>, Followed>>,
    next_key: AtomicU64,
    total: std::sync::atomic::AtomicUsize,
    started: AtomicBool,
    closed: AtomicBool,
}

#[derive(Default)]
struct Followed {
    followers: Vec<Follower>,
    /// The user's live rows at the last look, by id; `None` before the first.
    known: Option<HashMap<String, Snapshot>>,
    refreshing: bool,
    /// A change arrived while a read was under way: read again.
    again: bool,
}

struct Follower {
    key: u64,
    session: Arc<str>,
    activity: bool,
    tx: mpsc::Sender<Message>,
}

/// What a devices page shows of a row that can change while it stays live.
#[derive(Clone, PartialEq)]
struct Snapshot {
    last_seen_at: Option<OffsetDateTime>,
    last_seen_ip: Option<String>,
    country_code: Option<String>,
    city: Option<String>,
}

/// Caps on followers: per session, per user, per process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveCaps {
    /// Followers of one session (its tabs).
    pub per_session: usize,
    /// Followers of one user's sessions together.
    pub per_user: usize,
    /// Followers in this process.
    pub per_process: usize,
}

impl Default for LiveCaps {
    fn default() -> Self {
        Self { per_session: 4, per_user: 16, per_process: 20_000 }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Followed>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True the first time only: the caller starts the watchers.
    pub(crate) fn start(&self) -> bool {
        !self.started.swap(true, Ordering::SeqCst)
    }

    pub(crate) fn add(
        &self,
        session: &CurrentSession,
        activity: bool,
        tx: mpsc::Sender<Message>,
        caps: LiveCaps,
    ) -> Result<u64, FollowError> {
        let mut users = self.lock();
        if self.closed.load(Ordering::SeqCst) {
            return Err(FollowError::Closed);
        }
        if self.total.load(Ordering::SeqCst) >= caps.per_process {
            return Err(FollowError::TooMany);
        }
        let followed = users.entry(session.user_id.clone()).or_default();
        let of_session = followed.followers.iter().filter(|f| f.session == session.id).count();
        if followed.followers.len() >= caps.per_user || of_session >= caps.per_session {
            if followed.followers.is_empty() {
                users.remove(&session.user_id);
            }
            return Err(FollowError::TooMany);
        }
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        followed.followers.push(Follower { key, session: session.id.clone(), activity, tx });
        self.total.fetch_add(1, Ordering::SeqCst);
        Ok(key)
    }

    pub(crate) fn remove(&self, user: &str, key: u64) {
        let mut users = self.lock();
        let Some(followed) = users.get_mut(user) else { return };
        let before = followed.followers.len();
        followed.followers.retain(|f| f.key != key);
        if followed.followers.len() < before {
            self.total.fetch_sub(1, Ordering::SeqCst);
        }
        if followed.followers.is_empty() && !followed.refreshing {
            users.remove(user);
        }
    }

    /// Lets every follower go and refuses new ones.
    pub(crate) fn close(&self) {
        let mut users = self.lock();
        self.closed.store(true, Ordering::SeqCst);
        for followed in users.values_mut() {
            self.total.fetch_sub(followed.followers.len(), Ordering::SeqCst);
            followed.followers.clear();
        }
        users.retain(|_, f| f.refreshing);
    }

    /// Notes a change for `user`; returns the user when a read must start (none is under way). `history` is told
    /// at once: it needs no read.
    pub(crate) fn changed(&self, user: &str, history: bool) -> Option<Arc<str>> {
        let mut users = self.lock();
        let followed = users.get_mut(user)?;
        if history {
            self.keep(followed, |f| send(&f.tx, Message::Event(LiveEvent::History)));
        }
        if followed.refreshing {
            followed.again = true;
            return None;
        }
        followed.refreshing = true;
        Some(Arc::from(user))
    }

    /// Tells `user`'s followers that their trail grew: it needs no read.
    pub(crate) fn history(&self, user: &str) {
        if let Some(followed) = self.lock().get_mut(user) {
            self.keep(followed, |f| send(&f.tx, Message::Event(LiveEvent::History)));
        }
    }

    /// Keeps the followers `keep` accepts and lets the others go, counting them out of the total.
    fn keep(&self, followed: &mut Followed, keep: impl FnMut(&Follower) -> bool) {
        let before = followed.followers.len();
        followed.followers.retain(keep);
        self.total.fetch_sub(before - followed.followers.len(), Ordering::SeqCst);
    }

    pub(crate) fn followed(&self) -> Vec<Arc<str>> {
        self.lock().keys().cloned().collect()
    }

    pub(crate) fn watching_activity(&self) -> Vec<Arc<str>> {
        self.lock().iter().filter(|(_, f)| f.followers.iter().any(|f| f.activity)).map(|(u, _)| u.clone()).collect()
    }
}

/// Hands a message over without waiting; false when the follower is gone or too far behind (dropping its sender
/// ends its stream, which reconnects and looks again).
fn send(tx: &mpsc::Sender<Message>, message: Message) -> bool {
    tx.try_send(message).is_ok()
}

/// Reads `user`'s live rows until no change arrived during the read, telling each follower what changed.
pub(crate) async fn refresh(sessions: Sessions, user: Arc<str>) {
    loop {
        tokio::time::sleep(SETTLE).await;
        {
            let mut users = sessions.hub().lock();
            let Some(followed) = users.get_mut(&user) else { return };
            followed.again = false;
            if followed.followers.is_empty() {
                users.remove(&user);
                return;
            }
        }
        // Followers that start after this read began are judged by the next one: their session may be newer.
        let first_unjudged = sessions.hub().next_key.load(Ordering::SeqCst);
        match sessions.registry().list_live(&user).await {
            Ok(rows) => tell(&sessions, &user, rows, first_unjudged).await,
            Err(err) => {
                tracing::warn!(error = %err, "live push cannot read the user's sessions; retrying");
                tokio::time::sleep(RETRY).await;
                if let Some(followed) = sessions.hub().lock().get_mut(&user) {
                    followed.again = true;
                }
            }
        }
        let mut users = sessions.hub().lock();
        let Some(followed) = users.get_mut(&user) else { return };
        if !followed.again {
            followed.refreshing = false;
            if followed.followers.is_empty() {
                users.remove(&user);
            }
            return;
        }
    }
}

/// Compares the rows with the last look and tells each follower.
async fn tell(sessions: &Sessions, user: &Arc<str>, rows: Vec<crate::engine::SessionRecord>, first_unjudged: u64) {
    let timeouts = sessions.config().idle_timeout.is_some() || sessions.config().absolute_timeout.is_some();
    let gone = {
        let mut users = sessions.hub().lock();
        let Some(followed) = users.get_mut(user) else { return };
        let now: HashMap<String, Snapshot> = rows
            .iter()
            .map(|r| {
                let snapshot = Snapshot {
                    last_seen_at: r.last_seen_at,
                    last_seen_ip: r.last_seen_ip.clone(),
                    country_code: r.country_code.clone(),
                    city: r.city.clone(),
                };
                (r.id.clone(), snapshot)
            })
            .collect();
        let devices = followed.known.as_ref().and_then(|known| {
            let signed_in: Vec<_> = rows.iter().filter(|r| !known.contains_key(&r.id)).cloned().collect();
            let ended: Vec<String> = known.keys().filter(|id| !now.contains_key(*id)).cloned().collect();
            let changed = now.iter().any(|(id, s)| known.get(id).is_some_and(|k| k != s));
            (!signed_in.is_empty() || !ended.is_empty() || changed).then_some(LiveEvent::Devices { signed_in, ended })
        });
        followed.known = Some(now);
        let mut gone = Vec::new();
        let hub = sessions.hub();
        hub.keep(followed, |f| match rows.iter().find(|r| *r.id == *f.session) {
            // Registered after the read began (it is read again for it): only what is certain is said.
            None if f.key >= first_unjudged => true,
            Some(row) => {
                let told = devices.as_ref().is_none_or(|d| send(&f.tx, Message::Event(d.clone())));
                let timed = !timeouts
                    || send(
                        &f.tx,
                        Message::Times {
                            created_at: row.created_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
                            last_seen_at: row.last_seen_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
                        },
                    );
                told && timed
            }
            None => {
                gone.push((f.session.clone(), f.tx.clone()));
                false
            }
        });
        gone
    };
    for (session, tx) in gone {
        let reason = ended_reason(sessions, user, &session).await;
        send(&tx, Message::Event(LiveEvent::Ended { reason }));
    }
}

/// Why a session ended, from its newest event; `ended` when it left none (superseded by a new sign-in).
async fn ended_reason(sessions: &Sessions, user: &str, session: &str) -> String {
    let events = sessions.trail().session_events(user, session, 1).await.unwrap_or_default();
    let Some(event) = events.into_iter().next() else { return "ended".into() };
    match event.kind.as_str() {
        "revoked" => event.revoked_reason.unwrap_or_else(|| "revoked".into()),
        "logout" | "expired" => event.kind,
        _ => "ended".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, user: &str) -> CurrentSession {
        CurrentSession { id: id.into(), user_id: user.into() }
    }

    #[test]
    fn a_follower_let_go_for_falling_behind_gives_its_place_back() {
        let hub = Hub::default();
        let caps = LiveCaps { per_session: 4, per_user: 4, per_process: 2 };
        // A follower that never reads: its queue holds one message.
        let (slow, _never_read) = mpsc::channel(1);
        let key = hub.add(&session("s1", "u1"), false, slow, caps).unwrap();
        let (tx, _rx) = mpsc::channel(QUEUE);
        hub.add(&session("s2", "u2"), false, tx, caps).unwrap();
        let (tx, _rx) = mpsc::channel(QUEUE);
        assert_eq!(hub.add(&session("s3", "u3"), false, tx, caps), Err(FollowError::TooMany), "the process is full");

        // Its trail grows twice: the second message finds its queue full, and it is let go.
        hub.history("u1");
        hub.history("u1");
        let (tx, _rx) = mpsc::channel(QUEUE);
        assert!(hub.add(&session("s3", "u3"), false, tx, caps).is_ok(), "its place in the process is free again");
        // Its own stream ending later finds nothing more to give back.
        hub.remove("u1", key);
        let (tx, _rx) = mpsc::channel(QUEUE);
        assert_eq!(hub.add(&session("s4", "u4"), false, tx, caps), Err(FollowError::TooMany));
    }
}
