//! The sessions view: every user's devices, filtered, with "Revoke" per row and "Revoke all" per user.

use leptos::prelude::*;

use super::api::{admin_sessions, AdminRevoke, AdminRevokeAll};
use super::view::{AdminSessionView, Query};
use super::{error, loading, AdminTable, SortHeader};
use leptos_sessions::error::ApiError;
use leptos_sessions::i18n::{use_i18n, I18n};
use leptos_sessions::identity::visible_identity;
use leptos_sessions::ui::{auth_method_label, date_time, device_name, flag, last_active, reason_text, DeviceIcon};

const METHODS: &[&str] = &["password", "oauth", "sso", "passkey", "magic_link", "otp", "google_one_tap", "token"];
const DEVICES: &[&str] = &["desktop", "smartphone", "tablet", "bot", "unknown"];
const STATES: &[&str] = &["live", "active", "idle", "ended"];

#[component]
pub fn SessionsTab(query: Memo<Query>) -> impl IntoView {
    let i18n = use_i18n();
    let revoke = ServerAction::<AdminRevoke>::new();
    let revoke_all = ServerAction::<AdminRevokeAll>::new();
    let rows = Resource::new(
        move || query.get(),
        |q| {
            admin_sessions(
                q.owned("email"),
                q.owned("ip"),
                q.owned("country"),
                q.owned("method"),
                q.owned("device"),
                q.owned("state"),
                q.owned("sort"),
                q.owned("dir"),
                Some(q.page()),
            )
        },
    );
    // The console is server-rendered (the demo runs in islands mode) and its forms post without JavaScript: a failure
    // comes back in its action (Leptos carries it in the URL), a success as `?done=`.
    let status = move || {
        let failed = revoke.value().get().and_then(Result::err);
        let failed = failed.or_else(|| revoke_all.value().get().and_then(Result::err));
        Some(match failed {
            None => view! { <p class="sessions-notice" role="status">{done_from_url(i18n)?}</p> }.into_any(),
            Some(ApiError::ReauthRequired) => view! {
                <p class="sessions-error" role="alert">
                    {ApiError::ReauthRequired.message(i18n)} " "
                    <a href="/settings/confirm?next=/admin/sessions">{i18n.t("confirm-password-link")}</a>
                </p>
            }
            .into_any(),
            Some(e) => error(i18n, e),
        })
    };
    let ended = move || query.with(|q| q.get("state") == Some("ended"));
    view! {
        <h2 class="admin-view-title">{i18n.t("admin-sessions-title")}</h2>
        <Filters query/>
        <div aria-live="polite">{status}</div>
        <Transition fallback=move || loading(i18n)>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(page) if page.rows.is_empty() => {
                        view! { <p class="sessions-empty">{i18n.t("admin-sessions-empty")}</p> }.into_any()
                    }
                    Ok(page) => {
                        let now = page.now;
                        let ended = ended();
                        let body = page
                            .rows
                            .into_iter()
                            .map(|row| view! { <Row row now ended revoke revoke_all query/> })
                            .collect_view();
                        let head = view! {
                            <th scope="col">{i18n.t("admin-col-account")}</th>
                            <th scope="col">{i18n.t("admin-col-device")}</th>
                            <th scope="col">{i18n.t("admin-col-source")}</th>
                            <SortHeader query column="signed_in" default="last_seen" label=i18n.t("admin-col-signed-in")/>
                            <SortHeader query column="last_seen" default="last_seen" label=i18n.t("admin-col-last-active")/>
                            <th scope="col">
                                {if ended { i18n.t("admin-col-ended") } else { i18n.t("admin-col-actions") }}
                            </th>
                        }
                        .into_any();
                        view! { <AdminTable query has_more=page.has_more head body=body.into_any()/> }.into_any()
                    }
                    Err(e) => error(i18n, e),
                }
            })}
        </Transition>
    }
}

/// What the last revoke did, from the URL it came back to (`?done=one`, `?done=all&count=N`).
fn done_from_url(i18n: I18n) -> Option<String> {
    let params = leptos_router::hooks::use_query_map().read_untracked();
    match params.get("done").as_deref() {
        Some("one") => Some(i18n.t("admin-revoked-one")),
        Some("all") => {
            let count = params.get("count").and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
            Some(i18n.t_with("admin-revoked-all", &[("count", count.into())]))
        }
        _ => None,
    }
}

/// A plain GET form: filtering works without JavaScript and every result has a URL.
#[component]
fn Filters(query: Memo<Query>) -> impl IntoView {
    let i18n = use_i18n();
    let value = move |name: &'static str| query.with(|q| q.owned(name).unwrap_or_default());
    let options = move |name: &'static str,
                        values: &'static [&'static str],
                        any: &'static str,
                        label: fn(I18n, &str) -> String| {
        let selected = value(name);
        let any = (!any.is_empty()).then(|| view! { <option value="">{i18n.t(any)}</option> });
        let items = values
            .iter()
            .map(|v| view! { <option value=*v selected=selected == *v>{label(i18n, v)}</option> })
            .collect_view();
        view! { {any} {items} }
    };
    view! {
        <form class="admin-filters" method="get" action="/admin/sessions" role="search" aria-label=i18n.t("admin-filters")>
            <input type="hidden" name="view" value="sessions"/>
            <div class="admin-field">
                <label for="filter-email">{i18n.t("admin-filter-email")}</label>
                <input id="filter-email" name="email" type="email" value=value("email") autocomplete="off"/>
            </div>
            <div class="admin-field">
                <label for="filter-ip">{i18n.t("admin-filter-ip")}</label>
                <input id="filter-ip" name="ip" type="text" inputmode="decimal" value=value("ip") maxlength="45" autocomplete="off"/>
            </div>
            <div class="admin-field admin-field-short">
                <label for="filter-country">{i18n.t("admin-filter-country")}</label>
                <input id="filter-country" name="country" type="text" value=value("country") maxlength="2" placeholder="GB" autocomplete="off"/>
            </div>
            <div class="admin-field">
                <label for="filter-method">{i18n.t("admin-filter-method")}</label>
                <select id="filter-method" name="method">{options("method", METHODS, "admin-any", method_name)}</select>
            </div>
            <div class="admin-field">
                <label for="filter-device">{i18n.t("admin-filter-device")}</label>
                <select id="filter-device" name="device">{options("device", DEVICES, "admin-any", device_type_name)}</select>
            </div>
            <div class="admin-field">
                <label for="filter-state">{i18n.t("admin-filter-state")}</label>
                <select id="filter-state" name="state">{options("state", STATES, "", state_name)}</select>
            </div>
            <div class="admin-filter-actions">
                <button type="submit" class="button button-primary">{i18n.t("admin-filter-apply")}</button>
                <a href="?view=sessions" class="button button-secondary">{i18n.t("admin-filter-clear")}</a>
            </div>
        </form>
    }
}

#[component]
fn Row(
    row: AdminSessionView,
    now: i64,
    ended: bool,
    revoke: ServerAction<AdminRevoke>,
    revoke_all: ServerAction<AdminRevokeAll>,
    query: Memo<Query>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = device_name(i18n, &row.device);
    let method = auth_method_label(i18n, &row.auth_method, row.auth_provider.as_deref())
        .unwrap_or_else(|| method_name(i18n, &row.auth_method));
    let place = row.place.clone().map(|p| {
        let flag = p.country_code.as_deref().and_then(flag).unwrap_or_default();
        format!("{flag} {}", p.label).trim().to_owned()
    });
    let account = match row.email.clone() {
        Some(email) => {
            let history = format!("?view=history&email={}", urlencode(&email));
            let only = query.with_untracked(|q| q.with(&[("email", Some(&email))]));
            view! {
                <a href=history class="admin-account">{visible_identity(&email)}</a>
                <a href=only class="admin-subtle" aria-label=i18n.t_with("admin-only-user", &[("email", visible_identity(&email).into())])>
                    {i18n.t("admin-only-user-short")}
                </a>
            }
            .into_any()
        }
        None => view! { <span class="admin-subtle">{i18n.t_with("admin-deleted-user", &[("id", row.user_id.clone().into())])}</span> }.into_any(),
    };
    let last =
        row.ended_at.map_or_else(|| last_active(i18n, now, row.last_seen_at), |_| date_time(i18n, row.last_seen_at));
    let action = if ended {
        let reason = row.ended_reason.as_deref().map(|r| reason_text(i18n, r)).unwrap_or_default();
        let when = row.ended_at.map(|t| date_time(i18n, t)).unwrap_or_default();
        view! { <span>{reason}</span> <span class="admin-subtle">{when}</span> }.into_any()
    } else {
        let who = row.email.as_deref().map(visible_identity).unwrap_or_else(|| row.user_id.clone());
        let one = i18n.t_with("admin-revoke-label", &[("device", name.clone().into()), ("email", who.clone().into())]);
        let all = i18n.t_with("admin-revoke-all-label", &[("email", who.into())]);
        let (user_one, user_all, id) = (row.user_id.clone(), row.user_id.clone(), row.id.clone());
        view! {
            <div class="admin-actions">
                <ActionForm action=revoke>
                    <input type="hidden" name="user_id" value=user_one/>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="sessions-button sessions-button-secondary" aria-label=one>
                        {i18n.t("admin-revoke")}
                    </button>
                </ActionForm>
                <ActionForm action=revoke_all>
                    <input type="hidden" name="user_id" value=user_all/>
                    <button type="submit" class="sessions-button sessions-button-danger" aria-label=all>
                        {i18n.t("admin-revoke-all")}
                    </button>
                </ActionForm>
            </div>
        }
        .into_any()
    };
    view! {
        <tr class="admin-session" data-session-id=row.id.clone()>
            <td data-label=i18n.t("admin-col-account")>{account}</td>
            <td data-label=i18n.t("admin-col-device")>
                <span class="admin-device">
                    <span class="sessions-device-icon admin-icon"><DeviceIcon kind=row.device.device_type.clone()/></span>
                    <span>{name} <span class="admin-subtle admin-method">{method}</span></span>
                </span>
            </td>
            <td data-label=i18n.t("admin-col-source")>
                {place.map(|p| view! { <span class="sessions-place">{p}</span> <br/> })}
                <span class="sessions-ip">{row.ip_address.clone()}</span>
            </td>
            <td data-label=i18n.t("admin-col-signed-in")>
                <time datetime=leptos_sessions::ui::iso(row.created_at)>{date_time(i18n, row.created_at)}</time>
            </td>
            <td data-label=i18n.t("admin-col-last-active")>{last}</td>
            <td>{action}</td>
        </tr>
    }
}

pub(super) fn method_name(i18n: I18n, method: &str) -> String {
    i18n.try_t(&format!("admin-method-{method}")).unwrap_or_else(|| method.replace('_', " "))
}

fn device_type_name(i18n: I18n, kind: &str) -> String {
    i18n.t(&format!("device-type-{kind}"))
}

fn state_name(i18n: I18n, state: &str) -> String {
    i18n.t(&format!("admin-state-{state}"))
}

pub(super) fn urlencode(s: &str) -> String {
    Query::new([("v".to_owned(), s.to_owned())]).with(&[]).trim_start_matches("?v=").to_owned()
}
