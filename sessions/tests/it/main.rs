//! The library's integration tests in one binary (each file a module), so the suite links Leptos, sqlx and axum
//! once instead of once per file.

mod common;

#[cfg(feature = "axum-login")]
mod axum_login;
mod cache;
#[cfg(feature = "fault-injection")]
mod chaos;
mod conformance;
mod cookies;
mod device_fuzz;
mod engine;
mod lifecycle;
mod live;
mod places;
mod trail;
mod ua_accuracy;
