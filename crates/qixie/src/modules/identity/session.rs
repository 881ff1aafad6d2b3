//! Sessions: an HttpOnly cookie for browsers (with a CSRF token for state-changing requests), a bearer
//! token for API clients. Only hashes of tokens are stored.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use serde::Serialize;

use crate::AppState;
use crate::http::extract::ClientIp;
use crate::kernel::authz::Actor;
use crate::kernel::db::{Database, Tx, sql};
use crate::kernel::error::{AppError, AppResult, ErrorKind};
use crate::kernel::i18n::Lang;
use crate::kernel::ids::{CorpId, MemberId, new_id, random_token, sha256_hex};
use crate::modules::org::member::{self, MemberStatus};

pub const COOKIE: &str = "qixie_session";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub corp_id: i64,
    pub member_id: i64,
    pub csrf_token: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

pub async fn create(
    tx: &mut Tx,
    app: &AppState,
    corp: CorpId,
    member: MemberId,
    device: &str,
    ip: &str,
    kind: &str,
) -> AppResult<NewSession> {
    let now = app.now();
    let token = random_token(32);
    let csrf = random_token(16);
    let device: String = device.chars().take(200).collect();
    tx.exec(
        sql("INSERT INTO sessions (token_hash, id, corp_id, member_id, csrf_token, device, ip, kind, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)")
        .bind(sha256_hex(&token))
        .bind(new_id(now))
        .bind(corp)
        .bind(member)
        .bind(&csrf)
        .bind(device)
        .bind(ip)
        .bind(kind)
        .bind(now)
        .bind(now + idle_ms(app)),
    )
    .await?;
    Ok(NewSession {
        token,
        csrf_token: csrf,
    })
}

fn idle_ms(app: &AppState) -> i64 {
    app.config.session_idle_hours.max(1) * 3600 * 1000
}

pub async fn revoke_all(tx: &mut Tx, member: MemberId) -> AppResult<u64> {
    Ok(tx
        .exec(sql("DELETE FROM sessions WHERE member_id = $1").bind(member))
        .await?)
}

pub async fn revoke_token(db: &Database, token: &str) -> AppResult<()> {
    db.exec(sql("DELETE FROM sessions WHERE token_hash = $1").bind(sha256_hex(token)))
        .await?;
    Ok(())
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct SessionView {
    #[serde(serialize_with = "crate::kernel::ser::id_as_string")]
    pub id: i64,
    pub device: String,
    pub ip: String,
    pub kind: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    #[sqlx(default)]
    pub current: bool,
}

pub async fn list(db: &Database, member: MemberId, current: i64) -> AppResult<Vec<SessionView>> {
    let mut rows: Vec<SessionView> = db
        .all(sql("SELECT id, device, ip, kind, created_at, last_seen_at FROM sessions WHERE member_id = $1 ORDER BY last_seen_at DESC").bind(member))
        .await?;
    for r in &mut rows {
        r.current = r.id == current;
    }
    Ok(rows)
}

pub async fn revoke_one(db: &Database, member: MemberId, id: i64) -> AppResult<()> {
    let n = db
        .exec(
            sql("DELETE FROM sessions WHERE member_id = $1 AND id = $2")
                .bind(member)
                .bind(id),
        )
        .await?;
    if n == 0 {
        Err(ErrorKind::NotFound.into())
    } else {
        Ok(())
    }
}

fn token_from(parts: &Parts) -> Option<(String, bool)> {
    if let Some(auth) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = auth.strip_prefix("Bearer ")
    {
        return Some((t.trim().to_owned(), false));
    }
    let cookies = parts.headers.get_all(header::COOKIE);
    for c in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for pair in c.split(';') {
            if let Some(v) = pair.trim().strip_prefix(&format!("{COOKIE}=")) {
                return Some((v.to_owned(), true));
            }
        }
    }
    None
}

/// The signed-in caller, with the session it came in on.
pub struct Session {
    pub actor: Actor,
    pub row: SessionRow,
    pub must_change_password: bool,
    pub token: String,
}

async fn authenticate(parts: &mut Parts, app: &AppState) -> AppResult<Session> {
    let (token, from_cookie) = token_from(parts).ok_or(ErrorKind::Unauthenticated)?;
    let now = app.now();
    let row: SessionRow = app
        .db
        .opt(sql("SELECT id, corp_id, member_id, csrf_token, last_seen_at, expires_at FROM sessions WHERE token_hash = $1").bind(sha256_hex(&token)))
        .await?
        .filter(|s: &SessionRow| s.expires_at > now)
        .ok_or(ErrorKind::Unauthenticated)?;
    // Browsers send cookies on their own; a state-changing request must prove it came from our page.
    if from_cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if sent != row.csrf_token {
            return Err(ErrorKind::CsrfFailed.into());
        }
    }
    let corp = CorpId(row.corp_id);
    let m = member::find_row_by_id(&app.db, corp, MemberId(row.member_id))
        .await
        .map_err(|_| AppError::new(ErrorKind::Unauthenticated))?;
    if !matches!(
        MemberStatus::parse(&m.status),
        Some(MemberStatus::Active | MemberStatus::NotActivated)
    ) {
        return Err(ErrorKind::Unauthenticated.into());
    }
    if now - row.last_seen_at > 60_000 {
        app.db
            .exec(
                sql("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
                    .bind(now)
                    .bind(now + idle_ms(app))
                    .bind(row.id),
            )
            .await?;
    }
    let must_change = super::login::must_change_now(app, corp, MemberId(m.id)).await?;
    let (is_super, perms, scope) =
        crate::modules::admin::roles::load_grants(&app.db, corp, MemberId(m.id)).await?;
    let ClientIp(ip) = ClientIp::from_request_parts(parts, app)
        .await
        .unwrap_or(ClientIp(String::new()));
    let lang = Lang::from_accept_language(
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let actor = Actor::member(
        corp,
        MemberId(m.id),
        m.userid,
        m.name,
        is_super,
        perms,
        scope,
    )
    .with_request(ip, lang);
    Ok(Session {
        actor,
        row,
        must_change_password: must_change,
        token,
    })
}

/// A signed-in member who has no pending forced password change.
pub struct Authed(pub Actor);

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let s = authenticate(parts, app).await?;
        if s.must_change_password {
            return Err(ErrorKind::PasswordChangeRequired.into());
        }
        Ok(Authed(s.actor))
    }
}

/// A signed-in member, even one who must still change the initial password (for /me, the change
/// itself and sign-out).
pub struct AnySession(pub Session);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        Ok(AnySession(authenticate(parts, app).await?))
    }
}

pub fn cookie_header(app: &AppState, token: &str, max_age_s: i64) -> String {
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

pub fn session_cookie(app: &AppState, token: &str) -> String {
    cookie_header(app, token, idle_ms(app) / 1000)
}
