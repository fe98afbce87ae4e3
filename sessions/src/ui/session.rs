//! One session on a page of its own, reached by the device's name on the list: how it signed in, where and when it
//! started and was last active, its own events, and the logout. Rendered on the server; the logout is a plain form
//! post that comes back here with its outcome in the URL, so the page needs no script.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::devices::{device_type_label, Place};
use super::history::{auth_method_label, EventList};
use super::icons::DeviceIcon;
use super::names::device_name;
use super::time::{date_time, iso, last_active_within};
use crate::api::{session_detail, RevokeDevice};
use crate::data::SessionDetailView;
use crate::error::ApiError;
use crate::i18n::use_i18n;

/// The page of one session (`id`), with a link back to the list at `list_href`.
///
/// ```no_run
/// use leptos::prelude::*;
/// use leptos_router::hooks::use_params_map;
/// use leptos_sessions::ui::SessionDetail;
///
/// #[component]
/// fn SessionPage() -> impl IntoView {
///     let id = use_params_map().read_untracked().get("id").unwrap_or_default();
///     view! { <SessionDetail id list_href="/settings/sessions" reauth_href="/settings/confirm"/> }
/// }
/// # fn main() {}
/// ```
#[component]
pub fn SessionDetail(
    /// The session's row id (from the route).
    #[prop(into)]
    id: String,
    /// The devices list.
    #[prop(into)]
    list_href: String,
    /// The host's confirm-password page, linked when the logout needs a recent password.
    #[prop(optional, into)]
    reauth_href: Option<String>,
) -> impl IntoView {
    super::keep_out_of_caches();
    let i18n = use_i18n();
    let detail = {
        let id = id.clone();
        Resource::new(move || id.clone(), session_detail)
    };
    let revoke = ServerAction::<RevokeDevice>::new();
    let query = use_query_map();
    let done = query.read_untracked().get("done").as_deref() == Some("device");
    let retry = query.read_untracked().get("revoke").is_some_and(|r| r == id);
    let back = list_href.clone();
    let outcome = move || match revoke.value().get() {
        Some(Err(e)) => {
            let link = matches!(e, ApiError::ReauthRequired).then(|| reauth_href.clone()).flatten().map(|href| {
                let here = leptos_router::hooks::use_location().pathname.get_untracked();
                let next = format!("{here}?revoke={}", super::encode_query(&id));
                let href = format!("{href}?next={}", super::encode_query(&next));
                view! { " " <a href=href>{i18n.t("confirm-password-link")}</a> }
            });
            Some(view! { <p class="sessions-error" role="alert">{e.message(i18n)} {link}</p> }.into_any())
        }
        _ => None,
    };
    view! {
        <section class="sessions-session" aria-labelledby="sessions-session-title">
            <p class="sessions-back"><a href=list_href.clone()>{i18n.t("history-back")}</a></p>
            <div aria-live="polite">{outcome}</div>
            <Suspense fallback=move || view! { <p class="sessions-loading">{i18n.t("devices-loading")}</p> }>
                {move || {
                    let back = back.clone();
                    Suspend::new(async move {
                        match detail.await {
                            Ok(view) => view! { <Detail view revoke retry/> }.into_any(),
                            // Logged out from this very page: say so, with the way back.
                            Err(ApiError::NotFound) if done => view! {
                                <h2 id="sessions-session-title">{i18n.t("session-title")}</h2>
                                <p class="sessions-notice" role="status">{i18n.t("revoked-one")}</p>
                            }
                            .into_any(),
                            Err(ApiError::NotFound) => view! {
                                <h2 id="sessions-session-title">{i18n.t("session-title")}</h2>
                                <p class="sessions-empty">{i18n.t("session-gone")}</p>
                                <p><a href=back>{i18n.t("history-back")}</a></p>
                            }
                            .into_any(),
                            Err(e) => view! {
                                <h2 id="sessions-session-title">{i18n.t("session-title")}</h2>
                                <p class="sessions-error" role="alert">{e.message(i18n)}</p>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn Detail(view: SessionDetailView, revoke: ServerAction<RevokeDevice>, retry: bool) -> impl IntoView {
    let i18n = use_i18n();
    let d = view.device;
    let name = device_name(i18n, &d.device);
    let kind = device_type_label(i18n, &d.device.device_type);
    let method = auth_method_label(i18n, &d.auth_method, d.auth_provider.as_deref())
        .unwrap_or_else(|| i18n.t("auth-method-password"));
    let activity = if d.current {
        i18n.t("active-now")
    } else {
        last_active_within(i18n, view.now, d.last_seen_at, view.touch_interval_secs)
    };
    let fact = |place: Option<crate::data::PlaceView>, ip: Option<String>| {
        let place = place.map(|p| view! { <Place place=p/> {super::SEPARATOR} });
        let ip = ip.map(|ip| view! { <span class="sessions-ip">{ip}</span> });
        view! { {place} {ip} }
    };
    let action = if d.current {
        view! { <p class="sessions-hint">{i18n.t("session-current-note")}</p> }.into_any()
    } else {
        let label = i18n.t_with("log-out-device", &[("device", name.clone().into())]);
        view! {
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=d.id.clone()/>
                <button type="submit" class="sessions-button sessions-button-danger" autofocus=retry>
                    {label}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <header class="sessions-session-header">
            <span class="sessions-device-icon"><DeviceIcon kind=d.device.device_type.clone()/></span>
            <div>
                <h2 id="sessions-session-title">{name}</h2>
                <p class="sessions-intro">
                    {kind}
                    {d.current.then(|| view! { " " <span class="sessions-badge sessions-badge-current">{i18n.t("this-device")}</span> })}
                </p>
            </div>
        </header>
        <dl class="sessions-facts">
            <dt>{i18n.t("session-method")}</dt>
            <dd>{method}</dd>
            <dt>{i18n.t("session-first")}</dt>
            <dd>
                <time datetime=iso(d.created_at) data-local="datetime">{date_time(i18n, d.created_at)}</time>
                <br/>
                {fact(view.first_place, view.first_ip)}
            </dd>
            <dt>{i18n.t("session-last")}</dt>
            <dd>
                <span class="sessions-activity">{activity}</span>
                <br/>
                {fact(d.place, d.ip_address)}
            </dd>
        </dl>
        <div class="sessions-session-action">{action}</div>
        <h3 class="sessions-session-events">{i18n.t("session-events")}</h3>
        <EventList events=view.events/>
    }
}
