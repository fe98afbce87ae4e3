//! The demo's sign-up, sign-in and sign-out: its own accounts, then the library's session API, used the way a
//! host site would use it.

use leptos::prelude::*;

use super::alerts::AlertView;
use crate::error::ApiError;

/// The signed-in user's email, for the header and the home page.
#[server(endpoint = "demo/me")]
pub async fn whoami() -> Result<String, ApiError> {
    let (_, current) = crate::server::signed_in()?;
    let user = users()?.by_id(&current.user_id).await.map_err(unavailable)?;
    user.map(|u| u.email).ok_or_else(|| crate::server::fail(ApiError::Unauthorized))
}

/// The newest security alerts (new-device sign-ins) of the signed-in user.
#[server(endpoint = "demo/alerts")]
pub async fn security_alerts() -> Result<Vec<AlertView>, ApiError> {
    let (_, current) = crate::server::signed_in()?;
    let alerts = use_context::<super::alerts::Alerts>().ok_or(ApiError::Unavailable)?;
    alerts.recent(&current.user_id).await.map_err(unavailable)
}

#[server(endpoint = "demo/sign-up")]
pub async fn sign_up(email: String, password: String, next: Option<String>) -> Result<(), ApiError> {
    use crate::engine::Auth;
    use crate::server::fail;
    let email = super::users::normalize_email(&email);
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(fail(ApiError::Invalid("email-invalid".into())));
    }
    let length = password.chars().count();
    if !(8..=1024).contains(&length) {
        return Err(fail(ApiError::Invalid("password-too-short".into())));
    }
    let user = users()?.create(&email, &password).await.map_err(unavailable)?;
    let user = user.ok_or_else(|| fail(ApiError::Invalid("email-taken".into())))?;
    crate::server::sign_in(&user.id, Auth::password().identity(&email)).await?;
    leptos_axum::redirect(&super::guard::safe_next(next.as_deref()));
    Ok(())
}

#[server(endpoint = "demo/sign-in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), ApiError> {
    use crate::engine::Auth;
    use crate::server::{fail, record_failed_attempt};
    if !limiter()?.allow(&crate::server::request_meta(), &email) {
        record_failed_attempt(&email, "rate_limited").await;
        return Err(fail(ApiError::Invalid("rate-limited".into())));
    }
    let normalized = super::users::normalize_email(&email);
    let user = users()?.authenticate(&normalized, &password).await.map_err(unavailable)?;
    let Some(user) = user else {
        record_failed_attempt(&email, "invalid_credentials").await;
        // One message for a wrong email and a wrong password: the form must not reveal which accounts exist.
        return Err(fail(ApiError::Invalid("bad-credentials".into())));
    };
    crate::server::sign_in(&user.id, Auth::password().identity(&email)).await?;
    leptos_axum::redirect(&super::guard::safe_next(next.as_deref()));
    Ok(())
}

/// Changes the signed-in user's password after checking the current one; every other session ends.
#[server(endpoint = "demo/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), ApiError> {
    use crate::server::fail;
    let (_, current) = crate::server::signed_in()?;
    let users = users()?;
    let Some(user) = users.check_password(&current.user_id, &current_password).await.map_err(unavailable)? else {
        return Err(fail(ApiError::Invalid("wrong-password".into())));
    };
    if !(8..=1024).contains(&new_password.chars().count()) {
        return Err(fail(ApiError::Invalid("password-too-short".into())));
    }
    users.set_password(&user.id, &new_password).await.map_err(unavailable)?;
    crate::server::password_changed().await
}

/// The confirm-password step before logging out devices ("sudo mode").
#[server(endpoint = "demo/confirm")]
pub async fn confirm_password(password: String, next: Option<String>) -> Result<(), ApiError> {
    use crate::server::{fail, record_failed_attempt};
    let (_, current) = crate::server::signed_in()?;
    let users = users()?;
    match users.check_password(&current.user_id, &password).await.map_err(unavailable)? {
        Some(_) => {
            crate::server::reauthenticated().await?;
            leptos_axum::redirect(&super::guard::safe_next(next.as_deref()));
            Ok(())
        }
        None => {
            if let Ok(Some(user)) = users.by_id(&current.user_id).await {
                record_failed_attempt(&user.email, "reauth_failed").await;
            }
            Err(fail(ApiError::Invalid("wrong-password".into())))
        }
    }
}

#[server(endpoint = "demo/sign-out")]
pub async fn sign_out() -> Result<(), ApiError> {
    crate::server::sign_out().await?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// The demo's accounts, provided to every server function by the server.
#[cfg(feature = "ssr")]
pub(super) fn users() -> Result<super::users::Users, ApiError> {
    use_context::<super::users::Users>().ok_or_else(|| crate::server::fail(ApiError::Unavailable))
}

#[cfg(feature = "ssr")]
fn limiter() -> Result<super::limit::SignInLimiter, ApiError> {
    use_context::<super::limit::SignInLimiter>().ok_or_else(|| crate::server::fail(ApiError::Unavailable))
}

/// A failed query of the demo's own tables: logged, answered as 503.
#[cfg(feature = "ssr")]
pub(super) fn unavailable(err: sqlx::Error) -> ApiError {
    tracing::error!(error = %err, "demo store error");
    crate::server::fail(ApiError::Unavailable)
}
