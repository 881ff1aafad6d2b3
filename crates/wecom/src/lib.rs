//! The WeCom-compatible server API (`/cgi-bin/...`): an adapter that translates requests and answers
//! to and from the same domain functions and authorization gate as the native API. WeCom's own
//! conventions rule here: HTTP 200 with `errcode`/`errmsg`, the token in the query string, JSON bodies
//! whatever the Content-Type, numbers as strings or integers.
pub mod batch;
pub mod checkin;
pub mod contacts;
pub mod loose;
pub mod media;
pub mod message;
pub mod oa;
pub mod vacation;

/// The callback crypto, kept with apps (whose callbacks it checks and seals).
pub use qixie_apps::crypto;

use axum::Router;
use axum::body::Body as HttpBody;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use qixie_apps::{self as apps, AppRow};
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::http::error::ErrorInfo;
use qixie_kernel::http::extract::{ClientIp, Credentials};
use qixie_kernel::jobs::{self, JobRegistry};
use qixie_kernel::module::{Module, StartFuture};

/// The WeCom adapter as a module: token issuing, contacts, batch jobs, media, messages, approvals
/// and attendance.
pub struct WeCom;

impl Module for WeCom {
    fn name(&self) -> &'static str {
        "wecom"
    }
    fn wecom_routes(&self) -> Router<AppState> {
        Router::new()
            .route("/gettoken", get(gettoken).post(gettoken))
            .merge(contacts::routes())
            .merge(batch::routes())
            .merge(checkin::routes())
            .merge(media::routes())
            .merge(message::routes())
            .merge(oa::routes())
            .merge(vacation::routes())
    }
    fn jobs(&self, r: &mut JobRegistry) {
        batch::register_jobs(r);
        media::register_jobs(r);
        oa::register_jobs(r);
    }
    fn start<'a>(&'a self, app: &'a AppState, runs_jobs: bool) -> StartFuture<'a> {
        Box::pin(async move {
            // Approval changes made on this node go to the apps' callbacks.
            oa::spawn_listener(app.clone());
            if runs_jobs {
                jobs::schedule_periodic(app, media::PURGE_JOB, 3600 * 1000, app.now()).await?;
            }
            Ok(())
        })
    }
}

/// The /cgi-bin surface around every module's WeCom routes: unknown paths and errors answered in
/// WeCom's errcode/errmsg.
pub fn surface(routes: Router<AppState>) -> Router<AppState> {
    routes
        .fallback(|| async { AppError::new(ErrorKind::NotFound) })
        .layer(axum::middleware::from_fn(render_wecom_errors))
}

/// A successful WeCom answer: `errcode` 0 and `errmsg` "ok" merged into `body`.
pub fn ok(mut body: Value) -> Response {
    if let Value::Object(m) = &mut body {
        m.insert("errcode".into(), json!(0));
        m.insert("errmsg".into(), json!("ok"));
    }
    axum::Json(body).into_response()
}

pub fn ok_empty() -> Response {
    ok(json!({}))
}

/// Errors become HTTP 200 with WeCom's errcode and an errmsg in its style. Unknown paths keep a real
/// 404 so misconfigured base URLs are obvious.
async fn render_wecom_errors(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let Some(info) = res.extensions_mut().remove::<ErrorInfo>() else {
        return res;
    };
    let code = info.kind.wecom_errcode();
    let mut msg = info.message(qixie_kernel::i18n::Lang::En);
    if !info.fields.is_empty() {
        let f: Vec<String> = info
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.reason))
            .collect();
        msg = format!("{msg} ({})", f.join(", "));
    }
    let body = json!({ "errcode": code, "errmsg": format!("{msg}, hint: [{}]", info.kind.code()) })
        .to_string();
    let status = if info.kind == ErrorKind::NotFound
        && res.status() == StatusCode::NOT_FOUND
        && code == 40058
    {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let mut out = Response::new(HttpBody::from(body));
    *out.status_mut() = status;
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    out
}

#[derive(Deserialize)]
struct TokenQuery {
    corpid: Option<String>,
    corpsecret: Option<String>,
}

async fn gettoken(State(app): State<AppState>, Query(q): Query<TokenQuery>) -> AppResult<Response> {
    let corpid = q
        .corpid
        .filter(|s| !s.is_empty())
        .ok_or(ErrorKind::InvalidCorp)?;
    let secret = q
        .corpsecret
        .filter(|s| !s.is_empty())
        .ok_or(ErrorKind::InvalidSecret)?;
    let (token, expires_in) = apps::issue_token(&app, &corpid, &secret).await?;
    Ok(ok(
        json!({ "access_token": token, "expires_in": expires_in }),
    ))
}

/// The calling app, from `?access_token=`. Handlers that need a permission take
/// `Allowed<perm::X, AppCaller>`; those that need the app's row take this.
pub struct AppCaller {
    pub actor: Actor,
    pub app: AppRow,
}

#[derive(Deserialize)]
struct TokenParam {
    access_token: Option<String>,
}

impl FromRequestParts<AppState> for AppCaller {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let q: Query<TokenParam> =
            Query::try_from_uri(&parts.uri).map_err(|_| AppError::new(ErrorKind::MissingToken))?;
        let token = q.0.access_token.unwrap_or_default();
        let (actor, app) = apps::actor_for_token(state, &token).await?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientIp(String::new()));
        Ok(AppCaller {
            actor: actor.with_request(ip, qixie_kernel::i18n::Lang::Zh),
            app,
        })
    }
}

impl Credentials for AppCaller {
    fn into_actor(self) -> Actor {
        self.actor
    }
}
