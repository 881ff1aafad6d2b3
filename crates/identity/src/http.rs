//! Routes for signing in and out, one's own account, and administrator actions on credentials.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::login::{self, LoginRequest};
use super::session::{self, AnySession};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Scope, perm};
use qixie_kernel::error::{AppError, AppResult};
use qixie_kernel::http::extract::Authed;
use qixie_kernel::http::extract::{self, Body, ClientIp};
use qixie_kernel::http::openapi::ApiRoutes;
use qixie_org::member;

pub fn routes() -> ApiRoutes {
    ApiRoutes::default()
        .route(
            "POST",
            "/auth/login",
            "auth",
            "Sign in with account and password",
            post(login_handler),
        )
        .route(
            "POST",
            "/auth/logout",
            "auth",
            "Sign out of this session",
            post(logout),
        )
        .route(
            "GET",
            "/me",
            "me",
            "Who I am, my rights and my CSRF token",
            get(me),
        )
        .route(
            "POST",
            "/me/password",
            "me",
            "Change my password",
            post(change_password),
        )
        .route(
            "PATCH",
            "/me/profile",
            "me",
            "Edit my profile",
            patch(update_profile),
        )
        .route(
            "GET",
            "/me/sessions",
            "me",
            "My sessions and devices",
            get(my_sessions),
        )
        .route(
            "DELETE",
            "/me/sessions/{id}",
            "me",
            "Sign out one of my sessions",
            delete(revoke_session),
        )
        .route(
            "POST",
            "/admin/members/{userid}/reset-password",
            "members",
            "Set a new initial password",
            post(reset_password),
        )
        .route(
            "POST",
            "/admin/members/{userid}/unlock",
            "members",
            "Lift a sign-in lock",
            post(unlock),
        )
        .route(
            "POST",
            "/admin/members/{userid}/signout-all",
            "members",
            "Sign a member out everywhere",
            post(signout_all),
        )
}

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
            let body = json!({
                "user": ok.member,
                "must_change_password": ok.must_change_password,
                "csrf_token": ok.session.csrf_token,
                "token": if api { Some(ok.session.token.clone()) } else { None },
            });
            let mut res = Json(body).into_response();
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

async fn logout(State(app): State<AppState>, AnySession(s): AnySession) -> AppResult<Response> {
    session::revoke_token(&app, &s.token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&session::cookie_header(&app, "", 0)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn me(State(app): State<AppState>, AnySession(s): AnySession) -> AppResult<Json<Value>> {
    let a = &s.actor;
    let mid = a
        .member_id()
        .ok_or(qixie_kernel::error::ErrorKind::Unauthenticated)?;
    let user = member::get_by_id(&app.db, a.corp, mid).await?;
    let corp = qixie_org::enterprise::profile(&app.db, a.corp).await?;
    let scope = match a.scope() {
        Scope::All => json!({"all": true, "department_ids": []}),
        Scope::Subtrees(paths) => {
            json!({"all": false, "department_ids": paths.iter().filter_map(|p| p.trim_end_matches('/').rsplit('/').next()?.parse::<i64>().ok()).collect::<Vec<_>>()})
        }
    };
    Ok(Json(json!({
        "user": user,
        "corp": corp,
        "permissions": a.permissions().iter().map(|p| p.code()).collect::<Vec<_>>(),
        "is_super_admin": a.is_super,
        "admin_scope": scope,
        "csrf_token": s.row.csrf_token,
        "must_change_password": s.must_change_password,
        "password_min_length": qixie_org::enterprise::security(&app.db, a.corp).await?.password_min_length.max(8),
        "time_zone": member::time_zone(&app.db, a.corp, mid).await?,
    })))
}

#[derive(Deserialize)]
struct PasswordChange {
    old_password: String,
    new_password: String,
}

async fn change_password(
    State(app): State<AppState>,
    AnySession(s): AnySession,
    Body(b): Body<PasswordChange>,
) -> AppResult<StatusCode> {
    login::change_password(&app, &s.actor, s.row.id, &b.old_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn update_profile(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Body(p): Body<member::ProfilePatch>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({ "user": member::update_profile(&app, &actor, p).await? }),
    ))
}

async fn my_sessions(
    State(app): State<AppState>,
    AnySession(s): AnySession,
) -> AppResult<Json<Value>> {
    let mid = s
        .actor
        .member_id()
        .ok_or(qixie_kernel::error::ErrorKind::Unauthenticated)?;
    Ok(Json(
        json!({ "items": session::list(&app.db, mid, s.row.id).await? }),
    ))
}

async fn revoke_session(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let mid = actor
        .member_id()
        .ok_or(qixie_kernel::error::ErrorKind::Unauthenticated)?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::new(qixie_kernel::error::ErrorKind::NotFound))?;
    session::revoke_one(&app, mid, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
struct ResetBody {
    password: Option<String>,
}

async fn reset_password(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
    Body(b): Body<ResetBody>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let generated = login::reset_password(&app, &actor, &g, &userid, b.password).await?;
    Ok(Json(json!({ "initial_password": generated })))
}

async fn unlock(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    login::unlock(&app, &actor, &g, &userid).await?;
    Ok(Json(
        json!({ "member": member::get_in_scope(&app.db, &g, &userid).await? }),
    ))
}

async fn signout_all(
    State(app): State<AppState>,
    Authed(actor): Authed,
    Path(userid): Path<String>,
) -> AppResult<Json<Value>> {
    let g = actor.require::<perm::ContactsManage>()?;
    let n = login::sign_out_all(&app, &actor, &g, &userid).await?;
    Ok(Json(
        json!({ "member": member::get_in_scope(&app.db, &g, &userid).await?, "sessions_ended": n }),
    ))
}
