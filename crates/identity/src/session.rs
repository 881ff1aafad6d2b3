//! Sessions: an HttpOnly cookie for browsers (with a CSRF token for state-changing requests), a bearer
//! token for API clients. Only hashes of tokens are stored.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use serde::Serialize;

use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::http::extract::{Authenticator, Caller, CallerFuture, ClientIp};
use qixie_kernel::i18n::Lang;
use qixie_kernel::ids::{CorpId, MemberId, new_id, random_token, sha256_hex};
use qixie_org::member::{self, MemberStatus};

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

/// Ends every session of `member` when `tx` commits (their sockets close then, on every node).
pub async fn revoke_all(tx: &mut Tx, app: &AppState, member: MemberId) -> AppResult<u64> {
    app.access.forget_member_after_commit(tx, member);
    let ids: Vec<(i64,)> = tx
        .all(sql("DELETE FROM sessions WHERE member_id = $1 RETURNING id").bind(member))
        .await?;
    Ok(ended_after_commit(tx, app, member, ids))
}

/// Ends every session of `member` but `keep` when `tx` commits (a password change).
pub async fn revoke_others(
    tx: &mut Tx,
    app: &AppState,
    member: MemberId,
    keep: i64,
) -> AppResult<u64> {
    app.access.forget_member_after_commit(tx, member);
    let ids: Vec<(i64,)> = tx
        .all(
            sql("DELETE FROM sessions WHERE member_id = $1 AND id <> $2 RETURNING id")
                .bind(member)
                .bind(keep),
        )
        .await?;
    Ok(ended_after_commit(tx, app, member, ids))
}

fn ended_after_commit(tx: &mut Tx, app: &AppState, member: MemberId, ids: Vec<(i64,)>) -> u64 {
    let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
    let n = ids.len() as u64;
    emit_ended(tx, app, member, ids);
    n
}

/// Announces, once `tx` commits, that `sessions` of `member` ended (their sockets close).
pub fn emit_ended(tx: &mut Tx, app: &AppState, member: MemberId, sessions: Vec<i64>) {
    if !sessions.is_empty() {
        tx.emit(app, DomainEvent::SessionsEnded { member, sessions });
    }
}

/// Signs out the session of `token`.
pub async fn revoke_token(app: &AppState, token: &str) -> AppResult<()> {
    let hash = sha256_hex(token);
    app.access.forget_key(&hash);
    let mut tx = app.db.begin().await?;
    let ended: Vec<(i64, i64)> = tx
        .all(sql("DELETE FROM sessions WHERE token_hash = $1 RETURNING id, member_id").bind(&hash))
        .await?;
    for (id, member) in ended {
        emit_ended(&mut tx, app, MemberId(member), vec![id]);
    }
    tx.commit().await?;
    app.access.forget_key(&hash);
    Ok(())
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SessionView {
    #[serde(serialize_with = "qixie_kernel::ser::id_as_string")]
    #[schema(value_type = String)]
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

pub async fn revoke_one(app: &AppState, member: MemberId, id: i64) -> AppResult<()> {
    app.access.forget_member(member);
    let mut tx = app.db.begin().await?;
    let n = tx
        .exec(
            sql("DELETE FROM sessions WHERE member_id = $1 AND id = $2")
                .bind(member)
                .bind(id),
        )
        .await?;
    if n == 0 {
        return Err(ErrorKind::NotFound.into());
    }
    emit_ended(&mut tx, app, member, vec![id]);
    tx.commit().await?;
    app.access.forget_member(member);
    Ok(())
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

/// What one request needs to know about its session, read in one query (the session, its member,
/// the password state, the rotation policy and the member's administrator row).
#[derive(Debug, Clone, sqlx::FromRow)]
struct SessionInfo {
    id: i64,
    corp_id: i64,
    member_id: i64,
    csrf_token: String,
    last_seen_at: i64,
    expires_at: i64,
    userid: String,
    name: String,
    status: String,
    must_change_password: Option<bool>,
    password_changed_at: Option<i64>,
    password_rotation_days: i64,
    is_super: Option<bool>,
    permissions: Option<String>,
    scope_all: Option<bool>,
    scope_departments: Option<String>,
}

/// A session as the requests of the next few seconds may reuse it.
#[derive(Clone)]
struct Known {
    info: SessionInfo,
    actor: Actor,
}

async fn load(app: &AppState, token_hash: &str) -> AppResult<Option<Known>> {
    let info: Option<SessionInfo> = app
        .db
        .opt(sql(format!(
            "SELECT s.id, s.corp_id, s.member_id, s.csrf_token, s.last_seen_at, s.expires_at, cr.must_change_password, cr.password_changed_at, {} \
             FROM sessions s{} LEFT JOIN credentials cr ON cr.member_id = s.member_id WHERE s.token_hash = $1",
            member::sql::ACTOR_COLUMNS,
            member::sql::actor_joins("s.member_id", "s.corp_id"),
        ))
        .bind(token_hash))
        .await?;
    let Some(info) = info else {
        return Ok(None);
    };
    let corp = CorpId(info.corp_id);
    let role = match (
        &info.is_super,
        &info.permissions,
        &info.scope_all,
        &info.scope_departments,
    ) {
        (Some(is_super), Some(permissions), Some(scope_all), Some(scope_departments)) => {
            Some(qixie_org::grants::RoleRow {
                is_super: *is_super,
                permissions: permissions.clone(),
                scope_all: *scope_all,
                scope_departments: scope_departments.clone(),
            })
        }
        _ => None,
    };
    let (is_super, perms, scope) = qixie_org::grants::grants_of(&app.db, corp, role).await?;
    let actor = Actor::member(
        corp,
        MemberId(info.member_id),
        info.userid.clone(),
        info.name.clone(),
        is_super,
        perms,
        scope,
    );
    Ok(Some(Known { info, actor }))
}

async fn authenticate(parts: &mut Parts, app: &AppState) -> AppResult<Session> {
    let (token, from_cookie) = token_from(parts).ok_or(ErrorKind::Unauthenticated)?;
    let now = app.now();
    let key = sha256_hex(&token);
    let use_cache = !app.clustered();
    let known = match use_cache.then(|| app.access.get::<Known>(&key)).flatten() {
        Some(k) => Known::clone(&k),
        None => {
            let epoch = app.access.epoch();
            let k = load(app, &key).await?.ok_or(ErrorKind::Unauthenticated)?;
            if use_cache {
                app.access
                    .put(key.clone(), epoch, MemberId(k.info.member_id), k.clone());
            }
            k
        }
    };
    let Known { mut info, actor } = known;
    if info.expires_at <= now {
        return Err(ErrorKind::Unauthenticated.into());
    }
    // Browsers send cookies on their own; a state-changing request must prove it came from our page.
    if from_cookie && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if sent != info.csrf_token {
            return Err(ErrorKind::CsrfFailed.into());
        }
    }
    if !matches!(
        MemberStatus::parse(&info.status),
        Some(MemberStatus::Active | MemberStatus::NotActivated)
    ) {
        return Err(ErrorKind::Unauthenticated.into());
    }
    if now - info.last_seen_at > 60_000 {
        app.db
            .exec(
                sql("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
                    .bind(now)
                    .bind(now + idle_ms(app))
                    .bind(info.id),
            )
            .await?;
        info.last_seen_at = now;
        info.expires_at = now + idle_ms(app);
        app.access.forget_key(&key);
    }
    let must_change = match (info.must_change_password, info.password_changed_at) {
        (Some(false), Some(changed_at)) => {
            info.password_rotation_days > 0
                && now - changed_at > info.password_rotation_days * 24 * 3600 * 1000
        }
        _ => true,
    };
    let ClientIp(ip) = ClientIp::from_request_parts(parts, app)
        .await
        .unwrap_or(ClientIp(String::new()));
    let lang = Lang::from_accept_language(
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    Ok(Session {
        actor: actor.with_request(ip, lang),
        row: SessionRow {
            id: info.id,
            corp_id: info.corp_id,
            member_id: info.member_id,
            csrf_token: info.csrf_token,
            last_seen_at: info.last_seen_at,
            expires_at: info.expires_at,
        },
        must_change_password: must_change,
        token,
    })
}

/// Signs in requests for every module's routes (`Authed`).
pub struct SessionAuthenticator;

impl Authenticator for SessionAuthenticator {
    fn caller<'a>(&'a self, parts: &'a mut Parts, app: &'a AppState) -> CallerFuture<'a> {
        Box::pin(async move {
            let s = authenticate(parts, app).await?;
            Ok(Caller {
                actor: s.actor,
                must_change_password: s.must_change_password,
            })
        })
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
