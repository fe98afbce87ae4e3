//! The per-request path: cookie -> live row (one indexed lookup) -> request extension, with a throttled touch.
//!
//! It never parses a user agent. A missing or ended row signs the request out; a tampered cookie does so without
//! touching the database; a store error answers 503 and keeps the cookie, because an outage is not a sign-out.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use http::{header, HeaderValue, Request, Response};
use tower::{Layer, Service};

use super::origin::is_cross_site;
use super::refusal::Refusal;
use super::store::{Ending, LiveSession};
use super::token::{self, Presented};
use super::{PendingCookies, RequestMeta, SessionCookieSet, Sessions};

/// The signed-in session of this request, placed in the request extensions by [`SessionLayer`].
///
/// Handlers take it with `Extension<CurrentSession>` (or `Option<Extension<…>>`); Leptos server functions with
/// [`crate::context::current_session`].
///
/// The two ids are shared strings: the layer hands every request the cached row's copies without allocating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentSession {
    /// The session's row id.
    pub id: Arc<str>,
    /// The signed-in account.
    pub user_id: Arc<str>,
}

/// Tower layer resolving the session cookie; build it with [`Sessions::layer`].
#[derive(Clone)]
pub struct SessionLayer {
    sessions: Sessions,
}

impl SessionLayer {
    pub(crate) fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService { inner, sessions: self.sessions.clone() }
    }
}

#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    sessions: Sessions,
}

impl<S> Service<Request<Body>> for SessionService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        // The clone that was polled ready is the one that must be called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let sessions = self.sessions.clone();
        Box::pin(async move {
            let config = sessions.config();
            if config.reject_cross_site && is_cross_site(&req, config) {
                return Ok(Refusal::cross_site(&req).into_response());
            }
            // A page's live stream is not activity: an open tab nobody uses still times out.
            let live = req.method() == http::Method::GET && config.live_path.as_deref() == Some(req.uri().path());
            let mut sign_out = false;
            let mut ended = false;
            let mut refresh = None;
            if let Some(raw) = token::session_cookie(req.headers(), config) {
                match sessions.resolve(raw, peer_ip(&req), req.headers(), !live).await {
                    Resolved::Live(live, now) => {
                        // The touch was due: give the cookie its full remaining life again.
                        if live.last_seen_at < now - config.touch_interval {
                            refresh = Some((raw.to_owned(), remaining_life(config, &live, now)));
                        }
                        req.extensions_mut().insert(CurrentSession { id: live.id, user_id: live.user_id });
                    }
                    Resolved::SignedOut => sign_out = true,
                    Resolved::Ended(reason) => {
                        (sign_out, ended) = (true, true);
                        req.extensions_mut().insert(SessionEnded { reason });
                    }
                    Resolved::Unavailable => {
                        return Ok(Refusal::unavailable(&req).into_response());
                    }
                }
            }
            if live {
                let current = req.extensions().get::<CurrentSession>().cloned();
                let reason = req.extensions().get::<SessionEnded>().map(|e| e.reason.clone());
                return Ok(super::live::respond(&sessions, &req, current, reason));
            }
            // An ended session's cookie is cleared by the next page the browser loads, not by a script's call: that
            // page can then still say why the person was signed out.
            if ended && !accepts_html(&req) {
                sign_out = false;
            }
            req.extensions_mut().insert(sessions.clone());
            let pending = PendingCookies::default();
            req.extensions_mut().insert(pending.clone());
            let mut res = inner.call(req).await?;
            if let Some(cookies) = pending.take() {
                cookies.apply(&mut res);
            }
            // A sign-in, rotation or sign-out on this very request set the session cookie: refreshing or clearing
            // it after that would undo it.
            let handler_set_it = res.extensions().get::<SessionCookieSet>().is_some();
            if sessions.config().request_client_hints && !res.headers().contains_key("accept-ch") {
                res.headers_mut().insert(
                    http::HeaderName::from_static("accept-ch"),
                    HeaderValue::from_static(super::device::ACCEPT_CH),
                );
            }
            let refresh = refresh.filter(|_| !handler_set_it && private(&res));
            if let Some((raw, remaining)) = refresh {
                let cookie = token::refreshed_cookie(sessions.config(), &raw, remaining);
                if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                    res.headers_mut().append(header::SET_COOKIE, value);
                    // Without a word on caching, a shared cache may still store a response heuristically.
                    if !res.headers().contains_key(header::CACHE_CONTROL) {
                        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
                    }
                }
            }
            if sign_out && !handler_set_it {
                if let Ok(value) = HeaderValue::from_str(&token::removal_cookie(sessions.config()).to_string()) {
                    res.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            Ok(res)
        })
    }
}

/// A browser's navigation or form post, as opposed to a script's call.
fn accepts_html<B>(req: &Request<B>) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"))
}

/// How much longer a live session may last: to its absolute limit, or the longest cookie lifetime.
fn remaining_life(config: &super::Config, live: &LiveSession, now: time::OffsetDateTime) -> std::time::Duration {
    match config.absolute_timeout {
        Some(limit) => (live.created_at + limit - now).try_into().unwrap_or_default(),
        None => config.cookie_lifetime(),
    }
}

/// In a request's extensions when its session cookie is genuine but the session has ended since: the host can tell
/// the person why they are signed out. A page load's response clears the cookie; a script's call (no `text/html` in
/// `Accept`) leaves it, so the page the script then loads can still explain.
///
/// ```
/// use leptos_sessions::engine::SessionEnded;
///
/// fn notice(req: &http::Request<axum::body::Body>) -> Option<&'static str> {
///     match req.extensions().get::<SessionEnded>()?.reason.as_str() {
///         "user_revoked" | "logout_everywhere" => Some("You were signed out from another device."),
///         _ => Some("Your session has ended. Sign in again."),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionEnded {
    /// The ending's reason, as in the trail: `user_revoked`, `logout_everywhere`, `password_change`, `expired`,
    /// `admin_revoked`, …
    pub reason: String,
}

pub(crate) enum Resolved {
    /// The live row, and the time it was judged at (one clock read serves the whole request).
    Live(LiveSession, time::OffsetDateTime),
    SignedOut,
    /// A genuine cookie of a session that has ended, and why.
    Ended(String),
    Unavailable,
}

impl Sessions {
    /// What a session cookie stands for. A cached cookie was verified when it was cached, byte for byte, so a hit
    /// skips the signature and digest; a miss verifies, looks the digest up and caches the live row.
    pub(crate) async fn resolve(
        &self,
        raw: &str,
        peer: Option<IpAddr>,
        headers: &http::HeaderMap,
        activity: bool,
    ) -> Resolved {
        let cached = self.cache().and_then(|cache| cache.get(raw));
        let live = match cached {
            Some(live) => live,
            None => {
                let Presented::Digest(digest) = token::check(raw, self.config()) else {
                    // Tampered or malformed: signed out without a database lookup.
                    return Resolved::SignedOut;
                };
                let generation = self.cache().map(|cache| cache.generation());
                match self.registry().find_live(&digest).await {
                    Ok(Some(live)) => {
                        if let (Some(cache), Some(generation)) = (self.cache(), generation) {
                            cache.put(raw, live.clone(), generation);
                        }
                        live
                    }
                    Ok(None) => {
                        // Only a genuine cookie whose session has ended gets here, until a page load clears it, so
                        // the live lookup stays the hot path's only one. Failing, this loses only the explanation.
                        return match self.registry().ended_reason(&digest).await {
                            Ok(Some(reason)) => Resolved::Ended(reason),
                            _ => Resolved::SignedOut,
                        };
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "session lookup failed; answering 503");
                        return Resolved::Unavailable;
                    }
                }
            }
        };
        let now = self.now();
        match self.expire_if_due(&live, now).await {
            Some(true) => return Resolved::Ended("expired".to_owned()),
            // Not touched either: that would renew the idle session the next request must end.
            None => return Resolved::Live(live, now),
            Some(false) => {}
        }
        if activity {
            touch(self, raw, &live, now, peer, headers).await;
        }
        Resolved::Live(live, now)
    }

    /// Ends a session past its idle or absolute limit (with its `expired` event). `Some(true)` when it ended,
    /// `Some(false)` when it is not due; `None` when the store failed, which leaves it live for this request (an
    /// outage never signs anybody out).
    pub(crate) async fn expire_if_due(&self, live: &LiveSession, now: time::OffsetDateTime) -> Option<bool> {
        let config = self.config();
        if config.idle_timeout.is_none() && config.absolute_timeout.is_none() {
            return Some(false);
        }
        let idle = config.idle_timeout.is_some_and(|t| live.last_seen_at < now - t);
        let old = config.absolute_timeout.is_some_and(|t| live.created_at < now - t);
        if !(idle || old) {
            return Some(false);
        }
        let ending =
            Ending { at: now, reason: "expired", by: Some("system"), event_kind: Some("expired"), request_id: None };
        match self.registry().end(&live.user_id, &live.id, &ending).await {
            Ok(ended) => {
                if let Some(ended) = ended {
                    self.emit_ended(&ended, None);
                }
                Some(true)
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not expire a timed-out session; letting this request through");
                None
            }
        }
    }
}

async fn touch(
    sessions: &Sessions,
    raw: &str,
    live: &LiveSession,
    now: time::OffsetDateTime,
    peer: Option<IpAddr>,
    headers: &http::HeaderMap,
) {
    let stale_before = now - sessions.config().touch_interval;
    if live.last_seen_at >= stale_before {
        return;
    }
    let config = sessions.config();
    let ip = config.client_ip.resolve(peer, headers).map(|ip| config.client_ip.store_form(ip));
    match sessions.registry().touch(&live.id, now, ip.as_deref(), stale_before).await {
        // Also when another instance wrote it first: either way the row is fresh now.
        Ok(wrote) => {
            if let Some(cache) = sessions.cache() {
                cache.touched(raw, now);
            }
            if wrote {
                // An open devices page shows this device "Active now".
                sessions.live_changed(&live.user_id, false);
            }
        }
        // Activity is informational: losing one touch must not fail the request.
        Err(err) => tracing::warn!(error = %err, "could not record session activity"),
    }
}

pub(crate) fn peer_ip<B>(req: &Request<B>) -> Option<IpAddr> {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
}

impl Sessions {
    /// The sign-in facts of a request: peer address (from `ConnectInfo`), user agent, signed device id, request
    /// id and current session.
    pub fn request_meta(&self, parts: &http::request::Parts) -> RequestMeta {
        let header = |name: header::HeaderName| parts.headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()));
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        RequestMeta {
            ip: self.config().client_ip.resolve(peer, &parts.headers),
            client: super::device::ClientHeaders::from_headers(&parts.headers),
            user_agent: header(header::USER_AGENT).map(|ua| super::device::truncate(&ua).to_owned()),
            device_id: token::read_device_id(&parts.headers, self.config()),
            request_id: header(header::HeaderName::from_static("x-request-id"))
                .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
                .map(|id| id.into_owned()),
            current: parts.extensions.get::<CurrentSession>().cloned(),
        }
    }
}

/// Whether a response may carry the session cookie: not one a shared cache could store and hand to someone else
/// (a static asset marked `public` or with a lifetime). Such a request only skips one refresh.
fn private(res: &Response<Body>) -> bool {
    res.headers().get_all(header::CACHE_CONTROL).iter().all(|v| {
        let v = v.to_str().unwrap_or_default().to_ascii_lowercase();
        v.contains("private") || v.contains("no-store") || !(v.contains("public") || v.contains("max-age"))
    })
}
