//! The demo server and its command line.
//!
//! `server` (or `server serve`) runs the site; `server migrate` only creates and migrates the database; the
//! maintenance and triage commands (`sweep`, `failed-logins`, `history`, `sessions`, `revoke-all`, `admin`,
//! `forget`, `rederive`) are listed in the README.

mod admin;
mod settings;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_sessions::demo::alerts::Alerts;
use leptos_sessions::demo::limit::Throttle;
use leptos_sessions::demo::{guard, headers, shell, users::Users, App};
use leptos_sessions::engine::{Config, PgStore, SessionStore, Sessions, SqliteStore};

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
    let url = settings.database_url.clone();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::open(&url).await?;
        run_with(command, settings, store).await
    } else if url.starts_with("sqlite:") {
        let store = SqliteStore::open(&url).await?;
        run_with(command, settings, store).await
    } else {
        Err(format!("SESSIONS_DATABASE_URL must start with sqlite:// or postgres://, got {url:?}").into())
    }
}

async fn run_with<S: SessionStore + Clone + 'static>(
    command: String,
    settings: Settings,
    store: S,
) -> Result<(), Box<dyn std::error::Error>> {
    // The store has created and migrated the database; the demo's own tables live beside it.
    let users = Users::open(&settings.database_url).await?;
    match command.as_str() {
        "serve" => serve(settings, store, users).await,
        "migrate" => {
            println!("database ready: {}", settings.database_url);
            Ok(())
        }
        "rederive" => {
            leptos_sessions::engine::device::warm_up();
            let sessions = Sessions::try_new(config(&settings)?, store)?;
            let changed = sessions.rederive().await?;
            println!("re-derived device fields: {changed} rows changed");
            Ok(())
        }
        "sweep" => {
            let r = Sessions::try_new(config(&settings)?, store)?.sweep().await?;
            println!(
                "sweep: {} sessions expired, {} pruned over the cap, {} events and {} ended sessions purged",
                r.expired, r.pruned, r.events_purged, r.rows_purged
            );
            Ok(())
        }
        "forget" => {
            let email = std::env::args().nth(2).ok_or("usage: server forget <email>")?;
            let user = users.by_email(&email).await?.ok_or_else(|| format!("no account with the email {email:?}"))?;
            let alerts = Alerts::from_pool(users.pool().clone()).await?;
            let sessions = Sessions::try_new(erasing_demo_rows(config(&settings)?, &users, &alerts), store)?;
            let (rows, events) = sessions.forget(&user.id, std::slice::from_ref(&user.email)).await?;
            println!(
                "forgot {}: the account and its alerts, {rows} sessions and {events} trail events (failed attempts \
                 typed against it included) deleted",
                user.email
            );
            Ok(())
        }
        "admin" => {
            let usage = "usage: server admin grant|revoke <email>";
            let (action, email) = (std::env::args().nth(2).ok_or(usage)?, std::env::args().nth(3).ok_or(usage)?);
            let grant = match action.as_str() {
                "grant" => true,
                "revoke" => false,
                _ => return Err(usage.into()),
            };
            if !users.set_admin(&email, grant).await? {
                return Err(format!("no account with the email {email:?}").into());
            }
            let done = if grant { "may now open /admin/sessions" } else { "is no longer an administrator" };
            println!("{} {done}", leptos_sessions::demo::users::normalize_email(&email));
            Ok(())
        }
        "failed-logins" | "history" | "sessions" | "revoke-all" => {
            let args = admin::Args::parse(&std::env::args().skip(2).collect::<Vec<_>>())?;
            let sessions = Sessions::try_new(config(&settings)?, store)?;
            let output = match command.as_str() {
                "failed-logins" => admin::failed_logins(&sessions, &args).await?,
                "history" => admin::history(&sessions, &users, &args).await?,
                "sessions" => admin::sessions_of(&sessions, &users, &args).await?,
                _ => admin::revoke_all(&sessions, &users, &args).await?,
            };
            println!("{output}");
            Ok(())
        }
        other => Err(format!(
            "unknown command {other:?}; expected serve, migrate, sweep, failed-logins, history <email>, sessions <email>, \
             revoke-all <email>, admin grant|revoke <email>, forget <email> or rederive"
        )
        .into()),
    }
}

/// The engine configuration the environment asks for.
fn config(settings: &Settings) -> Result<Config, Box<dyn std::error::Error>> {
    let mut config = Config::new(&settings.secret_key)?
        .secure_cookies(settings.secure_cookies)
        .client_ip(settings.client_ip.clone())
        .request_client_hints(settings.client_hints)
        .native_app_names(settings.native_apps.clone())
        .trusted_origins(&settings.trusted_origins)
        .map_err(|e| format!("SESSIONS_TRUSTED_ORIGINS: {e}"))?;
    if let Some(preset) = &settings.preset {
        config = config.preset(preset)?;
    }
    if let Some(idle) = settings.idle_timeout {
        config = config.idle_timeout(idle);
    }
    if let Some(absolute) = settings.absolute_timeout {
        config = config.absolute_timeout(absolute);
    }
    if let Some(cap) = settings.session_cap {
        config = config.session_cap(cap);
    }
    if let Some(window) = settings.sudo_window {
        config = config.sudo_window(window);
    }
    if let Some(retention) = settings.retention {
        config = config.retention(retention);
    }
    config.validate()?;
    if let Some(path) = &settings.geoip_db {
        config = config.geoip(path, "en")?;
        tracing::info!(path, "geolocation on");
    }
    Ok(config)
}

/// The demo's own rows in every erasure (`Sessions::forget` runs this): the alerts, then the account, last, so that
/// after a failure `server forget` still finds the person and running it again finishes the job.
fn erasing_demo_rows(config: Config, users: &Users, alerts: &Alerts) -> Config {
    let (users, alerts) = (users.clone(), alerts.clone());
    config.on_forget(move |user_id| {
        let (users, alerts) = (users.clone(), alerts.clone());
        async move {
            alerts.forget(&user_id).await?;
            users.forget(&user_id).await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }
    })
}

async fn serve<S: SessionStore + 'static>(
    settings: Settings,
    store: S,
    users: Users,
) -> Result<(), Box<dyn std::error::Error>> {
    let alerts = Alerts::from_pool(users.pool().clone()).await?;
    // Compile the user-agent rules before the first sign-in needs them.
    leptos_sessions::engine::device::warm_up();
    let config = erasing_demo_rows(config(&settings)?, &users, &alerts).on_new_device({
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
    let sessions = Sessions::try_new(config, store)?;
    let throttle = Throttle::default();
    if let Some(every) = settings.sweep_every {
        let sessions = sessions.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match sessions.sweep().await {
                    Ok(r) => tracing::info!(?r, "sweep done"),
                    Err(err) => tracing::warn!(error = %err, "sweep failed; will retry at the next interval"),
                }
            }
        });
    }

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
                provide_context(throttle.clone());
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(axum::middleware::from_fn(guard::require_sign_in))
        .layer(sessions.layer())
        .layer(axum::middleware::from_fn_with_state(settings.secure_cookies, headers::security_headers))
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
