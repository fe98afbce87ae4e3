//! Plain data the components render. It crosses the wire from server functions, so it compiles for both sides and
//! carries no engine types.

use serde::{Deserialize, Serialize};

/// One signed-in device, as the devices list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: String,
    pub browser_name: Option<String>,
    pub browser_version: Option<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    /// desktop, smartphone, tablet, bot or unknown.
    pub device_type: String,
    pub ip_address: Option<String>,
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
    /// The current device first, then by last activity.
    pub devices: Vec<DeviceView>,
}
