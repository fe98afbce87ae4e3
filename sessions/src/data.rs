//! Plain data the components render. It crosses the wire from server functions, so it compiles for both sides and
//! carries no engine types.

use serde::{Deserialize, Serialize};

/// What is known about a device, enough to name it ("Chrome 137 on macOS", "MyApp 2.4.1 on Pixel 8 (Android 16)").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFields {
    /// The browser's display name (`Chrome`, `Firefox`, …); `None` when not recognized or in a native app.
    pub browser_name: Option<String>,
    /// The browser's major version.
    pub browser_version: Option<String>,
    /// The operating system (`macOS`, `Windows`, `iOS`, `Android`, …).
    pub os_name: Option<String>,
    /// The OS version, only when the client really reports it.
    pub os_version: Option<String>,
    /// desktop, smartphone, tablet, bot or unknown.
    pub device_type: String,
    /// The device model (`Pixel 8`, `iPhone`), when known.
    pub device_model: Option<String>,
    /// The native app's name; `None` in a browser.
    pub app_name: Option<String>,
    /// The native app's version.
    pub app_version: Option<String>,
}

/// An approximate place from the IP address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceView {
    /// ISO 3166-1 alpha-2 code, upper case, for the flag.
    pub country_code: Option<String>,
    /// "City, Country" (or just the country).
    pub label: String,
}

impl PlaceView {
    /// The place to show for stored location fields; `None` when neither a city nor a country is known.
    pub fn new(country_code: Option<String>, city: Option<String>, country_name: Option<String>) -> Option<Self> {
        let label =
            [city, country_name.or_else(|| country_code.clone())].into_iter().flatten().collect::<Vec<_>>().join(", ");
        (!label.is_empty()).then_some(Self { country_code, label })
    }
}

/// One signed-in device, as the devices list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// The session's row id, which [`revoke_device`](crate::api::revoke_device) takes.
    pub id: String,
    /// What names the device.
    pub device: DeviceFields,
    /// The address last seen (else the sign-in address), truncated in privacy mode.
    pub ip_address: Option<String>,
    /// Where the sign-in address probably is; `None` without geolocation or for private addresses.
    pub place: Option<PlaceView>,
    /// password, oauth, passkey, magic_link, otp, sso, google_one_tap, token, unknown (or a host's own tag).
    pub auth_method: String,
    /// The identity provider (`github`, `google`, …), when the method has one.
    pub auth_provider: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_seen_at: i64,
    /// Whether this is the device the list was requested from.
    pub current: bool,
}

/// The devices list with the server's clock, so relative times render the same on the server and in the browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicesView {
    /// Unix seconds when the list was read.
    pub now: i64,
    /// The engine's touch interval in seconds: `last_seen_at` is written at most that often, so activity within it
    /// reads as "Active now".
    pub touch_interval_secs: i64,
    /// The current device first, then by last activity.
    pub devices: Vec<DeviceView>,
}

/// One session on a page of its own: the device, where it signed in and where it was last seen, and its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetailView {
    /// The device, as the list shows it (its `ip_address` and `place` are the last seen ones).
    pub device: DeviceView,
    /// The address it signed in from.
    pub first_ip: Option<String>,
    /// Where that address probably is.
    pub first_place: Option<PlaceView>,
    /// Unix seconds when the page was read.
    pub now: i64,
    /// The touch interval, as in [`DevicesView`].
    pub touch_interval_secs: i64,
    /// The session's own events, newest first (its sign-in among them).
    pub events: Vec<EventView>,
}

/// One entry of the login trail, as the history list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// The event's id.
    pub id: String,
    /// login, failed_login, logout, revoked, expired or password_changed.
    pub kind: String,
    /// Why it failed or was revoked (`invalid_credentials`, `user_revoked`, …).
    pub reason: Option<String>,
    /// The device the event came from.
    pub device: DeviceFields,
    /// The client address (for an ending, the session's last seen one), truncated in privacy mode.
    pub ip_address: Option<String>,
    /// Where that address probably is; `None` without geolocation or for private addresses.
    pub place: Option<PlaceView>,
    /// How the sign-in was made or attempted; `None` for failures recorded without a method.
    pub auth_method: Option<String>,
    /// The identity provider, when the method has one.
    pub auth_provider: Option<String>,
    /// The second factor the sign-in (or the failed attempt) used: `totp`, `webauthn`, `recovery_code`, …
    pub second_factor: Option<String>,
    /// Whether the new-device check flagged this sign-in.
    pub new_device: bool,
    /// Unix seconds.
    pub occurred_at: i64,
}

/// One page of the login trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    /// The page's events, newest first.
    pub events: Vec<EventView>,
    /// Zero-based page number.
    pub page: u32,
    /// Whether an older page exists.
    pub has_more: bool,
}
