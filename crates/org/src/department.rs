//! The department tree. Root id 1, as in WeCom; each row keeps its materialised path so subtrees
//! (moves, scope checks, recursive listings) are one prefix match.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::scope::ScopeSql;
use crate::tree_cache::TreeCache;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, ReadScope, perm};
use qixie_kernel::db::{Conn, Database, Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::ids::CorpId;

pub const ROOT: i64 = 1;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeptRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub name_en: String,
    pub ord: i64,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Department {
    pub id: i64,
    pub parent_id: i64,
    pub name: String,
    pub name_en: String,
    pub order: i64,
    pub leader_userids: Vec<String>,
    pub member_count: i64,
    #[serde(skip)]
    pub path: String,
}

const COLS: &str = "id, parent_id, name, name_en, ord, path";

/// A department's row by id, for work authorised elsewhere (a write checks the path against its
/// grant), on the pool or inside the write's transaction. Reads a caller asks for are `list` and
/// `get`.
pub async fn find(db: impl Into<Conn<'_>>, corp: CorpId, id: i64) -> AppResult<DeptRow> {
    db.into()
        .opt(
            sql(format!(
                "SELECT {COLS} FROM departments WHERE corp_id = $1 AND id = $2"
            ))
            .bind(corp)
            .bind(id),
        )
        .await?
        .ok_or_else(|| ErrorKind::DepartmentNotFound.into())
}

/// The materialised paths of departments `ids` (unknown ids are left out).
pub async fn paths_of(db: &Database, corp: CorpId, ids: Vec<i64>) -> AppResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String,)> = db
        .all(
            sql("SELECT path FROM departments WHERE corp_id = $1 AND id IN ")
                .bind(corp)
                .push_in(ids),
        )
        .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// The members who lead department `id`, read inside `tx` (a department group makes them its
/// administrators).
pub async fn leader_ids_in(tx: &mut Tx, corp: CorpId, id: i64) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64,)> = tx
        .all(
            sql("SELECT member_id FROM department_leaders WHERE corp_id = $1 AND department_id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}

/// Every department's row, for turning ids into names and paths inside authorised work (an
/// export, a batch file, filtering by scope).
pub async fn all_rows(db: &Database, corp: CorpId) -> AppResult<Vec<DeptRow>> {
    Ok(db
        .all(
            sql(format!(
                "SELECT {COLS} FROM departments WHERE corp_id = $1 ORDER BY path"
            ))
            .bind(corp),
        )
        .await?)
}

/// The departments the read covers (under `root`, itself included, when given), with leaders and
/// direct member counts, in tree order (parent before child, siblings by order).
pub async fn list(
    db: &Database,
    reads: &ReadScope,
    root: Option<i64>,
) -> AppResult<Vec<Department>> {
    let corp = reads.corp();
    let mut q = sql(format!(
        "SELECT {COLS} FROM departments d WHERE corp_id = $1"
    ))
    .bind(corp);
    if let Some(s) = reads.limit() {
        q = s.filter_departments(q, "d");
    }
    if let Some(r) = root {
        let row = find(db, corp, r).await?;
        q = q.push_bind(" AND path LIKE {}", format!("{}%", row.path));
    }
    let rows: Vec<DeptRow> = db.all(q).await?;
    let counts: Vec<(i64, i64)> = db
        .all(sql("SELECT department_id, COUNT(*) FROM member_departments WHERE corp_id = $1 GROUP BY department_id").bind(corp))
        .await?;
    let leaders: Vec<(i64, String)> = db
        .all(sql("SELECT dl.department_id, m.userid FROM department_leaders dl JOIN members m ON m.id = dl.member_id WHERE dl.corp_id = $1 ORDER BY m.userid").bind(corp))
        .await?;
    let mut out = assemble(rows, counts, leaders);
    sort_tree(&mut out);
    Ok(out)
}

/// Departments from rows, direct member counts and leader userids (both keyed by department id).
fn assemble(
    rows: Vec<DeptRow>,
    counts: Vec<(i64, i64)>,
    leaders: Vec<(i64, String)>,
) -> Vec<Department> {
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    let mut leaders_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (d, u) in leaders {
        leaders_of.entry(d).or_default().push(u);
    }
    rows.into_iter()
        .map(|r| Department {
            id: r.id,
            parent_id: r.parent_id.unwrap_or(0),
            member_count: counts.get(&r.id).copied().unwrap_or(0),
            leader_userids: leaders_of.remove(&r.id).unwrap_or_default(),
            name: r.name,
            name_en: r.name_en,
            order: r.ord,
            path: r.path,
        })
        .collect()
}

/// Depth-first order: each parent, then its children by `order` then id.
fn sort_tree(items: &mut Vec<Department>) {
    let mut by_parent: std::collections::BTreeMap<i64, Vec<Department>> = Default::default();
    let ids: std::collections::HashSet<i64> = items.iter().map(|d| d.id).collect();
    for d in items.drain(..) {
        by_parent.entry(d.parent_id).or_default().push(d);
    }
    for v in by_parent.values_mut() {
        v.sort_by_key(|d| (d.order, d.id));
    }
    // Tops are departments whose parent is not in the visible set (the root, or scope roots).
    let mut tops: Vec<Department> = Vec::new();
    let parents: Vec<i64> = by_parent
        .keys()
        .copied()
        .filter(|p| !ids.contains(p))
        .collect();
    for p in parents {
        tops.extend(by_parent.remove(&p).unwrap_or_default());
    }
    tops.sort_by_key(|d| (d.path.len(), d.order, d.id));
    fn walk(
        d: Department,
        by_parent: &mut std::collections::BTreeMap<i64, Vec<Department>>,
        out: &mut Vec<Department>,
    ) {
        let id = d.id;
        out.push(d);
        for c in by_parent.remove(&id).unwrap_or_default() {
            walk(c, by_parent, out);
        }
    }
    for t in tops {
        walk(t, &mut by_parent, items);
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub parent_id: i64,
    pub order: Option<i64>,
    /// WeCom lets the caller choose the id.
    pub id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub parent_id: Option<i64>,
    pub order: Option<i64>,
    pub leader_userids: Option<Vec<String>>,
}

fn validate_name(v: &mut Validator, field: &str, name: &str) {
    if let Err(reason) = super::valid_name(name, 64) {
        v.push(field, reason);
    }
}

async fn ensure_unique_name(
    tx: &mut Tx,
    corp: CorpId,
    parent: i64,
    name: &str,
    except: Option<i64>,
) -> AppResult<()> {
    let clash: Option<(i64,)> = tx
        .opt(sql("SELECT id FROM departments WHERE corp_id = $1 AND parent_id = $2 AND name = $3 AND id <> $4").bind(corp).bind(parent).bind(name).bind(except.unwrap_or(-1)))
        .await?;
    if clash.is_some() {
        Err(ErrorKind::DepartmentExists.into())
    } else {
        Ok(())
    }
}

/// Creates the root department of a new enterprise (nothing of it can be cached yet).
pub async fn create_root(tx: &mut Tx, corp: CorpId, name: &str, now: i64) -> AppResult<()> {
    tx.exec(sql("INSERT INTO departments (corp_id, id, parent_id, name, ord, path, created_at) VALUES ($1, $2, NULL, $3, 0, $4, $5)").bind(corp).bind(ROOT).bind(name).bind(format!("/{ROOT}/")).bind(now))
        .await?;
    Ok(())
}

/// Inserts a department under `parent` inside the caller's transaction (also used by import). The
/// caller forgets the cached tree (`TreeCache::invalidate_after_commit`).
pub async fn insert(
    tx: &mut Tx,
    corp: CorpId,
    parent: &DeptRow,
    name: &str,
    name_en: &str,
    order: Option<i64>,
    id: Option<i64>,
    now: i64,
) -> AppResult<DeptRow> {
    let id = match id {
        Some(id) => {
            if id <= 0 {
                return Err(AppError::field("id", FieldReason::Format));
            }
            let taken: Option<(i64,)> = tx
                .opt(
                    sql("SELECT id FROM departments WHERE corp_id = $1 AND id = $2")
                        .bind(corp)
                        .bind(id),
                )
                .await?;
            if taken.is_some() {
                return Err(ErrorKind::DepartmentExists.into());
            }
            id
        }
        None => loop {
            // Skip ids a caller chose explicitly (WeCom lets them).
            let id = tx.next_value(corp.0, "department", ROOT + 1).await?;
            if tx
                .opt::<(i64,)>(
                    sql("SELECT id FROM departments WHERE corp_id = $1 AND id = $2")
                        .bind(corp)
                        .bind(id),
                )
                .await?
                .is_none()
            {
                break id;
            }
        },
    };
    let order = match order {
        Some(o) => o,
        None => tx.one::<(i64,)>(sql("SELECT COALESCE(MAX(ord), 0) + 1 FROM departments WHERE corp_id = $1 AND parent_id = $2").bind(corp).bind(parent.id)).await?.0,
    };
    let row = DeptRow {
        id,
        parent_id: Some(parent.id),
        name: name.trim().to_owned(),
        name_en: name_en.trim().to_owned(),
        ord: order,
        path: format!("{}{id}/", parent.path),
    };
    tx.exec(
        sql("INSERT INTO departments (corp_id, id, parent_id, name, name_en, ord, path, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(corp)
            .bind(row.id)
            .bind(parent.id)
            .bind(&row.name)
            .bind(&row.name_en)
            .bind(row.ord)
            .bind(&row.path)
            .bind(now),
    )
    .await?;
    Ok(row)
}

fn snapshot(d: &DeptRow) -> serde_json::Value {
    json!({"id": d.id, "parent_id": d.parent_id, "name": d.name, "name_en": d.name_en, "order": d.ord})
}

pub async fn create(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    input: NewDepartment,
) -> AppResult<Department> {
    let mut tx = app.db.begin().await?;
    let row = create_in(&mut tx, app, actor, grant, input).await?;
    tx.commit().await?;
    get(&app.db, &grant.reads(), row.id).await
}

/// Creates a department inside the caller's transaction.
pub async fn create_in(
    tx: &mut Tx,
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    input: NewDepartment,
) -> AppResult<DeptRow> {
    let mut v = Validator::default();
    validate_name(&mut v, "name", &input.name);
    v.finish()?;
    let corp = grant.corp();
    let now = app.now();
    TreeCache::of(app).invalidate_after_commit(tx, corp);
    let parent = find(&mut *tx, corp, input.parent_id)
        .await
        .map_err(|_| AppError::field("parent_id", FieldReason::NotFound))?;
    grant.check_path(&parent.path)?;
    ensure_unique_name(tx, corp, parent.id, input.name.trim(), None).await?;
    let row = insert(
        tx,
        corp,
        &parent,
        &input.name,
        &input.name_en,
        input.order,
        input.id,
        now,
    )
    .await?;
    audit::record(
        tx,
        actor,
        now,
        Entry {
            kind: "department.create",
            target: format!("department:{}", row.id),
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::DepartmentChanged {
            corp,
            department: row.id,
        },
    );
    Ok(row)
}

/// One department, if the read covers it (403 out of scope otherwise).
pub async fn get(db: &Database, reads: &ReadScope, id: i64) -> AppResult<Department> {
    let corp = reads.corp();
    let row = find(db, corp, id).await?;
    if !reads.covers_path(&row.path) {
        return Err(ErrorKind::OutOfScope.into());
    }
    let counts: Vec<(i64, i64)> = db
        .all(sql("SELECT department_id, COUNT(*) FROM member_departments WHERE corp_id = $1 AND department_id = $2 GROUP BY department_id").bind(corp).bind(id))
        .await?;
    let leaders: Vec<(i64, String)> = db
        .all(sql("SELECT dl.department_id, m.userid FROM department_leaders dl JOIN members m ON m.id = dl.member_id WHERE dl.corp_id = $1 AND dl.department_id = $2 ORDER BY m.userid").bind(corp).bind(id))
        .await?;
    assemble(vec![row], counts, leaders)
        .pop()
        .ok_or_else(|| ErrorKind::DepartmentNotFound.into())
}

pub async fn update(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
    patch: DepartmentPatch,
) -> AppResult<Department> {
    let mut tx = app.db.begin().await?;
    update_in(&mut tx, app, actor, grant, id, patch).await?;
    tx.commit().await?;
    get(&app.db, &grant.reads(), id).await
}

/// Renames, reorders, moves a department or sets its leaders, inside the caller's transaction.
pub async fn update_in(
    tx: &mut Tx,
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
    patch: DepartmentPatch,
) -> AppResult<()> {
    let mut v = Validator::default();
    if let Some(n) = &patch.name {
        validate_name(&mut v, "name", n);
    }
    v.finish()?;
    let corp = grant.corp();
    let now = app.now();
    TreeCache::of(app).invalidate_after_commit(tx, corp);
    let before = find(&mut *tx, corp, id).await?;
    grant.check_path(&before.path)?;
    let mut after = before.clone();
    if let Some(parent_id) = patch.parent_id.filter(|p| Some(*p) != before.parent_id) {
        if before.id == ROOT {
            return Err(ErrorKind::RootDepartment.into());
        }
        let parent = find(&mut *tx, corp, parent_id)
            .await
            .map_err(|_| AppError::field("parent_id", FieldReason::NotFound))?;
        if parent.path.starts_with(&before.path) {
            return Err(ErrorKind::DepartmentMoveCycle.into());
        }
        grant.check_path(&parent.path)?;
        let new_path = format!("{}{}/", parent.path, before.id);
        // Administrators' scopes are department paths, which this move rewrites.
        app.access.forget_all_after_commit(tx);
        // Rewrites the path of the department and its whole subtree in one statement.
        tx.exec(
            sql("UPDATE departments SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE corp_id = $3 AND path LIKE $4")
                .bind(&new_path)
                .bind(before.path.len() as i64 + 1)
                .bind(corp)
                .bind(format!("{}%", before.path)),
        )
        .await?;
        tx.exec(
            sql("UPDATE departments SET parent_id = $1 WHERE corp_id = $2 AND id = $3")
                .bind(parent.id)
                .bind(corp)
                .bind(id),
        )
        .await?;
        after.parent_id = Some(parent.id);
        after.path = new_path;
    }
    if let Some(name) = &patch.name {
        after.name = name.trim().to_owned();
    }
    if let Some(n) = &patch.name_en {
        after.name_en = n.trim().to_owned();
    }
    if let Some(o) = patch.order {
        after.ord = o;
    }
    if (after.name != before.name || after.parent_id != before.parent_id)
        && let Some(p) = after.parent_id
    {
        ensure_unique_name(tx, corp, p, &after.name, Some(id)).await?;
    }
    tx.exec(sql("UPDATE departments SET name = $1, name_en = $2, ord = $3 WHERE corp_id = $4 AND id = $5").bind(&after.name).bind(&after.name_en).bind(after.ord).bind(corp).bind(id))
        .await?;
    let mut before_json = snapshot(&before);
    let mut after_json = snapshot(&after);
    if let Some(leaders) = &patch.leader_userids {
        let ids = crate::member::lookup::resolve_userids(tx, corp, leaders).await?;
        if ids.len() != leaders.len() {
            return Err(AppError::field("leader_userids", FieldReason::NotFound));
        }
        let old: Vec<(String,)> = tx
            .all(sql("SELECT m.userid FROM department_leaders dl JOIN members m ON m.id = dl.member_id WHERE dl.corp_id = $1 AND dl.department_id = $2 ORDER BY m.userid").bind(corp).bind(id))
            .await?;
        tx.exec(
            sql("DELETE FROM department_leaders WHERE corp_id = $1 AND department_id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
        for (mid, _) in &ids {
            tx.exec(sql("INSERT INTO department_leaders (corp_id, department_id, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").bind(corp).bind(id).bind(*mid)).await?;
        }
        before_json["leader_userids"] = json!(old.into_iter().map(|(u,)| u).collect::<Vec<_>>());
        after_json["leader_userids"] = json!(leaders);
    }
    audit::record(
        tx,
        actor,
        now,
        Entry {
            kind: "department.update",
            target: format!("department:{id}"),
            before: Some(before_json),
            after: Some(after_json),
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::DepartmentChanged {
            corp,
            department: id,
        },
    );
    Ok(())
}

pub async fn delete(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    delete_in(&mut tx, app, actor, grant, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an empty department without children, inside the caller's transaction.
pub async fn delete_in(
    tx: &mut Tx,
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
) -> AppResult<()> {
    let corp = grant.corp();
    let now = app.now();
    TreeCache::of(app).invalidate_after_commit(tx, corp);
    let row = find(&mut *tx, corp, id).await?;
    grant.check_path(&row.path)?;
    if row.id == ROOT {
        return Err(ErrorKind::RootDepartment.into());
    }
    let (children,): (i64,) = tx
        .one(
            sql("SELECT COUNT(*) FROM departments WHERE corp_id = $1 AND parent_id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
    if children > 0 {
        return Err(ErrorKind::DepartmentHasChildren.into());
    }
    let (members,): (i64,) = tx
        .one(
            sql(
                "SELECT COUNT(*) FROM member_departments WHERE corp_id = $1 AND department_id = $2",
            )
            .bind(corp)
            .bind(id),
        )
        .await?;
    if members > 0 {
        return Err(ErrorKind::DepartmentNotEmpty.into());
    }
    // Its leaders and tag entries go with it (ON DELETE CASCADE).
    tx.exec(
        sql("DELETE FROM departments WHERE corp_id = $1 AND id = $2")
            .bind(corp)
            .bind(id),
    )
    .await?;
    audit::record(
        tx,
        actor,
        now,
        Entry {
            kind: "department.delete",
            target: format!("department:{id}"),
            before: Some(snapshot(&row)),
            after: None,
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::DepartmentChanged {
            corp,
            department: id,
        },
    );
    Ok(())
}

/// "总公司/研发部/后端组" for a department, from a list of all rows.
pub fn display_path(rows: &std::collections::HashMap<i64, DeptRow>, id: i64) -> String {
    let Some(d) = rows.get(&id) else {
        return String::new();
    };
    d.path
        .split('/')
        .filter_map(|s| s.parse::<i64>().ok())
        .filter_map(|i| rows.get(&i).map(|r| r.name.as_str()))
        .collect::<Vec<_>>()
        .join("/")
}
