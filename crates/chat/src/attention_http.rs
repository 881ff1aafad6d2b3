//! Routes of attention (docs/api/chat.md): my notification settings and pending summary, urgent
//! messages, and an administrator's read-only view of a member's quiet hours.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use super::attention::{self, SettingsInput};
use super::urgent::{self, UrgentInput};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::http::extract::Authed;
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::openapi::ApiRoutes;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .route(
            "GET",
            "/chat/attention",
            "chat",
            "My notification settings: working hours, do-not-disturb, automatic reply",
            get(mine),
        )
        .route(
            "PUT",
            "/chat/attention",
            "chat",
            "Change my notification settings",
            put(update),
        )
        .route(
            "GET",
            "/chat/attention/digest",
            "chat",
            "The summary of what arrived while I rested, if not yet dismissed",
            get(digest),
        )
        .route(
            "DELETE",
            "/chat/attention/digest",
            "chat",
            "Dismiss the summary",
            delete(dismiss),
        )
        .route(
            "POST",
            "/chat/messages/{id}/urgent",
            "chat",
            "Mark my message urgent (加急) for recipients who have not read it",
            post(request_urgent),
        )
        .route(
            "GET",
            "/chat/messages/{id}/urgent",
            "chat",
            "Who was notified of my urgent message, when, and who has read it",
            get(deliveries),
        )
        .route(
            "GET",
            "/admin/members/{userid}/attention",
            "members",
            "A managed member's quiet hours (read only)",
            get(member_quiet_hours),
        )
}

async fn mine(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    Ok(Json(attention::mine(&app, &actor).await?))
}

async fn update(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<SettingsInput>,
) -> AppResult<Json<Value>> {
    Ok(Json(attention::update(&app, &actor, input).await?))
}

async fn digest(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<Json<Value>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let d = attention::pending_digest(&app.db, me.0).await?;
    Ok(Json(json!({ "digest": d })))
}

async fn dismiss(State(app): State<AppState>, Authed(actor): Authed) -> AppResult<StatusCode> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    attention::dismiss_digest(&app.db, me.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn request_urgent(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<UrgentInput>,
) -> AppResult<Json<Value>> {
    Ok(Json(urgent::request(&app, &actor, &id, input).await?))
}

async fn deliveries(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(urgent::deliveries(&app, &actor, &id).await?))
}

async fn member_quiet_hours(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    Ok(Json(attention::quiet_hours_of(&app, &g, &userid).await?))
}
