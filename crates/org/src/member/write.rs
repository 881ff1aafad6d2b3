//! Creating, changing and deleting members, and a member's own profile edits.
use serde::Serialize;
use serde_json::json;

use super::lookup::{get_by_id, resolve_userids};
use super::model::{Member, MemberInput, MemberStatus, ProfilePatch};
use super::read::{check_outranks, get_in_scope, get_managed};
use super::status::set_status_in;
use crate::department::{self, DeptRow};
use crate::terms::{self, Searchable};
use crate::tree_cache::TreeCache;
use crate::{accounts, enterprise, fields, grants, offboarding, pinyin_key};
use qixie_kernel::AppState;
use qixie_kernel::audit::{self, Entry};
use qixie_kernel::authz::{Actor, Grant, Perm, perm};
use qixie_kernel::db::{Tx, is_unique_violation, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason, Validator};
use qixie_kernel::events::DomainEvent;
use qixie_kernel::ids::{MemberId, new_id};

/// The validated, normalised fields of a member record.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Record {
    pub(super) userid: String,
    pub(super) name: String,
    pub(super) alias: String,
    pub(super) employee_no: Option<String>,
    pub(super) mobile: Option<String>,
    pub(super) email: Option<String>,
    pub(super) position: String,
    pub(super) gender: String,
    pub(super) avatar: String,
    pub(super) telephone: String,
    pub(super) department_ids: Vec<i64>,
    pub(super) main_department: i64,
    pub(super) department_orders: Vec<i64>,
    pub(super) leader_userid: Option<String>,
    pub(super) tag_ids: Vec<i64>,
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

pub(super) fn map_unique(e: sqlx::Error) -> AppError {
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
/// in the grant's scope. The transaction's owner forgets the cached tree.
async fn write_links<P: Perm>(tx: &mut Tx, grant: &Grant<P>, id: i64, r: &Record) -> AppResult<()> {
    let corp = grant.corp();
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
pub(super) async fn insert_row<P: Perm>(
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

pub(super) async fn update_row<P: Perm>(
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
            let policy = enterprise::security(&app.db, corp).await?;
            policy
                .check_password(&r.userid, p)
                .map_err(|e| AppError::field("initial_password", e.kind))?;
            Some(app.hasher.hash(p).await?)
        }
        None => None,
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    TreeCache::of(app).invalidate_after_commit(&mut tx, corp);
    let id = insert_row(&mut tx, grant, &r, MemberStatus::NotActivated, now).await?;
    if let Some(h) = &hash {
        accounts::of(app)
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

/// Validates `input` and inserts a member inside the caller's transaction (founding an enterprise:
/// a new enterprise has no cached tree to forget).
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
    TreeCache::of(app).invalidate_after_commit(&mut tx, corp);
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
                grants::ensure_not_last_super(&mut tx, corp, before.id).await?;
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
    if enterprise::creator(&app.db, corp).await? == Some(m.id) {
        return Err(ErrorKind::CannotDeleteCreator.into());
    }
    // The creator answer first (WeCom's 301005), then the rank rule.
    check_outranks(&app.db, grant, &m).await?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    grants::ensure_not_last_super(&mut tx, corp, m.id).await?;
    TreeCache::of(app).invalidate_after_commit(&mut tx, corp);
    accounts::of(app).end_sessions(&mut tx, app, m.id).await?;
    tx.exec(
        sql("UPDATE members SET leader_id = NULL WHERE corp_id = $1 AND leader_id = $2")
            .bind(corp)
            .bind(m.id),
    )
    .await?;
    for h in app
        .runtime::<offboarding::OffboardingRegistry>()
        .handovers()
    {
        h.forget(app, &mut tx, corp, m.id).await?;
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
