//! Settings from `SESSIONS_*` environment variables, with development defaults under `data/`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use leptos_sessions::engine::ClientIp;

pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: String,
    pub secret_key: String,
    pub secure_cookies: bool,
    pub client_ip: ClientIp,
    pub geoip_db: Option<String>,
    pub client_hints: bool,
    pub native_apps: Vec<String>,
    pub trusted_origins: Vec<String>,
    /// The demo's sign-ups per address (`10/1h`).
    pub sign_up_rate: app::limit::Rule,
    /// The demo's sign-in attempts per address and email (`5/1m`).
    pub sign_in_rate: app::limit::Rule,
    pub preset: Option<String>,
    pub idle_timeout: Option<Option<Duration>>,
    pub absolute_timeout: Option<Option<Duration>>,
    pub session_cap: Option<usize>,
    pub sudo_window: Option<Option<Duration>>,
    pub retention: Option<Duration>,
    /// `None`: the server does not sweep on its own.
    pub sweep_every: Option<Duration>,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let addr: SocketAddr = var("SESSIONS_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e| format!("SESSIONS_ADDR: {e}"))?;
        let database_url = match var("SESSIONS_DATABASE_URL") {
            Some(url) => url,
            None => {
                std::fs::create_dir_all("data").map_err(|e| format!("creating data/: {e}"))?;
                "sqlite://data/sessions.db".into()
            }
        };
        let secret_key = match var("SESSIONS_SECRET_KEY") {
            Some(key) => key,
            None => development_key(Path::new("data/secret_key"))?,
        };
        let secure_cookies = match var("SESSIONS_SECURE_COOKIES").as_deref() {
            Some("1" | "true" | "on" | "yes") => true,
            Some("0" | "false" | "off" | "no") => false,
            Some(other) => return Err(format!("SESSIONS_SECURE_COOKIES: expected true or false, got {other:?}")),
            // Browsers drop Secure cookies on plain http, which is what loopback development uses.
            None => !addr.ip().is_loopback(),
        };
        let flag = |name: &str| -> Result<bool, String> {
            match var(name).as_deref() {
                None | Some("0" | "false" | "off" | "no") => Ok(false),
                Some("1" | "true" | "on" | "yes") => Ok(true),
                Some(other) => Err(format!("{name}: expected true or false, got {other:?}")),
            }
        };
        let trusted_proxies = match var("SESSIONS_TRUSTED_PROXIES") {
            Some(list) => ClientIp::parse_proxies(&list).map_err(|e| format!("SESSIONS_TRUSTED_PROXIES: {e}"))?,
            None => Vec::new(),
        };
        let header = var("SESSIONS_CLIENT_IP_HEADER")
            .map(|h| {
                h.parse::<http::HeaderName>()
                    .map_err(|_| format!("SESSIONS_CLIENT_IP_HEADER: {h:?} is not a header name"))
            })
            .transpose()?;
        if header.is_some() && trusted_proxies.is_empty() {
            return Err(
                "SESSIONS_CLIENT_IP_HEADER needs SESSIONS_TRUSTED_PROXIES: the header is only believed from them"
                    .into(),
            );
        }
        let truncate = match var("SESSIONS_IP_PRIVACY").as_deref() {
            None | Some("full") => false,
            Some("truncated") => true,
            Some(other) => return Err(format!("SESSIONS_IP_PRIVACY: expected full or truncated, got {other:?}")),
        };
        let duration = |name: &str| -> Result<Option<Option<Duration>>, String> {
            var(name).map(|v| parse_duration(&v).map_err(|e| format!("{name}: {e}"))).transpose()
        };
        let sweep_every = match duration("SESSIONS_SWEEP_INTERVAL")? {
            None => Some(Duration::from_secs(24 * 3600)),
            Some(every) => every,
        };
        Ok(Self {
            preset: var("SESSIONS_PRESET"),
            idle_timeout: duration("SESSIONS_IDLE_TIMEOUT")?,
            absolute_timeout: duration("SESSIONS_ABSOLUTE_TIMEOUT")?,
            session_cap: var("SESSIONS_SESSION_CAP")
                .map(|v| v.parse().map_err(|_| format!("SESSIONS_SESSION_CAP: {v:?} is not a number")))
                .transpose()?,
            sudo_window: duration("SESSIONS_SUDO_WINDOW")?,
            retention: duration("SESSIONS_RETENTION")?
                .map(|r| r.ok_or("SESSIONS_RETENTION cannot be off; give a duration such as 365d"))
                .transpose()?,
            sweep_every,
            addr,
            database_url,
            secret_key,
            secure_cookies,
            client_ip: ClientIp { trusted_proxies, header, truncate },
            geoip_db: var("SESSIONS_GEOIP_DB"),
            client_hints: flag("SESSIONS_CLIENT_HINTS")?,
            sign_in_rate: match var("SESSIONS_SIGNIN_RATE") {
                Some(rate) => app::limit::Rule::parse(&rate).map_err(|e| format!("SESSIONS_SIGNIN_RATE: {e}"))?,
                None => app::limit::Limits::default().pair,
            },
            sign_up_rate: match var("SESSIONS_SIGNUP_RATE") {
                Some(rate) => app::limit::Rule::parse(&rate).map_err(|e| format!("SESSIONS_SIGNUP_RATE: {e}"))?,
                None => app::limit::Limits::default().sign_up,
            },
            trusted_origins: var("SESSIONS_TRUSTED_ORIGINS")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            native_apps: var("SESSIONS_NATIVE_APPS")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
        })
    }
}

/// A random signing key made once and kept in `data/` (git-ignored), so restarts keep everyone signed in.
fn development_key(path: &Path) -> Result<String, String> {
    if let Ok(key) = std::fs::read_to_string(path) {
        if key.trim().len() >= 32 {
            return Ok(key.trim().to_owned());
        }
    }
    let mut bytes = [0u8; 64];
    rand::fill(&mut bytes);
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    write_private(path, &key).map_err(|e| format!("writing {}: {e}", path.display()))?;
    tracing::info!("generated a development cookie key in {}", path.display());
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// `90s`, `15m`, `1h`, `30d`, or `off`.
pub fn parse_duration(value: &str) -> Result<Option<Duration>, String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let (number, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = number.parse().map_err(|_| format!("{value:?} is not a duration such as 15m, 1h, 30d or off"))?;
    let seconds = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{value:?}: the unit must be s, m, h or d")),
    };
    Ok(Some(Duration::from_secs(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m").unwrap(), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("30d").unwrap(), Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("45").unwrap(), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("off").unwrap(), None);
        assert!(parse_duration("1w").is_err() && parse_duration("soon").is_err());
    }
}
