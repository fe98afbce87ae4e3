#![recursion_limit = "256"]
//! Sessions & devices for Leptos + axum.
//!
//! - [`engine`] (feature `ssr`): the session registry, the tower layer and the sign-in API.
//! - [`ui`]: the devices section, ready to drop into a settings page.
//! - [`api`]: the server functions behind it.
//! - `demo` (feature `demo`): the demo site around it.

pub mod api;
pub mod error;
pub mod i18n;
pub mod ui;
pub mod view;

#[cfg(feature = "ssr")]
pub mod engine;

#[cfg(feature = "demo")]
pub mod demo;

#[cfg(feature = "ssr")]
pub use api::server;
pub use error::ApiError;
pub use ui::{DevicesSection, LoginHistory};
