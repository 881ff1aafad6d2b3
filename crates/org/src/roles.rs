//! Administrators: super administrators (never fewer than one) and administrators with a chosen set of
//! permissions over the whole enterprise or department subtrees.
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::grants::ensure_not_last_super;
use crate::member;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, Permission, perm};
use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::CorpId;
use qixie_kernel::ser::{join_ids, split_ids, split_list};

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
