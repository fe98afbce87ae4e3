//! The library's calls as a server function makes them: each reads the request, its session and the engine from
//! the Leptos context, so the host's sign-in code and the library's own server functions need no arguments for
//! them. Needs the [`SessionLayer`](crate::engine::SessionLayer) on the route and the engine's `Sessions` handle
//! provided as context.
//!
//! ```no_run
//! use leptos::prelude::*;
//! use leptos_sessions::{context, ApiError};
//!
//! #[server]
//! pub async fn sign_out_everywhere_else() -> Result<u64, ApiError> {
//!     let (sessions, current) = context::signed_in()?;
//!     context::respond(sessions.revoke_others(&current, &context::request_meta()).await)
//! }
//! ```

use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::engine::{Auth, CurrentSession, Event, LastLogin, PendingCookies, RequestMeta, Sessions, SetCookies};
use crate::error::ApiError;

/// The session of the request being served, if it is signed in.
pub fn current_session() -> Option<CurrentSession> {
    use_context::<Parts>()?.extensions.get::<CurrentSession>().cloned()
}

/// The engine handle the [`crate::engine::SessionLayer`] attached to this request.
pub fn sessions() -> Result<Sessions, ApiError> {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<Sessions>().cloned())
        .or_else(use_context::<Sessions>)
        .ok_or_else(|| {
            tracing::error!("no Sessions handle: is SessionLayer on the router?");
            fail(ApiError::Unavailable)
        })
}

/// The engine and the current session, or a 401.
pub fn signed_in() -> Result<(Sessions, CurrentSession), ApiError> {
    let sessions = sessions()?;
    let current = current_session().ok_or_else(|| fail(ApiError::Unauthorized))?;
    Ok((sessions, current))
}

/// What the engine records about the request being served.
pub fn request_meta() -> RequestMeta {
    match (use_context::<Parts>(), sessions()) {
        (Some(parts), Ok(sessions)) => sessions.request_meta(&parts),
        _ => RequestMeta::default(),
    }
}

/// Starts a session for `user_id` from a server function: sets the cookies on the response, records the
/// login, and ends the session this browser had before, if any.
///
/// ```no_run
/// # mod host {
/// use leptos::prelude::*;
/// use leptos_sessions::{engine::Auth, ApiError};
/// # pub struct User { pub id: String }
/// # pub async fn check_password(_: &str, _: &str) -> Result<User, ApiError> { unimplemented!() }
///
/// #[server]
/// async fn login(email: String, password: String) -> Result<(), ApiError> {
///     let user = check_password(&email, &password).await?;
///     leptos_sessions::context::sign_in(&user.id, Auth::password().identity(&email)).await?;
///     leptos_axum::redirect("/");
///     Ok(())
/// }
/// # }
/// # fn main() {}
/// ```
pub async fn sign_in(user_id: &str, auth: Auth) -> Result<(), ApiError> {
    let sessions = sessions()?;
    let signed_in = respond(sessions.sign_in(user_id, &auth, &request_meta()).await)?;
    hand_over(signed_in.cookies);
    Ok(())
}

/// Ends the current session and clears its cookie. Signed-out requests succeed without doing anything.
pub async fn sign_out() -> Result<(), ApiError> {
    let Some(current) = current_session() else { return Ok(()) };
    let clear = respond(sessions()?.sign_out(&current, &request_meta()).await)?;
    hand_over(clear);
    Ok(())
}

/// Records a failed sign-in for `identity` as typed (never the password), unless [`skip_tracking`] was
/// called during this request.
///
/// ```no_run
/// # async fn f(email: String, password_ok: bool) {
/// if !password_ok {
///     leptos_sessions::context::record_failed_attempt(&email, "invalid_credentials").await;
/// }
/// # }
/// ```
pub async fn record_failed_attempt(identity: &str, reason: &str) -> Option<Event> {
    if use_context::<SkipTracking>().is_some() {
        return None;
    }
    sessions().ok()?.record_failed_attempt(&request_meta(), identity, reason).await
}

/// Records a failed sign-in of any kind (a passkey, a one-time code, an OAuth callback), with the method,
/// provider and second factor `auth` names and the identity as typed; ignored after [`skip_tracking`].
///
/// ```no_run
/// # async fn f(email: String) {
/// use leptos_sessions::engine::Auth;
/// let auth = Auth::password().identity(&email).second_factor("totp");
/// leptos_sessions::context::record_failure(auth, "invalid_code").await;
/// # }
/// ```
pub async fn record_failure(auth: Auth, reason: &str) -> Option<Event> {
    if use_context::<SkipTracking>().is_some() {
        return None;
    }
    sessions().ok()?.record_failure(&request_meta(), &auth, reason).await
}

/// Marks this request as "not a failure, not a sign-in yet": later [`record_failed_attempt`] calls in it are
/// ignored. For hand-offs such as "password right, second factor next".
///
/// ```no_run
/// # struct User;
/// # impl User { fn has_totp(&self) -> bool { true } }
/// # fn f(user: User) -> Result<(), leptos_sessions::ApiError> {
/// if user.has_totp() {
///     leptos_sessions::context::skip_tracking();
///     leptos_axum::redirect("/signin/totp");
///     return Ok(());
/// }
/// # Ok(()) }
/// ```
pub fn skip_tracking() {
    provide_context(SkipTracking);
}

/// Records a sign-in that created no session here (an API token exchange, say).
///
/// ```no_run
/// # struct User { id: String }
/// # async fn f(user: User) {
/// use leptos_sessions::engine::Auth;
/// leptos_sessions::context::track_login(&user.id, Auth::token()).await;
/// # }
/// ```
pub async fn track_login(user_id: &str, auth: Auth) -> Option<Event> {
    sessions().ok()?.track_login(user_id, &auth, &request_meta()).await
}

/// Call after the signed-in user confirmed their password again ("sudo mode"): logging out devices is allowed
/// for the configured window.
///
/// ```no_run
/// # struct User;
/// # fn verify(_: &User, _: &str) -> bool { true }
/// # async fn f(user: User, password: String) -> Result<(), leptos_sessions::ApiError> {
/// if verify(&user, &password) { leptos_sessions::context::reauthenticated().await?; }
/// # Ok(()) }
/// ```
pub async fn reauthenticated() -> Result<(), ApiError> {
    let (sessions, current) = signed_in()?;
    let cookies = respond(sessions.reauthenticated(&current).await)?;
    deliver_token(cookies).await
}

/// Call after the signed-in user changed their password: every other session ends and this browser gets a
/// fresh session token.
///
/// ```no_run
/// # use leptos_sessions::ApiError;
/// # struct User { id: String }
/// # struct Users;
/// # impl Users { async fn set_password(&self, _: &str, _: &str) -> Result<(), ApiError> { Ok(()) } }
/// # async fn f(users: Users, user: User, new_password: String) -> Result<(), ApiError> {
/// users.set_password(&user.id, &new_password).await?;
/// leptos_sessions::context::password_changed().await?;
/// # Ok(()) }
/// ```
pub async fn password_changed() -> Result<(), ApiError> {
    let (sessions, current) = signed_in()?;
    let cookies = respond(sessions.password_changed(&current, &request_meta()).await)?;
    deliver_token(cookies).await
}

/// Records that the current session completed a second factor.
///
/// ```no_run
/// # async fn f() -> Result<(), leptos_sessions::ApiError> {
/// leptos_sessions::context::mark_second_factor("totp").await?;
/// # Ok(()) }
/// ```
pub async fn mark_second_factor(factor: &str) -> Result<bool, ApiError> {
    let (sessions, current) = signed_in()?;
    respond(sessions.mark_second_factor(&current, factor).await)
}

/// How this browser signed in last time (from its device cookie).
///
/// ```no_run
/// # async fn f() {
/// let badge: Option<String> = leptos_sessions::context::last_login().await.map(|l| l.auth_method);
/// # }
/// ```
pub async fn last_login() -> Option<LastLogin> {
    sessions().ok()?.last_login(&request_meta()).await
}

/// Converts an engine result, setting the HTTP status of the error on the response.
pub fn respond<T>(result: Result<T, crate::engine::Error>) -> Result<T, ApiError> {
    result.map_err(|e| fail(e.into()))
}

/// Sets `error`'s status on the current response and returns it.
pub fn fail(error: ApiError) -> ApiError {
    if let Some(res) = use_context::<ResponseOptions>() {
        // A plain form post (no JavaScript) is redirected back to its page with the error in the URL, where the
        // form shows it; an error status would replace that redirect with a bare JSON body.
        if !plain_form_post() {
            res.set_status(
                http::StatusCode::from_u16(error.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        if let ApiError::TooMany(_, seconds) = &error {
            res.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*seconds));
        }
    }
    error
}

/// Whether the current request is a browser's own form submission (JavaScript off, or not loaded yet): a POST that
/// accepts HTML and says where it came from. Leptos answers it with a redirect back to that page, the error in the
/// URL. (A page render is a GET: its errors keep their status, so a hidden page still answers 404.)
///
/// ```no_run
/// # fn f() {
/// if leptos_sessions::context::plain_form_post() {
///     leptos_axum::redirect("/settings?saved=1");
/// }
/// # }
/// ```
pub fn plain_form_post() -> bool {
    use_context::<Parts>().filter(|parts| parts.method == http::Method::POST).is_some_and(|parts| {
        let accepts_html = parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        accepts_html && parts.headers.contains_key(http::header::REFERER)
    })
}

/// For a [plain form post](plain_form_post): sends the browser back to its form with `error` (as Leptos does) and
/// with `keep`, so the page can show the typed values and the action again. Never put a password in `keep`. Each
/// value is dropped if it is over 254 bytes or hides characters; earlier attempts' errors and values are replaced,
/// not stacked (Leptos alone would append a second error after the first, and the page would show the first).
/// Anything else returns `error` untouched.
///
/// ```no_run
/// use leptos::prelude::*;
/// use leptos_sessions::{context::fail_form, ApiError};
///
/// #[server]
/// pub async fn sign_in(email: String, password: String) -> Result<(), ApiError> {
///     # async fn check(_: &str, _: &str) -> Result<(), ApiError> { Ok(()) }
///     check(&email, &password).await.map_err(|e| fail_form::<SignIn>(e, &[("email", &email)]))
/// }
/// ```
pub fn fail_form<S: leptos::server_fn::ServerFn>(error: ApiError, keep: &[(&str, &str)]) -> ApiError {
    use leptos::server_fn::error::ServerFnUrlError;
    if let Some(page) = form_page(keep) {
        if let Ok(back) = ServerFnUrlError::new(S::PATH, error.clone()).to_url(page.as_str()) {
            redirect_within(&back);
        }
    }
    error
}

/// For a plain form post that succeeded: back to its page with `keep` set (an empty value removes a key), so the
/// page can say what happened.
pub(crate) fn done_form(keep: &[(&str, &str)]) {
    if let Some(page) = form_page(keep) {
        redirect_within(&page);
    }
}

/// The page a plain form post came from, without earlier errors and with `keep` in place of its old values.
fn form_page(keep: &[(&str, &str)]) -> Option<url::Url> {
    let mut page = use_context::<Parts>()
        .and_then(|parts| parts.headers.get(http::header::REFERER)?.to_str().ok()?.parse::<url::Url>().ok())
        .filter(|_| plain_form_post())?;
    let replaced = |key: &str| matches!(key, "__path" | "__err") || keep.iter().any(|(k, _)| *k == key);
    let others: Vec<(String, String)> =
        page.query_pairs().filter(|(key, _)| !replaced(key)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    page.query_pairs_mut().clear().extend_pairs(others);
    for (key, value) in keep {
        let value = value.trim();
        if !value.is_empty() && value.len() <= 254 && !crate::engine::has_hidden_characters(value) {
            page.query_pairs_mut().append_pair(key, value);
        }
    }
    if page.query() == Some("") {
        page.set_query(None);
    }
    Some(page)
}

/// Path and query only: the Referer is the client's word, and a redirect must not leave the site.
fn redirect_within(url: &url::Url) {
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    if let (Some(res), Ok(location)) = (use_context::<ResponseOptions>(), http::HeaderValue::from_str(&target)) {
        res.insert_header(http::header::LOCATION, location);
    }
}

#[derive(Clone, Copy)]
struct SkipTracking;

/// The naming fields of a registry row.
pub fn session_device(r: &crate::engine::SessionRecord) -> crate::data::DeviceFields {
    crate::data::DeviceFields {
        browser_name: r.browser_name.clone(),
        browser_version: r.browser_version.clone(),
        os_name: r.os_name.clone(),
        os_version: r.os_version.clone(),
        device_type: r.device_type.clone(),
        device_model: r.device_model.clone(),
        app_name: r.app_name.clone(),
        app_version: r.app_version.clone(),
    }
}

/// A stored place as the reader should see it: in the request's language where the geolocation database names it
/// so (MaxMind has Spanish, German, French, Japanese… names), else as stored. Places are stored in one language, at
/// sign-in; `ip` is the address the place was found for, looked up again only when the languages differ and only
/// trusted when it still lands in the stored country.
///
/// ```no_run
/// let place = leptos_sessions::context::place(Some("GB".into()), Some("London".into()), None, Some("81.2.69.160"));
/// ```
pub fn place(
    country_code: Option<String>,
    city: Option<String>,
    country_name: Option<String>,
    ip: Option<&str>,
) -> Option<crate::data::PlaceView> {
    let stored = |city, country_name| crate::data::PlaceView::new(country_code.clone(), city, country_name);
    let language = crate::i18n::provide_i18n().tag();
    let geo = sessions().ok().and_then(|s| s.config().geo.clone()).filter(|geo| geo.language() != language);
    let found = geo.zip(ip.and_then(|ip| ip.parse().ok())).and_then(|(geo, ip)| geo.lookup_in(ip, language));
    match found.filter(|p| p.country_code.is_some() && p.country_code == country_code) {
        Some(p) => stored(city.map(|c| p.city.unwrap_or(c)), p.country_name.or(country_name)),
        None => stored(city, country_name),
    }
}

/// Where `ip` probably is, named in the request's language; `None` without geolocation or for private addresses.
///
/// ```no_run
/// let place = leptos_sessions::context::locate("81.2.69.160");
/// ```
pub fn locate(ip: &str) -> Option<crate::data::PlaceView> {
    let geo = sessions().ok()?.config().geo.clone()?;
    let p = geo.lookup_in(ip.parse().ok()?, crate::i18n::provide_i18n().tag())?;
    crate::data::PlaceView::new(p.country_code, p.city, p.country_name)
}

/// A trail event as the history list shows it.
pub fn event_view(e: Event) -> crate::data::EventView {
    crate::data::EventView {
        new_device: e.metadata.as_ref().and_then(|m| m.get("new_device")).and_then(|v| v.as_bool()) == Some(true),
        device: event_device(&e),
        place: place(e.country_code, e.city, e.country_name, e.ip_address.as_deref()),
        id: e.id,
        second_factor: e
            .auth_detail
            .as_ref()
            .and_then(|d| d.get("second_factor"))
            .and_then(|f| f.as_str())
            .map(str::to_owned),
        reason: e.failure_reason.or(e.revoked_reason),
        kind: e.kind,
        ip_address: e.ip_address,
        auth_method: e.auth_method,
        auth_provider: e.auth_provider,
        occurred_at: e.occurred_at.map_or(0, |t| t.unix_timestamp()),
    }
}

/// The naming fields of a trail event.
pub fn event_device(e: &Event) -> crate::data::DeviceFields {
    crate::data::DeviceFields {
        browser_name: e.browser_name.clone(),
        browser_version: e.browser_version.clone(),
        os_name: e.os_name.clone(),
        os_version: e.os_version.clone(),
        device_type: e.device_type.clone().unwrap_or_else(|| "unknown".into()),
        device_model: e.device_model.clone(),
        app_name: e.app_name.clone(),
        app_version: e.app_version.clone(),
    }
}

/// Hands a rotated session token to the browser: as a cookie, or, on a site using the axum-login adapter,
/// inside its tower-sessions record (the browser keeps that record's cookie).
async fn deliver_token(cookies: SetCookies) -> Result<(), ApiError> {
    #[cfg(feature = "axum-login")]
    if let Some(adopted) =
        use_context::<Parts>().and_then(|p| p.extensions.get::<crate::engine::axum_login::Adopted>().cloned())
    {
        return respond(crate::engine::axum_login::keep_token(&adopted.0, &cookies).await);
    }
    hand_over(cookies);
    Ok(())
}

/// Leaves the cookies for the session layer, which sets them on the response (and so knows not to refresh or
/// clear the session cookie after it).
fn hand_over(cookies: SetCookies) {
    match use_context::<Parts>().and_then(|p| p.extensions.get::<PendingCookies>().cloned()) {
        Some(pending) => pending.add(cookies),
        None => {
            tracing::error!("no SessionLayer on this route: the cookies go out without it");
            if let Some(res) = use_context::<ResponseOptions>() {
                for cookie in cookies.iter() {
                    if let Ok(value) = http::HeaderValue::from_str(&cookie.to_string()) {
                        res.append_header(http::header::SET_COOKIE, value);
                    }
                }
            }
        }
    }
}
