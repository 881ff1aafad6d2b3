//! Routes for signing in and out, one's own account, and administrator actions on credentials.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::login::{self, LoginRequest};
use super::session::{self, AnySession, SessionView};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Scope, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::http::extract::{self, Allowed, Authed, Body, ClientIp};
use qixie_kernel::http::openapi::{ApiRoutes, routes};
use qixie_org::enterprise;
use qixie_org::http::MemberReply;
use qixie_org::member::{self, Member};

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .typed(routes!(login_handler))
        .typed(routes!(logout))
        .typed(routes!(me))
        .typed(routes!(change_password))
        .typed(routes!(update_profile))
        .typed(routes!(my_sessions))
        .typed(routes!(revoke_session))
        .typed(routes!(reset_password))
        .typed(routes!(unlock))
        .typed(routes!(signout_all))
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    pub user: Member,
    pub must_change_password: bool,
    pub csrf_token: String,
    /// The bearer token, for `client: "api"` only (browsers get the session cookie).
    pub token: Option<String>,
}

/// The enterprise as its members see it (`enterprise::Profile`).
#[derive(Serialize, ToSchema)]
pub struct CorpProfile {
    pub corp_id: String,
    pub name: String,
    pub industry: String,
    pub size: String,
    /// IANA name of the enterprise's clock (working hours, dates, schedules).
    pub time_zone: String,
}

impl From<enterprise::Profile> for CorpProfile {
    fn from(p: enterprise::Profile) -> Self {
        CorpProfile {
            corp_id: p.corp_id,
            name: p.name,
            industry: p.industry,
            size: p.size,
            time_zone: p.time_zone,
        }
    }
}

/// Which departments an administrator manages: all, or these subtrees.
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AdminScope {
    pub all: bool,
    #[serde(default)]
    pub department_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: Member,
    pub corp: CorpProfile,
    /// Permission codes the member holds.
    pub permissions: Vec<String>,
    pub is_super_admin: bool,
    pub admin_scope: AdminScope,
    pub csrf_token: String,
    pub must_change_password: bool,
    /// The enterprise's minimum password length (at least 8).
    pub password_min_length: i64,
    /// The member's own time zone; "" follows the enterprise's.
    pub time_zone: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserReply {
    pub user: Member,
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionView>,
}

#[derive(Serialize, ToSchema)]
pub struct InitialPassword {
    /// The generated password, shown once; absent when the administrator chose one.
    pub initial_password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignedOutEverywhere {
    pub member: Member,
    pub sessions_ended: u64,
}

/// Sign-in takes JSON only and only from this server's pages (or a configured origin): a page on
/// another site cannot sign a visitor in to an account of its choosing (login CSRF).
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    summary = "Sign in with account and password",
    request_body = LoginRequest,
    responses((status = 200, body = SignedIn))
)]
/// Sign-in takes JSON only and only from this server's pages (or a configured origin): a page on
/// another site cannot sign a visitor in to an account of its choosing (login CSRF).
async fn login_handler(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let req = match extract::require_json(&headers)
        .and_then(|()| extract::check_same_origin(&app.config, &headers))
        .and_then(|()| extract::parse_json::<LoginRequest>(&body))
    {
        Ok(req) => req,
        Err(e) => return e.into_response(),
    };
    match login::login(&app, &req, &ip).await {
        Ok(ok) => {
            let api = req.client == "api";
            let mut res = Json(SignedIn {
                user: ok.member,
                must_change_password: ok.must_change_password,
                csrf_token: ok.session.csrf_token,
                token: api.then(|| ok.session.token.clone()),
            })
            .into_response();
            if !api
                && let Ok(v) =
                    HeaderValue::from_str(&session::session_cookie(&app, &ok.session.token))
            {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(refused) => {
            let mut res = refused.error.into_response();
            if let Some(s) = refused.retry_after_s {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(s));
            }
            res
        }
    }
}

#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    summary = "Sign out of this session",
    responses((status = 204, description = "Signed out; the session cookie is cleared"))
)]
async fn logout(State(app): State<AppState>, AnySession(s): AnySession) -> AppResult<Response> {
    session::revoke_token(&app, &s.token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&session::cookie_header(&app, "", 0)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[utoipa::path(
    get,
    path = "/me",
    tag = "me",
    summary = "Who I am, my rights and my CSRF token",
    responses((status = 200, body = Me))
)]
async fn me(State(app): State<AppState>, AnySession(s): AnySession) -> AppResult<Json<Me>> {
    let a = &s.actor;
    let mid = a.member_id().ok_or(ErrorKind::Unauthenticated)?;
    let user = member::get_by_id(&app.db, a.corp, mid).await?;
    let corp = enterprise::profile(&app.db, a.corp).await?;
    let admin_scope = match a.scope() {
        Scope::All => AdminScope {
            all: true,
            department_ids: Vec::new(),
        },
        // A subtree is a materialised path ("/1/5/"); its last segment is the department.
        Scope::Subtrees(paths) => AdminScope {
            all: false,
            department_ids: paths
                .iter()
                .filter_map(|p| p.trim_end_matches('/').rsplit('/').next()?.parse().ok())
                .collect(),
        },
    };
    Ok(Json(Me {
        user,
        corp: corp.into(),
        permissions: a
            .permissions()
            .iter()
            .map(|p| p.code().to_owned())
            .collect(),
        is_super_admin: a.is_super,
        admin_scope,
        csrf_token: s.row.csrf_token.clone(),
        must_change_password: s.must_change_password,
        password_min_length: enterprise::security(&app.db, a.corp)
            .await?
            .password_min_length
            .max(8),
        time_zone: member::time_zone(&app.db, a.corp, mid).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    old_password: String,
    new_password: String,
}

#[utoipa::path(
    post,
    path = "/me/password",
    tag = "me",
    summary = "Change my password",
    request_body = PasswordChange,
    responses((status = 204, description = "Changed; other sessions are signed out"))
)]
async fn change_password(
    State(app): State<AppState>,
    AnySession(s): AnySession,
    Body(b): Body<PasswordChange>,
) -> AppResult<StatusCode> {
    login::change_password(&app, &s.actor, s.row.id, &b.old_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    patch,
    path = "/me/profile",
    tag = "me",
    summary = "Edit my profile",
    request_body = member::ProfilePatch,
    responses((status = 200, body = UserReply))
)]
async fn update_profile(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(p): Body<member::ProfilePatch>,
) -> AppResult<Json<UserReply>> {
    Ok(Json(UserReply {
        user: member::update_profile(&app, &actor, p).await?,
    }))
}

#[utoipa::path(
    get,
    path = "/me/sessions",
    tag = "me",
    summary = "My sessions and devices",
    responses((status = 200, body = SessionList))
)]
async fn my_sessions(
    State(app): State<AppState>,
    AnySession(s): AnySession,
) -> AppResult<Json<SessionList>> {
    let mid = s.actor.member_id().ok_or(ErrorKind::Unauthenticated)?;
    Ok(Json(SessionList {
        items: session::list(&app.db, mid, s.row.id).await?,
    }))
}

#[utoipa::path(
    delete,
    path = "/me/sessions/{id}",
    tag = "me",
    summary = "Sign out one of my sessions",
    responses((status = 204, description = "Done"))
)]
async fn revoke_session(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let mid = actor.member_id().ok_or(ErrorKind::Unauthenticated)?;
    let id: i64 = id.parse().map_err(|_| AppError::new(ErrorKind::NotFound))?;
    session::revoke_one(&app, mid, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    /// The new initial password; one is generated when absent.
    password: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/members/{userid}/reset-password",
    tag = "members",
    summary = "Set a new initial password",
    request_body = ResetBody,
    responses((status = 200, body = InitialPassword))
)]
async fn reset_password(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
    Body(b): Body<ResetBody>,
) -> AppResult<Json<InitialPassword>> {
    let initial_password = login::reset_password(&app, &actor, &g, &userid, b.password).await?;
    Ok(Json(InitialPassword { initial_password }))
}

#[utoipa::path(
    post,
    path = "/admin/members/{userid}/unlock",
    tag = "members",
    summary = "Lift a sign-in lock",
    responses((status = 200, body = MemberReply))
)]
async fn unlock(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<MemberReply>> {
    login::unlock(&app, &actor, &g, &userid).await?;
    Ok(Json(MemberReply {
        member: member::get_in_scope(&app.db, &g, &userid).await?,
    }))
}

#[utoipa::path(
    post,
    path = "/admin/members/{userid}/signout-all",
    tag = "members",
    summary = "Sign a member out everywhere",
    responses((status = 200, body = SignedOutEverywhere))
)]
async fn signout_all(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage>,
    Path(userid): Path<String>,
) -> AppResult<Json<SignedOutEverywhere>> {
    let sessions_ended = login::sign_out_all(&app, &actor, &g, &userid).await?;
    Ok(Json(SignedOutEverywhere {
        member: member::get_in_scope(&app.db, &g, &userid).await?,
        sessions_ended,
    }))
}
