//! HTTP: the native API under /api/v1, the WeCom adapter under /cgi-bin, probes, metrics and the web
//! client. Errors leave handlers as `AppError` and are rendered per surface by one middleware each.
pub mod web;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::modules::MODULES;
use qixie_kernel::AppState;
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, ErrorKind};
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::http::{error, metrics};

/// Every native API route, with its documentation.
pub fn api_routes() -> ApiRoutes {
    MODULES
        .iter()
        .fold(ApiRoutes::default(), |r, m| r.merge(m.routes()))
}

/// Every WeCom-compatible route, answering in WeCom's errcode/errmsg.
fn wecom_routes() -> Router<AppState> {
    let routes = MODULES
        .iter()
        .fold(Router::new(), |r, m| r.merge(m.wecom_routes()));
    qixie_wecom::surface(routes)
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
        .nest("/cgi-bin", wecom_routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .fallback(web::serve)
        .layer(DefaultBodyLimit::max(limit))
        // `layer` wraps each route (and the fallback), so it sees the matched route template.
        .layer(axum::middleware::from_fn(metrics::track))
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
