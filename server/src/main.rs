//! The demo server and its command line.
//!
//! `server` (or `server serve`) runs the site; `server migrate` only creates and migrates the database.

mod settings;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_sessions::demo::alerts::Alerts;
use leptos_sessions::demo::limit::SignInLimiter;
use leptos_sessions::demo::{guard, shell, users::Users, App};
use leptos_sessions::engine::{Config, Sessions, SqliteStore};

use settings::Settings;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    if let Err(err) = run().await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let settings = Settings::from_env()?;
    let store = SqliteStore::open(&settings.database_url).await?;
    let users = Users::from_pool(store.pool().clone()).await?;
    match command.as_str() {
        "serve" => serve(settings, store, users).await,
        "migrate" => {
            println!("database ready: {}", settings.database_url);
            Ok(())
        }
        "rederive" => {
            leptos_sessions::engine::device::warm_up();
            let sessions = Sessions::new(config(&settings)?, store);
            let changed = sessions.rederive().await?;
            println!("re-derived device fields: {changed} rows changed");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}; expected `serve`, `migrate` or `rederive`").into()),
    }
}

/// The engine configuration the environment asks for.
fn config(settings: &Settings) -> Result<Config, Box<dyn std::error::Error>> {
    let mut config = Config::new(&settings.secret_key)?
        .secure_cookies(settings.secure_cookies)
        .client_ip(settings.client_ip.clone())
        .request_client_hints(settings.client_hints)
        .native_app_names(settings.native_apps.clone());
    if let Some(path) = &settings.geoip_db {
        config = config.geoip(path, "en")?;
        tracing::info!(path, "geolocation on");
    }
    Ok(config)
}

async fn serve(settings: Settings, store: SqliteStore, users: Users) -> Result<(), Box<dyn std::error::Error>> {
    let alerts = Alerts::from_pool(store.pool().clone()).await?;
    // Compile the user-agent rules before the first sign-in needs them.
    leptos_sessions::engine::device::warm_up();
    let config = config(&settings)?.on_new_device({
        let alerts = alerts.clone();
        move |session, _event| {
            // Hooks must not hold up the sign-in: queue the alert in the background.
            let (alerts, session) = (alerts.clone(), session.clone());
            tokio::spawn(async move {
                if let Err(err) = alerts.new_device(&session).await {
                    tracing::warn!(error = %err, "could not queue the new-device alert");
                }
            });
        }
    });
    let sessions = Sessions::new(config, store);
    let limiter = SignInLimiter::default();

    let mut leptos_options = get_configuration(None)?.leptos_options;
    leptos_options.site_addr = settings.addr;
    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || {
                provide_context(users.clone());
                provide_context(alerts.clone());
                provide_context(limiter.clone());
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(axum::middleware::from_fn(guard::require_sign_in))
        .layer(sessions.layer())
        .with_state(leptos_options);

    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(settings.addr).await?.tap_io(|tcp| {
        // Streamed SSR sends many small chunks; Nagle plus delayed ACK would add ~40 ms to each page.
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!("listening on http://{}", settings.addr);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
