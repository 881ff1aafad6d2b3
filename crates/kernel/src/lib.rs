//! What every module needs: storage, ids, time, errors, the authorization gate, events, jobs and
//! their schedules, audit.
pub mod access;
pub mod audit;
pub mod authz;
pub mod blob;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod i18n;
pub mod ids;
pub mod jobs;
pub mod migrate;
pub mod module;
pub mod outbound;
pub mod password;
pub mod schedule;
pub mod ser;
pub mod state;
pub mod time;
pub mod upload_limits;

pub use state::AppState;
