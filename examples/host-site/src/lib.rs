//! A second host site, built only from leptos-sessions' public API (nothing from the demo module): its own
//! accounts, layout, routes and login handler, with the devices section mounted in its `/account/security` page in a
//! dark theme. Server-rendered in Leptos's islands mode: only the devices list is interactive, so the browser bundle
//! (this crate compiled with `hydrate`) holds its code and nothing else; `src/main.rs` is the server (feature `ssr`).
//! Built with the `whole-page` feature as well, it hydrates the whole page instead (the browser suite runs both).
//!
//! Run: `scripts/host-site.sh` and open http://127.0.0.1:3200 (sign in as ada@example.com or grace@example.com,
//! password `correct horse battery staple`). The Playwright test `end2end/tests/host.spec.ts` drives it.
//!
//! The README's "Add it to your site" snippets are excerpts of this crate (a test keeps them in sync).

// Leptos view types nest deeply; the release build needs more room than rustc's default to lay them out.
#![recursion_limit = "256"]

// ANCHOR: imports
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};
use leptos_sessions::{ApiError, DevicesSection, LoginHistory};
// ANCHOR_END: imports

/// The host's own accounts; a real site has its user table and password hashing here.
#[cfg(feature = "ssr")]
const ACCOUNTS: &[(&str, &str)] = &[("ada@example.com", "user-ada"), ("grace@example.com", "user-grace")];
#[cfg(feature = "ssr")]
const PASSWORD: &str = "correct horse battery staple";

// ANCHOR: login
#[server(endpoint = "host/log-in")]
async fn log_in(email: String, password: String) -> Result<(), ApiError> {
    use leptos_sessions::engine::Auth;
    let account = ACCOUNTS.iter().find(|(known, _)| known.eq_ignore_ascii_case(email.trim()));
    match account {
        Some((_, user_id)) if password == PASSWORD => {
            // Sets the session and device cookies, records the login, ends this browser's previous session.
            leptos_sessions::context::sign_in(user_id, Auth::password().identity(&email)).await?;
            leptos_axum::redirect("/account/security");
            Ok(())
        }
        _ => {
            // Recorded with the identity as typed, even when no such account exists.
            leptos_sessions::context::record_failed_attempt(&email, "invalid_credentials").await;
            Err(ApiError::Unauthorized)
        }
    }
}
// ANCHOR_END: login

#[server(endpoint = "host/log-out")]
async fn log_out() -> Result<(), ApiError> {
    leptos_sessions::context::sign_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Whether this request is signed in (the header and the home page ask on every navigation).
#[server(endpoint = "host/signed-in")]
async fn signed_in() -> Result<bool, ApiError> {
    Ok(leptos_sessions::context::current_session().is_some())
}

/// Asks again after each navigation, so the header follows a sign-in or sign-out made in the page.
fn signed_in_resource() -> Resource<Result<bool, ApiError>> {
    let location = use_location();
    Resource::new(move || location.pathname.get(), |_| signed_in())
}

// ANCHOR: page
#[component]
fn SecurityPage() -> impl IntoView {
    view! {
        <h1>"Account security"</h1>
        <DevicesSection history_href="/account/security/history"/>
    }
}

#[component]
fn SecurityHistoryPage() -> impl IntoView {
    view! { <LoginHistory back="/account/security"/> }
}
// ANCHOR_END: page

#[component]
fn HomePage() -> impl IntoView {
    let me = signed_in_resource();
    view! {
        <h1>"Welcome to Host Co."</h1>
        <Transition fallback=|| ()>
            {move || match me.get() {
                Some(Ok(true)) => view! { <p><A href="/account/security">"Manage your devices"</A></p> }.into_any(),
                Some(_) => view! { <p><A href="/login">"Log in"</A></p> }.into_any(),
                None => ().into_any(),
            }}
        </Transition>
    }
}

#[component]
fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = move || action.value().get().and_then(Result::err).map(|_| "Wrong email or password.");
    view! {
        <h1>"Log in to Host Co."</h1>
        <p class="host-error" role="alert">{error}</p>
        <ActionForm action>
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" autocomplete="username" required/>
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required/>
            <button type="submit">"Log in"</button>
        </ActionForm>
    }
}

#[component]
fn AccountNav() -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let me = signed_in_resource();
    view! {
        <Transition fallback=|| ()>
            {move || match me.get() {
                Some(Ok(true)) => view! {
                    <nav class="host-nav">
                        <A href="/account/security">"Security"</A>
                        <ActionForm action=log_out>
                            <button type="submit">"Log out"</button>
                        </ActionForm>
                    </nav>
                }
                .into_any(),
                Some(_) => view! { <A href="/login">"Log in"</A> }.into_any(),
                None => ().into_any(),
            }}
        </Transition>
    }
}

/// The site's root component. In islands mode it is rendered on the server only and the browser hydrates the devices
/// list (an island) alone; built with `whole-page`, the browser hydrates all of it.
#[component]
pub fn HostApp() -> impl IntoView {
    // The section's strings follow Accept-Language.
    leptos_sessions::i18n::provide_i18n();
    view! {
        <Router>
            <header class="host-bar">
                <a href="/" class="host-brand">"Host Co."</a>
                <AccountNav/>
            </header>
            <main class="host-main">
                <Routes fallback=|| view! { <h1>"Not found"</h1> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::InOrder/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/account/security") view=SecurityPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/account/security/history") view=SecurityHistoryPage ssr=SsrMode::InOrder/>
                </Routes>
            </main>
            <Hydrated/>
        </Router>
    }
}

/// Browser tests wait for this marker before clicking, so they never race hydration. Islands hydrate in the
/// order of the page, so the last one marks them all.
#[island]
fn Hydrated() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! { <span hidden data-hydrated=move || hydrated.get().to_string()></span> }
}

/// Islands, unless built with the `whole-page` feature.
const ISLANDS: bool = !cfg!(feature = "whole-page");

/// The HTML document around [`HostApp`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let i18n = leptos_sessions::i18n::provide_i18n();
    view! {
        <!DOCTYPE html>
        <html lang=i18n.tag() data-theme="dark">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Host Co."</title>
                <link rel="stylesheet" href="/assets/sessions.css"/>
                <link rel="stylesheet" href="/assets/host.css"/>
                <HydrationScripts options islands=ISLANDS/>
            </head>
            <body>
                <HostApp/>
            </body>
        </html>
    }
}

/// The host's own look; the section's colours come from its `--sessions-*` properties, overridden here.
pub const HOST_CSS: &str = "
:root { color-scheme: dark; --sessions-accent: #f0a34a; --sessions-accent-text: #ffd29c; --sessions-radius: 4px; }
body { margin: 0; background: #0f1115; color: #e6e8eb; font: 16px/1.5 Georgia, serif; }
.host-bar { display: flex; justify-content: space-between; align-items: center; padding: 0.75rem 1.5rem;
  border-bottom: 1px solid #2e3540; }
.host-bar form, .host-bar button { margin: 0; }
.host-nav { display: flex; gap: 1rem; align-items: center; }
.host-bar a { color: #f0a34a; }
.host-brand { color: #f0a34a; font-weight: bold; text-decoration: none; }
.host-main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
.host-main a { color: #f0a34a; }
.host-main label { display: block; margin-top: 0.75rem; }
.host-main input { font: inherit; padding: 0.4rem; width: 100%; max-width: 22rem; }
button { font: inherit; margin-top: 0.75rem; }
.host-error:empty { display: none; }
.host-error { color: #ff8a80; }
";

// ANCHOR: hydrate
/// The browser bundle's entry point.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    if cfg!(feature = "whole-page") {
        leptos::mount::hydrate_body(HostApp);
    } else {
        leptos::mount::hydrate_islands();
    }
}
// ANCHOR_END: hydrate
