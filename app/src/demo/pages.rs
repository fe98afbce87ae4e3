use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::auth::{whoami, SignIn, SignUp};
use super::layout::{AuthLayout, SignedInLayout};
use crate::i18n::use_i18n;
use crate::ui::DevicesSection;

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
        </SignedInLayout>
    }
}

#[component]
pub fn SessionsSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t("nav-sessions")/>
        <SignedInLayout>
            <div class="settings">
                <nav class="settings-nav" aria-label=i18n.t("nav-settings-sections")>
                    <h1 class="settings-title">{i18n.t("settings-title")}</h1>
                    <a href="/settings/sessions" aria-current="page">{i18n.t("nav-sessions")}</a>
                </nav>
                <div class="settings-body card">
                    <DevicesSection/>
                </div>
            </div>
        </SignedInLayout>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message(i18n))
    };
    view! {
        <Title text=i18n.t("signin-title")/>
        <AuthLayout>
            <h1>{i18n.t("signin-title")}</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <FormError error/>
                <label for="email">{i18n.t("field-email")}</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">{i18n.t("field-password")}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit" class="button button-primary button-wide">{i18n.t("signin-button")}</button>
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
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message(i18n))
    };
    view! {
        <Title text=i18n.t("signup-title")/>
        <AuthLayout>
            <h1>{i18n.t("signup-title")}</h1>
            <ActionForm action>
                <input type="hidden" name="next" value=next/>
                <FormError error/>
                <label for="email">{i18n.t("field-email")}</label>
                <input id="email" name="email" type="email" autocomplete="email" required/>
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
