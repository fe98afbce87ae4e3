//! Starting and ending sessions: the calls a host's sign-in and sign-out code makes, and the devices page's actions.

use time::OffsetDateTime;
use uuid::Uuid;

use super::device::{truncate, DeviceInfo};
use super::store::{Ending, SessionRecord};
use super::token::{removal_cookie, Token};
use super::{CurrentSession, Error, RequestMeta, Sessions};

/// A new session: its row id and the `Set-Cookie` header value the response must carry.
#[derive(Debug)]
pub struct SignedIn {
    pub session_id: String,
    pub set_cookie: String,
}

impl Sessions {
    /// Starts a session for `user_id` with a fresh token (never reusing the presented one, so no fixation).
    ///
    /// `replacing` is the session the request was already signed in with, if any: it ends as `superseded`, so one
    /// browser never holds two rows.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::Error> {
    /// use leptos_sessions::engine::RequestMeta;
    /// let meta = RequestMeta { ip: "203.0.113.7".parse().ok(), user_agent: Some("Mozilla/5.0 …".into()) };
    /// let signed_in = sessions.sign_in("user-42", &meta, None).await?;
    /// // response.headers_mut().append(SET_COOKIE, signed_in.set_cookie.parse()?);
    /// # Ok(()) }
    /// ```
    pub async fn sign_in(
        &self,
        user_id: &str,
        meta: &RequestMeta,
        replacing: Option<&CurrentSession>,
    ) -> Result<SignedIn, Error> {
        let now = OffsetDateTime::now_utc();
        let user_agent = meta
            .user_agent
            .as_deref()
            .map(truncate)
            .filter(|ua| !ua.is_empty());
        let device = DeviceInfo::parse(user_agent.unwrap_or_default());
        let ip = meta.ip.map(|ip| ip.to_canonical().to_string());
        let token = Token::generate();
        let row = SessionRecord {
            id: Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            ip_address: ip.clone(),
            user_agent: user_agent.map(str::to_owned),
            browser_name: device.browser_name,
            browser_version: device.browser_version,
            os_name: device.os_name,
            os_version: device.os_version,
            device_type: device.device_type.to_owned(),
            created_at: now,
            last_seen_at: now,
            last_seen_ip: ip,
            ended_at: None,
            ended_reason: None,
            ended_by: None,
        };
        self.store().insert(&row, &token.digest()).await?;
        if let Some(old) = replacing {
            let ending = Ending {
                at: now,
                reason: "superseded",
                by: None,
            };
            if let Err(err) = self.store().end(&old.user_id, &old.id, &ending).await {
                // The new session works; the old row is only bookkeeping and its cookie is being replaced.
                tracing::warn!(error = %err, "could not end the superseded session");
            }
        }
        Ok(SignedIn {
            session_id: row.id,
            set_cookie: token.cookie(self.config()),
        })
    }

    /// Ends the current session (a logout). Returns the `Set-Cookie` value that clears the cookie.
    ///
    /// A store error is returned, not swallowed: the caller keeps the user signed in rather than half signed out.
    pub async fn sign_out(&self, current: &CurrentSession) -> Result<String, Error> {
        let ending = Ending {
            at: OffsetDateTime::now_utc(),
            reason: "logout",
            by: Some(&by_user(&current.user_id)),
        };
        self.store()
            .end(&current.user_id, &current.id, &ending)
            .await?;
        Ok(removal_cookie(self.config()))
    }

    /// Logs out one of the current user's other devices. Any id that is not one of their live sessions is
    /// [`Error::NotFound`], whoever owns it.
    pub async fn revoke(&self, current: &CurrentSession, session_id: &str) -> Result<(), Error> {
        if session_id == current.id {
            return Err(Error::CannotRevokeCurrent);
        }
        let by = by_user(&current.user_id);
        let ending = Ending {
            at: OffsetDateTime::now_utc(),
            reason: "revoked",
            by: Some(&by),
        };
        match self
            .store()
            .end(&current.user_id, session_id, &ending)
            .await?
        {
            true => Ok(()),
            false => Err(Error::NotFound),
        }
    }

    /// Logs out every device of the current user except this one. Returns how many were logged out.
    pub async fn revoke_others(&self, current: &CurrentSession) -> Result<u64, Error> {
        let by = by_user(&current.user_id);
        let ending = Ending {
            at: OffsetDateTime::now_utc(),
            reason: "revoked",
            by: Some(&by),
        };
        Ok(self
            .store()
            .end_others(&current.user_id, &current.id, &ending)
            .await?)
    }

    /// The user's live sessions, the current one first, then by last activity.
    pub async fn devices(&self, current: &CurrentSession) -> Result<Vec<SessionRecord>, Error> {
        let mut rows = self.store().list_live(&current.user_id).await?;
        if let Some(at) = rows.iter().position(|r| r.id == current.id) {
            let mine = rows.remove(at);
            rows.insert(0, mine);
        }
        Ok(rows)
    }
}

fn by_user(user_id: &str) -> String {
    format!("user:{user_id}")
}
