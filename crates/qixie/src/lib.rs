//! Qixie (企协): a self-hosted enterprise office and collaboration platform.
pub mod cli;
pub mod demo;
pub mod http;
pub mod kernel;
pub mod modules;
pub mod startup;
pub mod wecom;

pub use kernel::AppState;
pub use startup::Application;
