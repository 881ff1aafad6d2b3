//! Members of the enterprise: the directory record (identity owns passwords and sessions).
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::department::{self, DeptRow};
use super::fields;
use super::pinyin_key;
use super::terms::{self, Searchable};
use crate::scope::ScopeSql;
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, Perm, Scope, perm};
use qixie_kernel::db::{Arg, Database, Dialect, Sql, Tx, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::ids::{CorpId, MemberId, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    NotActivated,
    Active,
    Frozen,
    Departed,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::NotActivated => "not_activated",
            MemberStatus::Active => "active",
            MemberStatus::Frozen => "frozen",
            MemberStatus::Departed => "departed",
        }
    }
    pub fn parse(s: &str) -> Option<MemberStatus> {
        Some(match s {
            "not_activated" => MemberStatus::NotActivated,
            "active" => MemberStatus::Active,
            "frozen" => MemberStatus::Frozen,
            "departed" => MemberStatus::Departed,
            _ => return None,
        })
    }
    /// WeCom's numeric status: 1 active, 2 frozen (disabled), 4 not activated, 5 departed.
    pub fn wecom(self) -> i64 {
        match self {
            MemberStatus::Active => 1,
            MemberStatus::Frozen => 2,
            MemberStatus::NotActivated => 4,
            MemberStatus::Departed => 5,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub id: i64,
    pub userid: String,
    pub name: String,
    pub alias: String,
    pub employee_no: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub position: String,
    pub gender: String,
    pub avatar: String,
    pub telephone: String,
    pub status: String,
    pub leader_id: Option<i64>,
    pub main_department: i64,
    pub pinyin_initials: String,
    pub created_at: i64,
}

pub const MEMBER_COLS: &str = "m.id, m.userid, m.name, m.alias, m.employee_no, m.mobile, m.email, m.position, m.gender, m.avatar, m.telephone, m.status, m.leader_id, m.main_department, m.pinyin_initials, m.created_at";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberDept {
    pub id: i64,
    pub name: String,
    pub is_main: bool,
    pub order: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    #[serde(skip)]
    pub id: MemberId,
    pub userid: String,
    pub name: String,
    pub alias: String,
    pub employee_no: String,
    pub mobile: String,
    pub email: String,
    pub position: String,
    pub gender: String,
    pub avatar: String,
    pub telephone: String,
    pub status: MemberStatus,
    pub departments: Vec<MemberDept>,
    pub main_department: i64,
    pub leader_userid: String,
    pub leader_name: String,
    pub is_leader_in: Vec<i64>,
    pub tags: Vec<TagRef>,
    pub pinyin_initials: String,
    pub created_at: i64,
    /// Materialised paths of the member's departments, for scope checks.
    #[serde(skip)]
    pub paths: Vec<String>,
}

/// Fills in departments, tags and leader for a page of rows, with one query per kind.
pub async fn hydrate(db: &Database, corp: CorpId, rows: Vec<MemberRow>) -> AppResult<Vec<Member>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let depts: Vec<(i64, i64, String, bool, i64, String)> = db
        .all(
            sql("SELECT md.member_id, d.id, d.name, md.is_main, md.ord, d.path FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id \
                 WHERE md.corp_id = $1 AND md.member_id IN ")
            .bind(corp)
            .push_in(ids.iter().copied())
            .push(" ORDER BY md.is_main DESC, d.path"),
        )
        .await?;
    let tags: Vec<(i64, i64, String)> = db
        .all(sql("SELECT mt.member_id, t.id, t.name FROM member_tags mt JOIN tags t ON t.corp_id = mt.corp_id AND t.id = mt.tag_id WHERE mt.corp_id = $1 AND mt.member_id IN ").bind(corp).push_in(ids.iter().copied()).push(" ORDER BY t.name"))
        .await?;
    let leads: Vec<(i64, i64)> = db.all(sql("SELECT member_id, department_id FROM department_leaders WHERE corp_id = $1 AND member_id IN ").bind(corp).push_in(ids.iter().copied())).await?;
    let leader_ids: Vec<i64> = rows.iter().filter_map(|r| r.leader_id).collect();
    let leaders: HashMap<i64, (String, String)> = db
        .all::<(i64, String, String)>(
            sql("SELECT id, userid, name FROM members WHERE corp_id = $1 AND id IN ")
                .bind(corp)
                .push_in(leader_ids),
        )
        .await?
        .into_iter()
        .map(|(id, u, n)| (id, (u, n)))
        .collect();
    // Group each kind by member once: a page may hold thousands of members (export).
    let mut depts_of: HashMap<i64, Vec<(MemberDept, String)>> = HashMap::new();
    for (mid, id, name, is_main, order, path) in depts {
        depts_of.entry(mid).or_default().push((
            MemberDept {
                id,
                name,
                is_main,
                order,
            },
            path,
        ));
    }
    let mut tags_of: HashMap<i64, Vec<TagRef>> = HashMap::new();
    for (mid, id, name) in tags {
        tags_of.entry(mid).or_default().push(TagRef { id, name });
    }
    let mut leads_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (mid, d) in leads {
        leads_of.entry(mid).or_default().push(d);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let (departments, paths): (Vec<MemberDept>, Vec<String>) = depts_of
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .unzip();
            let (leader_userid, leader_name) = r
                .leader_id
                .and_then(|l| leaders.get(&l).cloned())
                .unwrap_or_default();
            Member {
                id: MemberId(r.id),
                departments,
                paths,
                tags: tags_of.remove(&r.id).unwrap_or_default(),
                is_leader_in: leads_of.remove(&r.id).unwrap_or_default(),
                status: MemberStatus::parse(&r.status).unwrap_or(MemberStatus::Active),
                userid: r.userid,
                name: r.name,
                alias: r.alias,
                employee_no: r.employee_no.unwrap_or_default(),
                mobile: r.mobile.unwrap_or_default(),
                email: r.email.unwrap_or_default(),
                position: r.position,
                gender: r.gender,
                avatar: r.avatar,
                telephone: r.telephone,
                main_department: r.main_department,
                leader_userid,
                leader_name,
                pinyin_initials: r.pinyin_initials,
                created_at: r.created_at,
            }
        })
        .collect())
}

pub async fn find_row(db: &Database, corp: CorpId, userid: &str) -> AppResult<MemberRow> {
    db.opt(
        sql(format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.userid = $2"
        ))
        .bind(corp)
        .bind(userid),
    )
    .await?
    .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

pub async fn find_row_by_id(db: &Database, corp: CorpId, id: MemberId) -> AppResult<MemberRow> {
    db.opt(
        sql(format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.id = $2"
        ))
        .bind(corp)
        .bind(id),
    )
    .await?
    .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

pub async fn get(db: &Database, corp: CorpId, userid: &str) -> AppResult<Member> {
    let row = find_row(db, corp, userid).await?;
    hydrate(db, corp, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

pub async fn get_by_id(db: &Database, corp: CorpId, id: MemberId) -> AppResult<Member> {
    let row = find_row_by_id(db, corp, id).await?;
    hydrate(db, corp, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// Members by mobile (WeCom `user/getuserid`).
pub async fn find_by_mobile(db: &Database, corp: CorpId, mobile: &str) -> AppResult<MemberRow> {
    let m = fields::mobile(mobile)
        .ok()
        .flatten()
        .ok_or(ErrorKind::MemberNotFound)?;
    db.opt(
        sql(format!(
            "SELECT {MEMBER_COLS} FROM members m WHERE m.corp_id = $1 AND m.mobile = $2"
        ))
        .bind(corp)
        .bind(m),
    )
    .await?
    .ok_or_else(|| ErrorKind::MemberNotFound.into())
}

/// Every userid of the enterprise.
pub async fn all_userids(
    db: &Database,
    corp: CorpId,
) -> AppResult<std::collections::HashSet<String>> {
    let rows: Vec<(String,)> = db
        .all(sql("SELECT userid FROM members WHERE corp_id = $1").bind(corp))
        .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// (id, userid) for the given userids that exist.
pub async fn resolve_userids(
    tx: &mut Tx,
    corp: CorpId,
    userids: &[String],
) -> AppResult<Vec<(i64, String)>> {
    Ok(tx
        .all(
            sql("SELECT id, userid FROM members WHERE corp_id = $1 AND userid IN ")
                .bind(corp)
                .push_in(userids.iter().cloned()),
        )
        .await?)
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

/// A page of members matching `f`, limited to `scope` when given (administrators), and the total.
///
/// The page is chosen on narrow rows (id and sort key) and only its members are read in full. The
/// total needs no second query when the page is the last one (most searches fit in the first); a
/// department listing counts its memberships without touching the members.
pub async fn list(
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

/// Create or update input; on update every field is optional and `Some("")` clears a text field.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub userid: Option<String>,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub employee_no: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub position: Option<String>,
    pub gender: Option<String>,
    pub avatar: Option<String>,
    pub telephone: Option<String>,
    pub department_ids: Option<Vec<i64>>,
    pub main_department: Option<i64>,
    pub department_orders: Option<Vec<i64>>,
    pub leader_userid: Option<String>,
    pub tag_ids: Option<Vec<i64>>,
    pub initial_password: Option<String>,
    /// WeCom's `enable`: 0 freezes, 1 unfreezes.
    pub enable: Option<bool>,
}

/// The validated, normalised fields of a member record.
#[derive(Debug, Clone, Serialize)]
struct Record {
    userid: String,
    name: String,
    alias: String,
    employee_no: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    position: String,
    gender: String,
    avatar: String,
    telephone: String,
    department_ids: Vec<i64>,
    main_department: i64,
    department_orders: Vec<i64>,
    leader_userid: Option<String>,
    tag_ids: Vec<i64>,
}

fn apply_input(base: Option<Record>, input: &MemberInput) -> AppResult<Record> {
    let mut v = Validator::default();
    let creating = base.is_none();
    let mut r = base.unwrap_or(Record {
        userid: String::new(),
        name: String::new(),
        alias: String::new(),
        employee_no: None,
        mobile: None,
        email: None,
        position: String::new(),
        gender: "0".into(),
        avatar: String::new(),
        telephone: String::new(),
        department_ids: vec![department::ROOT],
        main_department: department::ROOT,
        department_orders: vec![],
        leader_userid: None,
        tag_ids: vec![],
    });
    if creating {
        match fields::userid(input.userid.as_deref().unwrap_or("")) {
            Ok(u) => r.userid = u,
            Err(e) => v.push("userid", e),
        }
    }
    if creating || input.name.is_some() {
        match fields::person_name(input.name.as_deref().unwrap_or("")) {
            Ok(n) => r.name = n,
            Err(e) => v.push("name", e),
        }
    }
    macro_rules! text {
        ($field:ident, $max:expr) => {
            if let Some(x) = &input.$field {
                match fields::optional_text(x, $max) {
                    Ok(t) => r.$field = t.unwrap_or_default(),
                    Err(e) => v.push(stringify!($field), e),
                }
            }
        };
    }
    text!(alias, 64);
    text!(position, 128);
    text!(avatar, 512);
    text!(telephone, 32);
    if let Some(x) = &input.employee_no {
        match fields::optional_text(x, 64) {
            Ok(t) => r.employee_no = t,
            Err(e) => v.push("employee_no", e),
        }
    }
    if let Some(x) = &input.mobile {
        match fields::mobile(x) {
            Ok(m) => r.mobile = m,
            Err(e) => v.push("mobile", e),
        }
    }
    if let Some(x) = &input.email {
        match fields::email(x) {
            Ok(m) => r.email = m,
            Err(e) => v.push("email", e),
        }
    }
    if let Some(x) = &input.gender {
        match fields::gender(x) {
            Ok(g) => r.gender = g,
            Err(e) => v.push("gender", e),
        }
    }
    if let Some(ids) = &input.department_ids {
        let mut ids = ids.clone();
        ids.dedup();
        if ids.is_empty() {
            v.push("department_ids", FieldReason::Required);
        } else if ids.len() > 20 {
            v.push("department_ids", FieldReason::TooMany);
        }
        r.department_ids = ids;
        r.department_orders = input.department_orders.clone().unwrap_or_default();
        if !r.department_ids.contains(&r.main_department) {
            r.main_department = r
                .department_ids
                .first()
                .copied()
                .unwrap_or(department::ROOT);
        }
    }
    if let Some(m) = input.main_department {
        if r.department_ids.contains(&m) {
            r.main_department = m;
        } else {
            v.push("main_department", FieldReason::NotInDepartments);
        }
    }
    if let Some(l) = &input.leader_userid {
        r.leader_userid = Some(l.trim().to_owned()).filter(|s| !s.is_empty());
        if r.leader_userid.as_deref() == Some(r.userid.as_str()) {
            v.push("leader_userid", FieldReason::SelfRef);
        }
    }
    if let Some(t) = &input.tag_ids {
        r.tag_ids = t.clone();
    }
    v.finish()?;
    Ok(r)
}

fn map_unique(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "members", "userid") {
        ErrorKind::UseridExists.into()
    } else if is_unique_violation(&e, "members", "mobile") {
        ErrorKind::MobileExists.into()
    } else if is_unique_violation(&e, "members", "email") {
        ErrorKind::EmailExists.into()
    } else {
        AppError::internal(e)
    }
}

/// Writes departments, tags and leader links of `r` for member `id`, checking that every department is
/// in the grant's scope.
async fn write_links<P: Perm>(tx: &mut Tx, grant: &Grant<P>, id: i64, r: &Record) -> AppResult<()> {
    let corp = grant.corp();
    super::tree_cache::invalidate_after_commit(tx, corp);
    let rows: Vec<DeptRow> = tx
        .all(sql("SELECT id, parent_id, name, name_en, ord, path FROM departments WHERE corp_id = $1 AND id IN ").bind(corp).push_in(r.department_ids.iter().copied()))
        .await?;
    if rows.len() != r.department_ids.len() {
        return Err(AppError::field("department_ids", FieldReason::NotFound));
    }
    for d in &rows {
        grant.check_path(&d.path)?;
    }
    tx.exec(sql("DELETE FROM member_departments WHERE member_id = $1").bind(id))
        .await?;
    for (i, d) in r.department_ids.iter().enumerate() {
        tx.exec(
            sql("INSERT INTO member_departments (corp_id, member_id, department_id, is_main, ord) VALUES ($1, $2, $3, $4, $5)")
                .bind(corp)
                .bind(id)
                .bind(*d)
                .bind(*d == r.main_department)
                .bind(r.department_orders.get(i).copied().unwrap_or(0)),
        )
        .await?;
    }
    let tag_count: (i64,) = tx
        .one(
            sql("SELECT COUNT(*) FROM tags WHERE corp_id = $1 AND id IN ")
                .bind(corp)
                .push_in(r.tag_ids.iter().copied()),
        )
        .await?;
    if tag_count.0 as usize != r.tag_ids.len() {
        return Err(AppError::field("tag_ids", FieldReason::NotFound));
    }
    tx.exec(sql("DELETE FROM member_tags WHERE member_id = $1").bind(id))
        .await?;
    for t in &r.tag_ids {
        tx.exec(sql("INSERT INTO member_tags (corp_id, tag_id, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").bind(corp).bind(*t).bind(id)).await?;
    }
    Ok(())
}

/// The leader named by `r`. A leader newly named (not the one `current` already has) must lie in
/// the grant's scope: a scoped administrator cannot link their members to the rest of the enterprise.
async fn leader_id<P: Perm>(
    tx: &mut Tx,
    grant: &Grant<P>,
    r: &Record,
    current: Option<i64>,
) -> AppResult<Option<i64>> {
    let Some(u) = &r.leader_userid else {
        return Ok(None);
    };
    let found = resolve_userids(tx, grant.corp(), std::slice::from_ref(u)).await?;
    let id = found
        .first()
        .map(|(id, _)| *id)
        .ok_or_else(|| AppError::field("leader_userid", FieldReason::NotFound))?;
    if Some(id) != current && !grant.is_whole_enterprise() {
        let paths: Vec<(String,)> = tx
            .all(sql("SELECT d.path FROM member_departments md JOIN departments d ON d.corp_id = md.corp_id AND d.id = md.department_id WHERE md.corp_id = $1 AND md.member_id = $2").bind(grant.corp()).bind(id))
            .await?;
        let paths: Vec<String> = paths.into_iter().map(|(p,)| p).collect();
        if grant.check_member_paths(&paths).is_err() {
            return Err(AppError::field("leader_userid", FieldReason::OutOfScope)
                .with_kind(ErrorKind::OutOfScope));
        }
    }
    Ok(Some(id))
}

/// Inserts a member row (and links) inside the caller's transaction; returns the new id.
async fn insert_row<P: Perm>(
    tx: &mut Tx,
    grant: &Grant<P>,
    r: &Record,
    status: MemberStatus,
    now: i64,
) -> AppResult<i64> {
    let corp = grant.corp();
    let id = new_id(now);
    let leader = leader_id(tx, grant, r, None).await?;
    let (ini, full) = pinyin_key::pinyin_of(&r.name);
    tx.exec(
        sql("INSERT INTO members (id, corp_id, userid, name, alias, employee_no, mobile, email, position, gender, avatar, telephone, status, leader_id, main_department, \
             search_key, pinyin_initials, sort_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)")
        .bind(id)
        .bind(corp)
        .bind(&r.userid)
        .bind(&r.name)
        .bind(&r.alias)
        .bind(&r.employee_no)
        .bind(&r.mobile)
        .bind(&r.email)
        .bind(&r.position)
        .bind(&r.gender)
        .bind(&r.avatar)
        .bind(&r.telephone)
        .bind(status.as_str())
        .bind(leader)
        .bind(r.main_department)
        .bind(pinyin_key::search_key(&r.name, &r.userid, r.mobile.as_deref(), r.email.as_deref(), r.employee_no.as_deref()))
        .bind(ini)
        .bind(full)
        .bind(now),
    )
    .await
    .map_err(map_unique)?;
    terms::replace(tx, corp.0, id, &searchable(r)).await?;
    write_links(tx, grant, id, r).await?;
    Ok(id)
}

fn searchable(r: &Record) -> Searchable<'_> {
    Searchable {
        name: &r.name,
        userid: &r.userid,
        mobile: r.mobile.as_deref(),
        email: r.email.as_deref(),
        employee_no: r.employee_no.as_deref(),
    }
}

async fn update_row<P: Perm>(
    tx: &mut Tx,
    grant: &Grant<P>,
    id: i64,
    r: &Record,
    now: i64,
) -> AppResult<()> {
    let corp = grant.corp();
    let current: Option<(Option<i64>,)> = tx
        .opt(
            sql("SELECT leader_id FROM members WHERE corp_id = $1 AND id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
    let leader = leader_id(tx, grant, r, current.and_then(|(l,)| l)).await?;
    if leader == Some(id) {
        return Err(AppError::field("leader_userid", FieldReason::SelfRef));
    }
    let (ini, full) = pinyin_key::pinyin_of(&r.name);
    tx.exec(
        sql("UPDATE members SET name = $1, alias = $2, employee_no = $3, mobile = $4, email = $5, position = $6, gender = $7, avatar = $8, telephone = $9, \
             leader_id = $10, main_department = $11, search_key = $12, pinyin_initials = $13, sort_key = $14, updated_at = $15 WHERE id = $16 AND corp_id = $17")
        .bind(&r.name)
        .bind(&r.alias)
        .bind(&r.employee_no)
        .bind(&r.mobile)
        .bind(&r.email)
        .bind(&r.position)
        .bind(&r.gender)
        .bind(&r.avatar)
        .bind(&r.telephone)
        .bind(leader)
        .bind(r.main_department)
        .bind(pinyin_key::search_key(&r.name, &r.userid, r.mobile.as_deref(), r.email.as_deref(), r.employee_no.as_deref()))
        .bind(ini)
        .bind(full)
        .bind(now)
        .bind(id)
        .bind(corp),
    )
    .await
    .map_err(map_unique)?;
    terms::replace(tx, corp.0, id, &searchable(r)).await?;
    write_links(tx, grant, id, r).await
}

fn record_of(m: &Member) -> Record {
    Record {
        userid: m.userid.clone(),
        name: m.name.clone(),
        alias: m.alias.clone(),
        employee_no: Some(m.employee_no.clone()).filter(|s| !s.is_empty()),
        mobile: Some(m.mobile.clone()).filter(|s| !s.is_empty()),
        email: Some(m.email.clone()).filter(|s| !s.is_empty()),
        position: m.position.clone(),
        gender: m.gender.clone(),
        avatar: m.avatar.clone(),
        telephone: m.telephone.clone(),
        department_ids: m.departments.iter().map(|d| d.id).collect(),
        main_department: m.main_department,
        department_orders: m.departments.iter().map(|d| d.order).collect(),
        leader_userid: Some(m.leader_userid.clone()).filter(|s| !s.is_empty()),
        tag_ids: m.tags.iter().map(|t| t.id).collect(),
    }
}

pub fn snapshot(m: &Member) -> serde_json::Value {
    let mut v = serde_json::to_value(record_of(m)).unwrap_or_default();
    v["status"] = json!(m.status.as_str());
    v
}

/// Creates a member. With a password (given or generated) the member can sign in at once and must
/// change it; the generated one is returned to show once.
pub async fn create(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    input: MemberInput,
    with_password: bool,
) -> AppResult<(Member, Option<String>)> {
    let r = apply_input(None, &input)?;
    let corp = grant.corp();
    // Scope first: someone outside their scope learns nothing else about the input.
    for d in &r.department_ids {
        if let Ok(row) = department::find(&app.db, corp, *d).await {
            grant.check_path(&row.path)?;
        }
    }
    let (password, generated) = match input.initial_password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => (Some(p.to_owned()), None),
        None if with_password => {
            let g = qixie_kernel::password::generate_for(&r.userid);
            (Some(g.clone()), Some(g))
        }
        None => (None, None),
    };
    let hash = match &password {
        Some(p) => {
            let policy = super::enterprise::security(&app.db, corp).await?;
            policy
                .check_password(&r.userid, p)
                .map_err(|e| AppError::field("initial_password", e.kind))?;
            Some(app.hasher.hash(p).await?)
        }
        None => None,
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let id = insert_row(&mut tx, grant, &r, MemberStatus::NotActivated, now).await?;
    if let Some(h) = &hash {
        super::accounts::of(app)
            .set_password(&mut tx, app, corp, MemberId(id), h, true)
            .await?;
    }
    let mut after = serde_json::to_value(&r).unwrap_or_default();
    after["status"] = json!("not_activated");
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "member.create",
            target: format!("member:{}", r.userid),
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::MemberCreated {
            corp,
            member: MemberId(id),
            userid: r.userid.clone(),
        },
    );
    tx.commit().await?;
    Ok((get_by_id(&app.db, corp, MemberId(id)).await?, generated))
}

/// Validates `input` and inserts a member inside the caller's transaction.
pub async fn insert_new<P: Perm>(
    tx: &mut Tx,
    grant: &Grant<P>,
    input: &MemberInput,
    status: MemberStatus,
    now: i64,
) -> AppResult<MemberId> {
    let r = apply_input(None, input)?;
    Ok(MemberId(insert_row(tx, grant, &r, status, now).await?))
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
async fn check_outranks<P: Perm>(db: &Database, grant: &Grant<P>, m: &Member) -> AppResult<()> {
    let rank = super::roles::rank_of(db, grant.corp(), m.id).await?;
    grant.check_outranks(m.id, rank.as_ref())
}

/// Loads a member for an administrator to look at, checking only that the grant's scope covers them.
pub async fn get_in_scope<P: Perm>(
    db: &Database,
    grant: &Grant<P>,
    userid: &str,
) -> AppResult<Member> {
    let m = get(db, grant.corp(), userid).await?;
    grant.check_member_paths(&m.paths)?;
    Ok(m)
}

pub async fn update(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
    input: MemberInput,
) -> AppResult<Member> {
    let before = get_managed(&app.db, grant, userid).await?;
    let r = apply_input(Some(record_of(&before)), &input)?;
    let corp = grant.corp();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    update_row(&mut tx, grant, before.id.0, &r, now).await?;
    if let Some(enable) = input.enable {
        let status = match (enable, before.status) {
            (false, MemberStatus::Active | MemberStatus::NotActivated) => {
                Some(MemberStatus::Frozen)
            }
            (true, MemberStatus::Frozen) => Some(MemberStatus::Active),
            _ => None,
        };
        if let Some(s) = status {
            if s == MemberStatus::Frozen {
                super::roles::ensure_not_last_super(&mut tx, corp, before.id).await?;
            }
            set_status_in(&mut tx, app, corp, before.id, s, now).await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "member.update",
            target: format!("member:{userid}"),
            before: Some(snapshot(&before)),
            after: Some(serde_json::to_value(&r).unwrap_or_default()),
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::MemberUpdated {
            corp,
            member: before.id,
            userid: userid.to_owned(),
        },
    );
    tx.commit().await?;
    get_by_id(&app.db, corp, before.id).await
}

pub async fn delete(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
) -> AppResult<()> {
    let m = get_in_scope(&app.db, grant, userid).await?;
    let corp = grant.corp();
    if super::enterprise::creator(&app.db, corp).await? == Some(m.id) {
        return Err(ErrorKind::CannotDeleteCreator.into());
    }
    // The creator answer first (WeCom's 301005), then the rank rule.
    check_outranks(&app.db, grant, &m).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    super::roles::ensure_not_last_super(&mut tx, corp, m.id).await?;
    super::tree_cache::invalidate_after_commit(&mut tx, corp);
    super::accounts::of(app)
        .end_sessions(&mut tx, app, m.id)
        .await?;
    tx.exec(
        sql("UPDATE members SET leader_id = NULL WHERE corp_id = $1 AND leader_id = $2")
            .bind(corp)
            .bind(m.id),
    )
    .await?;
    for h in app
        .runtime::<super::offboarding::OffboardingRegistry>()
        .handovers()
    {
        h.forget(&mut tx, corp, m.id).await?;
    }
    tx.exec(
        sql("DELETE FROM members WHERE corp_id = $1 AND id = $2")
            .bind(corp)
            .bind(m.id),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "member.delete",
            target: format!("member:{userid}"),
            before: Some(snapshot(&m)),
            after: None,
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::MemberDeleted {
            corp,
            userid: userid.to_owned(),
        },
    );
    tx.commit().await?;
    Ok(())
}

pub async fn set_status_in(
    tx: &mut Tx,
    app: &AppState,
    corp: CorpId,
    id: MemberId,
    status: MemberStatus,
    now: i64,
) -> AppResult<()> {
    app.access.forget_member_after_commit(tx, id);
    tx.exec(
        sql("UPDATE members SET status = $1, updated_at = $2 WHERE corp_id = $3 AND id = $4")
            .bind(status.as_str())
            .bind(now)
            .bind(corp)
            .bind(id),
    )
    .await?;
    if matches!(status, MemberStatus::Frozen | MemberStatus::Departed) {
        super::accounts::of(app).end_sessions(tx, app, id).await?;
    }
    Ok(())
}

/// Freezes or unfreezes; freezing ends the member's sessions.
pub async fn set_frozen(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
    frozen: bool,
) -> AppResult<Member> {
    let m = get_managed(&app.db, grant, userid).await?;
    let corp = grant.corp();
    let target = match (frozen, m.status) {
        (true, MemberStatus::Active | MemberStatus::NotActivated) => MemberStatus::Frozen,
        (false, MemberStatus::Frozen) => {
            if super::accounts::of(app)
                .must_change_password(app, m.id)
                .await?
                .unwrap_or(true)
            {
                MemberStatus::NotActivated
            } else {
                MemberStatus::Active
            }
        }
        _ => return Ok(m),
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if frozen {
        super::roles::ensure_not_last_super(&mut tx, corp, m.id).await?;
    }
    set_status_in(&mut tx, app, corp, m.id, target, now).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: if frozen {
                "member.freeze"
            } else {
                "member.unfreeze"
            },
            target: format!("member:{userid}"),
            before: Some(json!({"status": m.status.as_str()})),
            after: Some(json!({"status": target.as_str()})),
        },
    )
    .await?;
    tx.commit().await?;
    get_by_id(&app.db, corp, m.id).await
}

/// Marks a member active after the first successful password change.
pub async fn activate(tx: &mut Tx, corp: CorpId, id: MemberId, now: i64) -> AppResult<()> {
    tx.exec(sql("UPDATE members SET status = 'active', updated_at = $1 WHERE corp_id = $2 AND id = $3 AND status = 'not_activated'").bind(now).bind(corp).bind(id)).await?;
    Ok(())
}

/// Self-service profile edit: only the fields a member may change about themselves.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub gender: Option<String>,
    pub avatar: Option<String>,
    pub alias: Option<String>,
    /// An IANA time zone for the member's own clock; "" follows the enterprise's.
    pub time_zone: Option<String>,
}

/// The member's own time zone ("" when they follow the enterprise's).
pub async fn time_zone(db: &Database, corp: CorpId, id: MemberId) -> AppResult<String> {
    let (z,): (String,) = db
        .one(
            sql("SELECT time_zone FROM members WHERE corp_id = $1 AND id = $2")
                .bind(corp)
                .bind(id),
        )
        .await?;
    Ok(z)
}

pub async fn update_profile(
    app: &AppState,
    actor: &Actor,
    patch: ProfilePatch,
) -> AppResult<Member> {
    let id = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let before = get_by_id(&app.db, corp, id).await?;
    let input = MemberInput {
        name: patch.name,
        email: patch.email,
        mobile: patch.mobile,
        gender: patch.gender,
        avatar: patch.avatar,
        alias: patch.alias,
        ..Default::default()
    };
    let r = apply_input(Some(record_of(&before)), &input)?;
    let zone = patch.time_zone.map(|z| z.trim().to_owned());
    if let Some(z) = zone.as_deref()
        && !z.is_empty()
        && !qixie_kernel::time::is_known(z)
    {
        return Err(AppError::field("time_zone", FieldReason::Unknown));
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if let Some(z) = &zone {
        tx.exec(
            sql("UPDATE members SET time_zone = $1 WHERE corp_id = $2 AND id = $3")
                .bind(z)
                .bind(corp)
                .bind(id),
        )
        .await?;
    }
    // A member editing their own card acts with an enterprise-wide grant limited to these fields.
    let (ini, full) = pinyin_key::pinyin_of(&r.name);
    tx.exec(
        sql("UPDATE members SET name = $1, email = $2, mobile = $3, gender = $4, avatar = $5, alias = $6, search_key = $7, pinyin_initials = $8, sort_key = $9, updated_at = $10 \
             WHERE corp_id = $11 AND id = $12")
        .bind(&r.name)
        .bind(&r.email)
        .bind(&r.mobile)
        .bind(&r.gender)
        .bind(&r.avatar)
        .bind(&r.alias)
        .bind(pinyin_key::search_key(&r.name, &r.userid, r.mobile.as_deref(), r.email.as_deref(), r.employee_no.as_deref()))
        .bind(ini)
        .bind(full)
        .bind(now)
        .bind(corp)
        .bind(id),
    )
    .await
    .map_err(map_unique)?;
    terms::replace(&mut tx, corp.0, id.0, &searchable(&r)).await?;
    audit::record(
        &mut tx,
        actor,
        now,
        Entry {
            kind: "member.profile",
            target: format!("member:{}", before.userid),
            before: Some(snapshot(&before)),
            after: Some(serde_json::to_value(&r).unwrap_or_default()),
        },
    )
    .await?;
    tx.emit(
        app,
        DomainEvent::MemberUpdated {
            corp,
            member: id,
            userid: before.userid.clone(),
        },
    );
    tx.commit().await?;
    get_by_id(&app.db, corp, id).await
}

/// Offboarding (离职): the member departs, their sessions end, and each registered hand-over passes
/// what they own to the successor, all in one transaction.
pub async fn offboard(
    app: &AppState,
    actor: &Actor,
    grant: &Grant<perm::ContactsManage>,
    userid: &str,
    successor: &str,
) -> AppResult<(Member, Vec<(String, u64)>)> {
    let m = get_managed(&app.db, grant, userid).await?;
    let corp = grant.corp();
    // The successor receives what the departing member owned, so they too must be someone the
    // administrator manages.
    let s = match get_in_scope(&app.db, grant, successor).await {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::OutOfScope => {
            return Err(AppError::field("successor_userid", FieldReason::OutOfScope)
                .with_kind(ErrorKind::OutOfScope));
        }
        Err(_) => return Err(ErrorKind::SuccessorInvalid.into()),
    };
    if s.id == m.id || !matches!(s.status, MemberStatus::Active | MemberStatus::NotActivated) {
        return Err(ErrorKind::SuccessorInvalid.into());
    }
    if super::enterprise::creator(&app.db, corp).await? == Some(m.id) {
        return Err(ErrorKind::CannotDeleteCreator.into());
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    super::roles::ensure_not_last_super(&mut tx, corp, m.id).await?;
    set_status_in(&mut tx, app, corp, m.id, MemberStatus::Departed, now).await?;
    let mut handed = Vec::new();
    for h in app
        .runtime::<super::offboarding::OffboardingRegistry>()
        .handovers()
    {
        let n = h.hand_over(&mut tx, corp, m.id, s.id).await?;
        handed.push((h.module().to_owned(), n));
    }
    audit::record(&mut tx, actor, now, Entry {
        kind: "member.offboard",
        target: format!("member:{userid}"),
        before: Some(json!({"status": m.status.as_str()})),
        after: Some(json!({"status": "departed", "successor": successor, "handovers": handed.iter().map(|(k, n)| json!({"module": k, "count": n})).collect::<Vec<_>>()})),
    })
    .await?;
    tx.emit(
        app,
        DomainEvent::MemberDeparted {
            corp,
            member: m.id,
            successor: s.id,
        },
    );
    tx.commit().await?;
    Ok((get_by_id(&app.db, corp, m.id).await?, handed))
}

/// Everything the importer needs to write rows: shared insert/update with the same checks.
pub mod bulk {
    use super::*;

    pub struct ImportRow {
        pub userid: String,
        pub name: String,
        pub alias: String,
        pub employee_no: Option<String>,
        pub mobile: Option<String>,
        pub email: Option<String>,
        pub position: String,
        pub gender: String,
        pub telephone: String,
        pub department_ids: Vec<i64>,
        pub leader_userid: Option<String>,
        pub tag_ids: Vec<i64>,
    }

    fn to_record(r: &ImportRow, existing: Option<&Member>) -> Record {
        Record {
            userid: r.userid.clone(),
            name: r.name.clone(),
            alias: r.alias.clone(),
            employee_no: r.employee_no.clone(),
            mobile: r.mobile.clone(),
            email: r.email.clone(),
            position: r.position.clone(),
            gender: r.gender.clone(),
            avatar: existing.map(|m| m.avatar.clone()).unwrap_or_default(),
            telephone: r.telephone.clone(),
            department_ids: r.department_ids.clone(),
            main_department: r
                .department_ids
                .first()
                .copied()
                .unwrap_or(department::ROOT),
            department_orders: vec![],
            leader_userid: r.leader_userid.clone(),
            tag_ids: r.tag_ids.clone(),
        }
    }

    /// A new member from an import row, its id chosen and its leader resolved by the importer.
    pub struct NewImported {
        pub id: i64,
        pub row: ImportRow,
        pub leader_id: Option<i64>,
    }

    /// Inserts new members from an import with multi-row statements. The importer has already
    /// resolved (and scope-checked) their departments and tags and checked mobile and email for
    /// conflicts, so nothing is looked up again here.
    pub async fn insert_many(
        tx: &mut Tx,
        corp: CorpId,
        rows: &[NewImported],
        now: i64,
    ) -> AppResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        super::super::tree_cache::invalidate_after_commit(tx, corp);
        let dialect = tx.dialect();
        for chunk in rows.chunks(dialect.rows_per_statement(20)) {
            let values = chunk.iter().map(|n| {
                let r = &n.row;
                let (ini, full) = pinyin_key::pinyin_of(&r.name);
                vec![
                    Arg::from(n.id),
                    Arg::from(corp.0),
                    Arg::from(&r.userid),
                    Arg::from(&r.name),
                    Arg::from(&r.alias),
                    Arg::from(&r.employee_no),
                    Arg::from(&r.mobile),
                    Arg::from(&r.email),
                    Arg::from(&r.position),
                    Arg::from(&r.gender),
                    Arg::from(""),
                    Arg::from(&r.telephone),
                    Arg::from(MemberStatus::NotActivated.as_str()),
                    Arg::from(n.leader_id),
                    Arg::from(
                        r.department_ids
                            .first()
                            .copied()
                            .unwrap_or(department::ROOT),
                    ),
                    Arg::from(pinyin_key::search_key(
                        &r.name,
                        &r.userid,
                        r.mobile.as_deref(),
                        r.email.as_deref(),
                        r.employee_no.as_deref(),
                    )),
                    Arg::from(ini),
                    Arg::from(full),
                    Arg::from(now),
                    Arg::from(now),
                ]
            });
            tx.exec(
                sql("INSERT INTO members (id, corp_id, userid, name, alias, employee_no, mobile, email, position, gender, avatar, telephone, status, leader_id, main_department, \
                     search_key, pinyin_initials, sort_key, created_at, updated_at) VALUES ")
                .push_rows(values),
            )
            .await
            .map_err(map_unique)?;
        }
        let links: Vec<Vec<Arg>> = rows
            .iter()
            .flat_map(|n| {
                let main = n.row.department_ids.first().copied();
                n.row.department_ids.iter().map(move |d| {
                    vec![
                        Arg::from(corp.0),
                        Arg::from(n.id),
                        Arg::from(*d),
                        Arg::from(Some(*d) == main),
                        Arg::from(0i64),
                    ]
                })
            })
            .collect();
        for chunk in links.chunks(dialect.rows_per_statement(5)) {
            tx.exec(
                sql("INSERT INTO member_departments (corp_id, member_id, department_id, is_main, ord) VALUES ")
                    .push_rows(chunk.iter().cloned()),
            )
            .await?;
        }
        let tags: Vec<Vec<Arg>> = rows
            .iter()
            .flat_map(|n| {
                let mut ids = n.row.tag_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                ids.into_iter()
                    .map(move |t| vec![Arg::from(corp.0), Arg::from(t), Arg::from(n.id)])
            })
            .collect();
        for chunk in tags.chunks(dialect.rows_per_statement(3)) {
            tx.exec(
                sql("INSERT INTO member_tags (corp_id, tag_id, member_id) VALUES ")
                    .push_rows(chunk.iter().cloned()),
            )
            .await?;
        }
        for chunk in rows.chunks(1000) {
            let terms: Vec<(i64, Vec<String>)> = chunk
                .iter()
                .map(|n| {
                    let r = &n.row;
                    (
                        n.id,
                        terms::terms_of(&Searchable {
                            name: &r.name,
                            userid: &r.userid,
                            mobile: r.mobile.as_deref(),
                            email: r.email.as_deref(),
                            employee_no: r.employee_no.as_deref(),
                        }),
                    )
                })
                .collect();
            terms::insert_many(tx, corp.0, &terms).await?;
        }
        Ok(())
    }

    /// Sets `leader_id` of many members in one statement per chunk: (member id, leader id).
    pub async fn set_leaders(tx: &mut Tx, corp: CorpId, pairs: &[(i64, i64)]) -> AppResult<()> {
        for chunk in pairs.chunks(tx.dialect().rows_per_statement(2)) {
            tx.exec(
                sql("UPDATE members SET leader_id = v.leader FROM (SELECT column1 AS id, column2 AS leader FROM (VALUES ")
                    .push_rows(chunk.iter().map(|(m, l)| vec![Arg::from(*m), Arg::from(*l)]))
                    .push_bind(") AS x) AS v WHERE members.id = v.id AND members.corp_id = {}", corp),
            )
            .await?;
        }
        Ok(())
    }

    /// Inserts (existing = None) or updates a member from an import row; returns the member id.
    pub async fn upsert<P: Perm>(
        tx: &mut Tx,
        grant: &Grant<P>,
        r: &ImportRow,
        existing: Option<i64>,
        now: i64,
    ) -> AppResult<i64> {
        let mut rec = to_record(r, None);
        match existing {
            Some(id) => {
                // Import files carry no avatar: keep the one the member has.
                let (avatar,): (String,) = tx
                    .one(sql("SELECT avatar FROM members WHERE id = $1").bind(id))
                    .await?;
                rec.avatar = avatar;
                update_row(tx, grant, id, &rec, now).await?;
                Ok(id)
            }
            None => insert_row(tx, grant, &rec, MemberStatus::NotActivated, now).await,
        }
    }
}

/// How another module shows a member: a name on a card.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Card {
    #[serde(skip)]
    pub id: i64,
    pub userid: String,
    pub name: String,
    pub avatar: String,
    pub position: String,
    pub status: String,
}

/// Cards of the given members of `corp`, by member id.
pub async fn cards(
    db: &Database,
    corp: CorpId,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Card>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<Card> = db
            .all(
                sql("SELECT id, userid, name, avatar, position, status FROM members WHERE corp_id = $1 AND id IN ")
                    .bind(corp)
                    .push_in(chunk.iter().copied()),
            )
            .await?;
        out.extend(rows.into_iter().map(|c| (c.id, c)));
    }
    Ok(out)
}
