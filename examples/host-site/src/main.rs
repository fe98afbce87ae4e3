//! The host site's server. `HOST_ADDR`, `HOST_DATABASE_URL`, `HOST_SECRET_KEY` and `HOST_SITE_ROOT` (where the
//! browser bundle was built, `target/host-site`) override the defaults.

// Leptos view types nest deeply; the server build needs more room than rustc's default to lay them out.
#![recursion_limit = "256"]

use std::net::SocketAddr;

use axum::body::Body;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use host_site::{shell, HostApp, HOST_CSS};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_sessions::engine::{Config, Sessions, SqliteStore};

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
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let addr: SocketAddr = var("HOST_ADDR", "127.0.0.1:3200").parse()?;
    let database = var("HOST_DATABASE_URL", "sqlite://host-site.db");
    let secret = var("HOST_SECRET_KEY", "host site example: use 32+ random bytes");

    // ANCHOR: layer
    let store = SqliteStore::open(&database).await?;
    // secure_cookies(false) only because this example serves plain HTTP on localhost.
    let config = Config::new(&secret)?.secure_cookies(false);
    let sessions = Sessions::try_new(config, store)?;
    // ANCHOR_END: layer

    // The browser bundle (`host.js`, `host.wasm`) is served from <site root>/pkg, under the content-hashed names
    // its hash.txt lists when the build wrote one.
    let site_root = var("HOST_SITE_ROOT", "target/host-site");
    let hashes = std::path::absolute(std::path::Path::new(&site_root).join("hash.txt"))?;
    let options = LeptosOptions::builder()
        .output_name("host")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hashes.exists())
        .hash_file(hashes.to_string_lossy().as_ref().into())
        .build();
    // ANCHOR: router
    let app = Router::new()
        .route("/assets/sessions.css", get(|| async { ([("content-type", "text/css")], leptos_sessions::STYLESHEET) }))
        .route("/assets/host.css", get(|| async { ([("content-type", "text/css")], HOST_CSS) }))
        .leptos_routes(&options, generate_route_list(HostApp), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell));
    // The bundle precompressed and cached for a year, pages compressed on the fly.
    let app = leptos_sessions::assets::serve(app, &options)
        .layer(axum::middleware::from_fn(require_login))
        .layer(sessions.layer())
        .with_state(options);
    // ANCHOR_END: router

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("host site on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
    Ok(())
}
