//! The page's end of live push: a Server-Sent Events stream at [`Config::live_path`](crate::engine::Config::live_path),
//! answered by the layer with the request's own session cookie. It carries event names and small JSON bodies, never a
//! token: `ended` (then it closes) with the reason, `devices` with the new sign-ins (id, name, place) and the ended
//! ids, `history`.

use std::time::Duration;

use axum::body::Body;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use http::{header, HeaderValue, Request, Response, StatusCode};

use super::{FollowError, LiveEvent};
use crate::engine::layer::CurrentSession;
use crate::engine::Sessions;

/// Comments sent while nothing happens, so proxies keep the stream open and a dead peer is noticed.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// What the browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(2);

/// The stream for this request: `current` is its live session, `ended` why its genuine cookie no longer is one.
pub(crate) fn respond<B>(
    sessions: &Sessions,
    req: &Request<B>,
    current: Option<CurrentSession>,
    ended: Option<String>,
) -> Response<Body> {
    // Cookies are SameSite=Lax, so another site's page gets no session here; a sibling site (another port or
    // subdomain) would, and could hold this user's streams open up to the caps.
    if matches!(req.headers().get("sec-fetch-site").map(HeaderValue::as_bytes), Some(b"cross-site" | b"same-site")) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(current) = current else {
        // Signed out: say so once, and the page loads again, where the host explains.
        let event = Event::default().event("ended").retry(RETRY).data(ended_json(ended.as_deref().unwrap_or("ended")));
        let once = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(event) });
        return finish(Sse::new(once).into_response());
    };
    let activity = req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "activity"));
    let follow = match sessions.follow_with(&current, activity) {
        Ok(follow) => follow,
        Err(FollowError::TooMany | FollowError::Closed) => {
            let mut res = StatusCode::TOO_MANY_REQUESTS.into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return res;
        }
    };
    // New sign-ins are named in the page's language.
    let i18n = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(crate::i18n::I18n::from_accept_language)
        .unwrap_or_default();
    let hello = Event::default().event("ready").retry(RETRY).data("{}");
    let events = futures::stream::unfold(Some((follow, Some(hello))), move |state| async move {
        let (mut follow, hello) = state?;
        if let Some(hello) = hello {
            return Some((Ok::<_, std::convert::Infallible>(hello), Some((follow, None))));
        }
        let event = follow.next().await?;
        let next = match &event {
            LiveEvent::Ended { .. } => None,
            _ => Some((follow, None)),
        };
        Some((Ok(to_sse(&event, i18n)), next))
    });
    finish(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)).into_response())
}

fn finish(mut res: Response<Body>) -> Response<Body> {
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx buffers responses unless told not to; a buffered stream pushes nothing.
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

fn ended_json(reason: &str) -> String {
    serde_json::json!({ "reason": reason }).to_string()
}

/// `devices` names each new sign-in ("Firefox 139 on Windows") and its place as stored ("London, United Kingdom"),
/// for a host's own script; the devices list reads its rows again, worded on the server.
fn to_sse(event: &LiveEvent, i18n: crate::i18n::I18n) -> Event {
    match event {
        LiveEvent::Ended { reason } => Event::default().event("ended").data(ended_json(reason)),
        LiveEvent::Devices { signed_in, ended } => {
            let signed_in: Vec<_> = signed_in
                .iter()
                .map(|r| {
                    let place =
                        crate::data::PlaceView::new(r.country_code.clone(), r.city.clone(), r.country_name.clone());
                    serde_json::json!({
                        "id": r.id,
                        "name": crate::ui::device_name(i18n, &crate::context::session_device(r)),
                        "place": place.map(|p| p.label),
                    })
                })
                .collect();
            Event::default()
                .event("devices")
                .data(serde_json::json!({ "signed_in": signed_in, "ended": ended }).to_string())
        }
        LiveEvent::History => Event::default().event("history").data("{}"),
    }
}
