//! Devices and the login trail for apps already on axum-login + tower-sessions (feature `axum-login`).
//!
//! The app keeps its tower-sessions store and its axum-login backend; nothing is migrated. Each login adds a row to
//! this crate's registry, and the row's token lives inside the tower-sessions record (never in a cookie of ours).
//! On every request [`AxumLoginLayer`] looks that token up: a live row becomes the request's [`CurrentSession`]
//! (so the devices components, the server functions and every `Sessions` call work as on a native site); a row
//! that was revoked logs the axum-login session out (deleting its tower-sessions record) before the handler runs,
//! so a revoked device is signed out on its very next request. Sessions that started before the adapter was
//! installed carry no token: their first request adopts them (see `adopt`), one request at a time per session,
//! unless their user has since ended every session (`Registry::not_before`): then they are signed out.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum_login::{AuthSession, AuthUser, AuthnBackend};
use http::{Request, Response};
use tower::{Layer, Service};
use tower_sessions::session::Id;
use tower_sessions::Session;

use super::layer::{peer_ip, Resolved};
use super::origin::is_cross_site;
use super::refusal::Refusal;
use super::store::Ending;
use super::token::{device_cookie, Token};
use super::{Auth, CurrentSession, Error, RequestMeta, Sessions, SetCookies, SignedIn};
use axum::response::IntoResponse;

/// Where the registry token sits inside the tower-sessions record.
const TOKEN_KEY: &str = "leptos_sessions.token";

/// The seams an axum-login app calls from its login, logout and password-change handlers.
///
/// ```no_run
/// # async fn f<B: axum_login::AuthnBackend + 'static>(
/// #     sessions: leptos_sessions::engine::Sessions,
/// #     mut auth_session: axum_login::AuthSession<B>,
/// #     user: B::User,
/// #     parts: http::request::Parts,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// use axum_login::AuthUser;
/// use leptos_sessions::engine::{Auth, AxumLogin};
///
/// let registry = AxumLogin::new(sessions.clone());
/// let meta = sessions.request_meta(&parts); // `parts: http::request::Parts` is an axum extractor
/// auth_session.login(&user).await?;
/// // The user id as axum-login displays it: the layer checks that the two agree on every request.
/// let signed_in = registry.logged_in(&auth_session.session, &user.id().to_string(), &Auth::password(), &meta).await?;
/// // Send signed_in.cookies (the device cookie) with the response.
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AxumLogin {
    sessions: Sessions,
    adoptions: Arc<Adoptions>,
}

impl AxumLogin {
    /// The adapter for `sessions`.
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions, adoptions: Arc::new(Adoptions::new(ADOPTING_AT_ONCE)) }
    }

    /// The per-request layer; add it *before* axum-login's `AuthManagerLayer` (so it runs inside it, after the
    /// user is loaded) and give it the same backend type. Every layer of one `AxumLogin` shares its adoption turns.
    pub fn layer<B>(&self) -> AxumLoginLayer<B> {
        AxumLoginLayer { sessions: self.sessions.clone(), adoptions: self.adoptions.clone(), backend: PhantomData }
    }

    /// After `auth_session.login(&user)` succeeded: registers the login as a device, writes the login event,
    /// and ends the row this browser had before. `user_id` is `user.id().to_string()`; `meta` is
    /// [`Sessions::request_meta`] of the request, built only by the handlers that need it, never per request.
    ///
    /// The returned `cookies` hold only the long-lived device cookie (one browser stays one device across
    /// sign-ins); tower-sessions keeps its own session cookie.
    pub async fn logged_in(
        &self,
        session: &Session,
        user_id: &str,
        auth: &Auth,
        meta: &RequestMeta,
    ) -> Result<SignedIn, Error> {
        let mut signed_in = self.sessions.sign_in(user_id, auth, meta).await?;
        let token = signed_in.cookies.take_session().map(|c| c.value().to_owned()).unwrap_or_default();
        if let Err(err) = session.insert(TOKEN_KEY, token).await {
            // The row could never be reached: end it rather than leave a device nobody can see through.
            let current = CurrentSession { id: signed_in.session_id.as_str().into(), user_id: user_id.into() };
            self.sessions.sign_out(&current, meta).await.ok();
            return Err(err.into());
        }
        Ok(signed_in)
    }

    /// Before `auth_session.logout()`: ends this device's row with its logout event.
    pub async fn logged_out(&self, session: &Session, meta: &RequestMeta) -> Result<(), Error> {
        if let Some(current) = &meta.current {
            // tower-sessions keeps this browser's cookie; the registry's own is not sent under the adapter.
            let _removal = self.sessions.sign_out(current, meta).await?;
        }
        session.remove::<String>(TOKEN_KEY).await.ok();
        Ok(())
    }

    /// After the signed-in user changed their password: every other device is logged out (their next request
    /// finds the row ended and logs the axum-login session out) and this one gets a fresh token.
    pub async fn password_changed(&self, session: &Session, meta: &RequestMeta) -> Result<(), Error> {
        let current = meta.current.as_ref().ok_or(Error::NotFound)?;
        let cookies = self.sessions.password_changed(current, meta).await?;
        keep_token(session, &cookies).await
    }

    /// After the signed-in user confirmed their password again ("sudo mode"): logging out devices is allowed for
    /// the configured window. The row's token is rotated, and the new one replaces the old inside the
    /// tower-sessions record, so this browser stays signed in.
    ///
    /// ```no_run
    /// # async fn f(registry: leptos_sessions::engine::AxumLogin, session: tower_sessions::Session,
    /// #            meta: leptos_sessions::engine::RequestMeta) -> Result<(), leptos_sessions::engine::Error> {
    /// // after checking the password the user typed
    /// registry.reauthenticated(&session, &meta).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reauthenticated(&self, session: &Session, meta: &RequestMeta) -> Result<(), Error> {
        let current = meta.current.as_ref().ok_or(Error::NotFound)?;
        let cookies = self.sessions.reauthenticated(current).await?;
        keep_token(session, &cookies).await
    }
}

/// Stores a rotated token (the value of the session cookie the native layer would set) in the tower-sessions
/// record, which is where this browser's token lives under the adapter.
pub(crate) async fn keep_token(session: &Session, cookies: &SetCookies) -> Result<(), Error> {
    let value = cookies.session_cookie().map(|c| c.value()).unwrap_or_default();
    Ok(session.insert(TOKEN_KEY, value).await?)
}

/// In the extensions of a request whose session the adapter resolved: the tower-sessions record holding its token.
/// The server functions that rotate a token ([`crate::context::reauthenticated`], [`crate::context::password_changed`])
/// write the new one here instead of into a cookie this app never reads.
#[derive(Clone)]
pub(crate) struct Adopted(pub(crate) Session);

/// Resolves the registry row behind each axum-login session; see [`AxumLogin::layer`].
pub struct AxumLoginLayer<B> {
    sessions: Sessions,
    adoptions: Arc<Adoptions>,
    backend: PhantomData<fn() -> B>,
}

impl<B> Clone for AxumLoginLayer<B> {
    fn clone(&self) -> Self {
        Self { sessions: self.sessions.clone(), adoptions: self.adoptions.clone(), backend: PhantomData }
    }
}

impl<S, B> Layer<S> for AxumLoginLayer<B> {
    type Service = AxumLoginService<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        AxumLoginService {
            inner,
            sessions: self.sessions.clone(),
            adoptions: self.adoptions.clone(),
            backend: PhantomData,
        }
    }
}

/// The service [`AxumLoginLayer`] wraps around the app's.
pub struct AxumLoginService<S, B> {
    inner: S,
    sessions: Sessions,
    adoptions: Arc<Adoptions>,
    backend: PhantomData<fn() -> B>,
}

impl<S: Clone, B> Clone for AxumLoginService<S, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            sessions: self.sessions.clone(),
            adoptions: self.adoptions.clone(),
            backend: PhantomData,
        }
    }
}

impl<S, B> Service<Request<Body>> for AxumLoginService<S, B>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: AuthnBackend + Send + Sync + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let sessions = self.sessions.clone();
        let adoptions = self.adoptions.clone();
        Box::pin(async move {
            if sessions.config().reject_cross_site && is_cross_site(&req, sessions.config()) {
                return Ok(Refusal::cross_site(&req).into_response());
            }
            let Some(session) = req.extensions().get::<Session>().cloned() else {
                tracing::error!("no tower-sessions Session: add the AxumLoginLayer before AuthManagerLayer");
                return inner.call(req).await;
            };
            let mut token = match session.get::<String>(TOKEN_KEY).await {
                Ok(token) => token,
                Err(err) => {
                    tracing::error!(error = %err, "could not load the tower-sessions record; answering 503");
                    return Ok(Refusal::unavailable(&req).into_response());
                }
            };
            // A signed-in session without a token is from before the adapter, and the requests of one page load
            // carry it at the same time. They take turns, and each reads the record again on its turn: the first
            // adopts the session and stores the token before its turn ends, the others find that token (or find the
            // record gone, when the first signed the session out) instead of adopting it again.
            let mut turn = None;
            if token.is_none() && signed_in_user::<B>(&req).is_some() {
                if let Some(id) = session.id() {
                    turn = Some(adoptions.turn(id).await);
                }
                let reloaded = async {
                    session.load().await?;
                    session.get::<String>(TOKEN_KEY).await
                };
                token = match reloaded.await {
                    Ok(token) => token,
                    Err(err) => {
                        tracing::error!(error = %err, "could not load the tower-sessions record; answering 503");
                        return Ok(Refusal::unavailable(&req).into_response());
                    }
                };
            }
            // The device cookie minted for an adopted session that had none.
            let mut minted = None;
            if let Some(token) = token {
                drop(turn.take());
                match sessions.resolve(&token, peer_ip(&req), req.headers(), true).await {
                    Resolved::Live(live, _) => {
                        let current = CurrentSession { id: live.id, user_id: live.user_id };
                        // axum-login has the last word on who is signed in: a user it no longer loads (deleted,
                        // say) or a different user than the row's must not act through the registry.
                        let user =
                            req.extensions().get::<AuthSession<B>>().map(|auth| auth.user.as_ref().map(|u| u.id()));
                        match user {
                            Some(Some(id)) if id.to_string() != *current.user_id => {
                                tracing::warn!("axum-login user differs from the registry row; signing out");
                                if let Some(mut auth) = req.extensions_mut().remove::<AuthSession<B>>() {
                                    auth.logout().await.ok();
                                    req.extensions_mut().insert(auth);
                                }
                            }
                            Some(None) => {
                                let (parts, body) = req.into_parts();
                                sessions.sign_out(&current, &sessions.request_meta(&parts)).await.ok();
                                req = Request::from_parts(parts, body);
                                session.remove::<String>(TOKEN_KEY).await.ok();
                            }
                            _ => {
                                req.extensions_mut().insert(current);
                                req.extensions_mut().insert(Adopted(session.clone()));
                            }
                        }
                    }
                    Resolved::SignedOut | Resolved::Ended(_) => {
                        // Revoked, expired or ended elsewhere: this request and every later one are signed out.
                        if !log_out::<B>(&mut req, &session).await {
                            return Ok(Refusal::unavailable(&req).into_response());
                        }
                    }
                    Resolved::Unavailable => {
                        return Ok(Refusal::unavailable(&req).into_response());
                    }
                }
            } else if let Some(user_id) = signed_in_user::<B>(&req) {
                let (parts, body) = req.into_parts();
                let meta = sessions.request_meta(&parts);
                req = Request::from_parts(parts, body);
                // No record any more: a request of this session that had its turn first signed it out (or it was
                // logged out meanwhile), so this one is signed out too rather than served on what it loaded before.
                let adoption = match session.id() {
                    Some(_) => adopt(&sessions, &session, &user_id, &meta).await,
                    None => Adoption::Refused,
                };
                match adoption {
                    Adoption::Adopted(current, cookie) => {
                        req.extensions_mut().insert(current);
                        req.extensions_mut().insert(Adopted(session.clone()));
                        minted = cookie;
                    }
                    Adoption::Refused => {
                        if !log_out::<B>(&mut req, &session).await {
                            return Ok(Refusal::unavailable(&req).into_response());
                        }
                    }
                    Adoption::Unavailable => {
                        return Ok(Refusal::unavailable(&req).into_response());
                    }
                    Adoption::Failed => {}
                }
            }
            // The next request of this session may look at the record now: it holds the token, or it is gone.
            drop(turn);
            req.extensions_mut().insert(sessions);
            let mut res = inner.call(req).await?;
            if let Some(cookies) = minted {
                cookies.apply(&mut res);
            }
            Ok(res)
        })
    }
}

/// The id of the user axum-login loaded for this request, as [`AxumLogin::logged_in`] is given it.
fn signed_in_user<B: AuthnBackend + 'static>(req: &Request<Body>) -> Option<String> {
    Some(req.extensions().get::<AuthSession<B>>()?.user.as_ref()?.id().to_string())
}

/// Logs out the axum-login session of a request the registry signed out, deleting its tower-sessions record, so
/// the handler sees nobody signed in. `false` when the tower-sessions store failed (the caller answers 503).
async fn log_out<B: AuthnBackend + Send + Sync + 'static>(req: &mut Request<Body>, session: &Session) -> bool {
    if let Some(mut auth) = req.extensions_mut().remove::<AuthSession<B>>() {
        if let Err(err) = auth.logout().await {
            tracing::error!(error = %err, "could not log out a revoked axum-login session");
            return false;
        }
        req.extensions_mut().insert(auth);
    } else if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "could not delete a revoked tower-sessions record");
        return false;
    }
    true
}

/// How many tower-sessions ids may be adopting at once in one process; requests of further ids wait for room.
const ADOPTING_AT_ONCE: usize = 1024;

/// One adoption at a time per tower-sessions id, in this process: the turns the requests of one session take (see
/// `AxumLoginService::call`). An id has an entry only while requests hold or await its turn, and at most
/// `capacity` ids have one; beyond that, requests wait for room, so the map stays bounded under any load.
///
/// Other server instances do not see these turns. Two instances that receive first requests of one such session
/// at the same moment (within the few milliseconds an adoption takes) can each adopt it: the record keeps one
/// token and the other row is a device nobody holds, listed and counted toward the cap until it idles out or the
/// user logs it out. Sticky sessions, or one instance answering while the adapter is new, avoid it.
struct Adoptions {
    ids: std::sync::Mutex<HashMap<Id, Entry>>,
    room: Arc<tokio::sync::Semaphore>,
}

struct Entry {
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Requests holding or awaiting `turn`; the entry (and its room) goes with the last of them.
    waiting: usize,
    _room: tokio::sync::OwnedSemaphorePermit,
}

/// A request's turn to look at (and adopt) its session; the next request's turn starts when this is dropped.
struct Turn {
    // Declared first so it is released before `_counted` leaves the entry.
    _held: tokio::sync::OwnedMutexGuard<()>,
    _counted: Counted,
}

/// Counts a request in its id's entry until dropped, including when the request is dropped while still waiting.
struct Counted {
    adoptions: Arc<Adoptions>,
    id: Id,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut ids = self.adoptions.ids.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = ids.get_mut(&self.id) {
            entry.waiting -= 1;
            if entry.waiting == 0 {
                ids.remove(&self.id);
            }
        }
    }
}

impl Adoptions {
    fn new(capacity: usize) -> Self {
        Self { ids: Default::default(), room: Arc::new(tokio::sync::Semaphore::new(capacity)) }
    }

    /// Waits for the turn of tower-sessions id `id`.
    async fn turn(self: &Arc<Self>, id: Id) -> Turn {
        let mut room = None;
        let turn = loop {
            {
                let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(entry) = ids.get_mut(&id) {
                    entry.waiting += 1;
                    break entry.turn.clone();
                }
                if let Some(permit) = room.take().or_else(|| self.room.clone().try_acquire_owned().ok()) {
                    let turn = Arc::new(tokio::sync::Mutex::new(()));
                    ids.insert(id, Entry { turn: turn.clone(), waiting: 1, _room: permit });
                    break turn;
                }
            }
            room = Some(self.room.clone().acquire_owned().await.expect("the semaphore is never closed"));
        };
        drop(room);
        let counted = Counted { adoptions: self.clone(), id };
        Turn { _held: turn.lock_owned().await, _counted: counted }
    }
}

/// Registers a session axum-login had before the adapter was installed (its record holds no token) the way
/// [`AxumLogin::logged_in`] would, minus what would be untrue of it. Nobody signed in just now, so the row's method
/// is `unknown` with `{"adopted": true}` in its detail, no `login` event is written (the trail would show a sign-in
/// that did not happen then, and the new-device check and alert would fire for an old device), and no sudo window
/// opens (no password was typed). The row's `created_at` is the adoption, the earliest moment the registry knows
/// of.
///
/// A user who ended every session since the adapter was installed ("sign out everywhere else", a password change,
/// [`Sessions::end_all`]) has a [`not_before`](super::store::Registry::not_before) time: every session that
/// started after installation holds a token, so a token-less one is older than that and was ended too, unseen (it
/// had no row). It is refused, and the caller signs it out.
///
/// The caller holds this session's turn, so requests of one page load do not adopt it twice.
async fn adopt(sessions: &Sessions, session: &Session, user_id: &str, meta: &RequestMeta) -> Adoption {
    // Looked up before the insert and again after it. The wholesale endings record their time before they end the
    // rows, so one that lands between the two lookups either finds the new row and ends it, or is seen after.
    match sessions.registry().not_before(user_id).await {
        Ok(None) => {}
        Ok(Some(_)) => return Adoption::Refused,
        Err(err) => {
            tracing::error!(error = %err, "could not check an axum-login session from before the adapter; answering 503");
            return Adoption::Unavailable;
        }
    }
    let seen = sessions.observe(meta);
    let now = seen.at;
    let minted = meta.device_id.is_none();
    let device_id = meta.device_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let row = seen.row(user_id, &Auth::new("unknown").detail("adopted", true), &device_id);
    // The browser's older rows for this user are unreachable (its record holds no token): they are replaced, as at
    // a sign-in, so the cap below counts only devices the user really has.
    let replaces = super::lifecycle::replaced_by(&row, None);

    let token = Token::generate();
    let prune = Ending { at: now, reason: "pruned", by: Some("system"), event_kind: Some("revoked"), request_id: None };
    let cap = sessions.config().session_cap;
    let pruned = match sessions.registry().insert(&row, &token.digest(), None, &replaces, cap, &prune).await {
        Ok(pruned) => pruned,
        Err(err) => {
            tracing::warn!(error = %err, "could not adopt an axum-login session; it stays unlisted for now");
            return Adoption::Failed;
        }
    };
    for one in &pruned {
        sessions.emit_ended(one, Some(("system", "pruned")));
    }
    let unseen = Ending { at: now, reason: "superseded", by: None, event_kind: None, request_id: None };
    match sessions.registry().not_before(user_id).await {
        Ok(None) => {}
        found => {
            sessions.registry().end(user_id, &row.id, &unseen).await.ok();
            return match found {
                Err(err) => {
                    tracing::error!(error = %err, "could not check an axum-login session from before the adapter");
                    Adoption::Unavailable
                }
                _ => Adoption::Refused,
            };
        }
    }
    // Rows are inserted as just authenticated; this one must confirm the password before logging devices out. If
    // that or the record fails, the row ends unseen rather than stay listed, or in sudo mode, with nobody behind it.
    // The record is saved now, not after the response as tower-sessions would: the other requests of this session,
    // waiting for their turn, read it from the store and must find the token there.
    let value = token.cookie(sessions.config()).value().to_owned();
    let stored = match sessions.registry().mark_reauthenticated(&row.id, time::OffsetDateTime::UNIX_EPOCH).await {
        Ok(_) => match session.insert(TOKEN_KEY, value).await {
            Ok(()) => session.save().await.map_err(Error::from),
            Err(err) => Err(err.into()),
        },
        Err(err) => Err(err.into()),
    };
    if let Err(err) = stored {
        tracing::warn!(error = %err, "could not adopt an axum-login session; it stays unlisted for now");
        session.remove::<String>(TOKEN_KEY).await.ok();
        sessions.registry().end(user_id, &row.id, &unseen).await.ok();
        return Adoption::Failed;
    }
    sessions.locate_later(seen.raw_ip, Some(user_id), Some(&row.id), None);
    let cookie = minted.then(|| Box::new(SetCookies::device(device_cookie(sessions.config(), &device_id))));
    Adoption::Adopted(CurrentSession { id: row.id.into(), user_id: user_id.into() }, cookie)
}

/// What became of a session from before the adapter on its turn.
enum Adoption {
    /// It is a device now: the request's session and, when the browser had no device cookie, the one to send.
    Adopted(CurrentSession, Option<Box<SetCookies>>),
    /// Its user ended every session since (or it was signed out while this request waited): sign it out.
    Refused,
    /// The registry could not be read to tell: answer 503, as for a token the registry cannot look up.
    Unavailable,
    /// The registry could not be written: the request goes through unadopted, as before the adapter, and the next
    /// one tries again.
    Failed,
}
