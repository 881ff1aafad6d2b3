//! What an administrator role grants (permissions over the whole enterprise or department
//! subtrees) and the rank rule's data, read from `admin_roles`; the rule that an enterprise keeps an
//! active super administrator. Managing administrators is `roles`.
use std::collections::HashMap;

use qixie_kernel::authz::{AdminRank, Permission, Scope};
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_kernel::ser::{split_ids, split_list};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    pub is_super: bool,
    pub permissions: String,
    pub scope_all: bool,
    pub scope_departments: String,
}

async fn scope_of(db: &Database, corp: CorpId, r: &RoleRow) -> AppResult<Scope> {
    if r.is_super || r.scope_all {
        return Ok(Scope::All);
    }
    let ids = split_ids(&r.scope_departments);
    let paths: Vec<(String,)> = db
        .all(
            sql("SELECT path FROM departments WHERE corp_id = $1 AND id IN ")
                .bind(corp)
                .push_in(ids),
        )
        .await?;
    Ok(Scope::Subtrees(paths.into_iter().map(|(p,)| p).collect()))
}

/// (is super administrator, permissions, scope) of a member; employees get nothing.
pub async fn load_grants(
    db: &Database,
    corp: CorpId,
    member: MemberId,
) -> AppResult<(bool, Vec<Permission>, Scope)> {
    let row: Option<RoleRow> = db
        .opt(sql("SELECT is_super, permissions, scope_all, scope_departments FROM admin_roles WHERE corp_id = $1 AND member_id = $2").bind(corp).bind(member))
        .await?;
    grants_of(db, corp, row).await
}

/// (is super administrator, permissions, scope) from a member's `admin_roles` row, if any: reads
/// the database only for a scope of chosen departments.
pub async fn grants_of(
    db: &Database,
    corp: CorpId,
    row: Option<RoleRow>,
) -> AppResult<(bool, Vec<Permission>, Scope)> {
    let Some(r) = row else {
        return Ok((false, Vec::new(), Scope::Subtrees(Vec::new())));
    };
    let perms = split_list(&r.permissions)
        .iter()
        .filter_map(|p| Permission::from_code(p))
        .collect();
    let scope = scope_of(db, corp, &r).await?;
    Ok((r.is_super, perms, scope))
}

/// A member's administrator role for the rank rule, if they hold one.
pub async fn rank_of(
    db: &Database,
    corp: CorpId,
    member: MemberId,
) -> AppResult<Option<AdminRank>> {
    let row: Option<RoleRow> = db
        .opt(sql("SELECT is_super, permissions, scope_all, scope_departments FROM admin_roles WHERE corp_id = $1 AND member_id = $2").bind(corp).bind(member))
        .await?;
    match row {
        None => Ok(None),
        some => {
            let (is_super, permissions, scope) = grants_of(db, corp, some).await?;
            Ok(Some(AdminRank {
                is_super,
                permissions,
                scope,
            }))
        }
    }
}

/// Every administrator's role in the enterprise, by member id, read inside `tx`: imports check many
/// members at once.
pub async fn ranks_in(tx: &mut Tx, corp: CorpId) -> AppResult<HashMap<i64, AdminRank>> {
    let rows: Vec<(i64, bool, String, bool, String)> = tx
        .all(sql("SELECT member_id, is_super, permissions, scope_all, scope_departments FROM admin_roles WHERE corp_id = $1").bind(corp))
        .await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let paths: HashMap<i64, String> = tx
        .all::<(i64, String)>(sql("SELECT id, path FROM departments WHERE corp_id = $1").bind(corp))
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(member, is_super, permissions, scope_all, departments)| {
            let scope = if is_super || scope_all {
                Scope::All
            } else {
                Scope::Subtrees(
                    split_ids(&departments)
                        .iter()
                        .filter_map(|d| paths.get(d).cloned())
                        .collect(),
                )
            };
            let permissions = split_list(&permissions)
                .iter()
                .filter_map(|p| Permission::from_code(p))
                .collect();
            (
                member,
                AdminRank {
                    is_super,
                    permissions,
                    scope,
                },
            )
        })
        .collect())
}

pub async fn set_super(tx: &mut Tx, corp: CorpId, member: MemberId, now: i64) -> AppResult<()> {
    tx.exec(
        sql("INSERT INTO admin_roles (corp_id, member_id, is_super, permissions, scope_all, scope_departments, updated_at) VALUES ($1, $2, TRUE, '', TRUE, '', $3) \
             ON CONFLICT (corp_id, member_id) DO UPDATE SET is_super = TRUE, scope_all = TRUE, updated_at = $3")
        .bind(corp)
        .bind(member)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// Refuses a change that would leave the enterprise without an active super administrator.
pub async fn ensure_not_last_super(tx: &mut Tx, corp: CorpId, member: MemberId) -> AppResult<()> {
    let is_super: Option<(bool,)> = tx
        .opt(
            sql("SELECT is_super FROM admin_roles WHERE corp_id = $1 AND member_id = $2")
                .bind(corp)
                .bind(member),
        )
        .await?;
    if !is_super.is_some_and(|(s,)| s) {
        return Ok(());
    }
    let (others,): (i64,) = tx
        .one(
            sql("SELECT COUNT(*) FROM admin_roles r JOIN members m ON m.id = r.member_id WHERE r.corp_id = $1 AND r.is_super = TRUE AND r.member_id <> $2 AND m.status = 'active'")
                .bind(corp)
                .bind(member),
        )
        .await?;
    if others == 0 {
        Err(ErrorKind::LastSuperAdmin.into())
    } else {
        Ok(())
    }
}
