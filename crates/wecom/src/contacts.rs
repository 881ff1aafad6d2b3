//! The address book (通讯录) on WeCom's paths: members, departments and tags. Handlers pass the
//! caller through the same gate as the native API, translate WeCom's field names and loose types
//! to the org domain's inputs, and build the JSON shapes WeCom clients read. The shapes are built
//! here once each: `member_json`, `department_json`.
use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppCaller, loose, ok, ok_empty};
use qixie_kernel::AppState;
use qixie_kernel::authz::{Actor, Grant, ReadScope, perm};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::extract::{Allowed, Body};
use qixie_org::department::{self, Department, DepartmentPatch, NewDepartment};
use qixie_org::member::{self, ListFilter, Member, MemberInput, MemberStatus};
use qixie_org::tag;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/create", post(user_create))
        .route("/user/get", get(user_get))
        .route("/user/update", post(user_update))
        .route("/user/delete", get(user_delete))
        .route("/user/batchdelete", post(user_batch_delete))
        .route("/user/simplelist", get(user_simple_list))
        .route("/user/list", get(user_list))
        .route("/user/list_id", post(user_list_id))
        .route("/user/getuserid", post(user_get_userid))
        .route("/department/create", post(department_create))
        .route("/department/update", post(department_update))
        .route("/department/delete", get(department_delete))
        .route("/department/list", get(department_list))
        .route("/department/simplelist", get(department_simple_list))
        .route("/department/get", get(department_get))
        .route("/tag/create", post(tag_create))
        .route("/tag/update", post(tag_update))
        .route("/tag/delete", get(tag_delete))
        .route("/tag/get", get(tag_get))
        .route("/tag/addtagusers", post(tag_add_users))
        .route("/tag/deltagusers", post(tag_del_users))
        .route("/tag/list", get(tag_list))
}

/// Query-string parameters as WeCom clients send them: every value is text, numbers included. A bad
/// value is a field error (40058), never a rejection outside the errcode convention.
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let Query(map) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|_| AppError::new(ErrorKind::BadRequest))?;
        Ok(Params(map))
    }
}

impl Params {
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
    pub fn require_text(&self, key: &str) -> AppResult<&str> {
        self.text(key)
            .ok_or_else(|| AppError::field(key, FieldReason::Required))
    }
    pub fn int(&self, key: &str) -> AppResult<Option<i64>> {
        self.text(key)
            .map(|s| {
                s.parse()
                    .map_err(|_| AppError::field(key, FieldReason::Invalid))
            })
            .transpose()
    }
    pub fn require_int(&self, key: &str) -> AppResult<i64> {
        self.int(key)?
            .ok_or_else(|| AppError::field(key, FieldReason::Required))
    }
}

/// What the caller reads: an app that manages contacts reads exactly the scope it manages (its
/// visible range), so everything it lists it may also change; an app with only contacts.read reads
/// the whole directory, as every member of the enterprise can.
fn reads(actor: &Actor) -> AppResult<ReadScope> {
    actor.read_view::<perm::ContactsManage>()
}

/// The domain names fields after its own inputs; WeCom clients expect WeCom's codes for the common
/// cases (an unknown department is 60003 wherever it is named).
pub fn wecom_error(e: AppError) -> AppError {
    if e.kind != ErrorKind::Validation {
        return e;
    }
    let kind = e
        .fields
        .iter()
        .find_map(|f| match (f.field.as_str(), f.reason.as_str()) {
            ("department_ids" | "parent_id", "not_found") => Some(ErrorKind::DepartmentNotFound),
            ("leader_userid" | "leader_userids", "not_found") => Some(ErrorKind::MemberNotFound),
            _ => None,
        });
    match kind {
        Some(k) => e.with_kind(k),
        None => e,
    }
}

// ---- members ----

/// A member in WeCom's shape: `user/get` and `user/list` (full), `user/simplelist` (not full).
pub fn member_json(m: &Member, full: bool) -> Value {
    let departments: Vec<i64> = m.departments.iter().map(|d| d.id).collect();
    let mut v = json!({ "userid": m.userid, "name": m.name, "department": departments });
    if full {
        let enable = i64::from(!matches!(
            m.status,
            MemberStatus::Frozen | MemberStatus::Departed
        ));
        let leaders: Vec<&str> = Some(m.leader_userid.as_str())
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect();
        let extra = json!({
            "order": m.departments.iter().map(|d| d.order).collect::<Vec<_>>(),
            "is_leader_in_dept": m.departments.iter().map(|d| i64::from(m.is_leader_in.contains(&d.id))).collect::<Vec<_>>(),
            "main_department": m.main_department,
            "position": m.position,
            "mobile": m.mobile,
            // WeCom returns gender as a string ("1"), and clients compare it so.
            "gender": m.gender,
            "email": m.email,
            "direct_leader": leaders,
            "avatar": m.avatar,
            "thumb_avatar": m.avatar,
            "telephone": m.telephone,
            "alias": m.alias,
            "status": m.status.wecom(),
            "enable": enable,
            "extattr": { "attrs": [] },
            "qr_code": "",
            "external_position": "",
            "address": "",
        });
        if let (Value::Object(a), Value::Object(b)) = (&mut v, extra) {
            a.extend(b);
        }
    }
    v
}

/// `user/create` and `user/update` bodies. Unknown WeCom fields (extattr, weixinid, to_invite,
/// avatar_mediaid, ...) are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
struct UserBody {
    #[serde(default, deserialize_with = "loose::string")]
    userid: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    alias: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    mobile: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    position: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    gender: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    telephone: Option<String>,
    /// wechatpy sends the telephone as `tel`.
    #[serde(default, deserialize_with = "loose::string")]
    tel: Option<String>,
    #[serde(default, deserialize_with = "loose::int_list")]
    department: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "loose::int_list")]
    order: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "loose::int_list")]
    is_leader_in_dept: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "loose::string_list")]
    direct_leader: Option<Vec<String>>,
    #[serde(default, deserialize_with = "loose::int")]
    main_department: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    enable: Option<i64>,
}

impl UserBody {
    fn input(&self) -> MemberInput {
        MemberInput {
            userid: self.userid.clone(),
            name: self.name.clone(),
            alias: self.alias.clone(),
            mobile: self.mobile.clone(),
            email: self.email.clone(),
            position: self.position.clone(),
            gender: self.gender.clone(),
            telephone: self.telephone.clone().or_else(|| self.tel.clone()),
            department_ids: self.department.clone(),
            main_department: self.main_department,
            department_orders: self.order.clone(),
            // The domain keeps one direct leader; an empty list clears it.
            leader_userid: self
                .direct_leader
                .as_ref()
                .map(|l| l.first().cloned().unwrap_or_default()),
            enable: self.enable.map(|e| e != 0),
            ..Default::default()
        }
    }
    fn require_userid(&self) -> AppResult<&str> {
        self.userid
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::field("userid", FieldReason::Required))
    }
}

/// WeCom sets leadership per member (`is_leader_in_dept`, parallel to `department`); the domain
/// keeps leaders per department. Each department whose leader list disagrees with the flag gets the
/// member added to or removed from its leaders through the department update.
async fn set_leadership(
    app: &AppState,
    actor: &Actor,
    g: &Grant<perm::ContactsManage>,
    userid: &str,
    depts: &[i64],
    flags: &[i64],
) -> AppResult<()> {
    for (d, flag) in depts.iter().zip(flags) {
        let dept = department::get(&app.db, &g.reads(), *d).await?;
        let want = *flag != 0;
        if dept.leader_userids.iter().any(|u| u == userid) == want {
            continue;
        }
        let mut leaders = dept.leader_userids.clone();
        if want {
            leaders.push(userid.to_owned());
        } else {
            leaders.retain(|u| u != userid);
        }
        let patch = DepartmentPatch {
            leader_userids: Some(leaders),
            ..Default::default()
        };
        department::update(app, actor, g, *d, patch).await?;
    }
    Ok(())
}

async fn user_create(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<UserBody>,
) -> AppResult<Response> {
    // Members created through the API sign in once an administrator or the member sets a password.
    let (m, _) = member::create(&app, &actor, &g, b.input(), false)
        .await
        .map_err(wecom_error)?;
    if b.enable == Some(0) {
        member::set_frozen(&app, &actor, &g, &m.userid, true).await?;
    }
    if let Some(flags) = &b.is_leader_in_dept {
        let depts: Vec<i64> = m.departments.iter().map(|d| d.id).collect();
        let ordered: Vec<i64> = b.department.clone().unwrap_or(depts);
        set_leadership(&app, &actor, &g, &m.userid, &ordered, flags)
            .await
            .map_err(wecom_error)?;
    }
    Ok(ok_empty())
}

async fn user_get(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let m = member::get(&app.db, &reads(&caller.actor)?, p.require_text("userid")?).await?;
    Ok(ok(member_json(&m, true)))
}

async fn user_update(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<UserBody>,
) -> AppResult<Response> {
    let userid = b.require_userid()?.to_owned();
    let m = member::update(&app, &actor, &g, &userid, b.input())
        .await
        .map_err(wecom_error)?;
    if let Some(flags) = &b.is_leader_in_dept {
        let depts: Vec<i64> = b
            .department
            .clone()
            .unwrap_or_else(|| m.departments.iter().map(|d| d.id).collect());
        set_leadership(&app, &actor, &g, &userid, &depts, flags)
            .await
            .map_err(wecom_error)?;
    }
    Ok(ok_empty())
}

async fn user_delete(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    p: Params,
) -> AppResult<Response> {
    member::delete(&app, &actor, &g, p.require_text("userid")?).await?;
    Ok(ok_empty())
}

#[derive(Deserialize)]
struct BatchDeleteBody {
    #[serde(default, deserialize_with = "loose::string_list")]
    useridlist: Option<Vec<String>>,
}

async fn user_batch_delete(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<BatchDeleteBody>,
) -> AppResult<Response> {
    let list = b
        .useridlist
        .filter(|l| !l.is_empty())
        .ok_or_else(|| AppError::field("useridlist", FieldReason::Required))?;
    // Every userid must be known and managed before any is deleted, so a typo deletes nobody.
    for u in &list {
        member::get_managed(&app.db, &g, u).await?;
    }
    for u in &list {
        member::delete(&app, &actor, &g, u).await?;
    }
    Ok(ok_empty())
}

/// `user/list` and `user/simplelist`: `department_id` (the root when absent), `fetch_child` 0/1,
/// and the legacy `status` bits (1 active, 2 disabled, 4 not activated; 0 all).
async fn listed_members(app: &AppState, actor: &Actor, p: &Params) -> AppResult<Vec<Member>> {
    let reads = reads(actor)?;
    let f = ListFilter {
        department_id: Some(p.int("department_id")?.unwrap_or(department::ROOT)),
        recursive: Some(p.int("fetch_child")?.unwrap_or(0) != 0),
        ..Default::default()
    };
    let mut members = member::all(&app.db, &reads, f).await?;
    let bits = p.int("status")?.unwrap_or(0);
    if bits != 0 {
        members.retain(|m| m.status != MemberStatus::Departed && bits & m.status.wecom() != 0);
    }
    Ok(members)
}

async fn user_simple_list(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let members = listed_members(&app, &caller.actor, &p).await?;
    Ok(ok(
        json!({ "userlist": members.iter().map(|m| member_json(m, false)).collect::<Vec<_>>() }),
    ))
}

async fn user_list(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let members = listed_members(&app, &caller.actor, &p).await?;
    Ok(ok(
        json!({ "userlist": members.iter().map(|m| member_json(m, true)).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct ListIdBody {
    #[serde(default, deserialize_with = "loose::string")]
    cursor: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    limit: Option<i64>,
}

/// `user/list_id`: the cursor is the offset into the members in directory order; an empty
/// `next_cursor` means the end.
async fn user_list_id(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<ListIdBody>,
) -> AppResult<Response> {
    let reads = reads(&caller.actor)?;
    let offset: i64 = match b.cursor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => c
            .parse()
            .ok()
            .filter(|o| *o >= 0)
            .ok_or_else(|| AppError::field("cursor", FieldReason::Invalid))?,
        None => 0,
    };
    let limit = b.limit.unwrap_or(1000).clamp(1, 10_000);
    let f = ListFilter {
        offset: Some(offset),
        limit: Some(limit),
        ..Default::default()
    };
    let (page, total) = member::list(&app.db, &reads, &f).await?;
    let end = offset + page.len() as i64;
    let dept_user: Vec<Value> = page
        .iter()
        .flat_map(|m| {
            m.departments
                .iter()
                .map(|d| json!({ "userid": m.userid, "department": d.id }))
        })
        .collect();
    let next = if end < total {
        end.to_string()
    } else {
        String::new()
    };
    Ok(ok(json!({ "next_cursor": next, "dept_user": dept_user })))
}

#[derive(Deserialize)]
struct MobileBody {
    #[serde(default, deserialize_with = "loose::string")]
    mobile: Option<String>,
}

async fn user_get_userid(
    State(app): State<AppState>,
    caller: AppCaller,
    Body(b): Body<MobileBody>,
) -> AppResult<Response> {
    let reads = reads(&caller.actor)?;
    let mobile = b
        .mobile
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| AppError::field("mobile", FieldReason::Required))?;
    let m = member::get_by_mobile(&app.db, &reads, &mobile).await?;
    Ok(ok(json!({ "userid": m.userid })))
}

// ---- departments ----

/// A department in WeCom's shape (`department/list`, `department/get`).
fn department_json(d: &Department) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "name_en": d.name_en,
        "parentid": d.parent_id,
        "order": d.order,
        "department_leader": d.leader_userids,
    })
}

#[derive(Deserialize)]
struct DepartmentBody {
    #[serde(default, deserialize_with = "loose::int")]
    id: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "loose::string")]
    name_en: Option<String>,
    #[serde(default, deserialize_with = "loose::int")]
    parentid: Option<i64>,
    #[serde(default, deserialize_with = "loose::int")]
    order: Option<i64>,
}

async fn department_create(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<DepartmentBody>,
) -> AppResult<Response> {
    let input = NewDepartment {
        name: b.name.unwrap_or_default(),
        name_en: b.name_en.unwrap_or_default(),
        parent_id: b
            .parentid
            .ok_or_else(|| AppError::field("parentid", FieldReason::Required))?,
        order: b.order,
        id: b.id,
    };
    let d = department::create(&app, &actor, &g, input)
        .await
        .map_err(wecom_error)?;
    Ok(ok(json!({ "id": d.id })))
}

async fn department_update(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<DepartmentBody>,
) -> AppResult<Response> {
    let id =
        b.id.ok_or_else(|| AppError::field("id", FieldReason::Required))?;
    let patch = DepartmentPatch {
        name: b.name,
        name_en: b.name_en,
        parent_id: b.parentid,
        order: b.order,
        leader_userids: None,
    };
    department::update(&app, &actor, &g, id, patch)
        .await
        .map_err(wecom_error)?;
    Ok(ok_empty())
}

async fn department_delete(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    p: Params,
) -> AppResult<Response> {
    department::delete(&app, &actor, &g, p.require_int("id")?).await?;
    Ok(ok_empty())
}

/// The departments the caller may read: the subtree under `?id=` (itself included), or all.
async fn visible_departments(
    app: &AppState,
    actor: &Actor,
    p: &Params,
) -> AppResult<Vec<Department>> {
    department::list(&app.db, &reads(actor)?, p.int("id")?).await
}

async fn department_list(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let depts = visible_departments(&app, &caller.actor, &p).await?;
    Ok(ok(
        json!({ "department": depts.iter().map(department_json).collect::<Vec<_>>() }),
    ))
}

async fn department_simple_list(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let depts = visible_departments(&app, &caller.actor, &p).await?;
    let items: Vec<Value> = depts
        .iter()
        .map(|d| json!({ "id": d.id, "parentid": d.parent_id, "order": d.order }))
        .collect();
    Ok(ok(json!({ "department_id": items })))
}

async fn department_get(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let id = p.require_int("id")?;
    let d = department::get(&app.db, &reads(&caller.actor)?, id).await?;
    Ok(ok(json!({ "department": department_json(&d) })))
}

// ---- tags ----

#[derive(Deserialize)]
struct TagBody {
    #[serde(default, deserialize_with = "loose::int")]
    tagid: Option<i64>,
    #[serde(default, deserialize_with = "loose::string")]
    tagname: Option<String>,
    #[serde(default, deserialize_with = "loose::string_list")]
    userlist: Option<Vec<String>>,
    #[serde(default, deserialize_with = "loose::int_list")]
    partylist: Option<Vec<i64>>,
}

impl TagBody {
    fn require_id(&self) -> AppResult<i64> {
        self.tagid
            .ok_or_else(|| AppError::field("tagid", FieldReason::Required))
    }
}

async fn tag_create(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<TagBody>,
) -> AppResult<Response> {
    let t = tag::create(
        &app,
        &actor,
        &g,
        b.tagname.as_deref().unwrap_or(""),
        b.tagid,
    )
    .await?;
    Ok(ok(json!({ "tagid": t.id })))
}

async fn tag_update(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<TagBody>,
) -> AppResult<Response> {
    tag::rename(
        &app,
        &actor,
        &g,
        b.require_id()?,
        b.tagname.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(ok_empty())
}

async fn tag_delete(
    State(app): State<AppState>,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    p: Params,
) -> AppResult<Response> {
    tag::delete(&app, &actor, &g, p.require_int("tagid")?).await?;
    Ok(ok_empty())
}

async fn tag_get(State(app): State<AppState>, caller: AppCaller, p: Params) -> AppResult<Response> {
    let reads = reads(&caller.actor)?;
    let id = p.require_int("tagid")?;
    let t = tag::get(&app.db, &reads, id).await?;
    let (members, partylist) = tag::members(&app.db, &reads, id).await?;
    let userlist: Vec<Value> = members
        .iter()
        .map(|m| json!({ "userid": m.userid, "name": m.name }))
        .collect();
    Ok(ok(
        json!({ "tagname": t.name, "userlist": userlist, "partylist": partylist }),
    ))
}

/// `tag/addtagusers` and `tag/deltagusers`: the invalid entries come back as WeCom reports them
/// (`invalidlist` "u1|u2", `invalidparty` [ids]); when nothing at all was valid it is 40070.
async fn change_tag_members(
    app: AppState,
    Allowed {
        actor, grant: g, ..
    }: Allowed<perm::ContactsManage, AppCaller>,
    b: TagBody,
    add: bool,
) -> AppResult<Response> {
    let id = b.require_id()?;
    let users = b.userlist.clone().unwrap_or_default();
    let parties = b.partylist.clone().unwrap_or_default();
    if users.is_empty() && parties.is_empty() {
        return Err(AppError::field("userlist", FieldReason::Required));
    }
    let (bad_users, bad_parties) =
        tag::change_members(&app, &actor, &g, id, &users, &parties, add).await?;
    let distinct_users: HashSet<&String> = users.iter().collect();
    let distinct_parties: HashSet<&i64> = parties.iter().collect();
    let bad_u: HashSet<&String> = bad_users.iter().collect();
    let bad_p: HashSet<&i64> = bad_parties.iter().collect();
    if bad_u.len() == distinct_users.len() && bad_p.len() == distinct_parties.len() {
        return Err(ErrorKind::AllListInvalid.into());
    }
    let mut body = json!({});
    if !bad_users.is_empty() {
        body["invalidlist"] = json!(bad_users.join("|"));
    }
    if !bad_parties.is_empty() {
        body["invalidparty"] = json!(bad_parties);
    }
    Ok(ok(body))
}

async fn tag_add_users(
    State(app): State<AppState>,
    allowed: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<TagBody>,
) -> AppResult<Response> {
    change_tag_members(app, allowed, b, true).await
}

async fn tag_del_users(
    State(app): State<AppState>,
    allowed: Allowed<perm::ContactsManage, AppCaller>,
    Body(b): Body<TagBody>,
) -> AppResult<Response> {
    change_tag_members(app, allowed, b, false).await
}

async fn tag_list(State(app): State<AppState>, caller: AppCaller) -> AppResult<Response> {
    let tags = tag::list(&app.db, &reads(&caller.actor)?).await?;
    Ok(ok(
        json!({ "taglist": tags.iter().map(|t| json!({ "tagid": t.id, "tagname": t.name })).collect::<Vec<_>>() }),
    ))
}
