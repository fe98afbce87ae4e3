//! The demo site: a complete small app (sign up, sign in, settings) built on the library's public API only.

pub mod admin;
pub mod alerts;
mod auth;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod hashing;
#[cfg(feature = "ssr")]
pub mod headers;
mod layout;
#[cfg(feature = "ssr")]
pub mod limit;
pub(crate) mod pages;
#[cfg(feature = "ssr")]
pub mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::i18n::provide_i18n;
use pages::{ConfirmPage, HistoryPage, HomePage, NotFound, PasswordPage, SessionsSettingsPage, SignInPage, SignUpPage};

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let i18n = provide_i18n();
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(policy) = http::HeaderValue::from_str(&headers::page_policy(&nonce.to_string())) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang=i18n.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The demo application's root component (also the hydration entry point).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = provide_i18n();
    // Browser tests wait for this marker before clicking, so they never race hydration.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/sessions.css"/>
        <Title text=i18n.t("app-name")/>
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                // In-order streaming: every page is complete HTML without JavaScript (no out-of-order swaps).
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::InOrder/>
                    <Route path=path!("/signin") view=SignInPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/sessions") view=SessionsSettingsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/sessions/history") view=HistoryPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/password") view=PasswordPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/confirm") view=ConfirmPage ssr=SsrMode::InOrder/>
                    // Async: the access check settles before the status line is sent, so non-admins get a real 404.
                    <Route path=path!("/admin/sessions") view=admin::AdminPage ssr=SsrMode::Async/>
                </Routes>
            </div>
        </Router>
    }
}
