//! The admin page's server functions. Each one answers 404 to anyone but a signed-in administrator, signed-out
//! visitors included, so the page's existence is not revealed; the queries are the engine's triage queries, the
//! same ones the CLI runs.
// The sessions filter arrives as flat form fields (one per filter, as the page's GET form sends them); the
// generated browser-side stub repeats the signature, so the lint has to be allowed for the whole module.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::view::{AdminSessionView, CountryView, FailureView, HourView, ListPage, NewDeviceView, UserHistoryView};
use leptos_sessions::error::ApiError;

/// Whether the signed-in user may see the admin page (every other answer is a 404).
#[server(endpoint = "demo/admin/access")]
pub async fn admin_access() -> Result<(), ApiError> {
    gate::admin().await.map(|_| ())
}

/// Whether to show the signed-in user a link to the admin page. Unlike the others it answers everyone, without a
/// 404, and says nothing about anyone else.
#[server(endpoint = "demo/admin/link")]
pub async fn admin_link() -> Result<bool, ApiError> {
    let Some(current) = leptos_sessions::context::current_session() else { return Ok(false) };
    Ok(gate::users()?.is_admin(&current.user_id).await.unwrap_or(false))
}

/// Sign-ins and failed sign-ins per hour over the last 7 days, every hour present, oldest first.
#[server(endpoint = "demo/admin/per-hour")]
pub async fn admin_per_hour() -> Result<Vec<HourView>, ApiError> {
    let admin = gate::admin().await?;
    let now = admin.sessions.now();
    let since = now - std::time::Duration::from_secs(7 * 24 * 3600 - 3600);
    let hours = leptos_sessions::context::respond(admin.sessions.per_hour(since).await)?;
    Ok(hours
        .into_iter()
        .map(|h| HourView { hour: h.hour.unix_timestamp(), logins: h.logins, failures: h.failures })
        .collect())
}

/// Registry rows of every user, filtered, sorted and paged (1-based `page`).
#[server(endpoint = "demo/admin/sessions")]
pub async fn admin_sessions(
    email: Option<String>,
    ip: Option<String>,
    country: Option<String>,
    method: Option<String>,
    device: Option<String>,
    state: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<u32>,
) -> Result<ListPage<AdminSessionView>, ApiError> {
    use leptos_sessions::engine::{SessionFilter, SessionSort, SessionState};
    let admin = gate::admin().await?;
    let now = admin.sessions.now();
    let recent = now - std::time::Duration::from_secs(3600);
    let mut filter = SessionFilter {
        ip: gate::ip(&admin.sessions, ip)?,
        country_code: gate::country(country)?,
        auth_method: gate::word(method),
        device_type: gate::word(device),
        state: match state.as_deref().map(str::trim) {
            None | Some("") | Some("live") => SessionState::Live,
            Some("active") => SessionState::ActiveSince(recent),
            Some("idle") => SessionState::IdleSince(recent),
            Some("ended") => SessionState::Ended,
            Some(_) => return Err(gate::invalid("error-admin-state")),
        },
        ..SessionFilter::default()
    };
    if let Some(email) = email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        match admin.users.by_email(email).await.map_err(gate::unavailable)? {
            Some(user) => filter.user_id = Some(user.id),
            None => return Ok(ListPage { rows: Vec::new(), has_more: false, now: now.unix_timestamp() }),
        }
    }
    let sort = match sort.as_deref() {
        Some("signed_in") => SessionSort::SignedIn,
        _ => SessionSort::LastSeen,
    };
    let page = gate::page(sort, dir, page);
    let mut rows = gate::store(admin.sessions.triage().find_sessions(&filter, &page).await)?;
    let has_more = gate::trim(&mut rows);
    let emails = gate::emails(&admin.users, rows.iter().map(|r| r.user_id.clone())).await?;
    let rows = rows
        .into_iter()
        .map(|r| AdminSessionView {
            email: emails.get(&r.user_id).cloned(),
            device: leptos_sessions::context::session_device(&r),
            place: leptos_sessions::context::place(
                r.country_code.clone(),
                r.city.clone(),
                r.country_name.clone(),
                r.ip_address.as_deref(),
            ),
            ip_address: r.last_seen_ip.clone().or(r.ip_address.clone()),
            created_at: r.created_at.map_or(0, |t| t.unix_timestamp()),
            last_seen_at: r.last_seen_at.map_or(0, |t| t.unix_timestamp()),
            ended_at: r.ended_at.map(|t| t.unix_timestamp()),
            ended_reason: r.ended_reason,
            auth_method: r.auth_method,
            auth_provider: r.auth_provider,
            user_id: r.user_id,
            id: r.id,
        })
        .collect();
    Ok(ListPage { rows, has_more, now: now.unix_timestamp() })
}

/// Failed sign-ins of the last 24 hours grouped by address (`by` = `ip`) or by typed identity.
#[server(endpoint = "demo/admin/failures")]
pub async fn admin_failures(
    by: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<u32>,
) -> Result<ListPage<FailureView>, ApiError> {
    use leptos_sessions::engine::{FailureKey, FailureSort};
    let admin = gate::admin().await?;
    let now = admin.sessions.now();
    let key = match by.as_deref() {
        Some("identity") => FailureKey::Identity,
        _ => FailureKey::Ip,
    };
    let sort = match sort.as_deref() {
        Some("distinct") => FailureSort::Distinct,
        Some("first") => FailureSort::FirstSeen,
        Some("last") => FailureSort::LastSeen,
        Some("key") => FailureSort::Key,
        _ => FailureSort::Attempts,
    };
    let since = now - std::time::Duration::from_secs(24 * 3600);
    let mut rows = gate::store(admin.sessions.triage().failures_by(key, since, &gate::page(sort, dir, page)).await)?;
    let has_more = gate::trim(&mut rows);
    let rows = rows
        .into_iter()
        .map(|g| FailureView {
            key: g.key,
            attempts: g.attempts,
            distinct: g.distinct,
            countries: g.countries,
            first_at: g.first_at.map_or(0, |t| t.unix_timestamp()),
            last_at: g.last_at.map_or(0, |t| t.unix_timestamp()),
        })
        .collect();
    Ok(ListPage { rows, has_more, now: now.unix_timestamp() })
}

/// Sign-ins of the last 7 days that came from a device new to the account.
#[server(endpoint = "demo/admin/new-devices")]
pub async fn admin_new_devices(dir: Option<String>, page: Option<u32>) -> Result<ListPage<NewDeviceView>, ApiError> {
    let admin = gate::admin().await?;
    let now = admin.sessions.now();
    let since = now - std::time::Duration::from_secs(7 * 24 * 3600);
    let mut rows = gate::store(admin.sessions.triage().new_device_logins(since, &gate::page((), dir, page)).await)?;
    let has_more = gate::trim(&mut rows);
    let emails = gate::emails(&admin.users, rows.iter().filter_map(|e| e.user_id.clone())).await?;
    let rows = rows
        .into_iter()
        .map(|e| NewDeviceView {
            email: e.user_id.as_ref().and_then(|id| emails.get(id).cloned()),
            user_id: e.user_id.clone(),
            event: leptos_sessions::context::event_view(e),
        })
        .collect();
    Ok(ListPage { rows, has_more, now: now.unix_timestamp() })
}

/// Sign-ins and failed sign-ins of the last 24 hours per country.
#[server(endpoint = "demo/admin/countries")]
pub async fn admin_countries(
    sort: Option<String>,
    dir: Option<String>,
    page: Option<u32>,
) -> Result<ListPage<CountryView>, ApiError> {
    use leptos_sessions::engine::CountrySort;
    let admin = gate::admin().await?;
    let now = admin.sessions.now();
    let sort = match sort.as_deref() {
        Some("failures") => CountrySort::Failures,
        Some("users") => CountrySort::Users,
        Some("country") => CountrySort::Country,
        _ => CountrySort::Logins,
    };
    let since = now - std::time::Duration::from_secs(24 * 3600);
    let mut rows = gate::store(admin.sessions.triage().by_country(since, &gate::page(sort, dir, page)).await)?;
    let has_more = gate::trim(&mut rows);
    let rows = rows
        .into_iter()
        .map(|c| CountryView {
            country_code: c.country_code,
            country_name: c.country_name,
            logins: c.logins,
            failures: c.failures,
            users: c.users,
        })
        .collect();
    Ok(ListPage { rows, has_more, now: now.unix_timestamp() })
}

/// One account's whole trail, newest first, failed attempts typed against its email included.
#[server(endpoint = "demo/admin/history")]
pub async fn admin_history(email: String, page: Option<u32>) -> Result<UserHistoryView, ApiError> {
    let admin = gate::admin().await?;
    let user = admin.users.by_email(&email).await.map_err(gate::unavailable)?;
    let user = user.ok_or_else(|| gate::invalid("error-admin-no-account"))?;
    let offset = (page.unwrap_or(1).clamp(1, 10_000) - 1) * super::view::PAGE_SIZE;
    let mut events =
        leptos_sessions::context::respond(admin.sessions.history(&user.id, super::view::PAGE_SIZE + 1, offset).await)?;
    let has_more = gate::trim(&mut events);
    let live = gate::store(admin.sessions.registry().list_live(&user.id).await)?.len() as u64;
    Ok(UserHistoryView {
        user_id: user.id,
        email: user.email,
        live_sessions: live,
        events: events.into_iter().map(leptos_sessions::context::event_view).collect(),
        has_more,
    })
}

/// Ends one session of any user; recorded in the trail as `admin_revoked` by `admin:<id>`.
#[server(endpoint = "demo/admin/revoke")]
pub async fn admin_revoke(user_id: String, id: String) -> Result<(), ApiError> {
    let back = gate::console_url();
    let admin = gate::admin().await?;
    gate::recently_confirmed(&admin).await?;
    leptos_sessions::context::respond(
        admin.sessions.end_session(user_id.trim(), id.trim(), "admin_revoked", Some(&admin.actor)).await,
    )?;
    leptos_axum::redirect(&gate::with_outcome(&back, "one", None));
    Ok(())
}

/// Ends every session of a user; returns how many.
#[server(endpoint = "demo/admin/revoke-all")]
pub async fn admin_revoke_all(user_id: String) -> Result<u64, ApiError> {
    let back = gate::console_url();
    let admin = gate::admin().await?;
    gate::recently_confirmed(&admin).await?;
    let ended = leptos_sessions::context::respond(
        admin.sessions.end_all(user_id.trim(), "admin_revoked", Some(&admin.actor)).await,
    )?;
    leptos_axum::redirect(&gate::with_outcome(&back, "all", Some(ended)));
    Ok(ended)
}

#[cfg(feature = "ssr")]
mod gate {
    use std::collections::HashMap;

    use crate::users::Users;
    use leptos_sessions::context::fail;
    use leptos_sessions::engine::{CurrentSession, Direction, Page, Sessions};
    use leptos_sessions::error::ApiError;

    pub struct Admin {
        pub sessions: Sessions,
        pub users: Users,
        pub current: CurrentSession,
        /// How the trail names this administrator: `admin:<user id>`.
        pub actor: String,
    }

    /// The signed-in administrator, or a 404 for everyone else.
    ///
    /// Every context is read here, before the first `.await`: during server rendering a server function's future
    /// may be polled outside the reactive owner that holds them.
    pub async fn admin() -> Result<Admin, ApiError> {
        let not_found = || fail(ApiError::NotFound);
        let current = leptos_sessions::context::current_session().ok_or_else(not_found)?;
        let sessions = leptos_sessions::context::sessions()?;
        let users = users()?;
        if !users.is_admin(&current.user_id).await.map_err(unavailable)? {
            return Err(not_found());
        }
        let actor = format!("admin:{}", current.user_id);
        Ok(Admin { sessions, users, current, actor })
    }

    /// The console view the form was posted from (its filters), from the same-origin `Referer`; the console's first
    /// view without one. Read before the first `.await`, like every context.
    pub fn console_url() -> String {
        let referer = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::REFERER)?.to_str().ok().map(str::to_owned));
        console_path(referer.as_deref())
    }

    /// The path and query of a console URL; anything else (another page, another form of URL) is the console's
    /// first view, so the redirect can only ever land on the console.
    pub fn console_path(referer: Option<&str>) -> String {
        referer
            .and_then(|url| {
                let rest = url.split_once("://").map(|(_, rest)| rest)?;
                let path = &rest[rest.find('/')?..];
                (path == "/admin/sessions" || path.starts_with("/admin/sessions?")).then(|| path.to_owned())
            })
            .unwrap_or_else(|| "/admin/sessions".to_owned())
    }

    /// `url` with `done` (and `count`) in place of any earlier outcome: the console says what happened from its URL,
    /// as a form posted without JavaScript comes back to it.
    pub fn with_outcome(url: &str, done: &str, count: Option<u64>) -> String {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let mut pairs: Vec<&str> =
            query.split('&').filter(|p| !p.is_empty() && !p.starts_with("done=") && !p.starts_with("count=")).collect();
        let done = format!("done={done}");
        pairs.push(&done);
        let count = count.map(|n| format!("count={n}"));
        pairs.extend(count.as_deref());
        format!("{path}?{}", pairs.join("&"))
    }

    /// Ending other people's sessions is destructive: it needs a recently confirmed password, like the devices page.
    pub async fn recently_confirmed(admin: &Admin) -> Result<(), ApiError> {
        leptos_sessions::context::respond(admin.sessions.require_recent_auth(&admin.current).await)
    }

    pub(crate) use crate::auth::{unavailable, users};

    pub fn store<T>(result: Result<T, leptos_sessions::engine::StoreError>) -> Result<T, ApiError> {
        result.map_err(unavailable)
    }

    pub fn invalid(key: &str) -> ApiError {
        fail(ApiError::Invalid(key.into()))
    }

    /// One row more than a page, so the caller learns whether another page exists.
    pub fn page<S>(sort: S, dir: Option<String>, page: Option<u32>) -> Page<S> {
        let size = super::super::view::PAGE_SIZE;
        let direction = if dir.as_deref() == Some("asc") { Direction::Asc } else { Direction::Desc };
        Page { sort, direction, limit: size + 1, offset: (page.unwrap_or(1).clamp(1, 10_000) - 1) * size }
    }

    /// Drops the look-ahead row; true when there was one.
    pub fn trim<T>(rows: &mut Vec<T>) -> bool {
        let size = super::super::view::PAGE_SIZE as usize;
        let more = rows.len() > size;
        rows.truncate(size);
        more
    }

    /// Emails of these accounts (deleted accounts are missing).
    pub async fn emails(users: &Users, ids: impl Iterator<Item = String>) -> Result<HashMap<String, String>, ApiError> {
        let mut ids: Vec<String> = ids.collect();
        ids.sort();
        ids.dedup();
        users.emails(&ids).await.map_err(unavailable)
    }

    /// An address in the form it is stored in (canonical, truncated in privacy mode), or a clear error for
    /// anything that is not an address.
    pub fn ip(sessions: &Sessions, value: Option<String>) -> Result<Option<String>, ApiError> {
        let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else { return Ok(None) };
        match value.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(Some(sessions.config().stored_address(ip))),
            Err(_) => Err(invalid("error-admin-ip")),
        }
    }

    /// Two ASCII letters, upper-cased.
    pub fn country(value: Option<String>) -> Result<Option<String>, ApiError> {
        let Some(value) = value.map(|v| v.trim().to_ascii_uppercase()).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Some(value))
        } else {
            Err(invalid("error-admin-country"))
        }
    }

    /// An auth method or device type tag; anything else matches nothing, which the list then shows.
    pub fn word(value: Option<String>) -> Option<String> {
        value.map(|v| v.trim().chars().take(40).collect::<String>()).filter(|v| !v.is_empty())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::gate::{console_path, with_outcome};

    #[test]
    fn a_revoke_comes_back_to_the_console_view_it_was_posted_from_and_nowhere_else() {
        let view = "/admin/sessions?view=sessions&email=a%40b.c";
        assert_eq!(console_path(Some(&format!("http://127.0.0.1:3000{view}"))), view);
        // Another page, or no usable Referer: the console's first view.
        for elsewhere in [
            None,
            Some("http://127.0.0.1:3000/settings/sessions"),
            Some("http://127.0.0.1:3000/admin/sessionsX"),
            Some("//evil.example/admin/sessions"),
            Some("garbage"),
        ] {
            assert_eq!(console_path(elsewhere), "/admin/sessions", "{elsewhere:?}");
        }
        // Only a path is ever kept, so the redirect stays on this site whatever the Referer's host.
        assert_eq!(console_path(Some("https://evil.example/admin/sessions?view=x")), "/admin/sessions?view=x");
        assert_eq!(
            with_outcome("/admin/sessions?email=x&done=one&count=3", "all", Some(2)),
            "/admin/sessions?email=x&done=all&count=2"
        );
        assert_eq!(with_outcome("/admin/sessions", "one", None), "/admin/sessions?done=one");
    }
}
