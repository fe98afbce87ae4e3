//! The demo server and its command line.
//!
//! `server` (or `server serve`) runs the site; `server migrate` only creates and migrates the database; the
//! maintenance and triage commands (`sweep`, `failed-logins`, `history`, `sessions`, `revoke-all`, `admin`,
//! `forget`, `rederive`) are listed in the README.

mod admin;
mod settings;

use std::net::SocketAddr;

use app::alerts::Alerts;
use app::limit::{Limits, Throttle};
use app::{guard, headers, shell, users::Users, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_sessions::engine::{visible_identity, Config, PgStore, SessionStore, Sessions, SqliteStore};

use settings::Settings;

// The session layer allocates a few small values per request (its request extensions, the response future); under
// glibc's malloc they were its largest cost under load (BENCHMARKS.md, "The per-request layer at 0.90").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    app::add_messages();
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
    // The store has created and migrated the database; the demo's own tables live beside it (opening them repairs
    // accounts stored before identities kept their hidden characters: `Users::repair_identities`).
    let users = Users::open(&settings.database_url).await?;
    sign_out_repaired_accounts(&settings, &store, &users).await?;
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
            let typed = typed_email(&std::env::args().nth(2).ok_or("usage: server forget <email>")?);
            let alerts = Alerts::from_pool(users.pool().clone()).await?;
            let sessions = Sessions::try_new(erasing_demo_rows(config(&settings)?, &users, &alerts), store)?;
            if let Some(user) = users.by_email(&typed).await? {
                // First no password opens the account any more, so no sign-in starts during the erasure; the
                // library then erases the registry and the trail, the hook deletes the alerts and the account,
                // and the library erases the registry and the trail again, which catches a sign-in that passed
                // its password check just before the account was disabled (see `Sessions::forget`).
                users.disable(&user.id).await?;
                let (rows, events) = sessions.forget(&user.id, std::slice::from_ref(&user.email)).await?;
                println!(
                    "forgot {}: the account and its alerts, {rows} sessions and {events} trail events (failed \
                     attempts typed against it included) deleted",
                    visible_identity(&user.email)
                );
                return Ok(());
            }
            // No account has the email: an earlier run failed after the account was deleted (the WAL could not be
            // emptied, say), a sign-in that raced the erasure left its rows, or there never was one. Whatever the
            // trail still holds under the email goes all the same: the users it says signed in with it and have
            // no account (their sessions, events and alerts), the failed attempts typed against it; then the scrub.
            let email = app::users::normalize_email(&typed);
            let orphans = users.orphans_signed_in_as(&email).await?;
            let (mut rows, mut events) = (0, 0);
            for id in orphans.iter().map(String::as_str).chain(orphans.is_empty().then_some("")) {
                let (more_rows, more_events) = sessions.forget(id, std::slice::from_ref(&email)).await?;
                (rows, events) = (rows + more_rows, events + more_events);
            }
            println!(
                "no account has the email {}: erased what was left under it, {rows} sessions and {events} trail \
                 events (failed attempts typed against it included){}",
                visible_identity(&email),
                if store_is_sqlite(&settings) { ", and emptied the WAL" } else { "" }
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
            let email = typed_email(&email);
            if !users.set_admin(&email, grant).await? {
                return Err(format!("no account with the email {}", visible_identity(&email)).into());
            }
            let done = if grant { "may now open /admin/sessions" } else { "is no longer an administrator" };
            println!("{} {done}", visible_identity(&app::users::normalize_email(&email)));
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

/// Ends the sessions of the accounts `Users::open` found disguised as another (an email with hidden characters,
/// stored before sign-up refused them), before anything is served: `account_disabled`, by `system`, through the
/// library, so the trail says so and every cache drops them. An account leaves the list once its sessions ended.
async fn sign_out_repaired_accounts<S: SessionStore + Clone + 'static>(
    settings: &Settings,
    store: &S,
    users: &Users,
) -> Result<(), Box<dyn std::error::Error>> {
    let pending = users.pending_sign_outs().await?;
    if pending.is_empty() {
        return Ok(());
    }
    let sessions = Sessions::try_new(config(settings)?, store.clone())?;
    for id in pending {
        let ended = sessions.end_all(&id, "account_disabled", Some("system")).await?;
        users.signed_out(&id).await?;
        tracing::warn!(user_id = %id, ended, "signed out an account whose email had hidden characters");
    }
    Ok(())
}

/// An email as the operator typed it, with the `<U+FFFD>` spellings the console and the CLI print turned back into
/// the characters, so an identity copied from their output finds its account.
fn typed_email(typed: &str) -> String {
    let mut out = String::with_capacity(typed.len());
    let mut rest = typed;
    while let Some(at) = rest.find("<U+") {
        out.push_str(&rest[..at]);
        let spelled = rest[at + 3..].split_once('>').and_then(|(hex, _)| {
            let c = (hex.len() <= 6).then(|| u32::from_str_radix(hex, 16).ok()).flatten().and_then(char::from_u32)?;
            Some((c, at + 3 + hex.len() + 1))
        });
        match spelled {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end..];
            }
            None => {
                out.push_str("<U+");
                rest = &rest[at + 3..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn store_is_sqlite(settings: &Settings) -> bool {
    settings.database_url.starts_with("sqlite:")
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
/// after a failure here `server forget` still finds the person by email. After a failure past it (the scrub),
/// `server forget` finds what is left through the trail (`Users::orphans_signed_in_as`).
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
    let throttle =
        Throttle::new(Limits { sign_up: settings.sign_up_rate, pair: settings.sign_in_rate, ..Limits::default() });
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
    // scripts/build.sh names the bundle's files by their content and lists the names in the site's hash.txt;
    // Leptos reads that file relative to the binary, unless the path is absolute.
    let hashes = std::path::absolute(std::path::Path::new(leptos_options.site_root.as_ref()).join("hash.txt"))?;
    leptos_options.hash_files = hashes.exists();
    leptos_options.hash_file = hashes.to_string_lossy().as_ref().into();
    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/theme", axum::routing::post(app::theme::choose).with_state(settings.secure_cookies))
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
        .fallback(leptos_axum::file_and_error_handler(shell));
    let app = leptos_sessions::assets::serve(app, &leptos_options)
        .layer(axum::middleware::from_fn(guard::require_sign_in))
        .layer(sessions.layer())
        .layer(axum::middleware::map_response(app::refusal::page))
        .layer(axum::middleware::from_fn_with_state(settings.secure_cookies, headers::security_headers))
        .with_state(leptos_options);

    let live = sessions.clone();
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(settings.addr).await?.tap_io(|tcp| {
        // Streamed SSR sends many small chunks; Nagle plus delayed ACK would add ~40 ms to each page.
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!("listening on http://{}", settings.addr);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            // Open pages' live streams would hold the shutdown until their tabs close.
            live.close_live();
        })
        .await?;
    Ok(())
}
