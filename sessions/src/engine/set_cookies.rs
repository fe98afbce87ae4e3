//! The cookie changes a sign-in, a re-authentication or a sign-out hands back, as typed values: the layer applies
//! them, and nothing downstream parses `Set-Cookie` text.

use std::sync::{Arc, Mutex};

use axum::response::{IntoResponseParts, ResponseParts};
use cookie::Cookie;
use http::{header, HeaderValue};

/// The cookies a response must set: the session cookie (new, rotated, or removed at sign-out) and, on a browser's
/// first sign-in, its device cookie.
///
/// In a server function the [`crate::context`] helpers hand them to the session layer, which sets them on the
/// response. An axum handler returns them as part of its response, which also tells the layer not to refresh or
/// clear the session cookie it sets. `Debug` shows cookie names only: the values are secrets.
///
/// ```no_run
/// # async fn f(sessions: leptos_sessions::engine::Sessions, parts: http::request::Parts) -> Result<impl axum::response::IntoResponse, leptos_sessions::engine::Error> {
/// use leptos_sessions::engine::Auth;
/// let signed_in = sessions.sign_in("user-42", &Auth::password(), &sessions.request_meta(&parts)).await?;
/// Ok((signed_in.cookies, axum::response::Redirect::to("/")))
/// # }
/// ```
#[derive(Clone, Default)]
#[must_use = "the browser keeps its old cookies unless the response sets these"]
pub struct SetCookies {
    session: Option<Cookie<'static>>,
    device: Option<Cookie<'static>>,
}

impl std::fmt::Debug for SetCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.iter().map(|c| c.name()).collect();
        f.debug_tuple("SetCookies").field(&names).finish()
    }
}

impl SetCookies {
    pub(crate) fn session(cookie: Cookie<'static>) -> Self {
        Self { session: Some(cookie), device: None }
    }

    #[cfg(feature = "axum-login")]
    pub(crate) fn device(cookie: Cookie<'static>) -> Self {
        Self { session: None, device: Some(cookie) }
    }

    pub(crate) fn with_device(mut self, cookie: Option<Cookie<'static>>) -> Self {
        self.device = cookie;
        self
    }

    /// Moves the session cookie out (the axum-login adapter keeps the token in its own record instead).
    #[cfg(feature = "axum-login")]
    pub(crate) fn take_session(&mut self) -> Option<Cookie<'static>> {
        self.session.take()
    }

    /// The session cookie to set: a new or rotated signed token, or an empty value with `Max-Age=0` at sign-out.
    pub fn session_cookie(&self) -> Option<&Cookie<'static>> {
        self.session.as_ref()
    }

    /// The device cookie, set the first time a browser signs in.
    pub fn device_cookie(&self) -> Option<&Cookie<'static>> {
        self.device.as_ref()
    }

    /// Every cookie to set, the session cookie first.
    pub fn iter(&self) -> impl Iterator<Item = &Cookie<'static>> {
        self.session.iter().chain(&self.device)
    }

    /// Sets them on a response, for code that builds `http::Response`s itself.
    pub fn apply<B>(&self, res: &mut http::Response<B>) {
        for value in self.header_values() {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
        if self.session.is_some() {
            res.extensions_mut().insert(SessionCookieSet);
        }
    }

    fn header_values(&self) -> impl Iterator<Item = HeaderValue> + '_ {
        self.iter().filter_map(|cookie| HeaderValue::from_str(&cookie.to_string()).ok())
    }

    /// Later changes win: a second session cookie replaces the first; a device cookie, once given, stays.
    fn merge(&mut self, later: SetCookies) {
        if later.session.is_some() {
            self.session = later.session;
        }
        if later.device.is_some() {
            self.device = later.device;
        }
    }
}

impl IntoResponseParts for SetCookies {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        for value in self.header_values() {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
        if self.session.is_some() {
            res.extensions_mut().insert(SessionCookieSet);
        }
        Ok(res)
    }
}

/// In a response's extensions when it sets the session cookie, so the layer neither refreshes nor clears it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionCookieSet;

/// In a request's extensions, from the layer: where the server-function helpers leave the cookies for the layer
/// to set on the response (Leptos hands server functions the request's parts, not the response).
#[derive(Clone, Default)]
pub(crate) struct PendingCookies(Arc<Mutex<Option<SetCookies>>>);

impl PendingCookies {
    pub(crate) fn add(&self, cookies: SetCookies) {
        let mut slot = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_mut() {
            Some(pending) => pending.merge(cookies),
            None => *slot = Some(cookies),
        }
    }

    pub(crate) fn take(&self) -> Option<SetCookies> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}
