#![recursion_limit = "256"]
#![warn(missing_docs)]
//! Sessions & devices for Leptos + axum.
//!
//! - [`engine`] (feature `ssr`): the session registry, the tower layer and the sign-in API.
//! - [`ui`]: the devices section, ready to drop into a settings page.
//! - [`api`]: the server functions behind it.
//! - [`assets`] (feature `assets`): the browser bundle precompressed and cached, pages compressed on the fly.
//! - [`context`] (feature `ssr`): the sign-in API as a server function calls it, from the Leptos context.
//! - [`data`]: the plain data they render and the server functions return.
//! - [`identity`]: how typed sign-in identities are compared and shown.

pub mod api;
#[cfg(feature = "assets")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod context;
pub mod data;
pub mod error;
pub mod i18n;
pub mod identity;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod engine;

pub use error::ApiError;

/// The stylesheet of the devices section and the login history: serve it, or inline it, beside your own CSS.
/// Every rule targets a `.sessions-*` class; restyle through its `--sessions-*` custom properties. Colours follow
/// the page's CSS `color-scheme`, and `data-theme="dark"` on an ancestor forces the dark palette.
///
/// ```
/// let css: &str = leptos_sessions::STYLESHEET;
/// assert!(css.contains("--sessions-accent"));
/// ```
pub const STYLESHEET: &str = include_str!("../style/sessions.css");
pub use ui::{DevicesSection, LoginHistory};
