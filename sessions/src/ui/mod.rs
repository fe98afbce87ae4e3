//! Leptos components of the library. They render `view` data only, never engine types.

mod devices;
mod history;
mod icons;
mod names;
mod time;

pub use devices::DevicesSection;
pub use history::{auth_method_label, reason_text, EventList, LoginHistory};
pub use icons::DeviceIcon;
pub use names::{device_name, flag, source_line};
pub use time::{date_time, iso, last_active, long_date};
