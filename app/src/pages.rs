use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::alerts::AlertView;
use super::auth::{security_alerts, whoami, ChangePassword, ConfirmPassword, SignIn, SignUp};
use super::layout::{AuthLayout, SignedInLayout};
use leptos_sessions::api::last_used_method;
use leptos_sessions::i18n::use_i18n;
use leptos_sessions::ui::{long_date, DeviceIcon, DevicesSection, LoginHistory};

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Title text=i18n.t("home-title")/>
        <SignedInLayout>
            <section class="card">
                <h1>{i18n.t("home-title")}</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        me.await
                            .ok()
                            .map(|email| {
                                view! {
                                    <p class="signed-in-as">
                                        {i18n.t_with("signed-in-as", &[("email", email.into())])}
                                    </p>
                                }
                            })
                    })}
                </Suspense>
                <p>
                    <a href="/settings/sessions">{i18n.t("home-devices-link")}</a>
                </p>
            </section>
            <SecurityAlerts/>
        </SignedInLayout>
    }
}

#[component]
pub fn SessionsSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t("nav-sessions")/>
        <SettingsFrame current="/settings/sessions">
            <DevicesSection history_href="/settings/sessions/history" reauth_href="/settings/confirm"/>
        </SettingsFrame>
    }
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t("nav-history")/>
        <SettingsFrame current="/settings/sessions/history">
            <LoginHistory back="/settings/sessions"/>
        </SettingsFrame>
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ChangePassword>::new();
    // The form posts without JavaScript: a failure comes back in the action (Leptos carries it in the URL), a success
    // as `?changed`.
    let result = move || match action.value().get().and_then(Result::err) {
        Some(e) => Some(view! { <p class="form-error" role="alert">{e.message(i18n)}</p> }.into_any()),
        None => use_query_map()
            .read()
            .get("changed")
            .map(|_| view! { <p class="sessions-notice" role="status">{i18n.t("password-changed")}</p> }.into_any()),
    };
    view! {
        <Title text=i18n.t("password-title")/>
        <SettingsFrame current="/settings/password">
            <section class="form-section" aria-labelledby="password-title">
                <h2 id="password-title">{i18n.t("password-title")}</h2>
                <p class="sessions-intro">{i18n.t("password-intro")}</p>
                <div aria-live="polite">{result}</div>
                <ActionForm action>
                    <label for="current_password">{i18n.t("field-current-password")}</label>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                    <label for="new_password">{i18n.t("field-new-password")}</label>
                    <input
                        id="new_password"
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        minlength="8"
                        aria-describedby="new-password-hint"
                        required
                    />
                    <p id="new-password-hint" class="field-hint">{i18n.t("password-hint")}</p>
                    <button type="submit" class="button button-primary">{i18n.t("password-change-button")}</button>
                </ActionForm>
            </section>
        </SettingsFrame>
    }
}

#[component]
pub fn ConfirmPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ConfirmPassword>::new();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    // Cancel goes back to the page without the action it was about to finish.
    let cancel = move || {
        let next = next();
        let path = next.split('?').next().unwrap_or_default();
        if path.starts_with('/') && !path.starts_with("//") {
            path.to_owned()
        } else {
            "/".to_owned()
        }
    };
    let error = move || action.value().get().and_then(Result::err).map(|e| e.message(i18n));
    let me = Resource::new(|| (), |_| whoami());
    let password = NodeRef::<leptos::html::Input>::new();
    // `autofocus` covers a page load; arriving by the router's navigation, focus is moved once the page is live.
    Effect::new(move |_| {
        if let Some(input) = password.get() {
            let _ = input.focus();
        }
    });
    view! {
        <Title text=i18n.t("confirm-title")/>
        <AuthLayout>
            <h1>{i18n.t("confirm-title")}</h1>
            <p class="sessions-intro">{i18n.t("confirm-intro")}</p>
            <Suspense>
                {move || Suspend::new(async move {
                    me.await.ok().map(|email| {
                        view! { <p class="confirm-account">{i18n.t_with("signed-in-as", &[("email", email.into())])}</p> }
                    })
                })}
            </Suspense>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <FormError error/>
                <label for="password">{i18n.t("field-password")}</label>
                // The one thing to do on this page: the password field takes focus as the page opens.
                <input id="password" name="password" type="password" autocomplete="current-password" autofocus required node_ref=password/>
                <div class="form-actions">
                    <button type="submit" class="button button-primary">{i18n.t("confirm-button")}</button>
                    <a class="button button-secondary" href=cancel>{i18n.t("confirm-cancel")}</a>
                </div>
            </ActionForm>
        </AuthLayout>
    }
}

#[component]
fn SettingsFrame(current: &'static str, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let link = move |href: &'static str, key: &'static str| {
        view! { <a href=href aria-current=(href == current).then_some("page")>{i18n.t(key)}</a> }
    };
    view! {
        <SignedInLayout>
            <div class="settings">
                <nav class="settings-nav" aria-label=i18n.t("nav-settings-sections")>
                    <h1 class="settings-title">{i18n.t("settings-title")}</h1>
                    {link("/settings/sessions", "nav-sessions")}
                    {link("/settings/sessions/history", "nav-history")}
                    {link("/settings/password", "nav-password")}
                </nav>
                <div class="settings-body card">{children()}</div>
            </div>
        </SignedInLayout>
    }
}

#[component]
fn SecurityAlerts() -> impl IntoView {
    let i18n = use_i18n();
    let alerts = Resource::new(|| (), |_| security_alerts());
    view! {
        <section class="card alerts" aria-labelledby="alerts-title">
            <h2 id="alerts-title">{i18n.t("alerts-title")}</h2>
            <Suspense>
                {move || Suspend::new(async move {
                    let alerts = alerts.await.unwrap_or_default();
                    if alerts.is_empty() {
                        return view! { <p class="sessions-empty">{i18n.t("alerts-empty")}</p> }.into_any();
                    }
                    let rows = alerts.into_iter().map(|a| view! { <AlertRow alert=a/> }).collect_view();
                    view! { <ul class="alerts-list">{rows}</ul> }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AlertRow(alert: AlertView) -> impl IntoView {
    let i18n = use_i18n();
    let title =
        i18n.t_with("alert-new-device", &[("device", leptos_sessions::ui::device_name(i18n, &alert.device).into())]);
    let source =
        leptos_sessions::ui::source_line(i18n, &alert.device, alert.place.as_ref(), alert.ip_address.as_deref());
    let kind = alert.device.device_type.clone();
    view! {
        <li class="alert">
            <span class="sessions-device-icon"><DeviceIcon kind/></span>
            <div>
                <p class="alert-title">{title}</p>
                <p class="sessions-device-meta">{source} " · " {long_date(i18n, alert.created_at)}</p>
            </div>
        </li>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.message(i18n));
    let typed_email = typed_email();
    let last_used = Resource::new(|| (), |_| last_used_method());
    let badge = move || {
        Suspend::new(async move {
            (last_used.await.ok().flatten().as_deref() == Some("password"))
                .then(|| view! { <span class="badge badge-last-used">{i18n.t("last-used")}</span> })
        })
    };
    view! {
        <Title text=i18n.t("signin-title")/>
        <AuthLayout>
            <h1>{i18n.t("signin-title")}</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <FormError error/>
                <label for="email">{i18n.t("field-email")}</label>
                <input id="email" name="email" type="email" autocomplete="username" value=typed_email required/>
                <label for="password">{i18n.t("field-password")}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <div class="signin-submit">
                    <button type="submit" class="button button-primary button-wide">{i18n.t("signin-button")}</button>
                    <Suspense>{badge}</Suspense>
                </div>
            </ActionForm>
            <p class="auth-switch">
                {i18n.t("no-account-prompt")} " " <a href="/signup">{i18n.t("no-account-link")}</a>
            </p>
        </AuthLayout>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignUp>::new();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(Result::err).map(|e| e.message(i18n));
    let typed_email = typed_email();
    view! {
        <Title text=i18n.t("signup-title")/>
        <AuthLayout>
            <h1>{i18n.t("signup-title")}</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <FormError error/>
                <label for="email">{i18n.t("field-email")}</label>
                <input id="email" name="email" type="email" autocomplete="email" value=typed_email required/>
                <label for="password">{i18n.t("field-password")}</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="new-password"
                    minlength="8"
                    aria-describedby="password-hint"
                    required
                />
                <p id="password-hint" class="field-hint">{i18n.t("password-hint")}</p>
                <button type="submit" class="button button-primary button-wide">{i18n.t("signup-button")}</button>
            </ActionForm>
            <p class="auth-switch">
                {i18n.t("have-account-prompt")} " " <a href="/signin">{i18n.t("have-account-link")}</a>
            </p>
        </AuthLayout>
    }
}

/// The email a plain form post typed before it failed, carried back in the URL (see `auth::refill`).
fn typed_email() -> impl Fn() -> Option<String> + Send + Sync + Copy + 'static {
    move || use_query_map().read().get("email")
}

#[component]
fn FormError(error: impl Fn() -> Option<String> + Send + Sync + 'static) -> impl IntoView {
    move || error().map(|message| view! { <p class="form-error" role="alert">{message}</p> })
}

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text=i18n.t("page-not-found")/>
        <AuthLayout>
            <h1>{i18n.t("page-not-found")}</h1>
            <p>
                <a href="/">{i18n.t("page-not-found-home")}</a>
            </p>
        </AuthLayout>
    }
}
