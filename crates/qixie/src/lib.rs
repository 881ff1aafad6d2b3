//! Qixie (企协): a self-hosted enterprise office and collaboration platform. This crate is the
//! server: it lists the modules (`modules::MODULES`), builds the router, and holds the command line
//! and the demo data. The modules are crates of their own, in layer order: `qixie-kernel` ←
//! `qixie-org` ← `qixie-identity` ← `qixie-admin`, `qixie-apps` ← `qixie-chat` ← `qixie-wecom`.
pub mod cli;
pub mod demo;
pub mod http;
pub mod modules;
pub mod startup;

pub use qixie_kernel::AppState;
pub use startup::Application;
