//! The trail's triage views: failed sign-ins grouped, sign-ins from new devices, countries, and one account's
//! whole history.

use leptos::prelude::*;

use super::api::{admin_countries, admin_failures, admin_history, admin_new_devices, AdminRevokeAll};
use super::sessions::{method_name, urlencode};
use super::view::Query;
use super::{error, loading, AdminTable, Pager, SortHeader};
use leptos_sessions::error::ApiError;
use leptos_sessions::i18n::use_i18n;
use leptos_sessions::identity::visible_identity;
use leptos_sessions::ui::{date_time, device_name, flag, iso, DeviceIcon, EventList};

#[component]
pub fn FailuresTab(query: Memo<Query>) -> impl IntoView {
    let i18n = use_i18n();
    let by_identity = move || query.with(|q| q.get("by") == Some("identity"));
    let rows = Resource::new(
        move || query.get(),
        |q| admin_failures(q.owned("by"), q.owned("sort"), q.owned("dir"), Some(q.page())),
    );
    let toggle = move |by: &'static str, key: &'static str| {
        let current = (by == "identity") == by_identity();
        view! {
            <a href=format!("?view=failures&by={by}") class="admin-toggle" aria-current=current.then_some("true")>
                {i18n.t(key)}
            </a>
        }
    };
    view! {
        <h2 class="admin-view-title">{i18n.t("admin-failures-title")}</h2>
        <p class="sessions-intro">{i18n.t("admin-failures-intro")}</p>
        <div class="admin-toggles" role="group" aria-label=i18n.t("admin-group-by")>
            {move || toggle("ip", "admin-by-ip")}
            {move || toggle("identity", "admin-by-identity")}
        </div>
        <Transition fallback=move || loading(i18n)>
            {move || Suspend::new(async move {
                let by_identity = by_identity();
                match rows.await {
                    Ok(page) if page.rows.is_empty() => {
                        view! { <p class="sessions-empty">{i18n.t("admin-failures-empty")}</p> }.into_any()
                    }
                    Ok(page) => {
                        let body = page
                            .rows
                            .into_iter()
                            .map(|g| {
                                // An address leads to the sessions it holds; an identity to that account's history.
                                let href = if by_identity {
                                    format!("?view=history&email={}", urlencode(&g.key))
                                } else {
                                    format!("?view=sessions&ip={}", urlencode(&g.key))
                                };
                                let flags = g.countries.iter().map(|c| {
                                    let f = flag(c).unwrap_or_default();
                                    view! { <span class="admin-country" title=c.clone()>{f} " " {c.clone()}</span> }
                                }).collect_view();
                                view! {
                                    <tr>
                                        <td><a href=href class="admin-key">{visible_identity(&g.key)}</a></td>
                                        <td class="admin-number">{g.attempts}</td>
                                        <td class="admin-number">{g.distinct}</td>
                                        <td>{flags}</td>
                                        <td><time datetime=iso(g.first_at)>{date_time(i18n, g.first_at)}</time></td>
                                        <td><time datetime=iso(g.last_at)>{date_time(i18n, g.last_at)}</time></td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        let (key, distinct) = if by_identity {
                            ("admin-col-identity", "admin-col-addresses")
                        } else {
                            ("admin-col-address", "admin-col-identities")
                        };
                        let head = view! {
                            <SortHeader query column="key" default="attempts" label=i18n.t(key)/>
                            <SortHeader numeric=true query column="attempts" default="attempts" label=i18n.t("admin-col-attempts")/>
                            <SortHeader numeric=true query column="distinct" default="attempts" label=i18n.t(distinct)/>
                            <th scope="col">{i18n.t("admin-col-countries")}</th>
                            <SortHeader query column="first" default="attempts" label=i18n.t("admin-col-first")/>
                            <SortHeader query column="last" default="attempts" label=i18n.t("admin-col-last")/>
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

#[component]
pub fn NewDevicesTab(query: Memo<Query>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = Resource::new(move || query.get(), |q| admin_new_devices(q.owned("dir"), Some(q.page())));
    view! {
        <h2 class="admin-view-title">{i18n.t("admin-new-devices-title")}</h2>
        <p class="sessions-intro">{i18n.t("admin-new-devices-intro")}</p>
        <Transition fallback=move || loading(i18n)>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(page) if page.rows.is_empty() => {
                        view! { <p class="sessions-empty">{i18n.t("admin-new-devices-empty")}</p> }.into_any()
                    }
                    Ok(page) => {
                        let body = page
                            .rows
                            .into_iter()
                            .map(|row| {
                                let e = row.event;
                                let account = row.email.clone().map(|email| {
                                    let href = format!("?view=history&email={}", urlencode(&email));
                                    view! { <a href=href class="admin-account">{visible_identity(&email)}</a> }
                                });
                                let place = e.place.clone().map(|p| {
                                    let f = p.country_code.as_deref().and_then(flag).unwrap_or_default();
                                    format!("{f} {}", p.label).trim().to_owned()
                                });
                                let method = e.auth_method.as_deref().map(|m| method_name(i18n, m));
                                view! {
                                    <tr>
                                        <td><time datetime=iso(e.occurred_at)>{date_time(i18n, e.occurred_at)}</time></td>
                                        <td>{account}</td>
                                        <td>
                                            <span class="admin-device">
                                                <span class="sessions-device-icon admin-icon"><DeviceIcon kind=e.device.device_type.clone()/></span>
                                                <span>{device_name(i18n, &e.device)} <span class="admin-subtle admin-method">{method}</span></span>
                                            </span>
                                        </td>
                                        <td>
                                            {place.map(|p| view! { <span class="sessions-place">{p}</span> <br/> })}
                                            <span class="sessions-ip">{e.ip_address}</span>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        let head = view! {
                            <SortHeader query column="time" default="time" label=i18n.t("admin-col-when")/>
                            <th scope="col">{i18n.t("admin-col-account")}</th>
                            <th scope="col">{i18n.t("admin-col-device")}</th>
                            <th scope="col">{i18n.t("admin-col-source")}</th>
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

#[component]
pub fn CountriesTab(query: Memo<Query>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = Resource::new(move || query.get(), |q| admin_countries(q.owned("sort"), q.owned("dir"), Some(q.page())));
    view! {
        <h2 class="admin-view-title">{i18n.t("admin-countries-title")}</h2>
        <p class="sessions-intro">{i18n.t("admin-countries-intro")}</p>
        <Transition fallback=move || loading(i18n)>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(page) if page.rows.is_empty() => {
                        view! { <p class="sessions-empty">{i18n.t("admin-countries-empty")}</p> }.into_any()
                    }
                    Ok(page) => {
                        let body = page
                            .rows
                            .into_iter()
                            .map(|c| {
                                let name = match (&c.country_name, &c.country_code) {
                                    (Some(name), _) => name.clone(),
                                    (None, Some(code)) => code.clone(),
                                    (None, None) => i18n.t("admin-country-unknown"),
                                };
                                let f = c.country_code.as_deref().and_then(flag).unwrap_or_default();
                                let filter = c.country_code.as_ref().map(|code| format!("?view=sessions&country={code}"));
                                view! {
                                    <tr>
                                        <td>
                                            <span aria-hidden="true">{f}" "</span>
                                            {match filter {
                                                Some(href) => view! { <a href=href>{name}</a> }.into_any(),
                                                None => view! { <span>{name}</span> }.into_any(),
                                            }}
                                        </td>
                                        <td class="admin-number">{c.logins}</td>
                                        <td class="admin-number">{c.failures}</td>
                                        <td class="admin-number">{c.users}</td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        let head = view! {
                            <SortHeader query column="country" default="logins" label=i18n.t("admin-col-country")/>
                            <SortHeader numeric=true query column="logins" default="logins" label=i18n.t("admin-col-logins")/>
                            <SortHeader numeric=true query column="failures" default="logins" label=i18n.t("admin-col-failures")/>
                            <SortHeader numeric=true query column="users" default="logins" label=i18n.t("admin-col-users")/>
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

#[component]
pub fn HistoryTab(query: Memo<Query>) -> impl IntoView {
    let i18n = use_i18n();
    let revoke_all = ServerAction::<AdminRevokeAll>::new();
    let email = move || query.with(|q| q.owned("email"));
    let history = Resource::new(
        move || (email(), query.with(Query::page), revoke_all.version().get()),
        |(email, page, _)| async move {
            match email {
                Some(email) => admin_history(email, Some(page)).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let status = move || {
        revoke_all.value().get().map(|r| match r {
            Ok(n) => view! { <p class="sessions-notice" role="status">{i18n.t_with("admin-revoked-all", &[("count", n.into())])}</p> }.into_any(),
            Err(ApiError::ReauthRequired) => view! {
                <p class="sessions-error" role="alert">
                    {ApiError::ReauthRequired.message(i18n)} " "
                    <a href="/settings/confirm?next=/admin/sessions">{i18n.t("confirm-password-link")}</a>
                </p>
            }
            .into_any(),
            Err(e) => error(i18n, e),
        })
    };
    view! {
        <h2 class="admin-view-title">{i18n.t("admin-history-title")}</h2>
        <form class="admin-filters" method="get" action="/admin/sessions" role="search">
            <input type="hidden" name="view" value="history"/>
            <div class="admin-field admin-field-wide">
                <label for="history-email">{i18n.t("admin-filter-email")}</label>
                <input id="history-email" name="email" type="email" value=move || email().unwrap_or_default() required/>
            </div>
            <div class="admin-filter-actions">
                <button type="submit" class="button button-primary">{i18n.t("admin-history-show")}</button>
            </div>
        </form>
        <div aria-live="polite">{status}</div>
        <Transition fallback=move || loading(i18n)>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(None) => view! { <p class="sessions-empty">{i18n.t("admin-history-prompt")}</p> }.into_any(),
                    Ok(Some(h)) => {
                        let sessions = format!("?view=sessions&email={}", urlencode(&h.email));
                        let shown = visible_identity(&h.email);
                        let summary = i18n.t_with("admin-history-summary", &[("email", shown.clone().into()), ("count", h.live_sessions.into())]);
                        let label = i18n.t_with("admin-revoke-all-label", &[("email", shown.into())]);
                        view! {
                            <div class="admin-history-head">
                                <p><a href=sessions>{summary}</a></p>
                                {(h.live_sessions > 0).then(|| view! {
                                    <ActionForm action=revoke_all>
                                        <input type="hidden" name="user_id" value=h.user_id.clone()/>
                                        <button type="submit" class="sessions-button sessions-button-danger" aria-label=label>
                                            {i18n.t("admin-revoke-all")}
                                        </button>
                                    </ActionForm>
                                })}
                            </div>
                            <EventList events=h.events/>
                            <Pager query has_more=h.has_more/>
                        }
                            .into_any()
                    }
                    Err(e) => error(i18n, e),
                }
            })}
        </Transition>
    }
}
