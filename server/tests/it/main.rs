//! The demo server's integration tests in one binary (each file a module): the real `server` binary on loopback.

mod common;

mod admin;
mod assets;
mod attacks;
mod cli;
mod crash;
mod erasure;
mod readme;
