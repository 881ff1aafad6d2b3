//! The audit log: append-only, written in the same transaction as the change it records.
use serde::Serialize;
use serde_json::Value;

use super::authz::{Actor, Grant, Scope, perm};
use super::db::{Database, Sql, Tx, sql};
use super::error::AppResult;
use super::ids::{CorpId, new_id};

/// What an entry says happened.
pub struct Entry<'a> {
    pub kind: &'a str,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(tx: &mut Tx, actor: &Actor, now_ms: i64, e: Entry<'_>) -> AppResult<()> {
    let (akind, aid, aname) = actor.audit_identity();
    record_raw(tx, actor.corp, now_ms, (akind, &aid, &aname), &actor.ip, e).await
}

/// For entries without an authenticated actor (a failed sign-in).
pub async fn record_raw(
    tx: &mut Tx,
    corp: CorpId,
    now_ms: i64,
    actor: (&str, &str, &str),
    ip: &str,
    e: Entry<'_>,
) -> AppResult<()> {
    tx.exec(
        sql("INSERT INTO audit_log (id, corp_id, at, actor_kind, actor_id, actor_name, ip, kind, target, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(new_id(now_ms))
        .bind(corp)
        .bind(now_ms)
        .bind(actor.0)
        .bind(actor.1)
        .bind(actor.2)
        .bind(ip)
        .bind(e.kind)
        .bind(e.target)
        .bind(e.before.map(|v| v.to_string()))
        .bind(e.after.map(|v| v.to_string())),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    #[serde(serialize_with = "crate::ser::id_as_string")]
    pub id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: String,
    pub ip: String,
    pub kind: String,
    pub target: String,
    #[serde(rename = "before", serialize_with = "crate::ser::json_text")]
    pub before_json: Option<String>,
    #[serde(rename = "after", serialize_with = "crate::ser::json_text")]
    pub after_json: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub kind: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

fn filtered(base: &str, corp: CorpId, f: &AuditQuery) -> Sql {
    let mut q = sql(base).bind(corp);
    if let Some(a) = f.actor.as_deref().filter(|s| !s.is_empty()) {
        q = q
            .push_bind(" AND (actor_id = {} OR actor_name = ", a)
            .push_bind("{})", a);
    }
    if let Some(t) = f.target.as_deref().filter(|s| !s.is_empty()) {
        q = q.push_bind(" AND target LIKE {}", format!("%{t}%"));
    }
    if let Some(k) = f.kind.as_deref().filter(|s| !s.is_empty()) {
        q = q.push_bind(" AND kind LIKE {}", format!("{k}%"));
    }
    if let Some(from) = f.from {
        q = q.push_bind(" AND at >= {}", from);
    }
    if let Some(to) = f.to {
        q = q.push_bind(" AND at < {}", to);
    }
    q
}

/// Confines a query on `audit_log` to entries whose actor or target (a member or a department) lies
/// in `scope`: a scoped reader sees what happened to and by the people they manage, nothing else.
fn in_scope(q: Sql, scope: &Scope) -> Sql {
    if *scope == Scope::All {
        return q;
    }
    let q = q.push(" AND (audit_log.actor_kind = 'member' AND audit_log.actor_id IN (SELECT m.userid FROM members m WHERE m.corp_id = audit_log.corp_id");
    let q = scope.filter_members(q, "m");
    let q = q.push(") OR audit_log.target IN (SELECT 'member:' || m.userid FROM members m WHERE m.corp_id = audit_log.corp_id");
    let q = scope.filter_members(q, "m");
    let q = q.push(") OR audit_log.target IN (SELECT 'department:' || CAST(d.id AS TEXT) FROM departments d WHERE d.corp_id = audit_log.corp_id");
    let q = scope.filter_departments(q, "d");
    q.push("))")
}

/// A page of the audit log, newest first, inside the reader's grant.
pub async fn search(
    db: &Database,
    grant: &Grant<perm::AuditRead>,
    f: &AuditQuery,
) -> AppResult<(Vec<AuditRow>, i64)> {
    let corp = grant.corp();
    let limit = f.limit.unwrap_or(50).clamp(1, 10_000);
    let offset = f.offset.unwrap_or(0).max(0);
    let (total,): (i64,) = db
        .one(in_scope(
            filtered("SELECT COUNT(*) FROM audit_log WHERE corp_id = $1", corp, f),
            grant.scope(),
        ))
        .await?;
    let rows = db
        .all(
            in_scope(
                filtered(
                    "SELECT id, at, actor_kind, actor_id, actor_name, ip, kind, target, before_json, after_json FROM audit_log WHERE corp_id = $1",
                    corp,
                    f,
                ),
                grant.scope(),
            )
            .push(" ORDER BY at DESC, id DESC")
            .push_bind(" LIMIT {}", limit)
            .push_bind(" OFFSET {}", offset),
        )
        .await?;
    Ok((rows, total))
}
