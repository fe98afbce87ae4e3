use leptos::prelude::*;

use super::history::{auth_method_label, RecentHistory};
use super::icons::DeviceIcon;
use super::names::device_name;
use super::time::{iso, last_active_within, long_date};
use crate::api::{list_devices, RevokeDevice, RevokeOtherDevices};
use crate::data::{DeviceView, DevicesView};
use crate::error::ApiError;
use crate::i18n::{use_i18n, I18n};

/// "Your devices": every live session of the signed-in user, with per-device logout and "sign out everywhere
/// else". Works without JavaScript (plain form posts to the server functions) and hydrates when WASM loads.
///
/// Below the list, the 10 newest login-history events, with a "See all" link to `history_href` when given.
///
/// ```no_run
/// use leptos::prelude::*;
/// use leptos_sessions::DevicesSection;
///
/// #[component]
/// fn SessionsSettings() -> impl IntoView {
///     view! { <DevicesSection history_href="/settings/sessions/history" reauth_href="/settings/confirm"/> }
/// }
/// # fn main() {}
/// ```
#[component]
pub fn DevicesSection(
    /// Where the full login history lives (a page rendering [`super::LoginHistory`]).
    #[prop(optional, into)]
    history_href: Option<String>,
    /// The host's confirm-password page; linked with `?next=` when an action needs a recent password.
    #[prop(optional, into)]
    reauth_href: Option<String>,
) -> impl IntoView {
    super::keep_out_of_caches();
    let i18n = use_i18n();
    let revoke = ServerAction::<RevokeDevice>::new();
    let revoke_others = ServerAction::<RevokeOtherDevices>::new();
    let devices = Resource::new(move || (revoke.version().get(), revoke_others.version().get()), |_| list_devices());

    // The session may end under us (revoked elsewhere): reload so the host's sign-in redirect takes over.
    Effect::new(move |_| {
        let ended = matches!(devices.get(), Some(Err(ApiError::Unauthorized)))
            || matches!(revoke.value().get(), Some(Err(ApiError::Unauthorized)))
            || matches!(revoke_others.value().get(), Some(Err(ApiError::Unauthorized)));
        if ended {
            reload();
        }
    });

    let status = move || {
        let one = revoke.value().get().map(|r| r.map(|()| i18n.t("revoked-one")));
        let others =
            revoke_others.value().get().map(|r| r.map(|n| i18n.t_with("revoked-others", &[("count", n.into())])));
        match one.or(others)? {
            Ok(done) => Some(view! { <p class="sessions-notice" role="status">{done}</p> }.into_any()),
            Err(ApiError::ReauthRequired) => {
                let link = reauth_href.clone().map(|href| {
                    let href = format!("{href}?next={}", current_path());
                    view! { " " <a href=href>{i18n.t("confirm-password-link")}</a> }
                });
                Some(
                    view! {
                        <p class="sessions-error" role="alert">
                            {ApiError::ReauthRequired.message(i18n)}
                            {link}
                        </p>
                    }
                    .into_any(),
                )
            }
            Err(e) => Some(view! { <p class="sessions-error" role="alert">{e.message(i18n)}</p> }.into_any()),
        }
    };

    view! {
        <section class="sessions-devices" aria-labelledby="sessions-devices-title">
            <header class="sessions-header">
                <h2 id="sessions-devices-title">{i18n.t("devices-title")}</h2>
                <p class="sessions-intro">{i18n.t("devices-intro")}</p>
            </header>
            <div aria-live="polite">{status}</div>
            <Transition fallback=move || view! { <p class="sessions-loading">{i18n.t("devices-loading")}</p> }>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(list) => view! { <DeviceList list revoke revoke_others/> }.into_any(),
                        Err(e) => view! { <p class="sessions-error" role="alert">{e.message(i18n)}</p> }.into_any(),
                    }
                })}
            </Transition>
            <RecentHistory limit=10 see_all=history_href refresh=Signal::derive(move || (revoke.version().get(), revoke_others.version().get()))/>
        </section>
    }
}

#[component]
fn DeviceList(
    list: DevicesView,
    revoke: ServerAction<RevokeDevice>,
    revoke_others: ServerAction<RevokeOtherDevices>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (now, touch_secs) = (list.now, list.touch_interval_secs);
    let more_than_one = list.devices.len() > 1;
    let rows =
        list.devices.into_iter().map(|device| view! { <DeviceRow device now touch_secs revoke/> }).collect_view();
    view! {
        <ul class="sessions-list" aria-labelledby="sessions-devices-title">{rows}</ul>
        {(!more_than_one).then(|| view! { <p class="sessions-empty">{i18n.t("devices-empty")}</p> })}
        {more_than_one
            .then(|| {
                view! {
                    <div class="sessions-others">
                        <ActionForm action=revoke_others>
                            <button type="submit" class="sessions-button sessions-button-danger">
                                {i18n.t("sign-out-others")}
                            </button>
                        </ActionForm>
                        <p class="sessions-hint">{i18n.t("sign-out-others-hint")}</p>
                    </div>
                }
            })}
    }
}

#[component]
fn DeviceRow(device: DeviceView, now: i64, touch_secs: i64, revoke: ServerAction<RevokeDevice>) -> impl IntoView {
    let i18n = use_i18n();
    let name = device_name(i18n, &device.device);
    let kind = device_type_label(i18n, &device.device.device_type);
    let place = device.place.clone().map(|p| view! { <Place place=p/> " · " });
    let method = auth_method_label(i18n, &device.auth_method, device.auth_provider.as_deref())
        .map(|label| view! { <span class="sessions-badge sessions-badge-method" title=i18n.t("auth-method-title")>{label}</span> });
    let activity = if device.current {
        i18n.t("active-now")
    } else {
        last_active_within(i18n, now, device.last_seen_at, touch_secs)
    };
    let signed_in = i18n.t_with("signed-in-on", &[("date", long_date(i18n, device.created_at).into())]);
    let ip = device.ip_address.clone().map(|ip| {
        let label = i18n.t_with("ip-address", &[("ip", ip.clone().into())]);
        view! { <span class="sessions-ip" title=label>{ip}</span> }
    });
    let id = device.id.clone();
    let action = if device.current {
        view! { <span class="sessions-badge sessions-badge-current">{i18n.t("this-device")}</span> }.into_any()
    } else {
        let label = i18n.t_with("log-out-device", &[("device", name.clone().into())]);
        view! {
            <ActionForm action=revoke attr:class="sessions-revoke">
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="sessions-button sessions-button-secondary" aria-label=label>
                    {i18n.t("log-out")}
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <li class="sessions-device" class:is-current=device.current data-device-id=device.id.clone()>
            <span class="sessions-device-icon" title=kind>
                <DeviceIcon kind=device.device.device_type.clone()/>
            </span>
            <div class="sessions-device-body">
                <p class="sessions-device-name">{name} {method}</p>
                <p class="sessions-device-meta">
                    {place}
                    {ip}
                    {device.ip_address.is_some().then_some(" · ")}
                    <span class:is-active=activity == i18n.t("active-now")>{activity.clone()}</span>
                    " · "
                    <time datetime=iso(device.created_at)>{signed_in}</time>
                </p>
            </div>
            <div class="sessions-device-action">{action}</div>
        </li>
    }
}

/// "🇬🇧 London, United Kingdom", marked as approximate.
#[component]
pub(crate) fn Place(place: crate::data::PlaceView) -> impl IntoView {
    let i18n = use_i18n();
    let flag = place.country_code.as_deref().and_then(super::names::flag);
    view! {
        <span class="sessions-place" title=i18n.t("location-title")>
            {flag.map(|f| view! { <span class="sessions-flag" aria-hidden="true">{f}" "</span> })}
            {place.label}
        </span>
    }
}

fn device_type_label(i18n: I18n, kind: &str) -> String {
    match kind {
        "desktop" | "smartphone" | "tablet" | "bot" => i18n.t(&format!("device-type-{kind}")),
        _ => i18n.t("device-type-unknown"),
    }
}

/// The page the section is on, for coming back after confirming the password.
fn current_path() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().pathname().unwrap_or_else(|_| "/".into())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_location().pathname.get_untracked()
    }
}

fn reload() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().reload();
    }
}
