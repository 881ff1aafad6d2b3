//! The audit log: append-only, written in the same transaction as the change it records.
use serde_json::Value;

use super::authz::Actor;
use super::db::{Tx, sql};
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
