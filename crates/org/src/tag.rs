//! Tags (标签) on members and departments.
use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use crate::member::{self, Member};
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, ReadScope, perm};
use qixie_kernel::db::{Database, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind};
use qixie_kernel::ids::CorpId;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub member_count: i64,
}

/// The enterprise's tags. Tags are not confined to departments: any read of the enterprise sees
/// them all.
pub async fn list(db: &Database, reads: &ReadScope) -> AppResult<Vec<Tag>> {
    let corp = reads.corp();
    Ok(db
        .all(sql("SELECT t.id, t.name, (SELECT COUNT(*) FROM member_tags mt WHERE mt.corp_id = t.corp_id AND mt.tag_id = t.id) AS member_count FROM tags t WHERE t.corp_id = $1 ORDER BY t.id").bind(corp))
        .await?)
}

/// One tag, as any read of the enterprise sees it.
pub async fn get(db: &Database, reads: &ReadScope, id: i64) -> AppResult<Tag> {
    find(db, reads.corp(), id).await
}

/// A tag by id, for the writers here and the answers they give.
async fn find(db: &Database, corp: CorpId, id: i64) -> AppResult<Tag> {
    db.opt(sql("SELECT t.id, t.name, (SELECT COUNT(*) FROM member_tags mt WHERE mt.corp_id = t.corp_id AND mt.tag_id = t.id) AS member_count FROM tags t WHERE t.corp_id = $1 AND t.id = $2").bind(corp).bind(id))
        .await?
        .ok_or_else(|| ErrorKind::TagNotFound.into())
}

fn check_name(name: &str) -> AppResult<String> {
    super::valid_name(name, 32).map_err(|r| AppError::field("name", r))?;
    Ok(name.trim().to_owned())
}

fn map_unique(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "tags", "name") {
        ErrorKind::TagExists.into()
    } else {
        AppError::internal(e)
    }
}

pub async fn create(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    name: &str,
    id: Option<i64>,
) -> AppResult<Tag> {
    let name = check_name(name)?;
    let corp = grant.corp();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let id = match id.filter(|i| *i > 0) {
        Some(i) => {
            if tx
                .opt::<(i64,)>(
                    sql("SELECT id FROM tags WHERE corp_id = $1 AND id = $2")
                        .bind(corp)
                        .bind(i),
                )
                .await?
                .is_some()
            {
                return Err(ErrorKind::TagExists.into());
            }
            i
        }
        None => next_tag_id(&mut tx, corp).await?,
    };
    tx.exec(
        sql("INSERT INTO tags (corp_id, id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(corp)
            .bind(id)
            .bind(&name)
            .bind(now),
    )
    .await
    .map_err(map_unique)?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "tag.create",
            target: format!("tag:{id}"),
            before: None,
            after: Some(json!({"name": name})),
        },
    )
    .await?;
    tx.commit().await?;
    find(&app.db, corp, id).await
}

pub async fn rename(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
    name: &str,
) -> AppResult<Tag> {
    let name = check_name(name)?;
    let corp = grant.corp();
    let before = find(&app.db, corp, id).await?;
    check_whole_tag_in_scope(&app.db, grant, id).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    tx.exec(
        sql("UPDATE tags SET name = $1 WHERE corp_id = $2 AND id = $3")
            .bind(&name)
            .bind(corp)
            .bind(id),
    )
    .await
    .map_err(map_unique)?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "tag.update",
            target: format!("tag:{id}"),
            before: Some(json!({"name": before.name})),
            after: Some(json!({"name": name})),
        },
    )
    .await?;
    tx.commit().await?;
    find(&app.db, corp, id).await
}

pub async fn delete(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
) -> AppResult<()> {
    let corp = grant.corp();
    let before = find(&app.db, corp, id).await?;
    check_whole_tag_in_scope(&app.db, grant, id).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    // Its members and departments go with it (ON DELETE CASCADE).
    tx.exec(
        sql("DELETE FROM tags WHERE corp_id = $1 AND id = $2")
            .bind(corp)
            .bind(id),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "tag.delete",
            target: format!("tag:{id}"),
            before: Some(json!({"name": before.name})),
            after: None,
        },
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

/// The next free tag id (callers may also choose ids through the WeCom API).
pub async fn next_tag_id(tx: &mut qixie_kernel::db::Tx, corp: CorpId) -> AppResult<i64> {
    loop {
        let id = tx.next_value(corp.0, "tag", 1).await?;
        if tx
            .opt::<(i64,)>(
                sql("SELECT id FROM tags WHERE corp_id = $1 AND id = $2")
                    .bind(corp)
                    .bind(id),
            )
            .await?
            .is_none()
        {
            return Ok(id);
        }
    }
}

/// Every member and department on the tag, for the scope check of a change to the whole tag.
async fn members_of(db: &Database, corp: CorpId, id: i64) -> AppResult<(Vec<Member>, Vec<i64>)> {
    find(db, corp, id).await?;
    let rows = db
        .all(sql(format!("SELECT {} FROM members m JOIN member_tags mt ON mt.member_id = m.id WHERE mt.corp_id = $1 AND mt.tag_id = $2 ORDER BY m.sort_key", member::MEMBER_COLS)).bind(corp).bind(id))
        .await?;
    let parties: Vec<(i64,)> = db.all(sql("SELECT department_id FROM tag_departments WHERE corp_id = $1 AND tag_id = $2 ORDER BY department_id").bind(corp).bind(id)).await?;
    Ok((
        member::hydrate(db, corp, rows).await?,
        parties.into_iter().map(|(d,)| d).collect(),
    ))
}

/// A tag's members and departments as the reader sees them: only those the read covers, so a
/// scoped administrator learns nothing about the rest of the enterprise.
pub async fn members(
    db: &Database,
    reads: &ReadScope,
    id: i64,
) -> AppResult<(Vec<Member>, Vec<i64>)> {
    let (members, parties) = members_of(db, reads.corp(), id).await?;
    if reads.limit().is_none() {
        return Ok((members, parties));
    }
    let paths = department_paths(db, reads.corp()).await?;
    Ok((
        members
            .into_iter()
            .filter(|m| reads.covers_any(&m.paths))
            .collect(),
        parties
            .into_iter()
            .filter(|d| paths.get(d).is_some_and(|p| reads.covers_path(p)))
            .collect(),
    ))
}

async fn department_paths(db: &Database, corp: CorpId) -> AppResult<HashMap<i64, String>> {
    Ok(super::department::all_rows(db, corp)
        .await?
        .into_iter()
        .map(|d| (d.id, d.path))
        .collect())
}

/// Renaming or deleting a tag changes it for everyone tagged: a scoped administrator may do so only
/// when every member and department on the tag lies inside their scope.
async fn check_whole_tag_in_scope(
    db: &Database,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
) -> AppResult<()> {
    if grant.is_whole_enterprise() {
        return Ok(());
    }
    let (all_members, all_parties) = members_of(db, grant.corp(), id).await?;
    let (seen_members, seen_parties) = members(db, &grant.reads(), id).await?;
    if all_members.len() == seen_members.len() && all_parties.len() == seen_parties.len() {
        Ok(())
    } else {
        Err(ErrorKind::OutOfScope.into())
    }
}

/// Adds or removes members and departments; returns the userids and department ids that were invalid
/// (unknown or outside the grant's scope), as WeCom reports them.
pub async fn change_members(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    id: i64,
    userids: &[String],
    department_ids: &[i64],
    add: bool,
) -> AppResult<(Vec<String>, Vec<i64>)> {
    let corp = grant.corp();
    find(&app.db, corp, id).await?;
    let mut invalid_users = Vec::new();
    let mut member_ids = Vec::new();
    for u in userids {
        match member::get_in_scope(&app.db, grant, u).await {
            Ok(m) => member_ids.push(m.id),
            Err(_) => invalid_users.push(u.clone()),
        }
    }
    let mut invalid_parties = Vec::new();
    let mut dept_ids = Vec::new();
    for d in department_ids {
        match super::department::find(&app.db, corp, *d).await {
            Ok(row) if grant.check_path(&row.path).is_ok() => dept_ids.push(*d),
            _ => invalid_parties.push(*d),
        }
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    for m in &member_ids {
        let q = if add {
            sql(
                "INSERT INTO member_tags (corp_id, tag_id, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
        } else {
            sql("DELETE FROM member_tags WHERE corp_id = $1 AND tag_id = $2 AND member_id = $3")
        };
        tx.exec(q.bind(corp).bind(id).bind(*m)).await?;
    }
    for d in &dept_ids {
        let q = if add {
            sql(
                "INSERT INTO tag_departments (corp_id, tag_id, department_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
        } else {
            sql(
                "DELETE FROM tag_departments WHERE corp_id = $1 AND tag_id = $2 AND department_id = $3",
            )
        };
        tx.exec(q.bind(corp).bind(id).bind(*d)).await?;
    }
    audit::record(&mut tx, actor, now, Entry {
        kind: if add { "tag.add_members" } else { "tag.remove_members" },
        target: format!("tag:{id}"),
        before: None,
        after: Some(json!({"userids": userids.iter().filter(|u| !invalid_users.contains(u)).collect::<Vec<_>>(), "department_ids": dept_ids})),
    })
    .await?;
    tx.commit().await?;
    Ok((invalid_users, invalid_parties))
}
