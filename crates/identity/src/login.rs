//! Sign-in with throttling, password changes and administrator resets.
//!
//! Failures are counted per account and per address. After three failures on an account each further
//! attempt must wait longer (1 s, 2 s, 4 s … up to a minute); at the enterprise's limit the account
//! locks until the lock time passes or an administrator unlocks it. Unknown accounts are counted and
//! locked the same way and answered with the same words, so the answer never tells whether an account
//! exists.
use serde::Deserialize;
use serde_json::json;

use super::{credentials, session};
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_org::enterprise;
use qixie_org::member::{self, Member, MemberStatus};

const FREE_FAILURES: i64 = 3;
const IP_FREE_FAILURES: i64 = 20;
const IP_WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The enterprise; may be left out when the installation hosts one.
    pub corp_id: Option<String>,
    pub account: String,
    pub password: String,
    #[serde(default)]
    pub device: String,
    /// "api" returns a bearer token instead of setting a cookie.
    #[serde(default)]
    pub client: String,
}

pub struct LoginOk {
    pub member: Member,
    pub session: session::NewSession,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
struct Throttle {
    failures: i64,
    last_failure_at: i64,
    locked_until: i64,
}

/// The throttle row of an account; accounts are matched without regard to case.
fn account_key(corp: CorpId, account: &str) -> String {
    format!("acct:{corp}:{}", account.to_lowercase())
}

/// How long one must wait after `failures` failures before trying again.
pub fn backoff_ms(failures: i64, free: i64) -> i64 {
    if failures < free {
        0
    } else {
        1000 * (1i64 << (failures - free).min(6))
    }
}

/// `backoff_ms` of the row's `failures` column, as SQL.
fn backoff_sql(free: i64) -> String {
    let mut s = String::from("CASE");
    for f in 0..free + 7 {
        s.push_str(&format!(
            " WHEN login_throttle.failures = {f} THEN {}",
            backoff_ms(f, free)
        ));
    }
    s.push_str(&format!(" ELSE {} END", backoff_ms(free + 6, free)));
    s
}

/// Counts one attempt on `key` in a single statement, unless the account is locked or must still
/// wait: the failures so far including this attempt, or None when refused. The attempt that reaches
/// `max_failures` locks the account (and resets the count for after the lock).
async fn reserve_attempt(
    app: &AppState,
    key: &str,
    now: i64,
    max_failures: i64,
    lock_ms: i64,
) -> AppResult<Option<i64>> {
    let first_locks = 1 >= max_failures;
    let mut tx = app.db.begin().await?;
    let row: Option<(i64, i64)> = tx
        .opt(
            sql(format!(
                "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN login_throttle.failures + 1 >= $5 THEN 0 ELSE login_throttle.failures + 1 END, \
                 locked_until = CASE WHEN login_throttle.failures + 1 >= $5 THEN $6 ELSE 0 END, \
                 last_failure_at = $3 \
                 WHERE login_throttle.locked_until <= $3 AND login_throttle.last_failure_at + ({}) <= $3 \
                 RETURNING failures, locked_until",
                backoff_sql(FREE_FAILURES)
            ))
            .bind(key)
            .bind(if first_locks { 0 } else { 1 })
            .bind(now)
            .bind(if first_locks { now + lock_ms } else { 0 })
            .bind(max_failures)
            .bind(now + lock_ms),
        )
        .await?;
    tx.commit().await?;
    Ok(row.map(|(failures, locked_until)| {
        if locked_until > now {
            max_failures
        } else {
            failures
        }
    }))
}

async fn throttle(app: &AppState, key: &str) -> AppResult<Throttle> {
    Ok(app
        .db
        .opt(
            sql(
                "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE key = $1",
            )
            .bind(key),
        )
        .await?
        .unwrap_or_default())
}

/// A throttle error with the seconds to wait, for the Retry-After header.
pub struct Refused {
    pub error: AppError,
    pub retry_after_s: Option<i64>,
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Refused {
            error: AppError::internal(e),
            retry_after_s: None,
        }
    }
}

impl From<AppError> for Refused {
    fn from(error: AppError) -> Self {
        Refused {
            error,
            retry_after_s: None,
        }
    }
}

pub async fn login(app: &AppState, req: &LoginRequest, ip: &str) -> Result<LoginOk, Refused> {
    let now = app.now();
    let corp = match req.corp_id.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => enterprise::find_by_corpid(&app.db, c).await?,
        None => enterprise::default_corp(&app.db).await?,
    };
    let Some(corp) = corp else {
        // Still spend the time a real check takes.
        app.hasher.verify(&req.password, None).await?;
        return Err(AppError::new(ErrorKind::BadCredentials).into());
    };
    let account = req.account.trim().to_owned();
    let acct_key = account_key(corp.id, &account);
    let ip_key = format!("ip:{ip}");
    let policy = enterprise::security(&app.db, corp.id).await?;
    let i = throttle(app, &ip_key).await?;
    let ip_failures = if now - i.last_failure_at > IP_WINDOW_MS {
        0
    } else {
        i.failures
    };
    let ip_wait = i.last_failure_at + backoff_ms(ip_failures, IP_FREE_FAILURES) - now;
    if ip_wait > 0 {
        return Err(Refused {
            error: ErrorKind::Throttled.into(),
            retry_after_s: Some(ip_wait / 1000 + 1),
        });
    }
    let max_failures = policy.login_max_failures.max(1);
    let lock_ms = policy.login_lock_minutes.max(1) * 60_000;
    // The attempt is counted before the password is checked, so parallel attempts cannot all pass
    // the limit; a right password then clears the count.
    let Some(failures) = reserve_attempt(app, &acct_key, now, max_failures, lock_ms).await? else {
        let a = throttle(app, &acct_key).await?;
        if a.locked_until > now {
            return Err(Refused {
                error: ErrorKind::AccountLocked.into(),
                retry_after_s: Some((a.locked_until - now) / 1000 + 1),
            });
        }
        let wait = (a.last_failure_at + backoff_ms(a.failures, FREE_FAILURES) - now).max(1);
        return Err(Refused {
            error: ErrorKind::Throttled.into(),
            retry_after_s: Some(wait / 1000 + 1),
        });
    };
    let lock = failures >= max_failures;
    let locked_until = if lock { now + lock_ms } else { 0 };

    let found = member::find_row(&app.db, corp.id, &account).await.ok();
    let cred = match &found {
        Some(m) => credentials::get(&app.db, MemberId(m.id)).await?,
        None => None,
    };
    let ok = app
        .hasher
        .verify(
            &req.password,
            cred.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await?;
    let status = found.as_ref().and_then(|m| MemberStatus::parse(&m.status));
    let usable = matches!(
        status,
        Some(MemberStatus::Active | MemberStatus::NotActivated | MemberStatus::Frozen)
    );
    let now = app.now();
    if !ok || !usable {
        let mut tx = app.db.begin().await?;
        tx.exec(
            sql("INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES ($1, 1, $2, 0) \
                 ON CONFLICT (key) DO UPDATE SET last_failure_at = $2, \
                 failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END")
            .bind(&ip_key)
            .bind(now)
            .bind(now - IP_WINDOW_MS),
        )
        .await?;
        let actor = ("anonymous", account.as_str(), account.as_str());
        audit::record_raw(
            &mut tx,
            corp.id,
            now,
            actor,
            ip,
            Entry {
                kind: "auth.login_failed",
                target: format!("member:{account}"),
                before: None,
                after: Some(json!({"failures": failures})),
            },
        )
        .await?;
        if lock {
            audit::record_raw(
                &mut tx,
                corp.id,
                now,
                actor,
                ip,
                Entry {
                    kind: "auth.locked",
                    target: format!("member:{account}"),
                    before: None,
                    after: Some(json!({"locked_until": locked_until})),
                },
            )
            .await?;
        }
        tx.commit().await?;
        return Err(if lock {
            AppError::new(ErrorKind::AccountLocked)
        } else {
            AppError::new(ErrorKind::BadCredentials)
        }
        .into());
    }
    let (Some(m), Some(cred)) = (found, cred) else {
        return Err(AppError::new(ErrorKind::BadCredentials).into());
    };
    let mid = MemberId(m.id);
    if status == Some(MemberStatus::Frozen) {
        // The password was right: the attempt counted for it is taken back.
        app.db
            .exec(sql("DELETE FROM login_throttle WHERE key = $1").bind(&acct_key))
            .await?;
        return Err(AppError::new(ErrorKind::AccountFrozen).into());
    }
    let must_change = cred.must_change_password || expired(&policy, cred.password_changed_at, now);
    let mut tx = app.db.begin().await?;
    tx.exec(sql("DELETE FROM login_throttle WHERE key = $1").bind(&acct_key))
        .await?;
    let kind = if req.client == "api" {
        "api"
    } else {
        "browser"
    };
    let new = session::create(&mut tx, app, corp.id, mid, &req.device, ip, kind).await?;
    audit::record_raw(
        &mut tx,
        corp.id,
        now,
        ("member", &m.userid, &m.name),
        ip,
        Entry {
            kind: "auth.login",
            target: format!("member:{}", m.userid),
            before: None,
            after: Some(json!({"client": kind})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOk {
        member: member::get_by_id(&app.db, corp.id, mid).await?,
        session: new,
        must_change_password: must_change,
    })
}

fn expired(policy: &enterprise::SecurityPolicy, changed_at: i64, now: i64) -> bool {
    policy.password_rotation_days > 0
        && now - changed_at > policy.password_rotation_days * 24 * 3600 * 1000
}

/// Whether the member must change the password before doing anything else.
pub async fn must_change_now(app: &AppState, corp_id: CorpId, member: MemberId) -> AppResult<bool> {
    let Some(c) = credentials::get(&app.db, member).await? else {
        return Ok(true);
    };
    if c.must_change_password {
        return Ok(true);
    }
    let policy = enterprise::security(&app.db, corp_id).await?;
    Ok(expired(&policy, c.password_changed_at, app.now()))
}

/// Checks a new password against the policy and the last five.
async fn acceptable(
    app: &AppState,
    corp_id: CorpId,
    member: MemberId,
    account: &str,
    new_password: &str,
) -> AppResult<()> {
    let policy = enterprise::security(&app.db, corp_id).await?;
    policy.check_password(account, new_password)?;
    for old in credentials::history(&app.db, member).await? {
        if app.hasher.verify(new_password, Some(&old)).await? {
            return Err(ErrorKind::PasswordReused.into());
        }
    }
    Ok(())
}

/// The member changes their own password; the first change activates the account. Other sessions end.
pub async fn change_password(
    app: &AppState,
    actor: &Actor,
    current_session: i64,
    old: &str,
    new: &str,
) -> AppResult<()> {
    let mid = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let m = member::get_by_id(&app.db, actor.corp, mid).await?;
    let cred = credentials::get(&app.db, mid)
        .await?
        .ok_or(ErrorKind::WrongOldPassword)?;
    if !app.hasher.verify(old, Some(&cred.password_hash)).await? {
        return Err(AppError::field("old_password", FieldReason::Wrong)
            .with_kind(ErrorKind::WrongOldPassword));
    }
    acceptable(app, actor.corp, mid, &m.userid, new)
        .await
        .map_err(|e| e.on_field("new_password"))?;
    let hash = app.hasher.hash(new).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    credentials::set(&mut tx, app, actor.corp, mid, &hash, false, now).await?;
    member::activate(&mut tx, actor.corp, mid, now).await?;
    session::revoke_others(&mut tx, app, mid, current_session).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "auth.password_changed",
            target: format!("member:{}", m.userid),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An administrator sets a new initial password (given or generated); the member must change it at
/// next sign-in, and all their sessions end.
pub async fn reset_password(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
    password: Option<String>,
) -> AppResult<Option<String>> {
    let m = member::get_managed(&app.db, grant, userid).await?;
    let (pw, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (p, None),
        None => {
            let g = qixie_kernel::password::generate_for(&m.userid);
            (g.clone(), Some(g))
        }
    };
    let policy = enterprise::security(&app.db, grant.corp()).await?;
    policy
        .check_password(&m.userid, &pw)
        .map_err(|e| e.on_field("password"))?;
    let hash = app.hasher.hash(&pw).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    credentials::set(&mut tx, app, grant.corp(), m.id, &hash, true, now).await?;
    session::revoke_all(&mut tx, app, m.id).await?;
    tx.exec(
        sql("DELETE FROM login_throttle WHERE key = $1").bind(account_key(grant.corp(), &m.userid)),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "auth.password_reset",
            target: format!("member:{userid}"),
            before: None,
            after: Some(json!({"generated": generated.is_some()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(generated)
}

pub async fn unlock(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
) -> AppResult<()> {
    let m = member::get_managed(&app.db, grant, userid).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("DELETE FROM login_throttle WHERE key = $1").bind(account_key(grant.corp(), &m.userid)),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "auth.unlocked",
            target: format!("member:{userid}"),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of a member (a lost phone).
pub async fn sign_out_all(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
) -> AppResult<u64> {
    let m = member::get_managed(&app.db, grant, userid).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let n = session::revoke_all(&mut tx, app, m.id).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "auth.signed_out_all",
            target: format!("member:{userid}"),
            before: None,
            after: Some(json!({"sessions": n})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}
