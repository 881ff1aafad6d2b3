//! Reads a caller asks for: the directory, an administrator's list, one member. Each takes the
//! `ReadScope` the gate made (or a grant), so a read cannot skip the check or the scope.
use std::collections::HashMap;

use serde::Deserialize;

use super::lookup::{find_by_mobile, find_row, hydrate};
use super::model::{MEMBER_COLS, Member, MemberRow, MemberStatus};
use crate::department;
use crate::grants;
use crate::scope::ScopeSql;
use crate::terms;
use qixie_kernel::authz::{Grant, Perm, ReadScope, Scope};
use qixie_kernel::db::{Database, Dialect, Sql, sql};
use qixie_kernel::error::{AppResult, ErrorKind};
use qixie_kernel::ids::CorpId;

/// One member, if the read covers them (403 out of scope otherwise).
pub async fn get(db: &Database, reads: &ReadScope, userid: &str) -> AppResult<Member> {
    let m = load(db, reads.corp(), userid).await?;
    if !reads.covers_any(&m.paths) {
        return Err(ErrorKind::OutOfScope.into());
    }
    Ok(m)
}

async fn load(db: &Database, corp: CorpId, userid: &str) -> AppResult<Member> {
    let row = find_row(db, corp, userid).await?;
    hydrate(db, corp, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// The member with this mobile (WeCom `user/getuserid`). Outside the read the number is as good
/// as unknown: 404, not 403, so probing numbers reveals nothing.
pub async fn get_by_mobile(db: &Database, reads: &ReadScope, mobile: &str) -> AppResult<Member> {
    let row = find_by_mobile(db, reads.corp(), mobile).await?;
    match get(db, reads, &row.userid).await {
        Err(e) if e.kind == ErrorKind::OutOfScope => Err(ErrorKind::MemberNotFound.into()),
        other => other,
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    pub department_id: Option<i64>,
    pub recursive: Option<bool>,
    pub q: Option<String>,
    pub status: Option<String>,
    pub tag_id: Option<i64>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

fn filtered(
    dialect: Dialect,
    mut q: Sql,
    corp: CorpId,
    f: &ListFilter,
    dept_path: Option<&str>,
    scope: Option<&Scope>,
) -> Sql {
    q = q.bind(corp);
    if let Some(d) = f.department_id {
        if f.recursive.unwrap_or(false) {
            q = q.push_bind(
                " AND m.id IN (SELECT md.member_id FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id WHERE d.corp_id = $1 AND d.path LIKE {})",
                format!("{}%", dept_path.unwrap_or("/")),
            );
        } else {
            q = q.push_bind(" AND m.id IN (SELECT md.member_id FROM member_departments md WHERE md.corp_id = $1 AND md.department_id = {})", d);
        }
    }
    if let Some(text) = f.q.as_deref().and_then(terms::normalize) {
        q = terms::filter(q, "m", &text, dialect);
    }
    if let Some(s) = f.status.as_deref().and_then(MemberStatus::parse) {
        q = q.push_bind(" AND m.status = {}", s.as_str());
    }
    if let Some(t) = f.tag_id {
        q = q.push_bind(" AND m.id IN (SELECT mt.member_id FROM member_tags mt WHERE mt.corp_id = $1 AND mt.tag_id = {})", t);
    }
    if let Some(s) = scope {
        q = s.filter_members(q, "m");
    }
    q
}

/// A page of members matching `f` within the read (an administrator's scope, or the whole
/// directory), and the total.
pub async fn list(
    db: &Database,
    reads: &ReadScope,
    f: &ListFilter,
) -> AppResult<(Vec<Member>, i64)> {
    page(db, reads.corp(), f, reads.limit()).await
}

/// Every member matching `f` within the read, page after page.
pub async fn all(db: &Database, reads: &ReadScope, f: ListFilter) -> AppResult<Vec<Member>> {
    every(db, reads.corp(), f, reads.limit()).await
}

/// Every member of the grant's enterprise, whatever the grant's scope: a batch written under the
/// grant merges each file row into the member's current record, and the write itself refuses
/// the members outside the scope, so nothing outside it reaches the caller.
pub async fn all_for_batch<P: Perm>(db: &Database, grant: &Grant<P>) -> AppResult<Vec<Member>> {
    every(db, grant.corp(), ListFilter::default(), None).await
}

async fn every(
    db: &Database,
    corp: CorpId,
    mut f: ListFilter,
    scope: Option<&Scope>,
) -> AppResult<Vec<Member>> {
    const PAGE: i64 = 5_000;
    let mut out: Vec<Member> = Vec::new();
    loop {
        f.offset = Some(out.len() as i64);
        f.limit = Some(PAGE);
        let (page, total) = page(db, corp, &f, scope).await?;
        let n = page.len();
        out.extend(page);
        if n == 0 || out.len() as i64 >= total {
            return Ok(out);
        }
    }
}

/// A page of members matching `f`, limited to `scope` when given, and the total.
///
/// The page is chosen on narrow rows (id and sort key) and only its members are read in full. The
/// total needs no second query when the page is the last one (most searches fit in the first); a
/// department listing counts its memberships without touching the members.
async fn page(
    db: &Database,
    corp: CorpId,
    f: &ListFilter,
    scope: Option<&Scope>,
) -> AppResult<(Vec<Member>, i64)> {
    let dept_path = match f.department_id {
        Some(d) => Some(department::find(db, corp, d).await?.path),
        None => None,
    };
    let limit = f.limit.unwrap_or(50).clamp(1, 10_000);
    let offset = f.offset.unwrap_or(0).max(0);
    let ids: Vec<(i64,)> = db
        .all(
            filtered(
                db.dialect(),
                sql("SELECT m.id FROM members m WHERE m.corp_id = $1"),
                corp,
                f,
                dept_path.as_deref(),
                scope,
            )
            .push(" ORDER BY m.sort_key, m.id")
            .push_bind(" LIMIT {}", limit)
            .push_bind(" OFFSET {}", offset),
        )
        .await?;
    let n = ids.len() as i64;
    let total = if n < limit && (n > 0 || offset == 0) {
        offset + n
    } else {
        count(db, corp, f, dept_path.as_deref(), scope).await?
    };
    let mut rows: Vec<MemberRow> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        rows.extend(
            db.all::<MemberRow>(
                sql(format!(
                    "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.id IN "
                ))
                .bind(corp)
                .push_in(chunk.iter().map(|(id,)| *id)),
            )
            .await?,
        );
    }
    let order: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, (id,))| (*id, i)).collect();
    rows.sort_by_key(|r| order.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok((hydrate(db, corp, rows).await?, total))
}

async fn count(
    db: &Database,
    corp: CorpId,
    f: &ListFilter,
    dept_path: Option<&str>,
    scope: Option<&Scope>,
) -> AppResult<i64> {
    let text = f.q.as_deref().and_then(terms::normalize);
    let unscoped = f.status.as_deref().and_then(MemberStatus::parse).is_none()
        && f.tag_id.is_none()
        && scope.is_none_or(|s| *s == Scope::All);
    let only_department = text.is_none() && unscoped;
    if let (Some(text), None, true) = (&text, f.department_id, unscoped) {
        return Ok(db.one::<(i64,)>(terms::count(corp.0, text)).await?.0);
    }
    let q = match (f.department_id, only_department) {
        // Every membership row belongs to an existing member of the enterprise.
        (Some(_), true) if f.recursive.unwrap_or(false) => sql(
            "SELECT COUNT(DISTINCT md.member_id) FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id \
             WHERE md.corp_id = $1 AND d.corp_id = $1 AND d.path LIKE $2",
        )
        .bind(corp)
        .bind(format!("{}%", dept_path.unwrap_or("/"))),
        (Some(d), true) => sql(
            "SELECT COUNT(*) FROM member_departments WHERE corp_id = $1 AND department_id = $2",
        )
        .bind(corp)
        .bind(d),
        _ => filtered(
            db.dialect(),
            sql("SELECT COUNT(*) FROM members m WHERE m.corp_id = $1"),
            corp,
            f,
            dept_path,
            scope,
        ),
    };
    Ok(db.one::<(i64,)>(q).await?.0)
}

/// Loads a member for a change, checking the grant covers them and that the actor outranks them
/// (an administrator at or above the actor's rank is not theirs to manage).
pub async fn get_managed<P: Perm>(
    db: &Database,
    grant: &Grant<P>,
    userid: &str,
) -> AppResult<Member> {
    let m = get_in_scope(db, grant, userid).await?;
    check_outranks(db, grant, &m).await?;
    Ok(m)
}

/// The rank rule for a member already loaded in scope.
pub(super) async fn check_outranks<P: Perm>(
    db: &Database,
    grant: &Grant<P>,
    m: &Member,
) -> AppResult<()> {
    let rank = grants::rank_of(db, grant.corp(), m.id).await?;
    grant.check_outranks(m.id, rank.as_ref())
}

/// Loads a member for an administrator to look at, checking only that the grant's scope covers them.
pub async fn get_in_scope<P: Perm>(
    db: &Database,
    grant: &Grant<P>,
    userid: &str,
) -> AppResult<Member> {
    get(db, &grant.reads(), userid).await
}
