//! Routes for managing apps and secrets.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use serde_json::{Value, json};

use super::{AppInput, AppView};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::AppResult;
use qixie_kernel::http::extract::Authed;
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::openapi::ApiRoutes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .route(
            "GET",
            "/admin/apps",
            "apps",
            "Custom apps and the address-book sync secret",
            get(list),
        )
        .route(
            "POST",
            "/admin/apps",
            "apps",
            "Create a custom app (secret shown once)",
            post(create),
        )
        .route(
            "PATCH",
            "/admin/apps/{agentid}",
            "apps",
            "Change an app",
            patch(update),
        )
        .route(
            "DELETE",
            "/admin/apps/{agentid}",
            "apps",
            "Delete an app",
            delete(remove),
        )
        .route(
            "POST",
            "/admin/apps/{agentid}/rotate-secret",
            "apps",
            "Issue a new secret",
            post(rotate),
        )
        .route(
            "POST",
            "/admin/contacts-sync/rotate-secret",
            "apps",
            "Issue the address-book sync secret",
            post(rotate_sync),
        )
}

async fn list(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::AppsManage>()?;
    let rows = super::list(&app.db, g.corp()).await?;
    let sync = rows
        .iter()
        .find(|r| r.kind == "contacts_sync")
        .map(|r| r.secret_rotated_at);
    let items: Vec<AppView> = rows
        .into_iter()
        .filter(|r| r.kind == "custom")
        .map(AppView::from)
        .collect();
    Ok(Json(
        json!({ "items": items, "contacts_sync": { "configured": sync.is_some(), "rotated_at": sync } }),
    ))
}

async fn create(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<AppInput>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let g = actor.require::<perm::AppsManage>()?;
    let (row, secret) = super::create(&app, &actor, &g, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "app": AppView::from(row), "secret": secret })),
    ))
}

async fn update(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(agentid): Path<i64>,
    Body(input): Body<AppInput>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::AppsManage>()?;
    Ok(Json(
        json!({ "app": AppView::from(super::update(&app, &actor, &g, agentid, input).await?) }),
    ))
}

async fn remove(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(agentid): Path<i64>,
) -> AppResult<StatusCode> {
    let g = actor.require::<perm::AppsManage>()?;
    super::delete(&app, &actor, &g, agentid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rotate(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(agentid): Path<i64>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::AppsManage>()?;
    Ok(Json(
        json!({ "secret": super::rotate_secret(&app, &actor, &g, agentid).await? }),
    ))
}

async fn rotate_sync(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::AppsManage>()?;
    Ok(Json(
        json!({ "secret": super::rotate_contacts_sync(&app, &actor, &g).await? }),
    ))
}
