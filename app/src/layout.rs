use leptos::prelude::*;
use leptos_router::components::A;

use super::auth::{whoami, SignOut};
use super::theme::ThemeSwitch;
use leptos_sessions::i18n::use_i18n;

/// The frame of every signed-in page: brand, navigation, who is signed in, and "Sign out".
#[component]
pub fn SignedInLayout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    let me = Resource::new(|| (), |_| whoami());
    let location = leptos_router::hooks::use_location();
    let in_settings = move || location.pathname.get().starts_with("/settings");
    let in_admin = move || location.pathname.get().starts_with("/admin");
    let admin = Resource::new(|| (), |_| super::admin::admin_link());
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">{i18n.t("app-name")}</span>
            </a>
            <nav class="topnav" aria-label=i18n.t("nav-main")>
                <A href="/" exact=true>{i18n.t("nav-home")}</A>
                <a
                    href="/settings/sessions"
                    aria-current=move || in_settings().then_some("page")
                >
                    {i18n.t("nav-settings")}
                </a>
                <Suspense>
                    {move || Suspend::new(async move {
                        admin.await.unwrap_or(false).then(|| view! {
                            <a href="/admin/sessions" aria-current=move || in_admin().then_some("page")>
                                {i18n.t("admin-nav")}
                            </a>
                        })
                    })}
                </Suspense>
            </nav>
            <div class="account">
                <Suspense>
                    {move || Suspend::new(async move {
                        me.await.ok().map(|email| view! { <span class="account-email">{email}</span> })
                    })}
                </Suspense>
                <ActionForm action=sign_out>
                    <button type="submit" class="button button-ghost">{i18n.t("sign-out")}</button>
                </ActionForm>
            </div>
        </header>
        <main class="page">{children()}</main>
        <footer class="site-footer">
            <ThemeSwitch/>
        </footer>
        // Signed out from elsewhere (another device, the administrator, a timeout): this tab follows at once.
        <leptos_sessions::ui::LiveUpdates/>
    }
}

/// The frame of the signed-out pages: a centered card.
#[component]
pub fn AuthLayout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="auth">
            <a class="brand brand-centered" href="/signin">
                <span class="brand-mark" aria-hidden="true"></span>
                {i18n.t("app-name")}
            </a>
            <div class="card auth-card">{children()}</div>
        </main>
        <footer class="site-footer">
            <ThemeSwitch/>
        </footer>
    }
}
