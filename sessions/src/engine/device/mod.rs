//! Device intelligence, computed once at sign-in and stored on the row and its events (never per request):
//! the web parser (uap-core rules plus corrections), client hints, and native app shells.

mod hints;
mod native;
mod parse;

use std::collections::BTreeMap;

pub use hints::ACCEPT_CH;
pub use parse::{browser_display, os_display, warm_up};

/// User agents are stored and parsed up to this many characters; longer input is cut, never rejected.
pub const MAX_USER_AGENT_CHARS: usize = 1024;

/// What the client says about itself. Missing parts stay `None` rather than guessed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The browser's display name (`Chrome`, `Safari`, `Edge`, …); `None` when not recognized.
    pub browser_name: Option<String>,
    /// Major version only.
    pub browser_version: Option<String>,
    /// The operating system (`macOS`, `Windows`, `iOS`, `Android`, …); `None` when not recognized.
    pub os_name: Option<String>,
    /// Only when real: iOS versions, Android outside reduced user agents, or a client hint.
    pub os_version: Option<String>,
    /// desktop, smartphone, tablet, bot or unknown.
    pub device_type: &'static str,
    /// The device model (`Pixel 8`, `iPhone`), from the user agent, client hints or a native app's headers.
    pub device_model: Option<String>,
    /// The native app's name; `None` in a browser.
    pub app_name: Option<String>,
    /// The native app's version.
    pub app_version: Option<String>,
    /// The native app's build number.
    pub app_build: Option<String>,
}

/// Request headers that describe the client besides its user agent: `Sec-CH-UA-*` client hints and the
/// `X-Client-*` headers of native app shells, by lower-case name, each value cut to 256 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHeaders(pub BTreeMap<String, String>);

/// The headers [`ClientHeaders`] keeps.
pub const CLIENT_HEADERS: &[&str] = &[
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "sec-ch-ua-platform-version",
    "sec-ch-ua-model",
    "sec-ch-ua-full-version-list",
    "x-client-platform",
    "x-client-version",
    "x-client-build",
    "x-client-os",
    "x-client-model",
];

impl ClientHeaders {
    /// The [`CLIENT_HEADERS`] a request carries.
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        Self(
            CLIENT_HEADERS
                .iter()
                .filter_map(|name| {
                    let value = headers.get(*name)?.to_str().ok()?;
                    Some(((*name).to_owned(), value.chars().take(256).collect()))
                })
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The captured headers as JSON for storage, so names can be re-derived after a parser upgrade.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        (!self.0.is_empty()).then(|| serde_json::json!(self.0))
    }

    /// Reads back what [`ClientHeaders::to_json`] stored; other names and non-string values are dropped.
    pub fn from_json(value: Option<&serde_json::Value>) -> Self {
        let map = value
            .and_then(|v| v.as_object())
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| CLIENT_HEADERS.contains(&k.as_str()))
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.chars().take(256).collect())))
                    .collect()
            })
            .unwrap_or_default();
        Self(map)
    }
}

impl DeviceInfo {
    /// Parses a user agent alone.
    pub fn parse(user_agent: &str) -> Self {
        Self::detect(user_agent, &ClientHeaders::default(), &[])
    }

    /// Parses a user agent with the client's other headers; `app_names` are native app names to recognize
    /// anywhere in the user agent (for shells that cannot set a prefix).
    pub fn detect(user_agent: &str, headers: &ClientHeaders, app_names: &[String]) -> Self {
        let ua = truncate(user_agent);
        let mut info = parse::web(ua);
        hints::apply(&mut info, headers);
        native::apply(&mut info, ua, headers, app_names);
        info
    }

    pub(crate) fn unknown() -> Self {
        Self { device_type: "unknown", ..Self::default() }
    }
}

/// Cuts a user agent to [`MAX_USER_AGENT_CHARS`] characters on a character boundary.
pub fn truncate(user_agent: &str) -> &str {
    match user_agent.char_indices().nth(MAX_USER_AGENT_CHARS) {
        Some((at, _)) => &user_agent[..at],
        None => user_agent,
    }
}
