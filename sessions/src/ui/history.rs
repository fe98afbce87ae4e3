use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::icons::DeviceIcon;
use super::names::device_name;
use super::time::{date_time, iso, long_date};
use crate::api::login_history;
use crate::data::EventView;
use crate::error::ApiError;
use crate::i18n::{use_i18n, I18n};

/// The full login history, paginated with `?page=N` links (newest first).
///
/// ```no_run
/// use leptos::prelude::*;
/// use leptos_router::components::{Route, Router, Routes};
/// use leptos_router::path;
/// use leptos_sessions::LoginHistory;
///
/// #[component]
/// fn App() -> impl IntoView {
///     view! {
///         <Router>
///             <Routes fallback=|| "Not found">
///                 <Route path=path!("/settings/sessions/history") view=|| view! { <LoginHistory/> }/>
///             </Routes>
///         </Router>
///     }
/// }
/// # fn main() {}
/// ```
#[component]
pub fn LoginHistory(
    /// Where "Back to your devices" points; no link when absent.
    #[prop(optional, into)]
    back: Option<String>,
) -> impl IntoView {
    super::keep_out_of_caches();
    let i18n = use_i18n();
    let page =
        move || use_query_map().read().get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).clamp(1, 10_000);
    // Bumped by the live stream when the whole page is hydrated (in islands mode the list is replaced instead).
    let changes = super::device_list::Changes(RwSignal::new(0));
    provide_context(changes);
    let history = Resource::new(move || (page(), changes.0.get()), |(page, _)| login_history(page - 1, None));
    view! {
        <section class="sessions-history" aria-labelledby="sessions-history-title">
            <header class="sessions-header">
                <h2 id="sessions-history-title">{i18n.t("history-title")}</h2>
                <p class="sessions-intro">{i18n.t("history-intro")}</p>
            </header>
            <Transition fallback=move || view! { <p class="sessions-loading">{i18n.t("history-loading")}</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(h) => {
                            let current = h.page + 1;
                            let newer = (current > 1).then(|| format!("?page={}", current - 1));
                            let older = h.has_more.then(|| format!("?page={}", current + 1));
                            view! {
                                <EventList events=h.events/>
                                <nav class="sessions-pager" aria-label=i18n.t("history-pages")>
                                    {newer.map(|href| view! { <a href=href rel="prev">{i18n.t("history-newer")}</a> })}
                                    {older.map(|href| view! { <a href=href rel="next">{i18n.t("history-older")}</a> })}
                                </nav>
                            }
                                .into_any()
                        }
                        Err(e) => error_view(i18n, e),
                    }
                })}
            </Transition>
            {back.map(|href| view! { <p class="sessions-back"><a href=href>{i18n.t("history-back")}</a></p> })}
        </section>
        <div class="sessions-live-trail"><super::live_trail::LiveTrail heard_text=i18n.t("live-history-updated")/></div>
        <super::LiveUpdates/>
    }
}

/// The newest events, refreshed whenever `refresh` changes (the devices section counts its buttons' changes).
#[component]
pub(crate) fn RecentHistory(limit: u32, see_all: Option<String>, refresh: Signal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let history = Resource::new(move || refresh.get(), move |_| login_history(0, Some(limit)));
    view! {
        <section class="sessions-recent" aria-labelledby="sessions-recent-title">
            <div class="sessions-subheader">
                <h3 id="sessions-recent-title">{i18n.t("history-title")}</h3>
                {see_all.map(|href| view! { <a href=href>{i18n.t("history-see-all")}</a> })}
            </div>
            <Transition fallback=move || view! { <p class="sessions-loading">{i18n.t("history-loading")}</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(h) => view! { <EventList events=h.events/> }.into_any(),
                        Err(e) => error_view(i18n, e),
                    }
                })}
            </Transition>
        </section>
    }
}

fn error_view(i18n: I18n, e: ApiError) -> AnyView {
    view! { <p class="sessions-error" role="alert">{e.message(i18n)}</p> }.into_any()
}

/// A list of trail events, newest first as given, each with its device, place and outcome: what
/// [`LoginHistory`] shows, for a host that loads events its own way (an administrator's view of an account).
///
/// ```no_run
/// use leptos::prelude::*;
/// use leptos_sessions::ui::EventList;
/// use leptos_sessions::data::EventView;
///
/// #[component]
/// fn AccountTrail(events: Vec<EventView>) -> impl IntoView {
///     view! { <EventList events/> }
/// }
/// # fn main() {}
/// ```
#[component]
pub fn EventList(events: Vec<EventView>) -> impl IntoView {
    let i18n = use_i18n();
    if events.is_empty() {
        return view! { <p class="sessions-empty">{i18n.t("history-empty")}</p> }.into_any();
    }
    // Grouped by day, each day named once: the server's UTC days, until the browser regroups by the reader's.
    let mut day = None;
    let rows = events
        .into_iter()
        .map(|event| {
            let this_day = event.occurred_at.div_euclid(86_400);
            let heading = (day != Some(this_day)).then(|| {
                day = Some(this_day);
                view! {
                    <li class="sessions-day">
                        <time datetime=utc_day(event.occurred_at)>{long_date(i18n, event.occurred_at)}</time>
                    </li>
                }
            });
            view! { {heading} <EventRow event/> }
        })
        .collect_view();
    view! {
        // `data-days`: the browser draws the day separators again by the reader's calendar.
        <ol class="sessions-events" data-days="">{rows}</ol>
        <super::local_time::LocalTimes/>
    }
    .into_any()
}

/// The UTC calendar day of a time, as `<time datetime>` takes it ("2026-12-02").
fn utc_day(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix).map(|t| t.date().to_string()).unwrap_or_default()
}

#[component]
fn EventRow(event: EventView) -> impl IntoView {
    let i18n = use_i18n();
    // A failure with a label of its own ("Wrong password when confirming it") needs no reason after it.
    let specific = event.reason.as_deref().and_then(|r| i18n.try_t(&format!("event-{}-{r}", event.kind)));
    let reason = event.reason.as_deref().filter(|_| specific.is_none()).map(|r| format!(" ({})", reason_text(i18n, r)));
    let what = specific.unwrap_or_else(|| event_label(i18n, &event.kind));
    // How it was attempted, when that is not a plain password: "Passkey", "GitHub", "two-step: authenticator app".
    let method = event.auth_method.as_deref().and_then(|m| auth_method_label(i18n, m, event.auth_provider.as_deref()));
    let factor = event
        .second_factor
        .as_deref()
        .map(|f| i18n.t_with("second-factor", &[("factor", factor_name(i18n, f).into())]));
    let how = [method, factor].into_iter().flatten().collect::<Vec<_>>().join(super::SEPARATOR);
    let how = (!how.is_empty()).then(|| view! { <span class="sessions-event-how">{how}</span> });
    let device = device_name(i18n, &event.device);
    let details =
        [Some(device), event.ip_address.clone()].into_iter().flatten().collect::<Vec<_>>().join(super::SEPARATOR);
    let place = event.place.clone().map(|p| view! { <super::devices::Place place=p/> {super::SEPARATOR} });
    let tone = match event.kind.as_str() {
        "failed_login" => "is-warning",
        "revoked" | "expired" => "is-ended",
        _ => "",
    };
    view! {
        <li class=format!("sessions-event {tone}") data-kind=event.kind.clone()>
            <span class="sessions-event-icon" aria-hidden="true">
                <DeviceIcon kind=event.device.device_type.clone()/>
            </span>
            <div class="sessions-event-body">
                <p class="sessions-event-what">
                    <strong>{what}</strong>
                    {reason}
                    {how}
                    {event.new_device.then(|| view! { <span class="sessions-badge sessions-badge-new">{i18n.t("new-device")}</span> })}
                </p>
                <p class="sessions-event-meta">
                    {place} {details} {super::SEPARATOR} <time datetime=iso(event.occurred_at) data-local="datetime">{date_time(i18n, event.occurred_at)}</time>
                </p>
            </div>
        </li>
    }
}

fn event_label(i18n: I18n, kind: &str) -> String {
    i18n.try_t(&format!("event-{kind}")).unwrap_or_else(|| i18n.t("event-other"))
}

/// A reason in words; unknown reasons read as their words ("access_denied" → "access denied").
pub fn reason_text(i18n: I18n, reason: &str) -> String {
    i18n.try_t(&format!("reason-{reason}")).unwrap_or_else(|| reason.replace(['_', '-'], " ").to_lowercase())
}

/// The pill shown beside a device signed in some other way than a password: "GitHub", "Passkey", …
pub fn auth_method_label(i18n: I18n, method: &str, provider: Option<&str>) -> Option<String> {
    match method {
        "password" | "" | "unknown" => None,
        "oauth" | "sso" => {
            let provider = provider_name(provider.unwrap_or(method));
            Some(i18n.t_with(&format!("auth-method-{method}"), &[("provider", provider.into())]))
        }
        other => Some(i18n.try_t(&format!("auth-method-{other}")).unwrap_or_else(|| other.replace('_', " "))),
    }
}

/// A second factor in words; unknown ones read as their words.
pub fn factor_name(i18n: I18n, factor: &str) -> String {
    i18n.try_t(&format!("factor-{factor}")).unwrap_or_else(|| factor.replace(['_', '-'], " "))
}

fn provider_name(provider: &str) -> String {
    match provider {
        "github" => "GitHub".into(),
        "gitlab" => "GitLab".into(),
        "linkedin" => "LinkedIn".into(),
        p => {
            let mut chars = p.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_methods_read_as_words() {
        let en = I18n::for_tag("en");
        assert_eq!(reason_text(en, "invalid_credentials"), "wrong email or password");
        assert_eq!(reason_text(en, "access_denied"), "access denied");
        assert_eq!(reason_text(I18n::for_tag("es"), "rate_limited"), "demasiados intentos");
        assert_eq!(auth_method_label(en, "password", None), None);
        assert_eq!(auth_method_label(en, "oauth", Some("github")).as_deref(), Some("GitHub"));
        assert_eq!(auth_method_label(en, "oauth", Some("google")).as_deref(), Some("Google"));
        assert_eq!(auth_method_label(en, "passkey", None).as_deref(), Some("Passkey"));
        assert_eq!(auth_method_label(en, "carrier_pigeon", None).as_deref(), Some("carrier pigeon"));
        assert_eq!(event_label(en, "revoked"), "Session revoked");
        assert_eq!(event_label(en, "weird"), "Account activity");
    }
}
