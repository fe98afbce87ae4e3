use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::alerts::AlertView;
use super::auth::{security_alerts, whoami, ChangePassword, ConfirmPassword, SignIn, SignUp};
use super::layout::{AuthLayout, SignedInLayout};
use leptos_sessions::api::{last_used_method, RevokeDevice};
use leptos_sessions::error::ApiError;
use leptos_sessions::i18n::use_i18n;
use leptos_sessions::ui::{long_date, DeviceIcon, DevicesSection, LoginHistory, SessionDetail};

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
            <DevicesSection
                history_href="/settings/sessions/history"
                reauth_href="/settings/confirm"
                reauth_action="/api/demo/confirm"
                detail_href="/settings/sessions"
            />
        </SettingsFrame>
    }
}

#[component]
pub fn SessionPage() -> impl IntoView {
    let i18n = use_i18n();
    let id = leptos_router::hooks::use_params_map().read_untracked().get("id").unwrap_or_default();
    view! {
        <Title text=i18n.t("nav-sessions")/>
        <SettingsFrame current="/settings/sessions">
            <SessionDetail id list_href="/settings/sessions" reauth_href="/settings/confirm"/>
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
    // "Log it out" is a plain form post: it comes back here with what happened in the URL (see `fail_form`).
    let revoke = ServerAction::<RevokeDevice>::new();
    let outcome = move || {
        if let Some(Err(e)) = revoke.value().get() {
            // A logout that needs the password confirmed continues on the devices page once it is.
            let confirm = matches!(e, ApiError::ReauthRequired).then(|| {
                let id = use_query_map().read().get("revoke").unwrap_or_default();
                let href = format!(
                    "/settings/confirm?next=/settings/sessions%3Frevoke%3D{}",
                    leptos_sessions::ui::encode_query(&id)
                );
                view! { " " <a href=href>{i18n.t("confirm-password-link")}</a> }
            });
            return Some(view! { <p class="form-error" role="alert">{e.message(i18n)} {confirm}</p> }.into_any());
        }
        (use_query_map().read().get("done").as_deref() == Some("device"))
            .then(|| view! { <p class="sessions-notice" role="status">{i18n.t("revoked-one")}</p> }.into_any())
    };
    view! {
        <section class="card alerts" aria-labelledby="alerts-title">
            <h2 id="alerts-title">{i18n.t("alerts-title")}</h2>
            <div aria-live="polite">{outcome}</div>
            <Suspense>
                {move || Suspend::new(async move {
                    let alerts = alerts.await.unwrap_or_default();
                    if alerts.is_empty() {
                        return view! { <p class="sessions-empty">{i18n.t("alerts-empty")}</p> }.into_any();
                    }
                    let rows = alerts.into_iter().map(|a| view! { <AlertRow alert=a revoke/> }).collect_view();
                    view! { <ul class="alerts-list">{rows}</ul> }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AlertRow(alert: AlertView, revoke: ServerAction<RevokeDevice>) -> impl IntoView {
    let i18n = use_i18n();
    let name = leptos_sessions::ui::device_name(i18n, &alert.device);
    let title = i18n.t_with("alert-new-device", &[("device", name.clone().into())]);
    let place = alert.place.as_ref().map(|p| match p.country_code.as_deref().and_then(leptos_sessions::ui::flag) {
        Some(flag) => format!("{flag} {}", p.label),
        None => p.label.clone(),
    });
    let ip = alert.ip_address.as_deref().map(|ip| i18n.t_with("ip-short", &[("ip", ip.to_owned().into())]));
    let when = long_date(i18n, alert.created_at);
    let meta = [place, ip, Some(when)].into_iter().flatten().collect::<Vec<_>>().join(leptos_sessions::ui::SEPARATOR);
    let kind = alert.device.device_type.clone();
    let action = if alert.current {
        view! { <span class="sessions-badge sessions-badge-current">{i18n.t("this-device")}</span> }.into_any()
    } else if alert.live {
        view! {
            <div class="alert-question">
                <span>{i18n.t("alert-was-this-you")}</span>
                <ActionForm action=revoke>
                    <input type="hidden" name="id" value=alert.session_id.clone()/>
                    <button
                        type="submit"
                        class="sessions-button sessions-button-danger"
                        aria-label=i18n.t_with("alert-log-it-out-device", &[("device", name.into())])
                    >
                        {i18n.t("alert-log-it-out")}
                    </button>
                </ActionForm>
            </div>
        }
        .into_any()
    } else {
        view! { <span class="alert-ended">{i18n.t("alert-logged-out")}</span> }.into_any()
    };
    view! {
        <li class="alert">
            <span class="sessions-device-icon"><DeviceIcon kind/></span>
            <div class="alert-body">
                <p class="alert-title">{title}</p>
                <p class="sessions-device-meta">{meta}</p>
            </div>
            <div class="alert-action">{action}</div>
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
            <EndedNotice/>
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

/// Why this browser was signed out, when its session ended elsewhere (the guard's `ended=`): only words of our own,
/// whatever the URL says.
#[component]
fn EndedNotice() -> impl IntoView {
    let i18n = use_i18n();
    let key = move || match use_query_map().read().get("ended").as_deref() {
        Some("device") => Some("signed-out-device"),
        Some("password") => Some("signed-out-password"),
        Some("expired") => Some("signed-out-expired"),
        Some("admin") => Some("signed-out-admin"),
        Some("pruned") => Some("signed-out-pruned"),
        _ => None,
    };
    move || key().map(|key| view! { <p class="form-notice" role="status">{i18n.t(key)}</p> })
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
