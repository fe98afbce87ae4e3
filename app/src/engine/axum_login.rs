//! Devices and the login trail for apps already on axum-login + tower-sessions (feature `axum-login`).
//!
//! The app keeps its tower-sessions store and its axum-login backend; nothing is migrated. Each login adds a row to
//! this crate's registry, and the row's token lives inside the tower-sessions record (never in a cookie of ours).
//! On every request [`AxumLoginLayer`] looks that token up: a live row becomes the request's [`CurrentSession`]
//! (so the devices components, the server functions and every `Sessions` call work as on a native site); a row
//! that was revoked logs the axum-login session out (deleting its tower-sessions record) before the handler runs,
//! so a revoked device is signed out on its very next request. Sessions that started before the adapter was
//! installed carry no token and are left alone until their next login.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum_login::{AuthSession, AuthUser, AuthnBackend};
use http::{Request, Response, StatusCode};
use tower::{Layer, Service};
use tower_sessions::Session;

use super::layer::{is_cross_site, peer_ip, refuse, Resolved};
use super::{Auth, CurrentSession, Error, RequestMeta, Sessions, SignedIn};

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
/// // Send signed_in.set_cookies (the device cookie) with the response.
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AxumLogin {
    sessions: Sessions,
}

impl AxumLogin {
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }

    /// The per-request layer; add it *before* axum-login's `AuthManagerLayer` (so it runs inside it, after the
    /// user is loaded) and give it the same backend type.
    pub fn layer<B>(&self) -> AxumLoginLayer<B> {
        AxumLoginLayer { sessions: self.sessions.clone(), backend: PhantomData }
    }

    /// After `auth_session.login(&user)` succeeded: registers the login as a device, writes the login event,
    /// and ends the row this browser had before. `user_id` is `user.id().to_string()`; `meta` is
    /// [`Sessions::request_meta`] of the request, built only by the handlers that need it, never per request.
    ///
    /// The returned `set_cookies` hold only the long-lived device cookie (one browser stays one device across
    /// sign-ins); tower-sessions keeps its own session cookie.
    pub async fn logged_in(
        &self,
        session: &Session,
        user_id: &str,
        auth: &Auth,
        meta: &RequestMeta,
    ) -> Result<SignedIn, Error> {
        let mut signed_in = self.sessions.sign_in(user_id, auth, meta).await?;
        let token = super::token::set_cookie_value(&signed_in.set_cookies.remove(0)).to_owned();
        if let Err(err) = session.insert(TOKEN_KEY, token).await {
            // The row could never be reached: end it rather than leave a device nobody can see through.
            let current = CurrentSession { id: signed_in.session_id.clone(), user_id: user_id.to_owned() };
            self.sessions.sign_out(&current, meta).await.ok();
            return Err(err.into());
        }
        Ok(signed_in)
    }

    /// Before `auth_session.logout()`: ends this device's row with its logout event.
    pub async fn logged_out(&self, session: &Session, meta: &RequestMeta) -> Result<(), Error> {
        if let Some(current) = &meta.current {
            self.sessions.sign_out(current, meta).await?;
        }
        session.remove::<String>(TOKEN_KEY).await.ok();
        Ok(())
    }

    /// After the signed-in user changed their password: every other device is logged out (their next request
    /// finds the row ended and logs the axum-login session out) and this one gets a fresh token.
    pub async fn password_changed(&self, session: &Session, meta: &RequestMeta) -> Result<(), Error> {
        let current = meta.current.as_ref().ok_or(Error::NotFound)?;
        let set_cookie = self.sessions.password_changed(current, meta).await?;
        keep_token(session, &set_cookie).await
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
        let set_cookie = self.sessions.reauthenticated(current).await?;
        keep_token(session, &set_cookie).await
    }
}

/// Stores a rotated token (given as the `Set-Cookie` value the native layer would send) in the tower-sessions
/// record, which is where this browser's token lives under the adapter.
pub(crate) async fn keep_token(session: &Session, set_cookie: &str) -> Result<(), Error> {
    Ok(session.insert(TOKEN_KEY, super::token::set_cookie_value(set_cookie)).await?)
}

/// In the extensions of a request whose session the adapter resolved: the tower-sessions record holding its token.
/// The server functions that rotate a token ([`crate::server::reauthenticated`], [`crate::server::password_changed`])
/// write the new one here instead of into a cookie this app never reads.
#[derive(Clone)]
pub(crate) struct Adopted(pub(crate) Session);

/// Resolves the registry row behind each axum-login session; see [`AxumLogin::layer`].
pub struct AxumLoginLayer<B> {
    sessions: Sessions,
    backend: PhantomData<fn() -> B>,
}

impl<B> Clone for AxumLoginLayer<B> {
    fn clone(&self) -> Self {
        Self { sessions: self.sessions.clone(), backend: PhantomData }
    }
}

impl<S, B> Layer<S> for AxumLoginLayer<B> {
    type Service = AxumLoginService<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        AxumLoginService { inner, sessions: self.sessions.clone(), backend: PhantomData }
    }
}

pub struct AxumLoginService<S, B> {
    inner: S,
    sessions: Sessions,
    backend: PhantomData<fn() -> B>,
}

impl<S: Clone, B> Clone for AxumLoginService<S, B> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), sessions: self.sessions.clone(), backend: PhantomData }
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
        Box::pin(async move {
            if sessions.config().reject_cross_site && is_cross_site(&req) {
                return Ok(refuse(&req, StatusCode::FORBIDDEN, "error-cross-site"));
            }
            let Some(session) = req.extensions().get::<Session>().cloned() else {
                tracing::error!("no tower-sessions Session: add the AxumLoginLayer before AuthManagerLayer");
                return inner.call(req).await;
            };
            let token = match session.get::<String>(TOKEN_KEY).await {
                Ok(token) => token,
                Err(err) => {
                    tracing::error!(error = %err, "could not load the tower-sessions record; answering 503");
                    return Ok(refuse(&req, StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"));
                }
            };
            if let Some(token) = token {
                match sessions.resolve(&token, peer_ip(&req), req.headers()).await {
                    Resolved::Live(live) => {
                        let current = CurrentSession { id: live.id, user_id: live.user_id };
                        // axum-login has the last word on who is signed in: a user it no longer loads (deleted,
                        // say) or a different user than the row's must not act through the registry.
                        let user =
                            req.extensions().get::<AuthSession<B>>().map(|auth| auth.user.as_ref().map(|u| u.id()));
                        match user {
                            Some(Some(id)) if id.to_string() != current.user_id => {
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
                    Resolved::SignedOut => {
                        // Revoked, expired or ended elsewhere: this request and every later one are signed out.
                        if let Some(mut auth) = req.extensions_mut().remove::<AuthSession<B>>() {
                            if let Err(err) = auth.logout().await {
                                tracing::error!(error = %err, "could not log out a revoked axum-login session");
                                return Ok(refuse(&req, StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"));
                            }
                            req.extensions_mut().insert(auth);
                        } else if let Err(err) = session.flush().await {
                            tracing::error!(error = %err, "could not delete a revoked tower-sessions record");
                            return Ok(refuse(&req, StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"));
                        }
                    }
                    Resolved::Unavailable => {
                        return Ok(refuse(&req, StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"));
                    }
                }
            }
            req.extensions_mut().insert(sessions);
            inner.call(req).await
        })
    }
}
