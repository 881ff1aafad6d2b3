//! The vertical slices. Each owns its tables, domain functions, routes and tests.
pub mod admin;
pub mod apps;
pub mod chat;
pub mod identity;
pub mod org;
