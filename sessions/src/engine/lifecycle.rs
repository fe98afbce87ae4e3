//! Starting and ending sessions: the calls a host's sign-in and sign-out code makes, and the devices page's actions.
//!
//! The sign-in pipeline runs in one visible order. Only the row insert can fail a sign-in; every other step is
//! isolated and at worst loses its own piece of data.

use time::OffsetDateTime;
use uuid::Uuid;

use super::auth::{classify, Auth};
use super::device::{truncate, DeviceInfo};
use super::store::{AppInstall, Ended, Ending, Event, Fingerprint, Replaces, SessionRecord};
use super::token::{device_cookie, removal_cookie, Token};
use super::{CurrentSession, Error, RequestMeta, Sessions, SetCookies};
use std::net::IpAddr;

/// A new session: its row id, whether it came from a new device, and the cookies the response must set.
#[derive(Debug)]
#[non_exhaustive]
pub struct SignedIn {
    /// The session's row id (what the devices list and [`Sessions::revoke`] name it by).
    pub session_id: String,
    /// Whether this browser or app install had never signed in to this account before.
    pub new_device: bool,
    /// The session cookie, and the device cookie when this browser had none.
    pub cookies: SetCookies,
}

impl Sessions {
    /// Starts a session for `user_id` with a fresh token (never reusing the presented one, so no fixation).
    ///
    /// The browser's older live row for the same user, if any, ends quietly as `superseded`, so one browser is
    /// one row; so does an older row of the same native app install (app, model, OS), so an app whose WebView and
    /// native HTTP client both sign in is one device. The login event is written with the device, IP and method; new-device and event hooks run after.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions, parts: http::request::Parts) -> Result<(), leptos_sessions::engine::Error> {
    /// use leptos_sessions::engine::Auth;
    /// let meta = sessions.request_meta(&parts);
    /// let signed_in = sessions.sign_in("user-42", &Auth::password().identity("ada@example.com"), &meta).await?;
    /// // In an axum handler: Ok((signed_in.cookies, Redirect::to("/")))
    /// # Ok(()) }
    /// ```
    pub async fn sign_in(&self, user_id: &str, auth: &Auth, meta: &RequestMeta) -> Result<SignedIn, Error> {
        let seen = self.observe(meta);
        let now = seen.at;
        let auth = self.isolate("classification", || classify(auth)).unwrap_or_else(|| Auth::new("unknown"));
        let (device_id, minted) = match &meta.device_id {
            Some(id) => (id.clone(), false),
            None => (Uuid::new_v4().to_string(), true),
        };
        let token = Token::generate();
        let row = seen.row(user_id, &auth, &device_id);
        // This browser's previous row (and the same app install's) is replaced in the insert's transaction, before
        // the cap counts: signing in again at the cap must not evict some other device, and a sign-in that fails
        // ends nothing.
        let previous = meta.current.as_ref().filter(|c| &*c.user_id == user_id).map(|c| &*c.id);
        let replaces = replaced_by(&row, previous);

        let fingerprint = Fingerprint {
            device_type: &row.device_type,
            os_name: row.os_name.as_deref(),
            browser_name: row.browser_name.as_deref(),
            app_name: row.app_name.as_deref(),
        };
        let new_device =
            self.isolate_async("new_device", self.trail().is_new_device(user_id, &row.id, &fingerprint)).await
                == Some(Some(true));

        // The login event is committed with the row (a crash cannot leave a device nobody signed in on); building
        // it is still isolated, and if that fails the sign-in goes ahead without it.
        let event = self.isolate("login_event", || Event {
            kind: "login".into(),
            user_id: Some(user_id.to_owned()),
            session_id: Some(row.id.clone()),
            identity: auth.identity_typed().map(str::to_owned),
            device_id: Some(device_id.clone()),
            auth_method: Some(row.auth_method.clone()),
            auth_provider: row.auth_provider.clone(),
            auth_detail: row.auth_detail.clone(),
            metadata: new_device.then(|| serde_json::json!({ "new_device": true })),
            occurred_at: Some(now),
            ..seen.event()
        });
        let prune =
            Ending { at: now, reason: "pruned", by: Some("system"), event_kind: Some("revoked"), request_id: None };
        let cap = self.config().session_cap;
        let pruned = self.registry().insert(&row, &token.digest(), event.as_ref(), &replaces, cap, &prune).await?;
        for one in &pruned {
            self.emit_ended(one, Some(("system", "pruned")));
        }
        // Another account signed in on this browser: its cookie is being replaced, so its row must not linger.
        if let Some(other) = meta.current.as_ref().filter(|c| &*c.user_id != user_id) {
            let ending = Ending { at: now, reason: "superseded", by: None, event_kind: None, request_id: None };
            self.isolate_async("supersede", self.registry().end(&other.user_id, &other.id, &ending)).await;
        }

        self.locate_later(seen.raw_ip, Some(user_id), Some(&row.id), event.as_ref().map(|e| e.id.as_str()));
        if let Some(event) = &event {
            self.emit(event);
            if new_device {
                self.emit_new_device(&row, event);
            }
        }

        let device = minted.then(|| device_cookie(self.config(), &device_id));
        let cookies = SetCookies::session(token.cookie(self.config())).with_device(device);
        Ok(SignedIn { session_id: row.id, new_device, cookies })
    }

    /// Ends the current session (a logout) and writes its `logout` event in the same transaction. Returns the
    /// cookie that clears the session cookie; the device cookie stays.
    ///
    /// A store error is returned, not swallowed: the row stays live and the user stays signed in rather than
    /// half signed out.
    pub async fn sign_out(&self, current: &CurrentSession, meta: &RequestMeta) -> Result<SetCookies, Error> {
        let by = by_user(&current.user_id);
        let ending = self.ending("logout", Some("logout"), Some(&by), meta);
        if let Some(ended) = self.registry().end(&current.user_id, &current.id, &ending).await? {
            self.emit_ended(&ended, None);
        }
        Ok(SetCookies::session(removal_cookie(self.config())))
    }

    /// Logs out one of the current user's other devices. Any id that is not one of their live sessions is
    /// [`Error::NotFound`], whoever owns it.
    pub async fn revoke(&self, current: &CurrentSession, session_id: &str, meta: &RequestMeta) -> Result<(), Error> {
        if session_id == &*current.id {
            return Err(Error::CannotRevokeCurrent);
        }
        self.require_recent_auth(current).await?;
        let by = by_user(&current.user_id);
        let ending = self.ending("user_revoked", Some("revoked"), Some(&by), meta);
        let ended = self.registry().end(&current.user_id, session_id, &ending).await?.ok_or(Error::NotFound)?;
        self.emit_ended(&ended, Some((&by, "user_revoked")));
        Ok(())
    }

    /// Logs out every device of the current user except this one. Returns how many were logged out.
    pub async fn revoke_others(&self, current: &CurrentSession, meta: &RequestMeta) -> Result<u64, Error> {
        self.require_recent_auth(current).await?;
        let by = by_user(&current.user_id);
        let ending = self.ending("logout_everywhere", Some("revoked"), Some(&by), meta);
        self.registry().set_not_before(&current.user_id, ending.at).await?;
        let ended = self.registry().end_others(&current.user_id, &current.id, &ending).await?;
        for one in &ended {
            self.emit_ended(one, Some((&by, "logout_everywhere")));
        }
        Ok(ended.len() as u64)
    }

    /// After a password change on this device: ends every other session of the user (`password_change`) and
    /// gives this one a fresh token. Returns the cookie carrying it.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions, current: leptos_sessions::engine::CurrentSession) -> Result<(), leptos_sessions::engine::Error> {
    /// let cookies = sessions.password_changed(&current, &Default::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn password_changed(&self, current: &CurrentSession, meta: &RequestMeta) -> Result<SetCookies, Error> {
        let by = by_user(&current.user_id);
        let ending = self.ending("password_change", Some("revoked"), Some(&by), meta);
        self.registry().set_not_before(&current.user_id, ending.at).await?;
        for one in self.registry().end_others(&current.user_id, &current.id, &ending).await? {
            self.emit_ended(&one, Some((&by, "password_change")));
        }
        let token = Token::generate();
        if !self.registry().rotate_token(&current.id, &token.digest()).await? {
            return Err(Error::NotFound);
        }
        self.registry().mark_reauthenticated(&current.id, self.now()).await?;
        // The change itself is on the trail, from this device, whether or not other sessions ended. Isolated like
        // every tracking step: a failure here loses the row, never the change.
        let event = Event {
            kind: "password_changed".into(),
            user_id: Some(current.user_id.to_string()),
            session_id: Some(current.id.to_string()),
            ..self.observe(meta).event()
        };
        if self.isolate_async("password_changed_event", self.trail().insert_event(&event)).await.is_some() {
            self.locate_later(meta.ip, Some(&current.user_id), None, Some(&event.id));
            self.emit(&event);
        }
        Ok(SetCookies::session(token.cookie(self.config())))
    }

    /// Ends every session of a user: an administrator's force-logout (`admin_revoked`), a password reset by
    /// someone else (`password_reset`), a disabled or deleted account (`account_disabled`). Returns how many.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::Error> {
    /// sessions.end_all("user-42", "admin_revoked", Some("admin:7")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn end_all(&self, user_id: &str, reason: &str, by: Option<&str>) -> Result<u64, Error> {
        let ending = Ending { at: self.now(), reason, by, event_kind: Some("revoked"), request_id: None };
        self.registry().set_not_before(user_id, ending.at).await?;
        let ended = self.registry().end_others(user_id, "", &ending).await?;
        for one in &ended {
            self.emit_ended(one, Some((by.unwrap_or("system"), reason)));
        }
        Ok(ended.len() as u64)
    }

    /// Ends one session of a user on someone else's authority, such as an administrator's "Revoke" on a row of the
    /// admin page; the trail records `reason` and who did it (`by`). [`Error::NotFound`] unless `session_id` is a
    /// live session of `user_id`.
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions) -> Result<(), leptos_sessions::engine::Error> {
    /// sessions.end_session("user-42", "0196f1d2-…", "admin_revoked", Some("admin:7")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn end_session(
        &self,
        user_id: &str,
        session_id: &str,
        reason: &str,
        by: Option<&str>,
    ) -> Result<(), Error> {
        let ending = Ending { at: self.now(), reason, by, event_kind: Some("revoked"), request_id: None };
        let ended = self.registry().end(user_id, session_id, &ending).await?.ok_or(Error::NotFound)?;
        self.emit_ended(&ended, Some((by.unwrap_or("system"), reason)));
        Ok(())
    }

    /// Records that the signed-in user just confirmed their password ("sudo mode"), for
    /// [`Config::sudo_window`](super::Config::sudo_window). Like any authentication it issues a fresh token:
    /// returns the cookie carrying it.
    pub async fn reauthenticated(&self, current: &CurrentSession) -> Result<SetCookies, Error> {
        let token = Token::generate();
        if !self.registry().rotate_token(&current.id, &token.digest()).await? {
            return Err(Error::NotFound);
        }
        self.registry().mark_reauthenticated(&current.id, self.now()).await?;
        Ok(SetCookies::session(token.cookie(self.config())))
    }

    /// `Ok` when the password was confirmed (or the user signed in) within the sudo window. Fails closed: a store
    /// error is [`Error::ReauthRequired`] too.
    pub async fn require_recent_auth(&self, current: &CurrentSession) -> Result<(), Error> {
        let Some(window) = self.config().sudo_window else { return Ok(()) };
        match self.registry().reauthenticated_at(&current.id).await {
            Ok(Some(at)) if at >= self.now() - window => Ok(()),
            Ok(_) => Err(Error::ReauthRequired),
            Err(err) => {
                tracing::warn!(error = %err, "re-authentication check failed; refusing");
                Err(Error::ReauthRequired)
            }
        }
    }

    /// Records that the current session completed a second factor (`totp`, `webauthn`, `recovery_code`, …).
    ///
    /// ```no_run
    /// # async fn f(sessions: leptos_sessions::engine::Sessions, current: leptos_sessions::engine::CurrentSession) {
    /// sessions.mark_second_factor(&current, "totp").await.ok();
    /// # }
    /// ```
    pub async fn mark_second_factor(&self, current: &CurrentSession, factor: &str) -> Result<bool, Error> {
        let factor = super::auth::clamp(&factor.trim().to_lowercase(), 32);
        Ok(self.registry().mark_second_factor(&current.id, &factor).await?)
    }

    /// The user's live sessions, the current one first, then by last activity.
    pub async fn devices(&self, current: &CurrentSession) -> Result<Vec<SessionRecord>, Error> {
        let mut rows = self.registry().list_live(&current.user_id).await?;
        if let Some(at) = rows.iter().position(|r| *r.id == *current.id) {
            let mine = rows.remove(at);
            rows.insert(0, mine);
        }
        Ok(rows)
    }

    fn ending<'a>(
        &self,
        reason: &'a str,
        event_kind: Option<&'a str>,
        by: Option<&'a str>,
        meta: &'a RequestMeta,
    ) -> Ending<'a> {
        Ending { at: self.now(), reason, by, event_kind, request_id: meta.request_id.as_deref() }
    }

    pub(crate) fn emit_ended(&self, ended: &Ended, revoked: Option<(&str, &str)>) {
        if let Some(event) = &ended.event {
            self.emit(event);
        }
        if let Some((by, reason)) = revoked {
            self.emit_revoked(&ended.row, Some(by), reason);
        }
    }

    /// What this request reveals about the device, each part isolated: IP and user-agent parsing.
    pub(crate) fn observe(&self, meta: &RequestMeta) -> Observed {
        let config = self.config();
        let ip = self.isolate("ip", || meta.ip.map(|ip| config.client_ip.store_form(ip))).flatten();
        let user_agent = meta.user_agent.as_deref().map(truncate).filter(|ua| !ua.is_empty());
        let device = self
            .isolate("user_agent", || {
                DeviceInfo::detect(user_agent.unwrap_or_default(), &meta.client, &config.app_names)
            })
            .unwrap_or_else(DeviceInfo::unknown);
        Observed {
            at: self.now(),
            raw_ip: meta.ip,
            ip,
            user_agent: user_agent.map(str::to_owned),
            device,
            client_hints: meta.client.to_json(),
            device_id: meta.device_id.clone(),
            request_id: meta.request_id.clone(),
        }
    }

    /// Recomputes every row's device fields from its stored user agent and client headers, after a parser
    /// upgrade. Returns how many rows changed.
    pub async fn rederive(&self) -> Result<u64, Error> {
        let mut after = String::new();
        let mut changed = 0;
        loop {
            let rows = self.maintenance().rows_after(&after, 500).await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            for mut row in rows {
                let headers = super::device::ClientHeaders::from_json(row.client_hints.as_ref());
                let ua = row.user_agent.as_deref().unwrap_or_default();
                let d = DeviceInfo::detect(ua, &headers, &self.config().app_names);
                let before = row.clone();
                row.browser_name = d.browser_name;
                row.browser_version = d.browser_version;
                row.os_name = d.os_name;
                row.os_version = d.os_version;
                row.device_type = d.device_type.to_owned();
                row.device_model = d.device_model;
                row.app_name = d.app_name;
                row.app_version = d.app_version;
                row.app_build = d.app_build;
                if row != before {
                    self.maintenance().update_device(&row).await?;
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}

pub(crate) struct Observed {
    pub at: OffsetDateTime,
    /// The client address as resolved, before truncation: only used for the geolocation lookup.
    pub raw_ip: Option<IpAddr>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device: DeviceInfo,
    pub client_hints: Option<serde_json::Value>,
    pub device_id: Option<String>,
    pub request_id: Option<String>,
}

impl Observed {
    /// A new live row for `user_id` on this device, started by `auth` now.
    pub(crate) fn row(&self, user_id: &str, auth: &Auth, device_id: &str) -> SessionRecord {
        SessionRecord {
            id: Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            device_id: Some(device_id.to_owned()),
            auth_method: auth.method().to_owned(),
            auth_provider: auth.provider_name().map(str::to_owned),
            auth_detail: auth.detail_json(),
            ip_address: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            browser_name: self.device.browser_name.clone(),
            browser_version: self.device.browser_version.clone(),
            os_name: self.device.os_name.clone(),
            os_version: self.device.os_version.clone(),
            device_type: self.device.device_type.to_owned(),
            device_model: self.device.device_model.clone(),
            app_name: self.device.app_name.clone(),
            app_version: self.device.app_version.clone(),
            app_build: self.device.app_build.clone(),
            client_hints: self.client_hints.clone(),
            created_at: Some(self.at),
            last_seen_at: Some(self.at),
            last_seen_ip: self.ip.clone(),
            ..SessionRecord::default()
        }
    }

    /// An event pre-filled with what the request revealed.
    pub(crate) fn event(&self) -> Event {
        Event {
            id: Uuid::now_v7().to_string(),
            device_id: self.device_id.clone(),
            ip_address: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            browser_name: self.device.browser_name.clone(),
            browser_version: self.device.browser_version.clone(),
            os_name: self.device.os_name.clone(),
            os_version: self.device.os_version.clone(),
            device_type: Some(self.device.device_type.to_owned()),
            occurred_at: Some(self.at),
            device_model: self.device.device_model.clone(),
            app_name: self.device.app_name.clone(),
            app_version: self.device.app_version.clone(),
            app_build: self.device.app_build.clone(),
            client_hints: self.client_hints.clone(),
            request_id: self.request_id.clone(),
            ..Event::default()
        }
    }
}

fn by_user(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The rows a new `row` replaces: the user's others on its browser, `previous` (the session the browser was signed
/// in with), and those of the same native app install.
pub(crate) fn replaced_by<'a>(row: &'a SessionRecord, previous: Option<&'a str>) -> Replaces<'a> {
    Replaces {
        device_id: row.device_id.as_deref(),
        previous,
        app: row.app_name.as_deref().map(|app_name| AppInstall {
            app_name,
            device_model: row.device_model.as_deref(),
            os_name: row.os_name.as_deref(),
        }),
    }
}
