#![recursion_limit = "256"]
//! The demo site: a complete small app (sign up, sign in, settings, the security console) built on the public API
//! of `leptos-sessions` only. `server/` serves it, `frontend/` hydrates its islands.

pub mod admin;
pub mod alerts;
mod auth;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod hashing;
#[cfg(feature = "ssr")]
pub mod headers;
mod hydrated;
mod layout;
#[cfg(feature = "ssr")]
pub mod limit;
pub(crate) mod pages;
#[cfg(feature = "ssr")]
pub mod refusal;
pub mod theme;
#[cfg(feature = "ssr")]
pub mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use leptos_sessions::i18n::{add_host_messages, provide_i18n};
use pages::{
    ConfirmPage, HistoryPage, HomePage, NotFound, PasswordPage, SessionPage, SessionsSettingsPage, SignInPage,
    SignUpPage,
};

fluent_templates::static_loader! {
    static MESSAGES = {
        locales: "../locales",
        fallback_language: "en",
        // As the library's: isolation marks around placeables break copy/paste and text assertions.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Adds the demo's own messages (`locales/`) to the library's lookups. Rendering does it; the server calls it at
/// start too, so a server function that answers before any page was rendered speaks the same words.
pub fn add_messages() {
    add_host_messages(&MESSAGES);
}

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    add_messages();
    let i18n = provide_i18n();
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(policy) = http::HeaderValue::from_str(&headers::page_policy(&nonce.to_string())) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    #[cfg(feature = "ssr")]
    let theme = theme::from_request();
    #[cfg(not(feature = "ssr"))]
    let theme = theme::Theme::default();
    provide_context(theme);
    view! {
        <!DOCTYPE html>
        <html lang=i18n.tag() data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The demo application's root component, rendered on the server: the site runs in islands mode, so the browser
/// runs the devices list and nothing else, and every form here posts without JavaScript.
#[component]
pub fn App() -> impl IntoView {
    add_messages();
    provide_meta_context();
    let i18n = provide_i18n();
    view! {
        <Title text=i18n.t("app-name")/>
        <Router>
            <div class="app">
                // In-order streaming: every page is complete HTML without JavaScript (no out-of-order swaps).
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::InOrder/>
                    <Route path=path!("/signin") view=SignInPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/sessions") view=SessionsSettingsPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/sessions/history") view=HistoryPage ssr=SsrMode::InOrder/>
                    // Async: the whole page waits for the session, so a session that is not the user's answers 404.
                    <Route path=path!("/settings/sessions/:id") view=SessionPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/password") view=PasswordPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/settings/confirm") view=ConfirmPage ssr=SsrMode::InOrder/>
                    // Async: the access check settles before the status line is sent, so non-admins get a real 404.
                    <Route path=path!("/admin/sessions") view=admin::AdminPage ssr=SsrMode::Async/>
                </Routes>
            </div>
            <hydrated::Hydrated/>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_exists_in_every_language() {
        let keys = |s: String| -> Vec<String> {
            let mut k: Vec<String> = s
                .lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.to_owned()))
                .collect();
            k.sort();
            k
        };
        let en = include_str!("../../locales/en/demo.ftl").to_owned() + include_str!("../../locales/en/admin.ftl");
        let es = include_str!("../../locales/es/demo.ftl").to_owned() + include_str!("../../locales/es/admin.ftl");
        assert_eq!(keys(en), keys(es));
    }

    #[test]
    fn the_demo_speaks_its_own_words_and_the_library_s() {
        super::add_messages();
        let es = leptos_sessions::i18n::I18n::for_tag("es");
        assert_ne!(es.t("app-name"), "app-name");
        assert_eq!(es.t("devices-title"), "Tus dispositivos");
    }
}
