//! Leptos components of the library. They render `view` data only, never engine types.

mod devices;
mod icons;
mod names;
mod time;

pub use devices::DevicesSection;
pub use icons::DeviceIcon;
pub use names::device_name;
pub use time::{last_active, long_date};
