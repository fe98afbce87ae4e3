use leptos::prelude::*;

use super::device_list::{Changes, DeviceList, FromUrl, Row, Texts};
use super::history::{auth_method_label, RecentHistory};
use super::names::device_name;
use super::time::{iso, last_active_within, long_date};
use crate::api::list_devices;
use crate::data::{DeviceView, DevicesView};
use crate::error::ApiError;
use crate::i18n::{use_i18n, I18n};

/// "Your devices": every live session of the signed-in user, with per-device logout and "sign out everywhere
/// else". Works without JavaScript (plain form posts to the server functions) and with it, in a host that hydrates
/// the whole page and in one that runs in islands mode.
///
/// Below the list, the 10 newest login-history events, with a "See all" link to `history_href` when given.
///
/// The list itself is a Leptos island, worded on the server: a host in islands mode (`HydrationScripts
/// islands=true`, `leptos::mount::hydrate_islands()`) ships only it to the browser, without the message catalogue
/// or the formatting code; a host that hydrates the whole page needs nothing more.
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
    /// The host's password check, for confirming in place: a POST of `password` (form-encoded) that answers 2xx
    /// once it is right and records the confirmation (`context::reauthenticated`), like the demo's `demo/confirm`
    /// server function. With it and JavaScript, a logout that needs the password opens a dialog and goes through
    /// once it is confirmed; without, the message links to `reauth_href`.
    #[prop(optional, into)]
    reauth_action: Option<String>,
    /// Where each session's own page lives (a page rendering [`super::SessionDetail`] at `<detail_href>/<id>`):
    /// the device names become links to it.
    #[prop(optional, into)]
    detail_href: Option<String>,
) -> impl IntoView {
    super::keep_out_of_caches();
    let i18n = use_i18n();
    let devices = Resource::new(|| (), |_| list_devices());
    // Bumped by the buttons after each change, where they share this component's context (a host hydrating the
    // whole page): the recent history below then shows the change too.
    let changes = Changes(RwSignal::new(0));
    provide_context(changes);
    // The session may end under us (revoked elsewhere): reload so the host's sign-in redirect takes over.
    Effect::new(move |_| {
        if matches!(devices.get(), Some(Err(ApiError::Unauthorized))) {
            super::device_list::reload();
        }
    });

    view! {
        <section class="sessions-devices" aria-labelledby="sessions-devices-title">
            <header class="sessions-header">
                <h2 id="sessions-devices-title">{i18n.t("devices-title")}</h2>
                <p class="sessions-intro">{i18n.t("devices-intro")}</p>
            </header>
            <Transition fallback=move || view! { <p class="sessions-loading">{i18n.t("devices-loading")}</p> }>
                {move || {
                    let (reauth_href, reauth_action, detail_href) =
                        (reauth_href.clone(), reauth_action.clone(), detail_href.clone());
                    let href_base = detail_href.clone();
                    Suspend::new(async move {
                        match devices.await {
                            Ok(list) => {
                                let (rows, texts) = worded(i18n, list, href_base.as_deref());
                                let from_url = from_url();
                                // Alone in its element: hydrating the whole page, Leptos 0.8 leaves its cursor inside an
                                // island's own element, so whatever follows an island within one parent fails to hydrate.
                                view! {
                                    <div class="sessions-devices-list">
                                        <DeviceList rows texts reauth_href reauth_action from_url detail_href/>
                                    </div>
                                }
                                .into_any()
                            }
                            Err(e) => view! { <p class="sessions-error" role="alert">{e.message(i18n)}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <RecentHistory limit=10 see_all=history_href refresh=changes.0.into()/>
            // Each island alone in its element (see above).
            <div class="sessions-live-trail"><super::live_trail::LiveTrail heard_text=i18n.t("live-history-updated")/></div>
            <super::LiveUpdates/>
        </section>
    }
}

/// The list's rows again, worded like the first ones, for a live refresh of the list.
#[server(endpoint = "sessions/device-rows")]
pub(super) async fn device_rows(
    /// As [`DevicesSection`]'s: where each session's own page lives.
    detail_href: Option<String>,
) -> Result<Vec<Row>, ApiError> {
    let list = list_devices().await?;
    Ok(worded(crate::i18n::provide_i18n(), list, detail_href.as_deref()).0)
}

/// What a plain form post (no JavaScript) left in the page's URL for the list: an action to offer again once the
/// password is confirmed, or what was done.
fn from_url() -> FromUrl {
    let query = leptos_router::hooks::use_query_map();
    let query = query.read_untracked();
    FromUrl { retry: query.get("revoke"), done: query.get("done") }
}

/// The list's rows and words, written on the server in the page's language (see [`DeviceList`]).
fn worded(i18n: I18n, list: DevicesView, detail_href: Option<&str>) -> (Vec<Row>, Texts) {
    let (now, touch_secs) = (list.now, list.touch_interval_secs);
    let others = list.devices.iter().filter(|d| !d.current).count();
    let rows = list
        .devices
        .into_iter()
        .map(|device| {
            let href =
                detail_href.map(|base| format!("{}/{}", base.trim_end_matches('/'), super::encode_query(&device.id)));
            row(i18n, device, now, touch_secs, href)
        })
        .collect();
    let texts = Texts {
        this_device: i18n.t("this-device"),
        log_out: i18n.t("log-out"),
        method_title: i18n.t("auth-method-title"),
        location_title: i18n.t("location-title"),
        sign_out_others: i18n.t("sign-out-others"),
        hint: i18n.t("sign-out-others-hint"),
        empty: i18n.t("devices-empty"),
        confirm_link: i18n.t("confirm-password-link"),
        retry_intro: i18n.t("reauth-continue"),
        dialog_title: i18n.t("confirm-password-link"),
        dialog_intro: i18n.t("reauth-dialog-intro"),
        password_label: i18n.t("reauth-dialog-password"),
        confirm: i18n.t("reauth-dialog-confirm"),
        cancel: i18n.t("cancel"),
        done_device: i18n.t("revoked-one"),
        others_done: [0, 1, others]
            .iter()
            .map(|&n| {
                let n = n as u64;
                (n, i18n.t_with("revoked-others", &[("count", n.into())]))
            })
            .collect(),
        others_done_more: i18n.t("revoked-others-more"),
        errors: ApiError::MESSAGE_KEYS
            .iter()
            .map(|key| (key.to_string(), i18n.t(key)))
            .chain(ApiError::REAUTH_MESSAGE_KEYS.iter().filter_map(|key| Some((key.to_string(), i18n.try_t(key)?))))
            .collect(),
    };
    (rows, texts)
}

fn row(i18n: I18n, device: DeviceView, now: i64, touch_secs: i64, href: Option<String>) -> Row {
    let name = device_name(i18n, &device.device);
    let activity = if device.current {
        i18n.t("active-now")
    } else {
        last_active_within(i18n, now, device.last_seen_at, touch_secs)
    };
    let appeared = match &device.place {
        Some(place) => i18n
            .t_with("live-signed-in-from", &[("device", name.clone().into()), ("place", place.label.clone().into())]),
        None => i18n.t_with("live-signed-in", &[("device", name.clone().into())]),
    };
    Row {
        kind_label: device_type_label(i18n, &device.device.device_type),
        method: auth_method_label(i18n, &device.auth_method, device.auth_provider.as_deref()),
        place: device.place.map(|p| (p.country_code.as_deref().and_then(super::names::flag), p.label)),
        ip: device.ip_address.map(|ip| (ip.clone(), i18n.t_with("ip-address", &[("ip", ip.into())]))),
        active_now: activity == i18n.t("active-now"),
        activity,
        signed_in: i18n.t_with("signed-in-on", &[("date", long_date(i18n, device.created_at).into())]),
        signed_in_iso: iso(device.created_at),
        log_out_label: i18n.t_with("log-out-device", &[("device", name.clone().into())]),
        logged_out: i18n.t_with("revoked-device", &[("device", name.clone().into())]),
        appeared,
        arrived: false,
        name,
        href,
        id: device.id,
        current: device.current,
        kind: device.device.device_type,
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

pub(super) fn device_type_label(i18n: I18n, kind: &str) -> String {
    match kind {
        "desktop" | "smartphone" | "tablet" | "bot" => i18n.t(&format!("device-type-{kind}")),
        _ => i18n.t("device-type-unknown"),
    }
}
