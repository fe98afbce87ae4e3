//! Server functions behind the devices section and the login history. Each answers for the signed-in user only.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::context;
use crate::data::{DevicesView, HistoryView, SessionDetailView};
use crate::error::ApiError;

/// Events per history page.
pub const HISTORY_PAGE: u32 = 20;

/// The signed-in user's live sessions, this device first.
#[server(endpoint = "sessions/devices")]
pub async fn list_devices() -> Result<DevicesView, ApiError> {
    let (sessions, current) = context::signed_in()?;
    let rows = context::respond(sessions.devices(&current).await)?;
    let touch_interval_secs = i64::try_from(sessions.config().touch_interval.as_secs()).unwrap_or(i64::MAX);
    let now = time::OffsetDateTime::now_utc();
    let devices = rows.into_iter().map(|r| device_view(r, &current.id, now)).collect();
    Ok(DevicesView { now: now.unix_timestamp(), touch_interval_secs, devices })
}

/// One live session of the signed-in user, with its own events: 404 for anything else (another user's, an ended
/// one, a malformed id), like logging it out.
#[server(endpoint = "sessions/session")]
pub async fn session_detail(
    /// The session's row id, as in [`DeviceView::id`](crate::data::DeviceView::id).
    id: String,
) -> Result<SessionDetailView, ApiError> {
    let (sessions, current) = context::signed_in()?;
    let id = id.trim();
    let rows = context::respond(sessions.devices(&current).await)?;
    let row = rows.into_iter().find(|r| *r.id == *id).ok_or_else(|| context::fail(ApiError::NotFound))?;
    let events = context::respond(sessions.session_events(&current.user_id, id, 50).await)?;
    let touch_interval_secs = i64::try_from(sessions.config().touch_interval.as_secs()).unwrap_or(i64::MAX);
    let now = time::OffsetDateTime::now_utc();
    let first_ip = row.ip_address.clone();
    let first_place =
        context::place(row.country_code.clone(), row.city.clone(), row.country_name.clone(), first_ip.as_deref());
    let mut device = device_view(row, &current.id, now);
    // The list shows where it signed in; here "last seen" says where it is now, looked up for that address.
    device.place = match (&device.ip_address, &first_ip) {
        (Some(last), Some(first)) if last != first => context::locate(last),
        _ => first_place.clone(),
    };
    Ok(SessionDetailView {
        device,
        first_ip,
        first_place,
        now: now.unix_timestamp(),
        touch_interval_secs,
        events: events.into_iter().map(context::event_view).collect(),
    })
}

#[cfg(feature = "ssr")]
fn device_view(r: crate::engine::SessionRecord, current: &str, now: time::OffsetDateTime) -> crate::data::DeviceView {
    crate::data::DeviceView {
        current: *r.id == *current,
        device: context::session_device(&r),
        place: context::place(r.country_code, r.city, r.country_name, r.ip_address.as_deref()),
        id: r.id,
        ip_address: r.last_seen_ip.or(r.ip_address),
        auth_method: r.auth_method,
        auth_provider: r.auth_provider,
        created_at: r.created_at.unwrap_or(now).unix_timestamp(),
        last_seen_at: r.last_seen_at.unwrap_or(now).unix_timestamp(),
    }
}

/// Logs out one of the user's other devices; its next request is signed out.
#[server(endpoint = "sessions/revoke")]
pub async fn revoke_device(
    /// The session's row id, as in [`DeviceView::id`](crate::data::DeviceView::id).
    id: String,
) -> Result<(), ApiError> {
    // Without JavaScript the page comes back with the outcome in its URL; a refusal keeps the device's id there, so
    // the page can offer the same logout again once the password is confirmed.
    let id = id.trim();
    let (sessions, current) = context::signed_in()?;
    context::respond(sessions.revoke(&current, id, &context::request_meta()).await)
        .map_err(|e| context::fail_form::<RevokeDevice>(e, &[("revoke", id), ("done", "")]))?;
    context::done_form(&[("revoke", ""), ("done", "device")]);
    Ok(())
}

/// Logs out every device of the user except this one; returns how many.
#[server(endpoint = "sessions/revoke-others")]
pub async fn revoke_other_devices() -> Result<u64, ApiError> {
    let (sessions, current) = context::signed_in()?;
    let count = context::respond(sessions.revoke_others(&current, &context::request_meta()).await)
        .map_err(|e| context::fail_form::<RevokeOtherDevices>(e, &[("revoke", "others"), ("done", "")]))?;
    context::done_form(&[("revoke", ""), ("done", "others")]);
    Ok(count)
}

/// A page of the signed-in user's login trail (zero-based), newest first; `limit` caps it below a full page.
#[server(endpoint = "sessions/history")]
pub async fn login_history(
    /// Zero-based page number (capped at 10,000).
    page: u32,
    /// The page size, clamped to 1 through [`HISTORY_PAGE`]; `None` is a full page.
    limit: Option<u32>,
) -> Result<HistoryView, ApiError> {
    let (sessions, current) = context::signed_in()?;
    let size = limit.unwrap_or(HISTORY_PAGE).clamp(1, HISTORY_PAGE);
    let page = page.min(10_000);
    // One extra row tells whether an older page exists.
    let mut events = context::respond(sessions.history(&current.user_id, size + 1, page * size).await)?;
    let has_more = events.len() > size as usize;
    events.truncate(size as usize);
    let events = events.into_iter().map(context::event_view).collect();
    Ok(HistoryView { events, page, has_more })
}

/// The sign-in method this browser used last time (for a "Last used" badge). Works signed out and never sets a
/// cookie; `None` for a browser that has not signed in before.
#[server(endpoint = "sessions/last-used")]
pub async fn last_used_method() -> Result<Option<String>, ApiError> {
    let sessions = context::sessions()?;
    Ok(sessions.last_login(&context::request_meta()).await.map(|l| l.auth_method))
}
