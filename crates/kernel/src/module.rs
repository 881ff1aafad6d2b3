//! How a module plugs in: it implements `Module`, saying what it contributes, and the server lists
//! it once (`modules::MODULES`). Nothing else in the server names the module.
use std::future::Future;
use std::pin::Pin;

use axum::Router;

use super::config::Config;
use super::http::openapi::ApiRoutes;
use super::jobs::JobRegistry;
use super::migrate::Migration;
use super::state::{AppState, Listener, Runtimes};

pub type StartFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// One module's contributions. Every method has an empty default, so a module names only what it
/// has.
pub trait Module: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &'static str;
    /// Installs the module's run-time parts (caches, registries) before the state exists. Modules
    /// are installed in list order, so one may add to a registry installed by one before it.
    fn install(&self, _config: &Config, _runtimes: &mut Runtimes) {}
    /// The module's schema steps (its tables); versions are one sequence across modules.
    fn migrations(&self) -> &'static [Migration] {
        &[]
    }
    /// Routes of the native API, under /api/v1.
    fn routes(&self) -> ApiRoutes {
        ApiRoutes::default()
    }
    /// Routes of the WeCom-compatible API, under /cgi-bin (WeCom's errcode/errmsg rendering is
    /// added by the server).
    fn wecom_routes(&self) -> Router<AppState> {
        Router::new()
    }
    /// Handlers of the module's durable jobs.
    fn jobs(&self, _jobs: &mut JobRegistry) {}
    /// Listeners called on every announced event (`AppState::announce`).
    fn listeners(&self, _listeners: &mut Vec<Listener>) {}
    /// Starts the module's background work once the state exists: tasks that follow the event bus
    /// always; periodic jobs only when this process runs jobs.
    fn start<'a>(&'a self, _app: &'a AppState, _runs_jobs: bool) -> StartFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}
