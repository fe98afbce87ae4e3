//! The demo's sign-up, sign-in and sign-out: its own accounts, then the library's session API, used the way a
//! host site would use it.

use leptos::prelude::*;

use super::alerts::AlertView;
use leptos_sessions::error::ApiError;

/// The signed-in user's email, for the header and the home page.
#[server(endpoint = "demo/me")]
pub async fn whoami() -> Result<String, ApiError> {
    let (_, current) = leptos_sessions::context::signed_in()?;
    let user = users()?.by_id(&current.user_id).await.map_err(unavailable)?;
    user.map(|u| u.email).ok_or_else(|| leptos_sessions::context::fail(ApiError::Unauthorized))
}

/// The newest security alerts (new-device sign-ins) of the signed-in user.
#[server(endpoint = "demo/alerts")]
pub async fn security_alerts() -> Result<Vec<AlertView>, ApiError> {
    let (_, current) = leptos_sessions::context::signed_in()?;
    let alerts = use_context::<super::alerts::Alerts>().ok_or(ApiError::Unavailable)?;
    let mut alerts = alerts.recent(&current.user_id).await.map_err(unavailable)?;
    for alert in &mut alerts {
        alert.current = *alert.session_id == *current.id;
    }
    Ok(alerts)
}

#[server(endpoint = "demo/sign-up")]
pub async fn sign_up(email: String, password: String, next: Option<String>) -> Result<(), ApiError> {
    use leptos_sessions::context::fail_form;
    create_account(&email, &password, next).await.map_err(|e| fail_form::<SignUp>(e, &[("email", &email)]))
}

#[cfg(feature = "ssr")]
async fn create_account(email: &str, password: &str, next: Option<String>) -> Result<(), ApiError> {
    use leptos_sessions::context::fail;
    use leptos_sessions::engine::Auth;
    // Sign-up hashes a password and tells whether an email is taken: it is throttled per address like sign-in.
    let throttle = throttle()?;
    let ip = leptos_sessions::context::request_meta().ip;
    // Every sign-up spends its token, successful or not: each one creates an account or says an email is taken.
    let _spent = throttle.sign_up(ip).map_err(too_many)?;
    if leptos_sessions::engine::has_hidden_characters(email) {
        return Err(fail(ApiError::Invalid("error-email-hidden-characters".into())));
    }
    let email = super::users::normalize_email(email);
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(fail(ApiError::Invalid("error-email-invalid".into())));
    }
    let length = password.chars().count();
    if !(8..=1024).contains(&length) {
        return Err(fail(ApiError::Invalid("error-password-too-short".into())));
    }
    let created = match throttle.hashing_slot(ip) {
        Some(_slot) => users()?.create(&email, password).await,
        None => return Err(overloaded()),
    };
    let user = match created {
        Err(UsersError::Busy(_)) => return Err(overloaded()),
        other => other.map_err(unavailable)?,
    };
    let user = user.ok_or_else(|| fail(ApiError::Invalid("error-email-taken".into())))?;
    leptos_sessions::context::sign_in(&user.id, Auth::password().identity(&email)).await?;
    leptos_axum::redirect(&super::guard::safe_next(next.as_deref()));
    Ok(())
}

#[server(endpoint = "demo/sign-in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), ApiError> {
    use leptos_sessions::context::fail_form;
    check_and_sign_in(&email, &password, next).await.map_err(|e| fail_form::<SignIn>(e, &[("email", &email)]))
}

#[cfg(feature = "ssr")]
async fn check_and_sign_in(email: &str, password: &str, next: Option<String>) -> Result<(), ApiError> {
    use leptos_sessions::context::{fail, record_failed_attempt};
    use leptos_sessions::engine::Auth;
    let meta = leptos_sessions::context::request_meta();
    let normalized = super::users::normalize_email(email);
    let users = users()?;
    let throttle = throttle()?;
    // The browser that last signed in to this account keeps its own allowance, so strangers guessing the password
    // from many addresses slow down everyone but its owner.
    let known_browser = match leptos_sessions::context::last_login().await.and_then(|last| last.user_id) {
        Some(last_user) => users.by_email(&normalized).await.ok().flatten().is_some_and(|u| u.id == last_user),
        None => false,
    };
    let ticket = match throttle.sign_in(meta.ip, &normalized, known_browser) {
        Ok(ticket) => ticket,
        Err(limited) => {
            record_failed_attempt(email, limited.reason).await;
            return Err(too_many(limited));
        }
    };
    let slot = throttle.hashing_slot(meta.ip);
    let checked = match slot {
        Some(_) => users.authenticate(&normalized, password).await,
        None => Err(UsersError::Busy(super::hashing::Busy)),
    };
    drop(slot);
    let user = match checked {
        Err(UsersError::Busy(_)) => {
            // Nothing was checked, so nothing is spent; the refusal is still on the record.
            throttle.refund(ticket);
            record_failed_attempt(email, "overloaded").await;
            return Err(overloaded());
        }
        other => other.map_err(unavailable)?,
    };
    let Some(user) = user else {
        record_failed_attempt(email, "invalid_credentials").await;
        // One message for a wrong email and a wrong password: the form must not reveal which accounts exist.
        return Err(fail(ApiError::Invalid("error-bad-credentials".into())));
    };
    throttle.refund(ticket);
    leptos_sessions::context::sign_in(&user.id, Auth::password().identity(&user.email)).await?;
    leptos_axum::redirect(&super::guard::safe_next(next.as_deref()));
    Ok(())
}

/// Changes the signed-in user's password after checking the current one; every other session ends.
#[server(endpoint = "demo/password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), ApiError> {
    use leptos_sessions::context::fail;
    let (_, current) = leptos_sessions::context::signed_in()?;
    if !(8..=1024).contains(&new_password.chars().count()) {
        return Err(fail(ApiError::Invalid("error-password-too-short".into())));
    }
    // Compared before any hashing: the two values are both the person's own input, so this reveals nothing.
    if new_password == current_password {
        return Err(fail(ApiError::Invalid("error-password-unchanged".into())));
    }
    let user = check_own_password(&current, &current_password, "password_change_failed").await?;
    users()?.set_password(&user.id, &new_password).await.map_err(|err| match err {
        UsersError::Busy(_) => overloaded(),
        other => unavailable(other),
    })?;
    leptos_sessions::context::password_changed().await?;
    // The page says so from its URL: the form posts without JavaScript.
    leptos_axum::redirect("/settings/password?changed=1");
    Ok(())
}

/// The confirm-password step before logging out devices ("sudo mode").
#[server(endpoint = "demo/confirm")]
pub async fn confirm_password(password: String, next: Option<String>) -> Result<(), ApiError> {
    let (_, current) = leptos_sessions::context::signed_in()?;
    check_own_password(&current, &password, "reauth_failed").await?;
    leptos_sessions::context::reauthenticated().await?;
    leptos_axum::redirect(&super::guard::safe_next(next.as_deref()));
    Ok(())
}

/// A signed-in session's password check, throttled per session, account and address like a sign-in (a stolen
/// cookie must not become a guessing oracle, nor lock the owner out); every wrong or refused attempt is on the
/// account's trail with `reason`.
#[cfg(feature = "ssr")]
async fn check_own_password(
    current: &leptos_sessions::engine::CurrentSession,
    password: &str,
    reason: &str,
) -> Result<super::users::User, ApiError> {
    use leptos_sessions::context::{fail, record_failed_attempt};
    let users = users()?;
    let throttle = throttle()?;
    let ip = leptos_sessions::context::request_meta().ip;
    let email = users.by_id(&current.user_id).await.map_err(unavailable)?.map(|u| u.email).unwrap_or_default();
    let ticket = match throttle.reauth(ip, &current.user_id, &current.id) {
        Ok(ticket) => ticket,
        Err(limited) => {
            record_failed_attempt(&email, limited.reason).await;
            return Err(too_many(limited));
        }
    };
    let slot = throttle.hashing_slot(ip);
    let checked = match slot {
        Some(_) => users.check_password(&current.user_id, password).await,
        None => Err(UsersError::Busy(super::hashing::Busy)),
    };
    drop(slot);
    match checked {
        Ok(Some(user)) => {
            throttle.refund(ticket);
            Ok(user)
        }
        Ok(None) => {
            record_failed_attempt(&email, reason).await;
            Err(fail(ApiError::Invalid("error-wrong-password".into())))
        }
        Err(UsersError::Busy(_)) => {
            throttle.refund(ticket);
            record_failed_attempt(&email, "overloaded").await;
            Err(overloaded())
        }
        Err(err) => Err(unavailable(err)),
    }
}

#[server(endpoint = "demo/sign-out")]
pub async fn sign_out() -> Result<(), ApiError> {
    leptos_sessions::context::sign_out().await?;
    leptos_axum::redirect("/signin");
    Ok(())
}

/// The demo's accounts, provided to every server function by the server.
#[cfg(feature = "ssr")]
pub(super) fn users() -> Result<super::users::Users, ApiError> {
    use_context::<super::users::Users>().ok_or_else(|| leptos_sessions::context::fail(ApiError::Unavailable))
}

#[cfg(feature = "ssr")]
fn throttle() -> Result<super::limit::Throttle, ApiError> {
    use_context::<super::limit::Throttle>().ok_or_else(|| leptos_sessions::context::fail(ApiError::Unavailable))
}

#[cfg(feature = "ssr")]
use super::users::UsersError;

/// A throttled attempt: 429 with `Retry-After`.
#[cfg(feature = "ssr")]
fn too_many(limited: super::limit::Limited) -> ApiError {
    let seconds = u32::try_from(limited.retry_after.as_secs().max(1)).unwrap_or(u32::MAX);
    leptos_sessions::context::fail(ApiError::TooMany("error-rate-limited".into(), seconds))
}

/// Every password-hashing slot is taken: 429, come back in a couple of seconds.
#[cfg(feature = "ssr")]
fn overloaded() -> ApiError {
    leptos_sessions::context::fail(ApiError::TooMany("error-overloaded".into(), 2))
}

/// A failed query of the demo's own tables: logged, answered as 503.
#[cfg(feature = "ssr")]
pub(super) fn unavailable(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "demo store error");
    leptos_sessions::context::fail(ApiError::Unavailable)
}
