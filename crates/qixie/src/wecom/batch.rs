//! Placeholder module body replaced below.
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

pub fn register_jobs(_r: &mut crate::kernel::jobs::JobRegistry) {}
