//! Server functions behind the devices section. Each answers for the signed-in user only.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::view::DevicesView;

/// The signed-in user's live sessions, this device first.
#[server(endpoint = "sessions/devices")]
pub async fn list_devices() -> Result<DevicesView, ApiError> {
    use crate::view::DeviceView;
    let (sessions, current) = server::signed_in()?;
    let rows = server::respond(sessions.devices(&current).await)?;
    let devices = rows
        .into_iter()
        .map(|r| DeviceView {
            current: r.id == current.id,
            id: r.id,
            browser_name: r.browser_name,
            browser_version: r.browser_version,
            os_name: r.os_name,
            os_version: r.os_version,
            device_type: r.device_type,
            ip_address: r.last_seen_ip.or(r.ip_address),
            created_at: r.created_at.unix_timestamp(),
            last_seen_at: r.last_seen_at.unix_timestamp(),
        })
        .collect();
    Ok(DevicesView {
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
        devices,
    })
}

/// Logs out one of the user's other devices; its next request is signed out.
#[server(endpoint = "sessions/revoke")]
pub async fn revoke_device(id: String) -> Result<(), ApiError> {
    let (sessions, current) = server::signed_in()?;
    server::respond(sessions.revoke(&current, id.trim()).await)
}

/// Logs out every device of the user except this one; returns how many.
#[server(endpoint = "sessions/revoke-others")]
pub async fn revoke_other_devices() -> Result<u64, ApiError> {
    let (sessions, current) = server::signed_in()?;
    server::respond(sessions.revoke_others(&current).await)
}

/// Helpers for server functions, the host's included.
#[cfg(feature = "ssr")]
pub mod server {
    use http::request::Parts;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::engine::{CurrentSession, RequestMeta, Sessions};
    use crate::error::ApiError;

    /// The session of the request being served, if it is signed in.
    pub fn current_session() -> Option<CurrentSession> {
        use_context::<Parts>()?
            .extensions
            .get::<CurrentSession>()
            .cloned()
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

    /// Starts a session for `user_id` from a server function: sets the new cookie on the response and ends the
    /// session this browser had before, if any.
    ///
    /// ```ignore
    /// #[server]
    /// async fn login(email: String, password: String) -> Result<(), ApiError> {
    ///     let user = check_password(&email, &password).await?;
    ///     leptos_sessions::server::sign_in(&user.id).await?;
    ///     leptos_axum::redirect("/");
    ///     Ok(())
    /// }
    /// ```
    pub async fn sign_in(user_id: &str) -> Result<(), ApiError> {
        let sessions = sessions()?;
        let meta = use_context::<Parts>()
            .map(|p| RequestMeta::from_parts(&p))
            .unwrap_or_default();
        let signed_in = respond(
            sessions
                .sign_in(user_id, &meta, current_session().as_ref())
                .await,
        )?;
        set_cookie(&signed_in.set_cookie);
        Ok(())
    }

    /// Ends the current session and clears its cookie. Signed-out requests succeed without doing anything.
    pub async fn sign_out() -> Result<(), ApiError> {
        let Some(current) = current_session() else {
            return Ok(());
        };
        let clear = respond(sessions()?.sign_out(&current).await)?;
        set_cookie(&clear);
        Ok(())
    }

    /// Converts an engine result, setting the HTTP status of the error on the response.
    pub fn respond<T>(result: Result<T, crate::engine::Error>) -> Result<T, ApiError> {
        result.map_err(|e| fail(e.into()))
    }

    /// Sets `error`'s status on the current response and returns it.
    pub fn fail(error: ApiError) -> ApiError {
        if let Some(res) = use_context::<ResponseOptions>() {
            res.set_status(
                http::StatusCode::from_u16(error.status())
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        error
    }

    fn set_cookie(value: &str) {
        if let (Some(res), Ok(value)) = (
            use_context::<ResponseOptions>(),
            http::HeaderValue::from_str(value),
        ) {
            res.append_header(http::header::SET_COOKIE, value);
        }
    }
}
