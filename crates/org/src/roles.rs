//! Administrators: super administrators (never fewer than one) and administrators with a chosen set of
//! permissions over the whole enterprise or department subtrees.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::member;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, AdminRank, Grant, Permission, Scope, perm};
use qixie_kernel::db::{Database, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{CorpId, MemberId};
use qixie_kernel::ser::{join_ids, split_ids, split_list};

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

#[derive(Debug, Serialize, Deserialize, Clone, Default)]
pub struct ScopeView {
    pub all: bool,
    #[serde(default)]
    pub department_ids: Vec<i64>,
}

#[derive(Debug, Serialize)]
pub struct AdminView {
    pub userid: String,
    pub name: String,
    pub is_super: bool,
    pub permissions: Vec<String>,
    pub scope: ScopeView,
}

pub async fn list(db: &Database, corp: CorpId) -> AppResult<Vec<AdminView>> {
    let rows: Vec<(String, String, bool, String, bool, String)> = db
        .all(
            sql("SELECT m.userid, m.name, r.is_super, r.permissions, r.scope_all, r.scope_departments FROM admin_roles r JOIN members m ON m.id = r.member_id \
                 WHERE r.corp_id = $1 ORDER BY r.is_super DESC, m.sort_key")
            .bind(corp),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(userid, name, is_super, perms, all, depts)| AdminView {
            userid,
            name,
            is_super,
            permissions: if is_super {
                Permission::ALL
                    .iter()
                    .map(|p| p.code().to_owned())
                    .collect()
            } else {
                split_list(&perms)
            },
            scope: ScopeView {
                all: is_super || all,
                department_ids: split_ids(&depts),
            },
        })
        .collect())
}

#[derive(Debug, Deserialize)]
pub struct AdminInput {
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub scope: ScopeView,
    #[serde(default)]
    pub is_super: bool,
}

/// Makes a member an administrator or changes their rights. Nobody hands out more than they hold:
/// only a super administrator names super administrators, and a scoped administrator can grant only
/// their own permissions within their own scope.
pub async fn put(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::RolesManage>,
    userid: &str,
    input: AdminInput,
) -> AppResult<AdminView> {
    let corp = grant.corp();
    let target = member::get_managed(&app.db, grant, userid).await?;
    let mut perms = Vec::new();
    for code in &input.permissions {
        let p = Permission::from_code(code)
            .ok_or_else(|| AppError::field("permissions", FieldReason::Unknown))?;
        if !actor.has(p) {
            return Err(ErrorKind::Forbidden.into());
        }
        if !perms.contains(&p) {
            perms.push(p);
        }
    }
    if input.is_super && !actor.is_super {
        return Err(ErrorKind::Forbidden.into());
    }
    if !input.scope.all && input.scope.department_ids.is_empty() && !input.is_super {
        return Err(AppError::field("scope", FieldReason::Required));
    }
    if input.scope.all && !grant.is_whole_enterprise() {
        return Err(ErrorKind::OutOfScope.into());
    }
    for d in &input.scope.department_ids {
        let row = crate::department::find(&app.db, corp, *d)
            .await
            .map_err(|_| AppError::field("scope", FieldReason::NotFound))?;
        grant.check_path(&row.path)?;
    }
    let now = app.now();
    let before = list(&app.db, corp)
        .await?
        .into_iter()
        .find(|a| a.userid == userid);
    let mut tx = app.db.begin().await?;
    if !input.is_super {
        ensure_not_last_super(&mut tx, corp, target.id).await?;
    }
    let codes = perms.iter().map(|p| p.code()).collect::<Vec<_>>().join(",");
    app.access.forget_member_after_commit(&mut tx, target.id);
    tx.exec(
        sql("INSERT INTO admin_roles (corp_id, member_id, is_super, permissions, scope_all, scope_departments, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (corp_id, member_id) DO UPDATE SET is_super = $3, permissions = $4, scope_all = $5, scope_departments = $6, updated_at = $7")
        .bind(corp)
        .bind(target.id)
        .bind(input.is_super)
        .bind(&codes)
        .bind(input.scope.all)
        .bind(join_ids(&input.scope.department_ids))
        .bind(now),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "role.assign",
            target: format!("member:{userid}"),
            before: before.map(
                |b| json!({"is_super": b.is_super, "permissions": b.permissions, "scope": b.scope}),
            ),
            after: Some(
                json!({"is_super": input.is_super, "permissions": codes, "scope": input.scope}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    list(&app.db, corp)
        .await?
        .into_iter()
        .find(|a| a.userid == userid)
        .ok_or_else(|| AppError::new(ErrorKind::NotFound))
}

pub async fn remove(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::RolesManage>,
    userid: &str,
) -> AppResult<()> {
    let corp = grant.corp();
    let target = member::get_managed(&app.db, grant, userid).await?;
    let before = list(&app.db, corp)
        .await?
        .into_iter()
        .find(|a| a.userid == userid)
        .ok_or(ErrorKind::NotFound)?;
    if before.is_super && !actor.is_super {
        return Err(ErrorKind::Forbidden.into());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    ensure_not_last_super(&mut tx, corp, target.id).await?;
    app.access.forget_member_after_commit(&mut tx, target.id);
    tx.exec(
        sql("DELETE FROM admin_roles WHERE corp_id = $1 AND member_id = $2")
            .bind(corp)
            .bind(target.id),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "role.revoke",
            target: format!("member:{userid}"),
            before: Some(json!({"is_super": before.is_super, "permissions": before.permissions})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
