//! Routes: first-run set-up, administrators, audit log, security settings, enterprise profile.
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit_log::{self, AuditRow};
use super::corp::{self, PermissionLabel};
use qixie_identity::http::{AdminScope, CorpProfile};
use qixie_kernel::AppState;
use qixie_kernel::authz::perm;
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::http::extract::{Allowed, Body};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_kernel::i18n::Lang;
use qixie_org::{enterprise, roles};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(setup_status))
        .typed(routes!(setup))
        .typed(routes!(list_admins))
        .typed(routes!(put_admin, delete_admin))
        .typed(routes!(audit_search))
        .typed(routes!(audit_export))
        .typed(routes!(get_security, put_security))
        .typed(routes!(get_corp, patch_corp))
}

#[derive(Serialize, ToSchema)]
pub struct SetupStatus {
    pub needs_setup: bool,
    /// The enterprise to sign in to when the installation hosts exactly one.
    pub default_corp_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SetupDone {
    pub corp_id: String,
}

/// An administrator, their permissions (all of them for a super administrator) and scope.
#[derive(Serialize, ToSchema)]
pub struct Administrator {
    pub userid: String,
    pub name: String,
    pub is_super: bool,
    pub permissions: Vec<String>,
    pub scope: AdminScope,
}

impl From<roles::AdminView> for Administrator {
    fn from(a: roles::AdminView) -> Self {
        Administrator {
            userid: a.userid,
            name: a.name,
            is_super: a.is_super,
            permissions: a.permissions,
            scope: AdminScope {
                all: a.scope.all,
                department_ids: a.scope.department_ids,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminList {
    pub items: Vec<Administrator>,
    pub permissions_catalogue: Vec<PermissionLabel>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminReply {
    pub admin: Administrator,
}

/// What an administrator may do and where (`roles::AdminInput`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminGrant {
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub scope: AdminScope,
    #[serde(default)]
    pub is_super: bool,
}

impl From<AdminGrant> for roles::AdminInput {
    fn from(g: AdminGrant) -> Self {
        roles::AdminInput {
            permissions: g.permissions,
            scope: roles::ScopeView {
                all: g.scope.all,
                department_ids: g.scope.department_ids,
            },
            is_super: g.is_super,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    pub total: i64,
}

/// The enterprise's password and sign-in rules (`enterprise::SecurityPolicy`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub password_min_length: i64,
    /// Days after which a password must be changed; 0 never.
    pub password_rotation_days: i64,
    /// Failed sign-ins before the account locks.
    pub login_max_failures: i64,
    pub login_lock_minutes: i64,
}

impl From<enterprise::SecurityPolicy> for SecuritySettings {
    fn from(p: enterprise::SecurityPolicy) -> Self {
        SecuritySettings {
            password_min_length: p.password_min_length,
            password_rotation_days: p.password_rotation_days,
            login_max_failures: p.login_max_failures,
            login_lock_minutes: p.login_lock_minutes,
        }
    }
}

impl From<SecuritySettings> for enterprise::SecurityPolicy {
    fn from(s: SecuritySettings) -> Self {
        enterprise::SecurityPolicy {
            password_min_length: s.password_min_length,
            password_rotation_days: s.password_rotation_days,
            login_max_failures: s.login_max_failures,
            login_lock_minutes: s.login_lock_minutes,
        }
    }
}

/// Changes to the enterprise profile; absent fields stay as they are (`enterprise::ProfilePatch`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorpPatch {
    pub name: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    /// An IANA time zone.
    pub time_zone: Option<String>,
}

impl From<CorpPatch> for enterprise::ProfilePatch {
    fn from(p: CorpPatch) -> Self {
        enterprise::ProfilePatch {
            name: p.name,
            industry: p.industry,
            size: p.size,
            time_zone: p.time_zone,
        }
    }
}

#[utoipa::path(
    get,
    path = "/setup/status",
    tag = "setup",
    summary = "Whether the first enterprise still has to be created",
    responses((status = 200, body = SetupStatus))
)]
async fn setup_status(State(app): State<AppState>) -> AppResult<Json<SetupStatus>> {
    let n = enterprise::count(&app.db).await?;
    let default = enterprise::default_corp(&app.db).await?.map(|c| c.corpid);
    Ok(Json(SetupStatus {
        needs_setup: n == 0,
        default_corp_id: default,
    }))
}

#[utoipa::path(
    post,
    path = "/setup",
    tag = "setup",
    summary = "Create the first enterprise and its super administrator",
    request_body = corp::NewEnterprise,
    responses((status = 201, body = SetupDone))
)]
async fn setup(
    State(app): State<AppState>,
    Body(input): Body<corp::NewEnterprise>,
) -> AppResult<(StatusCode, Json<SetupDone>)> {
    // The wizard creates only the first enterprise; more come from `qixie init`.
    if enterprise::count(&app.db).await? > 0 {
        return Err(ErrorKind::SetupDone.into());
    }
    let c = corp::create_enterprise(&app, input).await?;
    Ok((StatusCode::CREATED, Json(SetupDone { corp_id: c.corpid })))
}

#[utoipa::path(
    get,
    path = "/admin/admins",
    tag = "roles",
    summary = "Administrators and the permission catalogue",
    responses((status = 200, body = AdminList))
)]
async fn list_admins(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::RolesManage>,
    lang: Lang,
) -> AppResult<Json<AdminList>> {
    let items = roles::list(&app.db, g.corp()).await?;
    Ok(Json(AdminList {
        items: items.into_iter().map(Administrator::from).collect(),
        permissions_catalogue: corp::permission_catalogue(lang),
    }))
}

#[utoipa::path(
    put,
    path = "/admin/admins/{userid}",
    tag = "roles",
    summary = "Make a member an administrator or change their rights",
    request_body = AdminGrant,
    responses((status = 200, body = AdminReply))
)]
async fn put_admin(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::RolesManage>,
    Path(userid): Path<String>,
    Body(input): Body<AdminGrant>,
) -> AppResult<Json<AdminReply>> {
    let admin = roles::put(&app, &actor, &g, &userid, input.into()).await?;
    Ok(Json(AdminReply {
        admin: admin.into(),
    }))
}

#[utoipa::path(
    delete,
    path = "/admin/admins/{userid}",
    tag = "roles",
    summary = "Remove an administrator",
    responses((status = 204, description = "Done"))
)]
async fn delete_admin(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::RolesManage>,
    Path(userid): Path<String>,
) -> AppResult<StatusCode> {
    roles::remove(&app, &actor, &g, &userid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "audit",
    summary = "Search the audit log",
    params(audit_log::AuditQuery),
    responses((status = 200, body = AuditPage))
)]
async fn audit_search(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::AuditRead>,
    Query(f): Query<audit_log::AuditQuery>,
) -> AppResult<Json<AuditPage>> {
    let (items, total) = audit_log::search(&app.db, &g, &f).await?;
    Ok(Json(AuditPage { items, total }))
}

#[utoipa::path(
    get,
    path = "/admin/audit/export",
    tag = "audit",
    summary = "Export the audit log as CSV",
    params(audit_log::AuditQuery),
    responses((status = 200, description = "The file", content_type = "text/csv", body = String))
)]
async fn audit_export(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::AuditRead>,
    Query(mut f): Query<audit_log::AuditQuery>,
) -> AppResult<Response> {
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

#[utoipa::path(
    get,
    path = "/admin/settings/security",
    tag = "settings",
    summary = "Security settings",
    responses((status = 200, body = SecuritySettings))
)]
async fn get_security(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::SecurityManage>,
) -> AppResult<Json<SecuritySettings>> {
    Ok(Json(enterprise::security(&app.db, g.corp()).await?.into()))
}

#[utoipa::path(
    put,
    path = "/admin/settings/security",
    tag = "settings",
    summary = "Change security settings",
    request_body = SecuritySettings,
    responses((status = 200, body = SecuritySettings))
)]
async fn put_security(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::SecurityManage>,
    Body(p): Body<SecuritySettings>,
) -> AppResult<Json<SecuritySettings>> {
    Ok(Json(
        enterprise::update_security(&app, &actor, &g, p.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    get,
    path = "/admin/corp",
    tag = "settings",
    summary = "Enterprise profile",
    responses((status = 200, body = CorpProfile))
)]
async fn get_corp(
    State(app): State<AppState>,
    Allowed { grant: g, .. }: Allowed<perm::SecurityManage>,
) -> AppResult<Json<CorpProfile>> {
    Ok(Json(enterprise::profile(&app.db, g.corp()).await?.into()))
}

#[utoipa::path(
    patch,
    path = "/admin/corp",
    tag = "settings",
    summary = "Change the enterprise profile",
    request_body = CorpPatch,
    responses((status = 200, body = CorpProfile))
)]
async fn patch_corp(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::SecurityManage>,
    Body(p): Body<CorpPatch>,
) -> AppResult<Json<CorpProfile>> {
    Ok(Json(
        enterprise::update_profile(&app, &actor, &g, p.into())
            .await?
            .into(),
    ))
}
