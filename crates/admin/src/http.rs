//! Routes: first-run set-up, administrators, audit log, security settings, enterprise profile.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use serde_json::{Value, json};

use super::audit_log;
use super::corp;
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::http::extract::Authed;
use qixie_kernel::http::extract::Body;
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_kernel::i18n::Lang;
use qixie_org::{enterprise, roles};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .route(
            "GET",
            "/setup/status",
            "setup",
            "Whether the first enterprise still has to be created",
            get(setup_status),
        )
        .route(
            "POST",
            "/setup",
            "setup",
            "Create the first enterprise and its super administrator",
            post(setup),
        )
        .route(
            "GET",
            "/admin/admins",
            "roles",
            "Administrators and the permission catalogue",
            get(list_admins),
        )
        .route(
            "PUT",
            "/admin/admins/{userid}",
            "roles",
            "Make a member an administrator or change their rights",
            put(put_admin),
        )
        .route(
            "DELETE",
            "/admin/admins/{userid}",
            "roles",
            "Remove an administrator",
            delete(delete_admin),
        )
        .route(
            "GET",
            "/admin/audit",
            "audit",
            "Search the audit log",
            get(audit_search),
        )
        .route(
            "GET",
            "/admin/audit/export",
            "audit",
            "Export the audit log as CSV",
            get(audit_export),
        )
        .route(
            "GET",
            "/admin/settings/security",
            "settings",
            "Security settings",
            get(get_security),
        )
        .route(
            "PUT",
            "/admin/settings/security",
            "settings",
            "Change security settings",
            put(put_security),
        )
        .route(
            "GET",
            "/admin/corp",
            "settings",
            "Enterprise profile",
            get(get_corp),
        )
        .route(
            "PATCH",
            "/admin/corp",
            "settings",
            "Change the enterprise profile",
            patch(patch_corp),
        )
}

async fn setup_status(State(app): State<AppState>) -> AppResult<Json<Value>> {
    let n = enterprise::count(&app.db).await?;
    let default = enterprise::default_corp(&app.db).await?.map(|c| c.corpid);
    Ok(Json(
        json!({ "needs_setup": n == 0, "default_corp_id": default }),
    ))
}

async fn setup(
    State(app): State<AppState>,
    Body(input): Body<corp::NewEnterprise>,
) -> AppResult<(StatusCode, Json<Value>)> {
    // The wizard creates only the first enterprise; more come from `qixie init`.
    if enterprise::count(&app.db).await? > 0 {
        return Err(ErrorKind::SetupDone.into());
    }
    let c = corp::create_enterprise(&app, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "corp_id": c.corpid }))))
}

async fn list_admins(
    State(app): State<AppState>,
    Authed(actor): Authed,
    lang: Lang,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::RolesManage>()?;
    Ok(Json(
        json!({ "items": roles::list(&app.db, g.corp()).await?, "permissions_catalogue": corp::permission_catalogue(lang) }),
    ))
}

async fn put_admin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
    Body(input): Body<roles::AdminInput>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::RolesManage>()?;
    Ok(Json(
        json!({ "admin": roles::put(&app, &actor, &g, &userid, input).await? }),
    ))
}

async fn delete_admin(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<StatusCode> {
    let g = actor.require::<perm::RolesManage>()?;
    roles::remove(&app, &actor, &g, &userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn audit_search(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(f): Query<audit_log::AuditQuery>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::AuditRead>()?;
    let (items, total) = audit_log::search(&app.db, &g, &f).await?;
    Ok(Json(json!({ "items": items, "total": total })))
}

async fn audit_export(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Query(mut f): Query<audit_log::AuditQuery>,
) -> AppResult<Response> {
    let g = actor.require::<perm::AuditRead>()?;
    f.offset = Some(0);
    f.limit = Some(10_000);
    let (items, _) = audit_log::search(&app.db, &g, &f).await?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record([
        "time",
        "actor",
        "actor_name",
        "ip",
        "kind",
        "target",
        "before",
        "after",
    ]);
    for i in items {
        let at = time::OffsetDateTime::from_unix_timestamp(i.at / 1000)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let row = [
            at,
            i.actor_id,
            i.actor_name,
            i.ip,
            i.kind,
            i.target,
            i.before_json.unwrap_or_default(),
            i.after_json.unwrap_or_default(),
        ];
        let _ = w.write_record(row.iter().map(|c| qixie_org::sheet::neutralise(c)));
    }
    let bytes = w.into_inner().unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn get_security(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<enterprise::SecurityPolicy>> {
    let g = actor.require::<perm::SecurityManage>()?;
    Ok(Json(enterprise::security(&app.db, g.corp()).await?))
}

async fn put_security(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(p): Body<enterprise::SecurityPolicy>,
) -> AppResult<Json<enterprise::SecurityPolicy>> {
    let g = actor.require::<perm::SecurityManage>()?;
    Ok(Json(
        enterprise::update_security(&app, &actor, &g, p).await?,
    ))
}

async fn get_corp(
    State(app): State<AppState>,
    Authed(actor): Authed,
) -> AppResult<Json<enterprise::Profile>> {
    let g = actor.require::<perm::SecurityManage>()?;
    Ok(Json(enterprise::profile(&app.db, g.corp()).await?))
}

async fn patch_corp(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(p): Body<enterprise::ProfilePatch>,
) -> AppResult<Json<enterprise::Profile>> {
    let g = actor.require::<perm::SecurityManage>()?;
    Ok(Json(enterprise::update_profile(&app, &actor, &g, p).await?))
}
