//! Replacing the department tree from a full list (WeCom's `batch/replaceparty`, an HR system's
//! nightly file): every listed department is created or changed, parents before children whatever
//! the list's order; departments of the caller's scope the list leaves out are deleted when empty,
//! deepest first, and kept otherwise. All of it is one transaction; a row that cannot be applied is
//! undone alone (a savepoint) and reported, as WeCom reports per row.
use std::cmp::Reverse;
use std::collections::HashSet;

use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Grant, perm};
use qixie_kernel::db::{Tx, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};

use super::department::{self, DepartmentPatch, NewDepartment, ROOT};

/// One department of the list.
#[derive(Debug, Clone)]
pub struct TreeRow {
    pub id: i64,
    pub parent: i64,
    pub name: String,
    pub order: Option<i64>,
}

/// What happened to one row.
#[derive(Debug, Default)]
pub struct RowOutcome {
    pub created: bool,
    pub renamed: bool,
    pub moved: bool,
    pub reordered: bool,
    /// Why the row was not applied (nothing of it was written).
    pub error: Option<AppError>,
}

/// Applies `rows` (outcomes in the same order) and deletes what the list leaves out; `also_listed`
/// are ids the caller could not read as rows but that must not be deleted.
pub async fn replace(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    rows: &[TreeRow],
    also_listed: &HashSet<i64>,
) -> AppResult<Vec<RowOutcome>> {
    let corp = grant.corp();
    let mut tx = app.db.begin().await?;
    let existing: Vec<(i64, String)> = tx
        .all(sql("SELECT id, path FROM departments WHERE corp_id = $1").bind(corp))
        .await?;
    let mut known: HashSet<i64> = existing.iter().map(|(id, _)| *id).collect();
    let mut outcomes: Vec<Option<RowOutcome>> = rows.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..rows.len()).collect();
    loop {
        let (ready, rest): (Vec<usize>, Vec<usize>) = pending
            .into_iter()
            .partition(|&i| rows[i].id == ROOT || known.contains(&rows[i].parent));
        pending = rest;
        if ready.is_empty() {
            break;
        }
        for i in ready {
            let r = &rows[i];
            let sp = tx.savepoint().await?;
            let mut outcome = RowOutcome::default();
            match apply(
                &mut tx,
                app,
                actor,
                grant,
                r,
                known.contains(&r.id),
                &mut outcome,
            )
            .await
            {
                Ok(()) => {
                    tx.release(sp).await?;
                    known.insert(r.id);
                }
                Err(e) if e.kind == ErrorKind::Internal => return Err(e),
                Err(e) => {
                    tx.rollback_to(sp).await?;
                    outcome.error = Some(e);
                }
            }
            outcomes[i] = Some(outcome);
        }
    }
    for i in pending {
        outcomes[i] = Some(RowOutcome {
            created: true,
            error: Some(
                AppError::field("parentid", FieldReason::NotFound)
                    .with_kind(ErrorKind::DepartmentNotFound),
            ),
            ..RowOutcome::default()
        });
    }
    let listed: HashSet<i64> = rows
        .iter()
        .map(|r| r.id)
        .chain(also_listed.iter().copied())
        .collect();
    let mut unlisted: Vec<(i64, String)> = existing
        .into_iter()
        .filter(|(id, path)| *id != ROOT && !listed.contains(id) && grant.scope().covers_path(path))
        .collect();
    unlisted.sort_by_key(|(_, path)| Reverse(path.matches('/').count()));
    for (id, _) in unlisted {
        let sp = tx.savepoint().await?;
        match department::delete_in(&mut tx, app, actor, grant, id).await {
            Ok(()) => tx.release(sp).await?,
            Err(e) if e.kind == ErrorKind::Internal => return Err(e),
            Err(e) => {
                tx.rollback_to(sp).await?;
                tracing::debug!(department = id, error = %e, "unlisted department kept");
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// Creates or changes one department, noting what changed.
async fn apply(
    tx: &mut Tx,
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    r: &TreeRow,
    exists: bool,
    outcome: &mut RowOutcome,
) -> AppResult<()> {
    if !exists {
        outcome.created = true;
        let input = NewDepartment {
            name: r.name.clone(),
            name_en: String::new(),
            parent_id: r.parent,
            order: r.order,
            id: Some(r.id),
        };
        return department::create_in(tx, app, actor, grant, input)
            .await
            .map(|_| ());
    }
    let before = department::find(&mut *tx, grant.corp(), r.id).await?;
    let mut patch = DepartmentPatch::default();
    if before.name != r.name {
        outcome.renamed = true;
        patch.name = Some(r.name.clone());
    }
    // The root has no parent to change; its row only renames or reorders it.
    if r.id != ROOT && before.parent_id != Some(r.parent) {
        outcome.moved = true;
        patch.parent_id = Some(r.parent);
    }
    if let Some(o) = r.order.filter(|o| *o != before.ord) {
        outcome.reordered = true;
        patch.order = Some(o);
    }
    if !(outcome.renamed || outcome.moved || outcome.reordered) {
        return Ok(());
    }
    department::update_in(tx, app, actor, grant, r.id, patch).await
}
