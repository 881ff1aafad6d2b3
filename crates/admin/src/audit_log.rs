//! Reading the audit log (the console's search and export): a scoped reader sees only what happened
//! to and by the people and departments in their scope.
use serde::Serialize;

use qixie_kernel::authz::{Grant, perm};
use qixie_kernel::db::{Database, Sql, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    #[serde(serialize_with = "qixie_kernel::ser::id_as_string")]
    #[schema(value_type = String)]
    pub id: i64,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: String,
    pub ip: String,
    pub kind: String,
    pub target: String,
    /// The target as it was before the change, when there was one.
    #[serde(rename = "before", serialize_with = "qixie_kernel::ser::json_text")]
    #[schema(value_type = Option<Object>)]
    pub before_json: Option<String>,
    /// The target as it is after the change.
    #[serde(rename = "after", serialize_with = "qixie_kernel::ser::json_text")]
    #[schema(value_type = Option<Object>)]
    pub after_json: Option<String>,
}

/// Filters of the audit log: who, on what, which kind (a prefix), and when (milliseconds, `to`
/// excluded).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
        .one(qixie_org::scope::audit_in_scope(
            filtered("SELECT COUNT(*) FROM audit_log WHERE corp_id = $1", corp, f),
            grant.scope(),
        ))
        .await?;
    let rows = db
        .all(
            qixie_org::scope::audit_in_scope(
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
