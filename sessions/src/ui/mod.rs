//! Leptos components of the library. They render `data` types only, never engine types.

mod device_list;
mod devices;
mod history;
mod icons;
mod live;
mod live_trail;
mod local_time;
mod names;
mod session;
mod time;

pub use devices::DevicesSection;
pub use history::{auth_method_label, reason_text, EventList, LoginHistory};
pub use icons::DeviceIcon;
pub use live::{LiveUpdates, DEFAULT_LIVE_PATH};
pub use names::{device_name, flag, source_line};
pub use session::SessionDetail;
pub use time::{date_time, iso, last_active, long_date};

/// Between the facts of a detail line: the no-break space keeps the dot at the end of a line, so a narrow screen
/// never starts one with it.
pub const SEPARATOR: &str = "\u{a0}· ";

/// Percent-encodes a query value (a path with its own query, a session id); `/` stays as it is.
///
/// ```
/// assert_eq!(leptos_sessions::ui::encode_query("/settings?revoke=a b"), "/settings%3Frevoke%3Da%20b");
/// ```
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A page showing these components shows who is signed in, and where from: no cache, shared or the browser's
/// back-forward one, may keep it, whatever the host's own headers say about its other pages.
fn keep_out_of_caches() {
    #[cfg(feature = "ssr")]
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    }
}
