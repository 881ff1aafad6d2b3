//! Turning "these users, these departments (with their sub-departments), these tags, or everyone"
//! into the members they mean, reporting what named nothing. Messaging uses it for group creation,
//! department groups and app messages.
use std::collections::BTreeMap;

use crate::scope::ScopeSql;
use qixie_kernel::authz::Scope;
use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::AppResult;
use qixie_kernel::ids::CorpId;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Audience {
    /// (member id, userid, name), by member id.
    pub members: Vec<(i64, String, String)>,
    pub invalid_users: Vec<String>,
    pub invalid_departments: Vec<i64>,
    pub invalid_tags: Vec<i64>,
}

impl Audience {
    pub fn ids(&self) -> Vec<i64> {
        self.members.iter().map(|(id, _, _)| *id).collect()
    }
}

#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub userids: Vec<String>,
    pub departments: Vec<i64>,
    pub tags: Vec<i64>,
    pub everyone: bool,
}

/// Members who can receive things: activated or not yet activated (not frozen, not departed).
const RECEIVING: &str = "m.status IN ('active', 'not_activated')";

/// The members `sel` names, limited to `scope` (an app's visible range); names that match no
/// receiving member in scope are reported as invalid.
pub async fn resolve(
    db: &Database,
    corp: CorpId,
    sel: &Selection,
    scope: &Scope,
) -> AppResult<Audience> {
    let mut found: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut out = Audience::default();
    let base = || {
        sql(format!(
            "SELECT m.id, m.userid, m.name FROM members m WHERE m.corp_id = $1 AND {RECEIVING}"
        ))
        .bind(corp)
    };
    if sel.everyone {
        let rows: Vec<(i64, String, String)> = db.all(scope.filter_members(base(), "m")).await?;
        for (id, u, n) in rows {
            found.insert(id, (u, n));
        }
    }
    if !sel.userids.is_empty() {
        let rows: Vec<(i64, String, String)> = db
            .all(
                scope.filter_members(
                    base()
                        .push(" AND m.userid IN ")
                        .push_in(sel.userids.iter().cloned()),
                    "m",
                ),
            )
            .await?;
        for u in &sel.userids {
            if !rows.iter().any(|(_, x, _)| x == u) {
                out.invalid_users.push(u.clone());
            }
        }
        for (id, u, n) in rows {
            found.insert(id, (u, n));
        }
    }
    let mut departments = sel.departments.clone();
    for tag in &sel.tags {
        let exists: Option<(i64,)> = db
            .opt(
                sql("SELECT id FROM tags WHERE corp_id = $1 AND id = $2")
                    .bind(corp)
                    .bind(*tag),
            )
            .await?;
        if exists.is_none() {
            out.invalid_tags.push(*tag);
            continue;
        }
        let rows: Vec<(i64, String, String)> = db
            .all(scope.filter_members(
                base().push_bind(
                    " AND m.id IN (SELECT mt.member_id FROM member_tags mt WHERE mt.corp_id = $1 AND mt.tag_id = {})",
                    *tag,
                ),
                "m",
            ))
            .await?;
        for (id, u, n) in rows {
            found.insert(id, (u, n));
        }
        let depts: Vec<(i64,)> = db
            .all(
                sql("SELECT department_id FROM tag_departments WHERE corp_id = $1 AND tag_id = $2")
                    .bind(corp)
                    .bind(*tag),
            )
            .await?;
        departments.extend(depts.into_iter().map(|(d,)| d));
    }
    for dept in departments {
        let path: Option<(String,)> = db
            .opt(
                sql("SELECT path FROM departments WHERE corp_id = $1 AND id = $2")
                    .bind(corp)
                    .bind(dept),
            )
            .await?;
        let Some((path,)) =
            path.filter(|(p,)| scope.covers_path(p) || scope_contains_subtree(scope, p))
        else {
            out.invalid_departments.push(dept);
            continue;
        };
        let rows: Vec<(i64, String, String)> = db
            .all(scope.filter_members(
                base().push_bind(
                    " AND m.id IN (SELECT md.member_id FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id WHERE md.corp_id = $1 AND d.path LIKE {})",
                    format!("{path}%"),
                ),
                "m",
            ))
            .await?;
        for (id, u, n) in rows {
            found.insert(id, (u, n));
        }
    }
    out.members = found.into_iter().map(|(id, (u, n))| (id, u, n)).collect();
    Ok(out)
}

/// Whether a scope reaches into the subtree at `path` (an app visible to one team may still address
/// that team's parent department: it reaches the team's members only).
fn scope_contains_subtree(scope: &Scope, path: &str) -> bool {
    match scope {
        Scope::All => true,
        Scope::Subtrees(roots) => roots.iter().any(|r| r.starts_with(path)),
    }
}
