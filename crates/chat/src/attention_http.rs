//! Routes of attention (docs/api/chat.md): my notification settings and pending summary, urgent
//! messages, and an administrator's read-only view of a member's quiet hours.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::attention::{self, AttentionSettings, Digest, MemberQuietHours, SettingsInput};
use super::urgent::{self, UrgentDeliveries, UrgentInput, UrgentStarted};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::extract::{Allowed, Authed};
use qixie_kernel::http::openapi::{ApiRoutes, routes};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(my_attention, update_my_attention))
        .typed(routes!(my_digest, dismiss_my_digest))
        .typed(routes!(request_urgent, urgent_deliveries))
        .typed(routes!(member_quiet_hours))
}

#[utoipa::path(
    get,
    path = "/chat/attention",
    tag = "chat",
    summary = "My notification settings: working hours, do-not-disturb, automatic reply",
    responses((status = 200, body = AttentionSettings))
)]
async fn my_attention(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<AttentionSettings>> {
    Ok(Json(attention::mine(&app, &actor).await?))
}

#[utoipa::path(
    put,
    path = "/chat/attention",
    tag = "chat",
    summary = "Change my notification settings",
    request_body = SettingsInput,
    responses((status = 200, body = AttentionSettings))
)]
async fn update_my_attention(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(input): Body<SettingsInput>,
) -> AppResult<Json<AttentionSettings>> {
    Ok(Json(attention::update(&app, &actor, input).await?))
}

/// The summary waiting for me, if any.
#[derive(Serialize, ToSchema)]
struct PendingDigest {
    digest: Option<Digest>,
}

#[utoipa::path(
    get,
    path = "/chat/attention/digest",
    tag = "chat",
    summary = "The summary of what arrived while I rested, if not yet dismissed",
    responses((status = 200, body = PendingDigest))
)]
async fn my_digest(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<PendingDigest>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let digest = attention::pending_digest(&app.db, me.0).await?;
    Ok(Json(PendingDigest { digest }))
}

#[utoipa::path(
    delete,
    path = "/chat/attention/digest",
    tag = "chat",
    summary = "Dismiss the summary",
    responses((status = 204, description = "Done"))
)]
async fn dismiss_my_digest(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<StatusCode> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    attention::dismiss_digest(&app.db, me.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/chat/messages/{id}/urgent",
    tag = "chat",
    summary = "Mark my message urgent (加急) for recipients who have not read it",
    request_body = UrgentInput,
    responses((status = 200, body = UrgentStarted))
)]
async fn request_urgent(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
    Body(input): Body<UrgentInput>,
) -> AppResult<Json<UrgentStarted>> {
    Ok(Json(urgent::request(&app, &actor, &id, input).await?))
}

#[utoipa::path(
    get,
    path = "/chat/messages/{id}/urgent",
    tag = "chat",
    summary = "Who was notified of my urgent message, when, and who has read it",
    responses((status = 200, body = UrgentDeliveries))
)]
async fn urgent_deliveries(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<Json<UrgentDeliveries>> {
    Ok(Json(urgent::deliveries(&app, &actor, &id).await?))
}

#[utoipa::path(
    get,
    path = "/admin/members/{userid}/attention",
    tag = "members",
    summary = "A managed member's quiet hours (read only)",
    responses((status = 200, body = MemberQuietHours))
)]
async fn member_quiet_hours(
    State(app): State<AppState>,
    Allowed { grant, .. }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<MemberQuietHours>> {
    Ok(Json(
        attention::quiet_hours_of(&app, &grant, &userid).await?,
    ))
}
