//! What WeCom's approval calls (`/cgi-bin/oa/*`, in the WeCom adapter) need from this module's
//! tables: the list `oa/getapprovalinfo` pages through, and whether an app may read an approval. An
//! app with the `approval` scope reads the approvals filed under a department of its visible range
//! (the `approvals.manage` grant its token carries, scoped like an administrator's), and those it
//! submitted itself.
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Grant, Scope, perm};
use qixie_kernel::db::sql;
use qixie_kernel::error::AppResult;

use crate::instance::{InstanceRow, may_view};

/// Which approvals `oa/getapprovalinfo` lists: submitted in `[from_ms, to_ms)`, and matching every
/// filter given (an empty list does not filter; several values of one are alternatives).
#[derive(Debug, Clone, Default)]
pub struct InfoFilter {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Public template ids.
    pub template_ids: Vec<String>,
    /// Built-in template kinds (`leave`, `business_trip` …), WeCom's `record_type`.
    pub builtins: Vec<String>,
    /// Applicants, by userid.
    pub creators: Vec<String>,
    /// The departments the approvals were filed under.
    pub departments: Vec<i64>,
    /// WeCom's `sp_status` codes; 1 (pending) includes approvals returned to their applicant.
    pub statuses: Vec<i64>,
    pub after: After,
    /// 1–100.
    pub size: i64,
}

/// Where a page starts: after so many approvals (WeCom's integer `cursor`), or after a given one
/// (its string `new_cursor`, which `SpNoPage::next_key` gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum After {
    #[default]
    Start,
    Offset(i64),
    Key {
        at: i64,
        id: i64,
    },
}

impl After {
    /// A `new_cursor` as `SpNoPage::next_key` wrote it; `None` when it is not one.
    pub fn parse_key(s: &str) -> Option<After> {
        let (at, id) = s.split_once('.')?;
        Some(After::Key {
            at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// One page of sp_nos, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpNoPage {
    pub sp_nos: Vec<String>,
    /// When more follow: the offset of the next page (only for a page asked for by offset) and the
    /// key it starts after.
    pub next_offset: Option<i64>,
    pub next_key: Option<String>,
}

/// The sp_nos `filter` selects among the approvals `grant` (an app's) may read, in submission order
/// (`submitted_at`, then id), one page of `filter.size`.
pub async fn sp_nos(
    app: &AppState,
    grant: &Grant<perm::ApprovalsManage>,
    app_id: i64,
    filter: &InfoFilter,
) -> AppResult<SpNoPage> {
    let corp = grant.corp();
    // One lower bound, so that the index range starts at a page's key rather than at the window.
    let mut from = match filter.after {
        After::Key { at, .. } => at.max(filter.from_ms),
        _ => filter.from_ms,
    };
    let asked = match filter.after {
        After::Offset(n) => n.max(0),
        _ => 0,
    };
    let mut offset = asked;
    let narrowed = matches!(grant.scope(), Scope::Subtrees(_))
        || !filter.template_ids.is_empty()
        || !filter.builtins.is_empty()
        || !filter.creators.is_empty()
        || !filter.departments.is_empty()
        || !filter.statuses.is_empty();
    // When only time narrows the list, an offset is skipped on the index alone: the time of the
    // approval at the offset, and how many before it were earlier; the page then starts at that
    // time, past the few of the same time that come first. (Skipping rows reads each of them.)
    if offset > 0 && !narrowed {
        let at: Option<(i64,)> = app
            .db
            .opt(
                sql("SELECT submitted_at FROM approval_instances WHERE corp_id = ")
                    .push_bind("{}", corp)
                    .push_bind(" AND submitted_at >= {}", filter.from_ms)
                    .push_bind(" AND submitted_at < {}", filter.to_ms)
                    .push(" ORDER BY submitted_at LIMIT 1 OFFSET ")
                    .push_bind("{}", offset),
            )
            .await?;
        let Some((at,)) = at else {
            return Ok(SpNoPage {
                sp_nos: Vec::new(),
                next_offset: None,
                next_key: None,
            });
        };
        let (earlier,): (i64,) = app
            .db
            .one(
                sql("SELECT COUNT(*) FROM approval_instances WHERE corp_id = ")
                    .push_bind("{}", corp)
                    .push_bind(" AND submitted_at >= {}", filter.from_ms)
                    .push_bind(" AND submitted_at < {}", at),
            )
            .await?;
        from = at;
        offset -= earlier;
    }
    let mut q =
        sql("SELECT i.id, i.sp_no, i.submitted_at FROM approval_instances i WHERE i.corp_id = ")
            .push_bind("{}", corp)
            .push_bind(" AND i.submitted_at >= {}", from)
            .push_bind(" AND i.submitted_at < {}", filter.to_ms);
    if let Scope::Subtrees(_) = grant.scope() {
        let scope = grant.scope();
        let ids: Vec<i64> = qixie_org::people::all_departments(&app.db, corp)
            .await?
            .into_iter()
            .filter(|(_, path, _)| scope.covers_path(path))
            .map(|(id, _, _)| id)
            .collect();
        q = q
            .push(" AND (i.department_id IN ")
            .push_in(ids)
            .push_bind(" OR i.app_id = {})", app_id);
    }
    if !filter.template_ids.is_empty() {
        q = q
            .push_bind(
                " AND i.template_pk IN (SELECT id FROM approval_templates WHERE corp_id = {} AND template_id IN ",
                corp,
            )
            .push_in(filter.template_ids.iter().map(String::as_str))
            .push(")");
    }
    if !filter.builtins.is_empty() {
        q = q
            .push_bind(
                " AND i.template_pk IN (SELECT id FROM approval_templates WHERE corp_id = {} AND builtin IN ",
                corp,
            )
            .push_in(filter.builtins.iter().map(String::as_str))
            .push(")");
    }
    if !filter.creators.is_empty() {
        let ids: Vec<i64> = qixie_org::people::ids_of(&app.db, corp, &filter.creators)
            .await?
            .into_iter()
            .flatten()
            .collect();
        q = q.push(" AND i.applicant_id IN ").push_in(ids);
    }
    if !filter.departments.is_empty() {
        q = q
            .push(" AND i.department_id IN ")
            .push_in(filter.departments.iter().copied());
    }
    if !filter.statuses.is_empty() {
        let mut codes = filter.statuses.clone();
        if codes.contains(&1) {
            codes.push(5);
        }
        q = q.push(" AND i.status IN ").push_in(codes);
    }
    if let After::Key { at, id } = filter.after {
        q = q
            .push_bind(" AND (i.submitted_at > {}", at)
            .push_bind(" OR i.id > {})", id);
    }
    q = q
        .push(" ORDER BY i.submitted_at, i.id LIMIT ")
        .push_bind("{}", filter.size + 1);
    if offset > 0 {
        q = q.push_bind(" OFFSET {}", offset);
    }
    let mut rows: Vec<(i64, String, i64)> = app.db.all(q).await?;
    let more = rows.len() as i64 > filter.size;
    rows.truncate(filter.size.max(0) as usize);
    let next_key = more
        .then(|| rows.last().map(|(id, _, at)| format!("{at}.{id}")))
        .flatten();
    let next_offset = match filter.after {
        After::Start | After::Offset(_) if more => Some(asked + rows.len() as i64),
        _ => None,
    };
    Ok(SpNoPage {
        sp_nos: rows.into_iter().map(|(_, sp_no, _)| sp_no).collect(),
        next_offset,
        next_key,
    })
}

/// Whether the app `actor` (id `app_id`) may read an approval: one it submitted, or one filed under
/// a department in its scope.
pub async fn readable(
    app: &AppState,
    actor: &Actor,
    app_id: i64,
    row: &InstanceRow,
) -> AppResult<bool> {
    if row.app_id == Some(app_id) {
        return Ok(true);
    }
    if actor.require::<perm::ApprovalsManage>().is_err() {
        return Ok(false);
    }
    may_view(app, actor, row).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_what_pages_write() {
        assert_eq!(
            After::parse_key("1790000000123.42"),
            Some(After::Key {
                at: 1_790_000_000_123,
                id: 42
            })
        );
        for bad in ["", "12", "a.b", "1.", ".1", "1.2.3"] {
            assert_eq!(After::parse_key(bad), None, "{bad}");
        }
    }
}
