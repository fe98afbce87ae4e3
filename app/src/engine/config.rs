use std::time::Duration;

use cookie::Key;

use super::Error;

/// Engine settings with safe defaults; only the signing secret is required.
#[derive(Clone)]
pub struct Config {
    pub(crate) key: Key,
    pub(crate) cookie_name: String,
    pub(crate) secure_cookies: bool,
    pub(crate) touch_interval: Duration,
    pub(crate) reject_cross_site: bool,
}

impl Config {
    /// A configuration signing cookies with `secret` (at least 32 bytes; keep it out of the repository).
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = leptos_sessions::engine::Config::new("0123456789abcdef0123456789abcdef")
    ///     .unwrap()
    ///     .secure_cookies(false)
    ///     .touch_interval(Duration::from_secs(60));
    /// ```
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, Error> {
        let secret = secret.as_ref();
        if secret.len() < 32 {
            return Err(Error::Config(format!(
                "the cookie signing secret must be at least 32 bytes, got {}",
                secret.len()
            )));
        }
        Ok(Self {
            key: Key::derive_from(secret),
            cookie_name: "session".into(),
            secure_cookies: true,
            touch_interval: Duration::from_secs(5 * 60),
            reject_cross_site: true,
        })
    }

    /// Marks cookies `Secure` (default on). Turn off only for plain-http development on loopback.
    pub fn secure_cookies(mut self, on: bool) -> Self {
        self.secure_cookies = on;
        self
    }

    /// The name of the session cookie (default `session`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// At most one `last_seen_at` write per session per interval (default 5 minutes).
    pub fn touch_interval(mut self, interval: Duration) -> Self {
        self.touch_interval = interval;
        self
    }

    /// Refuse state-changing requests sent by another site (default on).
    pub fn reject_cross_site(mut self, on: bool) -> Self {
        self.reject_cross_site = on;
        self
    }
}
