//! HTTP: the native API under /api/v1, the WeCom adapter under /cgi-bin, probes, metrics and the web
//! client. Errors leave handlers as `AppError` and are rendered per surface by one middleware each.
pub mod error;
pub mod extract;
pub mod files;
pub mod metrics;
pub mod openapi;
pub mod web;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::kernel::db::sql;
use crate::kernel::error::{AppError, ErrorKind};
use openapi::ApiRoutes;

/// Every native API route, with its documentation.
pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .merge(crate::modules::identity::http::routes())
        .merge(crate::modules::org::http::routes())
        .merge(crate::modules::admin::http::routes())
        .merge(crate::modules::apps::http::routes())
        .merge(crate::modules::chat::http::routes())
}

pub fn router(state: AppState) -> Router {
    let api = api_routes();
    let spec = std::sync::Arc::new(api.openapi());
    let api_router = api
        .into_router()
        .route(
            "/openapi.json",
            get(move || async move { axum::Json((*spec).clone()) }),
        )
        .fallback(|| async { AppError::new(ErrorKind::NoSuchRoute) })
        .layer(axum::middleware::from_fn(error::render_api_errors));
    let limit = state.config.max_upload_bytes + 64 * 1024;
    Router::new()
        .nest("/api/v1", api_router)
        .nest("/cgi-bin", crate::wecom::router())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .fallback(web::serve)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

async fn readyz(State(app): State<AppState>) -> Response {
    match app.db.one::<(i64,)>(sql("SELECT CAST(1 AS BIGINT)")).await {
        Ok(_) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
