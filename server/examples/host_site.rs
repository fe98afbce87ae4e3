//! A second host site, built only from leptos-sessions' public API (nothing from the demo module): its own
//! accounts, layout, routes and login handler, with the devices section mounted in its `/account/security` page in a
//! dark theme. It renders on the server only; every control in the section is a plain form, so it works without a
//! WASM bundle (a hydrated site mounts the same components).
//!
//! Run: `cargo run -p server --example host_site` and open http://127.0.0.1:3200 (sign in as ada@example.com or
//! grace@example.com, password `correct horse battery staple`). `HOST_ADDR` and `HOST_DATABASE_URL` override the
//! address and the SQLite file. The Playwright test `end2end/tests/host.spec.ts` drives it.
//!
//! The README's "Add it to your site" snippets are excerpts of this file (a test keeps them in sync).

// Leptos view types nest deeply; the release build needs more room than rustc's default to lay them out.
#![recursion_limit = "256"]

// ANCHOR: imports
use std::net::SocketAddr;

use axum::body::Body;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_router::components::{Route, Router as PageRouter, Routes, A};
use leptos_router::{path, SsrMode};
use leptos_sessions::engine::{Config, Sessions, SqliteStore};
use leptos_sessions::{ApiError, DevicesSection, LoginHistory};
// ANCHOR_END: imports

/// The host's own accounts; a real site has its user table and password hashing here.
const ACCOUNTS: &[(&str, &str)] = &[("ada@example.com", "user-ada"), ("grace@example.com", "user-grace")];
const PASSWORD: &str = "correct horse battery staple";

// ANCHOR: login
#[server(endpoint = "host/log-in")]
async fn log_in(email: String, password: String) -> Result<(), ApiError> {
    use leptos_sessions::engine::Auth;
    let account = ACCOUNTS.iter().find(|(known, _)| known.eq_ignore_ascii_case(email.trim()));
    match account {
        Some((_, user_id)) if password == PASSWORD => {
            // Sets the session and device cookies, records the login, ends this browser's previous session.
            leptos_sessions::server::sign_in(user_id, Auth::password().identity(&email)).await?;
            leptos_axum::redirect("/account/security");
            Ok(())
        }
        _ => {
            // Recorded with the identity as typed, even when no such account exists.
            leptos_sessions::server::record_failed_attempt(&email, "invalid_credentials").await;
            Err(ApiError::Unauthorized)
        }
    }
}
// ANCHOR_END: login

#[server(endpoint = "host/log-out")]
async fn log_out() -> Result<(), ApiError> {
    leptos_sessions::server::sign_out().await?;
    leptos_axum::redirect("/");
    Ok(())
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
    let signed_in = leptos_sessions::server::current_session().is_some();
    view! {
        <h1>"Welcome to Host Co."</h1>
        {if signed_in {
            view! { <p><A href="/account/security">"Manage your devices"</A></p> }.into_any()
        } else {
            view! { <p><A href="/login">"Log in"</A></p> }.into_any()
        }}
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
    if leptos_sessions::server::current_session().is_some() {
        view! {
            <nav class="host-nav">
                <A href="/account/security">"Security"</A>
                <ActionForm action=log_out>
                    <button type="submit">"Log out"</button>
                </ActionForm>
            </nav>
        }
        .into_any()
    } else {
        view! { <A href="/login">"Log in"</A> }.into_any()
    }
}

#[component]
fn HostApp() -> impl IntoView {
    view! {
        <PageRouter>
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
        </PageRouter>
    }
}

fn shell() -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme="dark">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Host Co."</title>
                <link rel="stylesheet" href="/assets/sessions.css"/>
                <link rel="stylesheet" href="/assets/host.css"/>
            </head>
            <body>
                <HostApp/>
            </body>
        </html>
    }
}

/// The host's own look; the section's colours come from its `--sessions-*` properties, overridden here.
const HOST_CSS: &str = "
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

/// Signed-out visits to `/account/...` go to the login page.
async fn require_login(req: axum::http::Request<Body>, next: Next) -> Response {
    let signed_in = req.extensions().get::<leptos_sessions::engine::CurrentSession>().is_some();
    if req.uri().path().starts_with("/account") && !signed_in {
        return Redirect::to("/login").into_response();
    }
    next.run(req).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("HOST_ADDR").unwrap_or_else(|_| "127.0.0.1:3200".into()).parse()?;
    let database = std::env::var("HOST_DATABASE_URL").unwrap_or_else(|_| "sqlite://host-site.db".into());
    let secret = std::env::var("HOST_SECRET_KEY").unwrap_or_else(|_| "host site example: use 32+ random bytes".into());

    // ANCHOR: layer
    let store = SqliteStore::open(&database).await?;
    // secure_cookies(false) only because this example serves plain HTTP on localhost.
    let config = Config::new(&secret)?.secure_cookies(false);
    let sessions = Sessions::try_new(config, store)?;
    // ANCHOR_END: layer

    let options = LeptosOptions::builder().output_name("host").site_addr(addr).build();
    // ANCHOR: router
    let app = Router::new()
        .route("/assets/sessions.css", get(|| async { ([("content-type", "text/css")], leptos_sessions::STYLESHEET) }))
        .route("/assets/host.css", get(|| async { ([("content-type", "text/css")], HOST_CSS) }))
        .leptos_routes(&options, generate_route_list(HostApp), shell)
        .layer(axum::middleware::from_fn(require_login))
        .layer(sessions.layer())
        .with_state(options);
    // ANCHOR_END: router

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("host site on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
    Ok(())
}
