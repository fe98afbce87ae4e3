//! Plain data the components render. It crosses the wire from server functions, so it compiles for both sides and
//! carries no engine types.

use serde::{Deserialize, Serialize};

/// What is known about a device, enough to name it ("Chrome 137 on macOS", "MyApp 2.4.1 on Pixel 8 (Android 16)").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFields {
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    /// desktop, smartphone, tablet, bot or unknown.
    pub device_type: String,
    pub device_model: Option<String>,
    pub app_name: Option<String>,
    pub app_version: Option<String>,
}

/// An approximate place from the IP address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceView {
    pub country_code: Option<String>,
    /// "City, Country" (or just the country).
    pub label: String,
}

impl PlaceView {
    pub fn new(country_code: Option<String>, city: Option<String>, country_name: Option<String>) -> Option<Self> {
        let label =
            [city, country_name.or_else(|| country_code.clone())].into_iter().flatten().collect::<Vec<_>>().join(", ");
        (!label.is_empty()).then_some(Self { country_code, label })
    }
}

/// One signed-in device, as the devices list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: String,
    pub device: DeviceFields,
    pub ip_address: Option<String>,
    pub place: Option<PlaceView>,
    /// password, oauth, passkey, magic_link, otp, sso, google_one_tap, token, unknown (or a host's own tag).
    pub auth_method: String,
    pub auth_provider: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_seen_at: i64,
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

/// One entry of the login trail, as the history list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: String,
    /// login, failed_login, logout, revoked or expired.
    pub kind: String,
    /// Why it failed or was revoked (`invalid_credentials`, `user_revoked`, …).
    pub reason: Option<String>,
    pub device: DeviceFields,
    pub ip_address: Option<String>,
    pub place: Option<PlaceView>,
    pub auth_method: Option<String>,
    pub auth_provider: Option<String>,
    /// The second factor the sign-in (or the failed attempt) used: `totp`, `webauthn`, `recovery_code`, …
    pub second_factor: Option<String>,
    pub new_device: bool,
    /// Unix seconds.
    pub occurred_at: i64,
}

/// One page of the login trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub events: Vec<EventView>,
    /// Zero-based page number.
    pub page: u32,
    pub has_more: bool,
}
