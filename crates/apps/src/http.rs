//! Routes for managing apps and secrets.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppInput, AppView};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::AppResult;
use qixie_kernel::http::extract::{Allowed, Body};
use qixie_kernel::http::openapi::{ApiRoutes, routes};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(list, create))
        .typed(routes!(update, remove))
        .typed(routes!(rotate))
        .typed(routes!(rotate_sync))
}

/// Whether the address-book sync secret was issued, and when last.
#[derive(Serialize, ToSchema)]
pub struct ContactsSync {
    pub configured: bool,
    pub rotated_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AppList {
    pub items: Vec<AppView>,
    pub contacts_sync: ContactsSync,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApp {
    pub app: AppView,
    /// The secret, shown this once; only its hash is kept.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct AppReply {
    pub app: AppView,
}

#[derive(Serialize, ToSchema)]
pub struct NewSecret {
    /// Shown this once; the previous secret stops working.
    pub secret: String,
}

#[utoipa::path(
    get,
    path = "/admin/apps",
    tag = "apps",
    summary = "Custom apps and the address-book sync secret",
    responses((status = 200, body = AppList))
)]
async fn list(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::AppsManage>,
) -> AppResult<Json<AppList>> {
    let rows = super::list(&app.db, g.corp()).await?;
    let sync = rows
        .iter()
        .find(|r| r.kind == "contacts_sync")
        .map(|r| r.secret_rotated_at);
    let items = rows
        .into_iter()
        .filter(|r| r.kind == "custom")
        .map(AppView::from)
        .collect();
    Ok(Json(AppList {
        items,
        contacts_sync: ContactsSync {
            configured: sync.is_some(),
            rotated_at: sync,
        },
    }))
}

#[utoipa::path(
    post,
    path = "/admin/apps",
    tag = "apps",
    summary = "Create a custom app (secret shown once)",
    request_body = AppInput,
    responses((status = 201, body = CreatedApp))
)]
async fn create(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::AppsManage>,
    Body(input): Body<AppInput>,
) -> AppResult<(StatusCode, Json<CreatedApp>)> {
    let (row, secret) = super::create(&app, &actor, &g, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApp {
            app: AppView::from(row),
            secret,
        }),
    ))
}

#[utoipa::path(
    patch,
    path = "/admin/apps/{agentid}",
    tag = "apps",
    summary = "Change an app",
    request_body = AppInput,
    responses((status = 200, body = AppReply))
)]
async fn update(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::AppsManage>,
    Path(agentid): Path<i64>,
    Body(input): Body<AppInput>,
) -> AppResult<Json<AppReply>> {
    let row = super::update(&app, &actor, &g, agentid, input).await?;
    Ok(Json(AppReply {
        app: AppView::from(row),
    }))
}

#[utoipa::path(
    delete,
    path = "/admin/apps/{agentid}",
    tag = "apps",
    summary = "Delete an app",
    responses((status = 204, description = "Done"))
)]
async fn remove(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::AppsManage>,
    Path(agentid): Path<i64>,
) -> AppResult<StatusCode> {
    super::delete(&app, &actor, &g, agentid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/admin/apps/{agentid}/rotate-secret",
    tag = "apps",
    summary = "Issue a new secret",
    responses((status = 200, body = NewSecret))
)]
async fn rotate(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::AppsManage>,
    Path(agentid): Path<i64>,
) -> AppResult<Json<NewSecret>> {
    Ok(Json(NewSecret {
        secret: super::rotate_secret(&app, &actor, &g, agentid).await?,
    }))
}

#[utoipa::path(
    post,
    path = "/admin/contacts-sync/rotate-secret",
    tag = "apps",
    summary = "Issue the address-book sync secret",
    responses((status = 200, body = NewSecret))
)]
async fn rotate_sync(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::AppsManage>,
) -> AppResult<Json<NewSecret>> {
    Ok(Json(NewSecret {
        secret: super::rotate_contacts_sync(&app, &actor, &g).await?,
    }))
}
